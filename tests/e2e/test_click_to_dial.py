"""Click-to-dial and the API's live view and event stream, end to end: the real Asterisk
and controller, a SIPp desk phone and the SIPp carrier behind the trunk."""

from __future__ import annotations

from contextlib import ExitStack

from tests.e2e.api import Api, EventLog
from tests.e2e.phones import Carrier
from tests.e2e.system import System, wait_for
from tests.e2e.test_calls import CUSTOMER_PHONE, MAIN, base, phones


def test_click_to_dial_rings_the_users_phone_then_calls_the_customer(system: System) -> None:
    with Carrier(system.work) as carrier:
        base(system, carrier)
        system.provision(
            f"number add {MAIN} --label Main --dest ext:101",
            "number add +13125550111 --label Ann --assign Ann",
            "user add Dee --email dee@example.com --role dispatcher",
        )
        token = system.run("token", "create", "--user", "Dee").stdout.strip().splitlines()[-1]
        ann_token = system.run("token", "create", "--user", "Ann").stdout.strip().splitlines()[-1]
        system.start()
        api = Api(system, token)
        customer = system.json("customer", "list")[0]
        job = system.json("job", "list")[0]
        events_url = f"{api.base.replace('http', 'ws')}/api/events?token={token}"
        with ExitStack() as stack:
            desk = phones(stack, system, answer=("101",))["101"]
            events = stack.enter_context(EventLog(events_url))
            # The dispatcher clicks the customer's number for Ann: Ann's desk phone rings
            # and answers; then the customer is called with Ann's direct number.
            status, placed = api.request(
                "POST", "/api/calls", {"user": "Ann", "number": "(312) 555-0177"}
            )
            assert status == 202, placed
            assert (placed["extension"], placed["number"]) == ("101", CUSTOMER_PHONE)
            assert (placed["customer_id"], placed["job_id"]) == (customer["id"], job["id"])
            wait_for("the carrier answered", lambda: carrier.answered_calls >= 1, timeout=20)
            live = wait_for(
                "the call in the live view",
                lambda: (body := api.request("GET", "/api/live")[1])["calls"] and body,
            )
            (now,) = live["calls"]
            assert (now["direction"], now["called"]) == ("outbound", CUSTOMER_PHONE)
            assert now["customer"]["name"] == "Acme Plumbing"
            assert any(r["endpoint"] == "101" for r in live["registrations"])
            wait_for("call.answered event", lambda: "call.answered" in events.types())
            system.ari("DELETE", f"/channels/{placed['channel']}")  # Ann hangs up
            (record,) = system.wait_calls(1)
            wait_for("call.ended event", lambda: "call.ended" in events.types())
            assert desk.answered_calls == 1
            # `pbx dial` does the same from the command line; Ann's token may dial for Ann only.
            out = system.run(
                "dial", "--user", "Ann", CUSTOMER_PHONE, "--job", str(job["id"])
            ).stdout
            assert "ringing Ann at extension 101" in out
            wait_for("the second call answered", lambda: carrier.answered_calls >= 2, timeout=20)
            status, refused = Api(system, ann_token).request(
                "POST", "/api/calls", {"user": "Dee", "number": CUSTOMER_PHONE}
            )
            assert (status, refused["field"]) == (403, "user")
            channel = wait_for(
                "the second call's channel",
                lambda: next(
                    (
                        c["id"]
                        for c in system.ari("GET", "/channels")
                        if c["name"].startswith("PJSIP/101-")
                    ),
                    None,
                ),
            )
            system.ari("DELETE", f"/channels/{channel}")
            system.wait_calls(2)
    assert (record["direction"], record["caller"], record["called"]) == (
        "outbound",
        "101",
        CUSTOMER_PHONE,
    )
    assert record["disposition"] == "Answered"
    assert (record["customer"], record["job"]) == ("Acme Plumbing", "Boiler repair")
    # the customer saw Ann's direct number
    assert carrier.calls[0] == (CUSTOMER_PHONE, "+13125550111")
    kinds = events.types()
    assert kinds.index("call.ringing") < kinds.index("call.answered") < kinds.index("call.ended")
    ringing = next(e for e in events.events if e["type"] == "call.ringing")
    assert ringing["customer"]["name"] == "Acme Plumbing"
    ended = next(e for e in events.events if e["type"] == "call.ended")
    assert ended["disposition"] == "Answered"
