"""The browser softphone end to end: the page served by the controller (`pbx serve`) in
headless Chromium with fake media devices, registered to the real Asterisk over its SIP
websocket (DTLS-SRTP media), calling a SIPp phone and the SIPp carrier, and answering
calls from a SIPp phone and from the trunk (where the caller is a customer)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.e2e.browser import Softphone, require_browser, softphone
from tests.e2e.phones import CallResult, Carrier, SippPhone, call
from tests.e2e.system import System, ext_state, wait_for
from tests.e2e.test_calls import inbound, mulaw_tone

MAIN = "+13125550100"
CUSTOMER_PHONE = "+13125550177"


class Background:
    """A blocking SIPp call run in a thread while the test drives the page."""

    def __init__(self, place: Callable[[], CallResult]) -> None:
        self.result: CallResult | None = None
        self.thread = threading.Thread(target=self._run, args=(place,), daemon=True)
        self.thread.start()

    def _run(self, place: Callable[[], CallResult]) -> None:
        self.result = place()

    def join(self, timeout: float = 60.0) -> CallResult:
        self.thread.join(timeout)
        assert self.result is not None, "the SIPp call did not finish"
        return self.result


def provision(system: System, carrier: Carrier) -> str:
    """Ann has a browser phone (103), Bob a desk phone (101); a customer with an open job
    calls the main number, which rings Ann. Returns Ann's API token."""
    system.provision(
        "user add Ann --email ann@example.com",
        "user add Bob --email bob@example.com",
        "ext add 103 --user Ann --webrtc",
        "ext add 101 --user Bob",
        f"customer add 'Acme Plumbing' --phone {CUSTOMER_PHONE} --owner Ann",
        "job add 'Boiler repair' --customer 'Acme Plumbing'",
        f"trunk add carrier --host 127.0.0.2 --port {carrier.port} "
        "--username acct --password carrier-pass-1",
        f"number add {MAIN} --label Main --dest ext:103",
    )
    token = system.run("token", "create", "--user", "Ann").stdout.strip().splitlines()[-1]
    assert token, "pbx token create printed no token"
    return token


def hang_up(phone: Softphone) -> None:
    phone.page.click("#hangup")
    phone.wait_call("ended")


