"""`pbx oncall` against a real SQLite PBX_HOME: shifts and their lifecycle, rotation and
overrides, the emergency call log, settings, the dashboard, and permissions (`--as`).
Bad input: one line on stderr, `error: FIELD: reason`, exit status 2, nothing changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_runner import ok, pbx, use_home


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_home(tmp_path / "home", monkeypatch)
    for name, extra in (("Ann", ["--oncall-write"]), ("Bob", []), ("Cat", []), ("Dan", [])):
        ok("user", "add", name, "--email", f"{name.lower()}@example.com", *extra)
    ok("oncall", "settings", "--set", "timezone=America/Chicago", "--set", "shift_hours=12")
    return tmp_path


def shifts(*args: str) -> list[dict[str, Any]]:
    return list(json.loads(ok("oncall", "shift", "list", "--json", *args)))


def refused(field: str, *args: str) -> str:
    code, out, err = pbx(*args)
    assert code == 2, (code, out, err)
    assert err.startswith(f"error: {field}: ") and err.count("\n") == 1, err
    return err


def test_shift_lifecycle_and_deletion_rules(home: Path) -> None:
    ok("oncall", "shift", "new", "--tech", "Ann", "--start", "2030-01-06 18:00", "--notes", "north")
    (shift,) = shifts()
    assert (shift["start"], shift["end"], shift["status"]) == (
        "2030-01-06 18:00", "2030-01-07 06:00", "scheduled",
    )  # fmt: skip
    assert shift["start_utc"] == "2030-01-07T00:00:00+00:00"  # Chicago is UTC-6 in January
    ident = str(shift["id"])
    refused("shift", "oncall", "shift", "complete", ident)  # not active yet
    ok("oncall", "shift", "activate", ident)
    assert shifts("--status", "active")[0]["id"] == shift["id"]
    err = refused("shift", "oncall", "shift", "delete", ident)
    assert "use `complete` or `cancel`" in err
    ok("oncall", "shift", "cancel", ident)
    ok("oncall", "shift", "delete", ident)
    assert shifts() == []
    refused("status", "oncall", "shift", "list", "--status", "later")


def test_overlaps_need_a_backup_and_overrides_split_the_rotation(home: Path) -> None:
    ok("oncall", "shift", "new", "--tech", "Ann", "--start", "2030-01-06 18:00")
    err = refused("start", "oncall", "shift", "new", "--tech", "Bob", "--start", "2030-01-06 20:00")
    assert "mark one of them as backup" in err
    ok("oncall", "shift", "new", "--tech", "Bob", "--start", "2030-01-06 20:00", "--backup")
    assert len(shifts()) == 2
    ok("oncall", "settings", "--set", "cadence=daily", "--set", "roster=Cat,Dan")
    ok("oncall", "rotate", "--from", "2030-01-08", "--periods", "2")
    rotation = [s for s in shifts() if s["source"] == "rotation"]
    assert [(s["tech"], s["start"], s["end"]) for s in rotation] == [
        ("Cat", "2030-01-08 08:00", "2030-01-09 08:00"),
        ("Dan", "2030-01-09 08:00", "2030-01-10 08:00"),
    ]
    ok(
        "oncall",
        "override",
        "--tech",
        "Ann",
        "--start",
        "2030-01-08 12:00",
        "--end",
        "2030-01-08 14:00",
    )
    cat = [
        (s["start"], s["end"])
        for s in shifts()
        if s["tech"] == "Cat" and s["status"] != "cancelled"
    ]
    assert cat == [
        ("2030-01-08 08:00", "2030-01-08 12:00"),
        ("2030-01-08 14:00", "2030-01-09 08:00"),
    ]


def test_emergency_call_log_settings_and_dashboard(home: Path) -> None:
    ok("oncall", "shift", "new", "--tech", "Ann", "--start", "now")
    ident = str(shifts()[0]["id"])
    ok(
        "oncall", "log-call", ident, "--customer", "Acme", "--phone", "(312) 555-0177",
        "--issue", "water leak", "--outcome", "dispatched", "--response", "12",
    )  # fmt: skip
    refused(
        "phone", "oncall", "log-call", ident, "--customer", "X", "--phone", "12", "--issue", "i"
    )
    refused("outcome", "oncall", "log-call", ident, "--customer", "X", "--phone", "3125550177",
            "--issue", "i", "--outcome", "maybe")  # fmt: skip
    (entry,) = json.loads(ok("oncall", "calls", "--json"))
    assert (entry["phone"], entry["outcome"], entry["response_minutes"]) == (
        "+13125550177",
        "Dispatched",
        12.0,
    )
    ok("oncall", "edit-call", str(entry["id"]), "--outcome", "Resolved", "--response", "40")
    board = json.loads(ok("oncall", "dashboard", "--json"))
    assert board["active_shifts"] == 1 and board["emergency_calls_this_month"] == 1
    assert board["outcomes"]["Resolved"] == 1
    assert (board["average_response_minutes"], board["sla_tone"]) == (40.0, "breached")  # target 30
    refused("sla_minutes", "oncall", "settings", "--set", "sla_minutes=0")
    refused("cadence", "oncall", "settings", "--set", "sla_minutes=20", "--set", "cadence=hourly")
    settings = json.loads(ok("oncall", "settings", "--json"))
    assert settings["sla_minutes"] == "30"  # all or nothing
    text = ok("oncall", "dashboard")
    assert "average response:      40.0 min (target 30 min: breached)" in text


def test_writes_need_the_oncall_permission(home: Path) -> None:
    err = refused("as", "oncall", "shift", "new", "--tech", "Bob", "--start", "now", "--as", "Bob")
    assert "on-call write permission" in err
    refused("as", "oncall", "settings", "--set", "sla_minutes=5", "--as", "Bob")
    refused("as", "oncall", "shift", "new", "--tech", "Bob", "--start", "now", "--as", "Zed")
    assert shifts() == []
    assert json.loads(ok("oncall", "settings", "--json"))["sla_minutes"] == "30"
    ok("oncall", "shift", "new", "--tech", "Bob", "--start", "now", "--as", "Ann")
    assert [s["tech"] for s in shifts()] == ["Bob"]
    now = json.loads(ok("oncall", "now", "--json"))
    assert now["on_call"]["tech"] == "Bob" and now["backup"] is None


def test_a_refused_rotation_stores_nothing(home: Path) -> None:
    refused("roster", "oncall", "rotate", "--from", "2030-01-08", "--periods", "2")  # no roster
    ok("oncall", "settings", "--set", "roster=Cat,Dan")
    refused("periods", "oncall", "rotate", "--from", "2030-01-08", "--periods", "0")
    assert json.loads(ok("oncall", "settings", "--json"))["anchor"] == ""  # not set by a refusal
    assert shifts() == []
    ok("oncall", "shift", "new", "--tech", "Ann", "--start", "now")
    ident = str(shifts()[0]["id"])
    for bad in ("-5", "soon", "nan"):
        refused("response", "oncall", "log-call", ident, "--customer", "X", "--phone",
                "3125550177", "--issue", "i", "--response", bad)  # fmt: skip
    assert json.loads(ok("oncall", "calls", "--json")) == []


def test_the_confirmation_prompts_are_spoken_from_the_settings(home: Path) -> None:
    sounds = home / "home" / "asterisk" / "sounds"
    ok("oncall", "settings", "--set", "business_name=Acme Heating",
       "--set", "accept_prompt=Press 1 to take this emergency, or 2 to pass it on.")  # fmt: skip
    intro, accept = sounds / "pbx-oncall-intro.wav", sounds / "pbx-oncall-accept.wav"
    assert intro.stat().st_size > 8000 and accept.stat().st_size > 8000  # > 0.5 s of speech
    refused("accept_prompt", "oncall", "settings", "--set", "accept_prompt=Will you take it?")
    assert accept.exists()  # refused: nothing changed
    ok("oncall", "settings", "--set", "accept_prompt=")  # back to the standard question
    assert not accept.exists() and intro.exists()
