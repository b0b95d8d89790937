"""On-call end to end: the real Asterisk and controller, SIPp phones, and a SIPp carrier
whose cell phones accept an on-call call by pressing 1 (SIP INFO) or answer without it."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from tests.e2e.phones import Carrier
from tests.e2e.system import System, wait_for
from tests.e2e.test_calls import base, inbound, mulaw_tone, phones

NIGHT = "+13125550113"  # a number whose schedule is always closed: after hours
EMERGENCY = "+13125550115"  # the emergency contact number (no schedule: business hours)
ANN_CELL = "+13125550101"  # presses 1
CAT_CELL = "+13125550103"  # answers and presses nothing


def entries(system: System, count: int) -> list[dict[str, Any]]:
    """The emergency call log once it has `count` entries, oldest first."""
    found = wait_for(
        f"{count} emergency call log entries",
        lambda: (rows := system.json("oncall", "calls")) and len(rows) >= count and rows,
        timeout=20,
    )
    return list(reversed(found))


def test_after_hours_calls_reach_the_on_call_technician_who_must_press_1(system: System) -> None:
    with Carrier(system.work, confirm=rf"sip:\{ANN_CELL}@") as carrier:
        base(system, carrier)
        system.provision(
            f"user update Cat --mobile '{CAT_CELL}'",
            "ext update 101 --ring cell",
            "ext update 103 --ring cell",
            "voicemail box add 'After Hours' --members Ann",
            "schedule add Closed --tz UTC --hours 'mon 00:00-00:01' "
            "--after-hours 'oncall,voicemail:After Hours'",
            f"number add {NIGHT} --label Night --dest ext:102 --schedule Closed",
            f"number add {EMERGENCY} --label Emergency --dest ext:102",
            f"oncall settings --set emergency_number={EMERGENCY} --set sla_minutes=15",
            "oncall shift new --tech Ann --start now --notes 'north side'",
            "oncall shift new --tech Bob --start now --backup",
        )
        shifts = {s["tech"]: s for s in system.json("oncall", "shift", "list")}
        assert {s["status"] for s in shifts.values()} == {"active"}
        now = system.json("oncall", "now")
        assert (now["on_call"]["tech"], now["backup"]["tech"]) == ("Ann", "Bob")
        system.start()
        with ExitStack() as stack:
            bob = phones(stack, system, answer=("102",))["102"]
            # 1. After hours: Ann's cell rings, answers, presses 1: connected.
            first = inbound(system, to=NIGHT, hold=1.0, timeout=60)
            assert first.answered, first.describe()
            # 2. The emergency contact number in business hours: on-call too, not ext 102.
            second = inbound(system, to=EMERGENCY, hold=1.0, timeout=60)
            assert second.answered, second.describe()
            assert bob.answered_calls == 0
            # 3. Cat is on call now and answers without pressing 1: the backup (Bob) rings.
            system.run("oncall", "shift", "update", str(shifts["Ann"]["id"]), "--tech", "Cat")
            third = inbound(system, to=NIGHT, hold=1.0, timeout=90)
            assert third.answered, third.describe()
            wait_for("backup answered", lambda: bob.answered_calls == 1)
        # 4. Bob's phone is gone: nobody confirms, the caller reaches the voicemail box.
        wait_for("102 unregistered", lambda: not _registered(system, "102"))
        tone = mulaw_tone(system.work / "tone.ul", seconds=12.0)  # greeting, then a message
        fourth = inbound(system, to=NIGHT, hold=12.0, timeout=90, audio=tone)
        assert fourth.answered, fourth.describe()
        records = system.wait_calls(4, timeout=30)
        dialled = [number for number, _ in carrier.calls]
        assert carrier.presses >= 2

    accepted, emergency, backup, nobody = records
    assert dialled == [ANN_CELL, ANN_CELL, CAT_CELL, CAT_CELL]
    assert accepted["disposition"] == "Answered" and accepted["handled_by_user"] == "Ann"
    assert emergency["handled_by_user"] == "Ann"
    assert any("emergency contact number" in line for line in emergency["route"])
    assert backup["handled_by_user"] == "Bob"
    assert any("did not press 1" in line for line in backup["route"]), backup["route"]
    assert nobody["disposition"] == "Voicemail" and nobody["voicemail_box"] == "After Hours"

    log = entries(system, 4)
    by_phone = [(e["shift"], e["outcome"]) for e in log]
    ann_shift, bob_shift = shifts["Ann"]["id"], shifts["Bob"]["id"]
    assert by_phone == [
        (ann_shift, "Dispatched"),
        (ann_shift, "Dispatched"),
        (bob_shift, "Dispatched"),
        (ann_shift, "No Answer"),
    ]
    # Response time: from the call's start to the technician's confirmed answer.
    assert log[0]["response_minutes"] is not None and 0 < log[0]["response_minutes"] < 2
    assert log[2]["response_minutes"] > log[0]["response_minutes"]  # Cat's prompt came first
    assert log[3]["response_minutes"] is None
    board = system.json("oncall", "dashboard")
    assert board["emergency_calls_this_month"] == 4
    assert board["outcomes"]["Dispatched"] == 3 and board["outcomes"]["No Answer"] == 1
    assert board["average_response_minutes"] is not None and board["sla_tone"] == "within"


def _registered(system: System, ext: str) -> bool:
    report = system.json("status")
    return any(e["number"] == ext and e["registered"] for e in report["extensions"])