def test_softphone_places_and_answers_calls(system: System) -> None:
    require_browser()
    with Carrier(system.work) as carrier:
        token = provision(system, carrier)
        system.start()
        url = f"http://127.0.0.1:{system.env['PBX_API_PORT']}/phone"
        secrets = system.credentials()
        tone = mulaw_tone(system.work / "tone.ul", seconds=6.0)
        bob = SippPhone("101", secrets["101"], system.sip_port, system.work, answer=True)
        with bob, softphone(url, system.work / "chromium") as phone:
            assert bob.wait_registered(), bob.describe()

            # A wrong token is refused and nothing is kept.
            phone.sign_in("not-a-token")
            phone.wait("#sign-in-error:not(:empty)")
            assert "refused" in phone.text("sign-in-error")

            phone.sign_in(token)
            phone.wait("#status[data-state=registered]")
            assert "Ann" in phone.text("who") and "103" in phone.text("who")
            wait_for("103 registered", lambda: ext_state(system, "103")["registered"])

            # 1. The page calls Bob's desk phone: answered, and audio leaves the browser
            #    (DTLS-SRTP through ICE to Asterisk, which bridges it to SIPp).
            phone.page.fill("#number", "101")
            phone.page.click("#call")
            phone.wait_call("in-call")
            wait_for("101 answered", lambda: bob.answered_calls == 1)
            assert phone.wait_packets("sent", 25) >= 25
            hang_up(phone)

            # 2. Bob calls the page: it rings with Bob's name and extension, Ann answers,
            #    Bob's audio (a tone streamed by SIPp) reaches the browser.
            incoming = Background(
                lambda: call("103", system.sip_port, system.work, caller="101",
                             password=secrets["101"], hold=4.0, audio=tone)
            )  # fmt: skip
            phone.wait_call("incoming")
            assert "101" in phone.text("call-peer") and "Bob" in phone.text("call-peer")
            assert phone.text("call-customer") == "Extension 101"
            phone.page.click("#answer")
            phone.wait_call("in-call")
            assert phone.wait_packets("received", 25) >= 25
            result = incoming.join()
            assert result.answered and result.hung_up, result.describe()
            phone.wait_call("ended")
            assert "by the other side" in phone.text("call-state")

            # 3. A customer calls the main number from the trunk: the page shows who it is
            #    and the open job before Ann answers.
            trunk_call = Background(
                lambda: inbound(system, caller=CUSTOMER_PHONE, hold=3.0, audio=tone)
            )
            phone.wait_call("incoming")
            phone.wait("#call-customer:not(:empty)")
            assert CUSTOMER_PHONE in phone.text("call-peer"), phone.describe()
            shown = phone.text("call-customer")
            assert "Acme Plumbing" in shown and "Boiler repair" in shown, phone.describe()
            phone.page.click("#answer")
            phone.wait_call("in-call")
            assert phone.wait_packets("received", 25) >= 25
            assert trunk_call.join().answered
            phone.wait_call("ended")

            # 4. Click to dial: the customer's number in the customer list calls out
            #    through the trunk, with the main number as caller ID.
            phone.wait(f"#customer-rows button.dial[data-number='{CUSTOMER_PHONE}']")
            phone.page.click(f"#customer-rows button.dial[data-number='{CUSTOMER_PHONE}']")
            phone.wait_call("in-call")
            assert wait_for("carrier called", lambda: carrier.calls) == [(CUSTOMER_PHONE, MAIN)]
            assert phone.wait_packets("sent", 25) >= 25
            hang_up(phone)

            records = system.wait_calls(4)

            # Signing out unregisters the browser phone.
            phone.page.click("#sign-out")
            phone.wait("#sign-in-form")
            wait_for("103 unregistered", lambda: not ext_state(system, "103")["registered"])

    out, back, customer, dialled = records
    assert (out["direction"], out["handled_by_ext"], out["disposition"]) == (
        "internal", "101", "Answered",
    )  # fmt: skip
    assert (back["direction"], back["handled_by_ext"], back["disposition"]) == (
        "internal", "103", "Answered",
    )  # fmt: skip
    assert customer["direction"] == "inbound" and customer["handled_by_ext"] == "103"
    assert customer["customer"] == "Acme Plumbing" and customer["disposition"] == "Answered"
    assert dialled["direction"] == "outbound" and dialled["called"] == CUSTOMER_PHONE
    listed = system.json("calls", "list")
    assert len(listed) == 4


async def test_page_and_files_are_served_without_escaping_the_folder() -> None:
    """The page and its files, with their types; nothing outside the static folder, no
    listings, no dot files."""
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from pbx.api.softphone import add_routes

    app = web.Application()
    add_routes(app)
    async with TestClient(TestServer(app)) as client:
        for path in ("/phone", "/phone/"):
            page = await client.get(path)
            assert page.status == 200 and page.content_type == "text/html"
            assert "default-src 'none'" in page.headers["Content-Security-Policy"]
            assert 'src="/phone/app.js"' in await page.text()
        for path, kind in (
            ("/phone/app.js", "text/javascript"),
            ("/phone/style.css", "text/css"),
            ("/phone/vendor/jssip.min.js", "text/javascript"),
        ):
            answer = await client.get(path)
            assert (answer.status, answer.content_type) == (200, kind), path
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
        for path in (
            "/phone/vendor/",
            "/phone/vendor",
            "/phone/vendor/.lock-sha256",
            "/phone/%2e%2e/softphone.py",
            "/phone/..%2fsoftphone.py",
            "/phone/static/../softphone.py",
            "/phone//etc/passwd",
            "/phone/missing.js",
        ):
            answer = await client.get(path)
            assert answer.status == 404, path
