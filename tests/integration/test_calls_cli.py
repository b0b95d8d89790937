"""`pbx calls` and the `--record/--no-record` flags, against a real SQLite PBX_HOME.

The call log is filled through the repository (as the controller's writer
would), recordings through the RecordingStore. Bad input: one line on stderr,
`error: FIELD: reason`, exit status 2.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pbx.adapters.db.repository import open_repository
from pbx.adapters.recordings import RecordingStore
from pbx.core.calls import CallLeg, CallPatch, Direction, Disposition, LegKind, LegOutcome
from pbx.core.errors import InvalidInput
from pbx.runtime.settings import load_settings
from tests.integration.cli_runner import ok, pbx, use_home

NOW = datetime.now(UTC).replace(microsecond=0)
WAV = b"RIFF$\x00\x00\x00WAVEfmt " + bytes(28)


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "pbx-home"
    use_home(home, monkeypatch)
    monkeypatch.setenv("TZ", "America/Chicago")  # "local time" in the tables
    time.tzset()
    yield home
    monkeypatch.undo()
    time.tzset()


def refused(*args: str, code: int = 2) -> str:
    """The one-line error of a refused command."""
    got, out, err = pbx(*args)
    assert got == code, (got, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err.strip()


def answered(key: str, start: datetime, customer_id: int | None, job_id: int | None) -> CallPatch:
    rung = (
        CallLeg(
            "101",
            LegKind.SOFTPHONE,
            start + timedelta(seconds=1),
            "Ann",
            "101",
            "Dispatch",
            start + timedelta(seconds=6),
            start + timedelta(seconds=131),
            LegOutcome.ANSWERED,
        ),
        CallLeg(
            "+13125550102",
            LegKind.CELL,
            start + timedelta(seconds=1),
            "Bob",
            "102",
            "Dispatch",
            None,
            start + timedelta(seconds=6),
            LegOutcome.ANSWERED_ELSEWHERE,
        ),
    )
    return CallPatch(
        key,
        {
            "direction": Direction.INBOUND,
            "caller": "+13125550199",
            "called": "+13125550100",
            "business_number": "+13125550100",
            "started_at": start,
            "answered_at": start + timedelta(seconds=6),
            "ended_at": start + timedelta(seconds=131),
            "handled_by_group": "Dispatch",
            "handled_by_ext": "101",
            "handled_by_user": "Ann",
            "customer_id": customer_id,
            "job_id": job_id,
            "disposition": Disposition.ANSWERED,
            "route": ("in business hours", "ring group Dispatch (ring-all)"),
        },
        rung,
    )


@pytest.fixture()
def calls(home: Path) -> dict[str, int]:
    """A directory and three calls; returns call ids by name."""
    ok("init")
    ok("user", "add", "Ann", "--email", "ann@example.com")
    ok("user", "add", "Bob", "--email", "bob@example.com", "--mobile", "+1 312 555 0102")
    ok("ext", "add", "101", "--user", "Ann")
    ok("ext", "add", "102", "--user", "Bob", "--ring", "both")
    ok("group", "add", "Dispatch", "--strategy", "ring-all", "--members", "101,102")
    ok("number", "add", "+13125550100", "--label", "Main", "--dest", "group:Dispatch")
    ok("customer", "add", "Acme Plumbing", "--phone", "+1 312 555 0199")
    ok("customer", "add", "Other", "--phone", "+1 312 555 0198")
    ok("job", "add", "--customer", "Acme Plumbing", "Leaking boiler")
    settings = load_settings()
    store = RecordingStore(settings.recordings_dir)
    old = NOW - timedelta(days=3)

    async def fill() -> dict[str, int]:
        repo = await open_repository(settings.effective_database_url)
        try:
            path = store.save("pbx-1.1", WAV, NOW - timedelta(hours=1))
            await repo.apply_call_patches(
                [
                    answered("n:1.1", NOW - timedelta(hours=1), 1, 1),
                    CallPatch("n:1.1", {"recording": path}),
                    CallPatch(
                        "n:2.1",
                        {
                            "caller": "+13125550198",
                            "called": "+13125550100",
                            "business_number": "+13125550100",
                            "started_at": NOW - timedelta(hours=5),
                            "ended_at": NOW - timedelta(hours=5) + timedelta(seconds=30),
                            "customer_id": 2,
                            "handled_by_group": "Dispatch",
                            "disposition": Disposition.MISSED,
                        },
                    ),
                    answered("n:3.1", old, None, None),
                    CallPatch("n:3.1", {"recording": "2020/01/gone.wav"}),
                ]
            )
            return {c.key.split(":")[1]: c.id or 0 for c in await repo.list_calls()}
        finally:
            await repo.close()

    return asyncio.run(fill())


def test_list_shows_a_table_newest_first(calls: dict[str, int]) -> None:
    out = ok("calls", "list")
    lines = out.splitlines()
    header = lines[0].split()
    assert header == [
        "ID",
        "STARTED",
        "DIRECTION",
        "FROM",
        "TO",
        "NUMBER",
        "HANDLED_BY",
        "CUSTOMER",
        "JOB",
        "DISPOSITION",
        "DURATION",
    ]
    assert [line.split()[0] for line in lines[1:]] == [
        str(calls["1.1"]),
        str(calls["2.1"]),
        str(calls["3.1"]),
    ]
    first = lines[1]
    local = (NOW - timedelta(hours=1)).astimezone().strftime("%Y-%m-%d %H:%M")
    assert local in first
    for text in (
        "inbound",
        "+13125550199",
        "Dispatch/101 (Ann)",
        "Acme Plumbing (#1)",
        "#1 Leaking boiler",
        "Answered",
        "2:05",
    ):
        assert text in first, (text, first)
    assert "Missed" in lines[2] and "Other (#2)" in lines[2]


def test_list_json_has_everything(calls: dict[str, int]) -> None:
    rows = json.loads(ok("calls", "list", "--json"))
    assert [r["id"] for r in rows] == [calls["1.1"], calls["2.1"], calls["3.1"]]
    first = rows[0]
    assert first["key"] == "n:1.1"
    assert first["customer"] == "Acme Plumbing" and first["job"] == "Leaking boiler"
    assert first["handled_by_user"] == "Ann" and first["duration"] == 125.0
    assert first["started_at"] == (NOW - timedelta(hours=1)).isoformat()
    assert first["recording"].endswith("/pbx-1.1.wav")
    assert [leg["outcome"] for leg in first["legs"]] == ["answered", "answered-elsewhere"]
    assert first["route"] == ["in business hours", "ring group Dispatch (ring-all)"]
    assert rows[1]["direction"] == "inbound" and rows[1]["disposition"] == "Missed"


def test_list_filters(calls: dict[str, int]) -> None:
    def ids(*args: str) -> list[int]:
        return [r["id"] for r in json.loads(ok("calls", "list", "--json", *args))]

    assert ids("--since", "2h") == [calls["1.1"]]
    assert ids("--since", "90m") == [calls["1.1"]]
    assert ids("--since", "1d") == [calls["1.1"], calls["2.1"]]
    assert ids("--since", "7d", "--until", "4h") == [calls["2.1"], calls["3.1"]]
    since = (NOW - timedelta(hours=6)).astimezone().strftime("%Y-%m-%d %H:%M")
    assert ids("--since", since) == [calls["1.1"], calls["2.1"]]
    day = (NOW - timedelta(days=3)).astimezone().strftime("%Y-%m-%d")
    assert calls["3.1"] in ids("--since", day)
    assert ids("--customer", "Acme Plumbing") == [calls["1.1"]]
    assert ids("--customer", "2") == [calls["2.1"]]
    assert ids("--limit", "2") == [calls["1.1"], calls["2.1"]]
    assert ok("calls", "list", "--since", "1m").strip() == "(none)"


def test_show_prints_the_call_with_legs_and_route(calls: dict[str, int]) -> None:
    out = ok("calls", "show", str(calls["1.1"]))
    head = dict(line.split(None, 1) for line in out[: out.index("legs:")].splitlines())
    assert head["handled_by"] == "Dispatch/101 (Ann)"
    assert head["customer"] == "Acme Plumbing (#1)"
    assert head["job"] == "#1 Leaking boiler"
    assert head["duration"] == "2:05"
    assert head["started"] == (NOW - timedelta(hours=1)).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert head["recording"].endswith("/pbx-1.1.wav")
    legs = out[out.index("legs:") : out.index("route:")].splitlines()[1:]
    assert len(legs) == 2
    assert "101 softphone (Ann, group Dispatch): answered" in legs[0]
    assert "+13125550102 cell for 102 (Bob, group Dispatch): answered-elsewhere" in legs[1]
    assert out.rstrip().endswith("2. ring group Dispatch (ring-all)")
    data = json.loads(ok("calls", "show", str(calls["2.1"]), "--json"))
    assert data["id"] == calls["2.1"] and data["legs"] == [] and data["customer"] == "Other"
    assert "legs:\n  (none)" in ok("calls", "show", str(calls["2.1"]))


def test_recording_is_copied(calls: dict[str, int], tmp_path: Path) -> None:
    out = tmp_path / "call.wav"
    said = ok("calls", "recording", str(calls["1.1"]), "--out", str(out))
    assert out.read_bytes() == WAV
    assert f"call {calls['1.1']}" in said


def test_bad_input_is_refused(calls: dict[str, int], tmp_path: Path) -> None:
    assert refused("calls", "show", "999") == "error: call: no such call 999"
    assert refused("calls", "recording", "999", "--out", str(tmp_path / "x")) == (
        "error: call: no such call 999"
    )
    assert refused("calls", "list", "--since", "yesterday").startswith(
        "error: since: 'yesterday' is not a date (YYYY-MM-DD)"
    )
    assert refused("calls", "list", "--until", "2025-02-30").startswith("error: until: ")
    assert refused("calls", "list", "--since", "1h", "--until", "2h") == (
        "error: until: must be later than --since"
    )
    assert refused("calls", "list", "--customer", "Nobody") == (
        "error: customer: no such customer 'Nobody'"
    )
    assert refused("calls", "list", "--limit", "0") == (
        "error: limit: must be between 1 and 10000, got 0"
    )
    missed = calls["2.1"]
    assert refused("calls", "recording", str(missed), "--out", str(tmp_path / "x")) == (
        f"error: call: call {missed} has no recording (it was not answered)"
    )
    assert not (tmp_path / "x").exists()
    assert refused("calls", "recording", str(calls["1.1"]), "--out", str(tmp_path)).startswith(
        "error: out: "
    )


def test_a_recording_missing_from_the_store_is_an_error(
    calls: dict[str, int], tmp_path: Path
) -> None:
    message = refused("calls", "recording", str(calls["3.1"]), "--out", str(tmp_path / "x"), code=1)
    assert message.startswith(
        f"error: recording of call {calls['3.1']} (2020/01/gone.wav) is missing"
    )


def test_record_flags(home: Path) -> None:
    ok("init")
    ok("user", "add", "Ann", "--email", "ann@example.com")
    ok("ext", "add", "101", "--user", "Ann")
    ok("group", "add", "Dispatch", "--strategy", "ring-all", "--members", "101")
    ok("group", "add", "Quiet", "--strategy", "ring-all", "--members", "101", "--no-record")
    ok("number", "add", "+13125550100", "--label", "Main")
    ok("number", "add", "+13125550101", "--label", "Private", "--no-record")

    def flags() -> tuple[dict[str, bool], dict[str, bool]]:
        groups = json.loads(ok("group", "list", "--json"))
        numbers = json.loads(ok("number", "list", "--json"))
        return {g["name"]: g["record"] for g in groups}, {n["number"]: n["record"] for n in numbers}

    assert flags() == (
        {"Dispatch": True, "Quiet": False},
        {"+13125550100": True, "+13125550101": False},
    )
    ok("group", "update", "Quiet", "--record")
    ok("group", "update", "Dispatch", "--no-record")
    ok("number", "update", "+13125550101", "--record")
    ok("number", "update", "+13125550100", "--no-record")
    ok("number", "update", "+13125550100", "--label", "Main line")  # leaves the flag alone
    ok("group", "update", "Dispatch", "--timeout", "30")
    assert flags() == (
        {"Dispatch": False, "Quiet": True},
        {"+13125550100": False, "+13125550101": True},
    )
    shown = dict(line.split(None, 1) for line in ok("number", "show", "+13125550100").splitlines())
    assert shown["record"] == "no"
    table = ok("group", "list")
    assert table.splitlines()[0].split()[-1] == "RECORD"


# -- the recording store ------------------------------------------------------


def test_recording_store_saves_privately_and_atomically(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path / "recordings")
    when = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    path = store.save("pbx-1700000000.5", WAV, when)
    assert path == "2025/12/pbx-1700000000.5.wav"
    full = store.path(path)
    assert full == (tmp_path / "recordings" / path).resolve()
    assert full.read_bytes() == WAV
    assert stat.S_IMODE(full.stat().st_mode) == 0o600
    for folder in (full.parent, full.parent.parent, full.parent.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert store.save("pbx-1700000000.5", b"new", when) == path  # replaced whole
    assert full.read_bytes() == b"new"
    assert os.listdir(full.parent) == ["pbx-1700000000.5.wav"]  # no temporary files left
    # the month is the UTC month of the call
    local = datetime(2026, 1, 1, 0, 30, tzinfo=UTC).astimezone()
    assert store.save("x", WAV, local).startswith("2026/01/")


@pytest.mark.parametrize("bad", ["../etc/passwd", "/etc/passwd", "2025/../../x", "", "a\\..\\b"])
def test_recording_store_refuses_paths_outside_it(tmp_path: Path, bad: str) -> None:
    store = RecordingStore(tmp_path / "recordings")
    with pytest.raises(InvalidInput):
        store.path(bad)


def test_recording_store_refuses_paths_through_a_link_outside(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path / "recordings")
    store.save("x", WAV, NOW)
    (tmp_path / "recordings" / "out").symlink_to(tmp_path)
    with pytest.raises(InvalidInput):
        store.path("out/secret.wav")


@pytest.mark.parametrize("bad", ["", "a/b", ".hidden", "a\x00b", "../x"])
def test_recording_store_refuses_bad_names(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InvalidInput):
        RecordingStore(tmp_path).save(bad, WAV, NOW)
