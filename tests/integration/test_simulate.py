"""`pbx simulate`: the real CLI, a real SQLite directory in a temporary PBX_HOME, routing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_runner import ok, pbx, use_home

MAIN = "+13125550100"  # group Dispatch, then forwarding; schedule Office (Chicago)
ANN_DIRECT = "+13125550110"
FWD_ONLY = "+13125550130"
DANA = "+13125550177"  # customer owned by Bob
STRANGER = "+13125550188"
MONDAY_10 = "2026-11-23 10:00"  # the office is open (Chicago time)
CLOSED = "after hours: schedule 'Office' (America/Chicago) is closed"


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "pbx-home"
    use_home(home, monkeypatch)
    return home


def simulate(*args: str) -> list[str]:
    """The lines `pbx simulate` prints (after its header line)."""
    lines = ok("simulate", *args).splitlines()
    assert lines[0].endswith(":"), lines[0]
    return lines[1:]


@pytest.fixture()
def populated(home: Path) -> Path:
    ok("init")
    ok("user", "add", "Ann", "--email", "ann@example.com", "--mobile", "(312) 555-0101")
    ok("user", "add", "Bob", "--email", "bob@example.com", "--mobile", "+1 312 555 0102")
    ok("ext", "add", "101", "--user", "Ann")
    ok("ext", "add", "102", "--user", "Bob", "--ring", "both")
    ok("voicemail", "box", "add", "After Hours", "--members", "Ann,Bob")
    ok(
        "group", "add", "Dispatch", "--strategy", "sequential", "--members", "101,102",
        "--ext", "600", "--fallback-box", "After Hours",
    )
    ok(
        "schedule", "add", "Office", "--tz", "America/Chicago",
        "--hours", "mon-fri 08:00-17:00", "--holiday", "2026-12-25",
        "--after-hours", "oncall,+13125550199,voicemail:After Hours",
    )
    ok(
        "number", "add", MAIN, "--label", "Main line", "--dest", "group:Dispatch",
        "--forward", "+13125550150", "--schedule", "Office",
    )
    ok("number", "add", ANN_DIRECT, "--label", "Ann direct", "--assign", "Ann")
    ok("number", "add", FWD_ONLY, "--label", "Overflow", "--forward", "+13125550150")
    ok("customer", "add", "Dana Homeowner", "--phone", "312-555-0177", "--owner", "Bob")
    ok("job", "add", "--customer", "Dana Homeowner", "Furnace repair")
    ok("trunk", "add", "carrier", "--host", "sip.example.net", "--username", "acct",
       "--password", "s3cret-pass")
    return home  # fmt: skip


def test_assigned_user(populated: Path) -> None:
    lines = simulate("--number", ANN_DIRECT, "--from", DANA, "--at", MONDAY_10)
    assert lines[0] == "1. ring user Ann — number assigned to Ann; no answer: voicemail box ext-101"
    assert len([line for line in lines if line[0].isdigit()]) == 1


def test_customer_owner_then_destination_then_forwarding(populated: Path) -> None:
    out = ok("simulate", "--number", "(312) 555-0100", "--from", "312-555-0177", "--at", MONDAY_10)
    assert out.splitlines() == [
        f"inbound call from {DANA} to {MAIN} (Main line) at Mon 2026-11-23 10:00 CST:",
        "1. ring user Bob — caller is customer Dana Homeowner, owned by Bob; "
        "no answer: voicemail box ext-102",
        "2. ring group Dispatch — number destination; no answer: voicemail box After Hours",
        "3. ring number +1 312-555-0150 — forwarding number; no answer: the call ends (missed)",
        f"note: caller {DANA} is customer Dana Homeowner (#1), open job #1 'Furnace repair'",
        "note: group Dispatch: sequential, members 101, 102, 20 s per ring, 60 s in all",
    ]


def test_group_destination_for_unknown_caller(populated: Path) -> None:
    lines = simulate("--number", MAIN, "--from", STRANGER, "--at", MONDAY_10)
    assert lines[0] == (
        "1. ring group Dispatch — number destination; no answer: voicemail box After Hours"
    )
    assert not any("customer" in line for line in lines)


def test_forwarding(populated: Path) -> None:
    lines = simulate("--number", FWD_ONLY, "--from", STRANGER, "--at", MONDAY_10)
    assert lines == [
        "1. ring number +1 312-555-0150 — forwarding number; no answer: the call ends (missed)"
    ]


def test_after_hours(populated: Path) -> None:
    lines = simulate("--number", MAIN, "--from", DANA, "--at", "2026-11-21 23:10")
    reason = f"{CLOSED} at Sat 23:10"
    assert lines[:3] == [
        f"1. ring the on-call technician — {reason} "
        "(skipped: nobody is on call now)",
        f"2. ring number +1 312-555-0199 — {reason}; no answer: next step",
        f"3. voicemail box After Hours — {reason}",
    ]


def test_at_with_offset_is_the_same_instant(populated: Path) -> None:
    local = simulate("--number", MAIN, "--at", "2026-11-21 23:10")
    utc = simulate("--number", MAIN, "--at", "2026-11-22T05:10:00+00:00")
    assert local == utc
    assert f"{CLOSED} at Sat 23:10" in local[0]


def test_holiday(populated: Path) -> None:
    lines = simulate("--number", MAIN, "--from", STRANGER, "--at", "2026-12-25 10:00")
    assert lines[0].startswith(
        f"1. ring the on-call technician — {CLOSED} for the holiday 2026-12-25"
    )


def test_inactive_number(populated: Path) -> None:
    ok("number", "disable", FWD_ONLY)
    lines = simulate("--number", FWD_ONLY, "--from", STRANGER)
    assert lines == [
        "1. announce 'noservice' (this number is not in service) and hang up — "
        f"not in service: number {FWD_ONLY} (Overflow) is disabled"
    ]


def test_unknown_number(populated: Path) -> None:
    lines = simulate("--number", "+13125550198")
    assert lines == [
        "1. announce 'noservice' (this number is not in service) and hang up — "
        "not in service: +13125550198 is not one of our numbers"
    ]


def test_internal_international_refused(populated: Path) -> None:
    out = ok("simulate", "--internal", "--number", "011 44 20 7946 0958", "--from", "101")
    assert out.splitlines()[1:] == [
        "1. announce 'refused' (this call is not allowed) and hang up — +442079460958 is an "
        "international number and international dialling is disabled "
        "(allow_international = false)"
    ]
    assert out.startswith("outbound call from extension 101 to +442079460958 at ")


def test_internal_international_allowed(
    populated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PBX_ALLOW_INTERNATIONAL", "true")
    lines = simulate("--internal", "--number", "+44 20 7946 0958", "--from", "101")
    assert lines == [
        "1. ring number +44 20 7946 0958 (caller ID +1 312-555-0110) — outside number; "
        "no answer: the call ends (missed)",
        f"note: caller ID {ANN_DIRECT}: the direct number of Ann",
    ]


def test_internal_group_extension(populated: Path) -> None:
    lines = simulate("--internal", "--number", "600", "--from", "101")
    assert lines[0] == (
        "1. ring group Dispatch — internal call to ring group Dispatch (extension 600); "
        "no answer: voicemail box After Hours"
    )


def test_json(populated: Path) -> None:
    out = ok("simulate", "--number", MAIN, "--from", DANA, "--at", "2026-11-21 23:10", "--json")
    plan = json.loads(out)
    assert plan["at"] == "2026-11-21T23:10:00-06:00"
    assert (plan["direction"], plan["caller"], plan["called"]) == ("inbound", DANA, MAIN)
    assert (plan["customer_id"], plan["job_id"], plan["failed"]) == (1, 1, False)
    assert [s["kind"] for s in plan["steps"]] == ["ring", "ring", "voicemail"]
    assert plan["steps"][0]["target"] == "oncall"
    assert plan["steps"][2]["name"] == "After Hours"


@pytest.mark.parametrize("at", ["nope", "2026-13-01 10:00", "23:10 yesterday", ""])
def test_bad_at(populated: Path, at: str) -> None:
    code, out, err = pbx("simulate", "--number", MAIN, "--at", at)
    assert code == 2
    assert out == ""
    assert err.startswith("error: at: ") and err.count("\n") == 1, err
