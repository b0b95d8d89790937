"""The whole system as an admin runs it: the `pbx` command, the real Asterisk,
the controller process, and SIPp phones registering with generated credentials."""

from __future__ import annotations

import signal

from tests.e2e.phones import SippPhone, call
from tests.e2e.system import System, ext_state, wait_for


def test_phone_registers_with_generated_credentials(system: System) -> None:
    system.run("user", "add", "Ann", "--email", "ann@example.com", "--mobile", "+1 312 555 0101")
    system.run("user", "add", "Bob", "--email", "bob@example.com")
    system.run("ext", "add", "101", "--user", "Ann")
    system.run("ext", "add", "102", "--user", "Bob")
    check = system.run("config", "render", "--check").stdout
    assert "+++ b/pjsip.conf" in check and not (system.home / "asterisk/etc/pjsip.conf").exists()
    system.run("config", "render")
    assert system.run("config", "render", "--check").stdout.strip() == "configuration is up to date"
    system.run("asterisk", "start")
    controller = system.spawn("serve", log="controller.log")

    report = wait_for(
        "controller and asterisk up",
        lambda: (r := system.json("status"))["controller"]["reachable"]
        and r["asterisk"]["reachable"]
        and r["controller"].get("ari")
        and r,
    )
    assert [e["registered"] for e in report["extensions"]] == [False, False]

    secrets = system.credentials()
    assert len(secrets["101"]) >= 20
    with SippPhone("101", secrets["101"], system.sip_port, system.work) as phone:
        assert phone.wait_registered(), phone.describe()
        state = wait_for("101 registered", lambda: (s := ext_state(system, "101"))["registered"] and s)
        assert state["contacts"] and f"sip:101@127.0.0.1:{phone.local_port}" in state["contacts"][0]["uri"]
        assert not ext_state(system, "102")["registered"]
        human = system.run("status").stdout
        assert "101" in human and "registered" in human

        with SippPhone("102", secrets["102"] + "x", system.sip_port, system.work) as intruder:
            assert intruder.wait_registered() is False
        assert not ext_state(system, "102")["registered"]

        assert phone.stop() == 0 and phone.unregistered
    wait_for("101 unregistered", lambda: not ext_state(system, "101")["registered"])

    log = wait_for(
        "controller log of both",
        lambda: "unregistered" in (text := system.log("controller.log")) and text,
    )
    assert "extension 101 registered" in log

    # A new extension reaches the running Asterisk through `pbx config apply`.
    system.run("ext", "add", "103", "--user", "Bob")
    with SippPhone("103", system.credentials()["103"], system.sip_port, system.work) as late:
        assert late.wait_registered() is False  # not loaded yet
    applied = system.run("config", "apply").stdout
    assert "pjsip.conf" in applied
    with SippPhone("103", system.credentials()["103"], system.sip_port, system.work) as late:
        assert late.wait_registered(), late.describe()
        wait_for("103 registered", lambda: ext_state(system, "103")["registered"])

    controller.send_signal(signal.SIGTERM)
    assert controller.wait(20) == 0


def test_calls_keep_flowing_when_the_controller_is_down(system: System) -> None:
    """No controller: phones still reach extensions, and trunk calls ring the static fallback."""
    system.env["PBX_FALLBACK_NUMBER"] = "102"
    system.run("user", "add", "Ann", "--email", "ann@example.com")
    system.run("ext", "add", "101", "--user", "Ann")
    system.run("ext", "add", "102", "--user", "Ann")
    system.run(
        "trunk", "add", "carrier", "--host", "127.0.0.2", "--username", "acct",
        "--password", "carrier-pass-1",
    )  # fmt: skip
    system.run("number", "add", "+13125550100", "--label", "Main", "--dest", "ext:101")
    system.run("asterisk", "start")
    secrets = system.credentials()
    with SippPhone("102", secrets["102"], system.sip_port, system.work, answer=True) as desk:
        assert desk.wait_registered(), desk.describe()
        internal = call("102", system.sip_port, system.work, caller="101", password=secrets["101"])
        assert internal.answered, (internal.dir / "messages.log").read_text()[-3000:]
        wait_for("102 answered the internal call", lambda: desk.answered_calls >= 1)
        inbound = call(
            "+13125550100", system.sip_port, system.work, caller="+13125550177", host="127.0.0.2"
        )
        assert inbound.answered, (inbound.dir / "messages.log").read_text()[-3000:]
        wait_for("102 answered the trunk call", lambda: desk.answered_calls >= 2)


def test_up_runs_everything_and_stops_cleanly(system: System) -> None:
    up = system.spawn("up", log="up.log")
    wait_for("next steps", lambda: "pbx ext add 101" in system.log("up.log"), timeout=120)
    report = wait_for(
        "asterisk and controller",
        lambda: (r := system.json("status"))["controller"]["reachable"]
        and r["asterisk"]["reachable"]
        and r,
        timeout=60,
    )
    assert report["extensions"] == []
    assert system.json("asterisk", "status")["running"] is True
    up.send_signal(signal.SIGTERM)
    assert up.wait(30) == 0, system.log("up.log")
    assert "asterisk: stopped" in system.log("up.log")
    assert system.run("asterisk", "status", check=False).returncode == 1
    for name in ("pbx.toml", "pbx.db", "asterisk/etc/pjsip.conf", "asterisk/etc/manager.conf"):
        assert oct((system.home / name).stat().st_mode & 0o777) == "0o600", name
