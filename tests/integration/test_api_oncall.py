"""The on-call API over real HTTP against a real database (SQLite and PostgreSQL):
shifts and their lifecycle, who is on call, rotation and overrides, the emergency
call log, the dashboard and settings, and the on-call write permission."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.api_client import ApiHarness, api_harness

SHIFTS = "/api/oncall/shifts"
CALLS = "/api/oncall/calls"
SETTINGS = "/api/oncall/settings"


@pytest.fixture
async def h(db_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    async with api_harness(db_url, tmp_path / "home") as harness:
        await harness.user("ann", oncall_write=True)
        await harness.user("bob")
        await harness.user("cat")
        await harness.user("dee", "dispatcher")
        await harness.call(
            "PATCH", SETTINGS, json={"timezone": "America/Chicago", "shift_hours": 12}, status=200
        )
        yield harness


async def refused(
    h: ApiHarness, method: str, path: str, field: str, who: str = "system", **kw: Any
) -> str:
    """The request is refused with 400 naming `field`; returns the error text."""
    answer = await h.call(method, path, who, status=400, **kw)
    assert answer["field"] == field, answer
    return str(answer["error"])


async def shifts(h: ApiHarness, **params: str) -> list[dict[str, Any]]:
    answer = await h.call("GET", SHIFTS, params=params or None, status=200)
    return list(answer["items"])


async def new_shift(h: ApiHarness, who: str = "system", **body: Any) -> dict[str, Any]:
    return dict(await h.call("POST", SHIFTS, who, json=body, status=201))


async def test_a_shift_from_start_to_deletion(h: ApiHarness) -> None:
    made = await new_shift(h, "ann", tech="bob", start="2030-01-06 18:00", notes="north")
    assert (made["tech"], made["start"], made["end"], made["status"]) == (
        "bob",
        "2030-01-06 18:00",
        "2030-01-07 06:00",
        "scheduled",
    )
    assert made["start_utc"] == "2030-01-07T00:00:00+00:00"  # Chicago is UTC-6 in January
    path = f"{SHIFTS}/{made['id']}"
    assert [s["id"] for s in await shifts(h)] == [made["id"]]
    shown = await h.get(path, "bob")
    assert shown["notes"] == "north" and shown["calls"] == []

    changed = await h.call("PATCH", path, json={"notes": "south", "end": "2030-01-07 08:00"})
    assert (changed["notes"], changed["end"]) == ("south", "2030-01-07 08:00")
    assert "scheduled" in await refused(h, "POST", f"{path}/complete", "shift")
    assert (await h.call("POST", f"{path}/activate", status=200))["status"] == "active"
    assert [s["id"] for s in await shifts(h, status="active")] == [made["id"]]
    assert await shifts(h, status="scheduled") == []
    assert "cannot be deleted" in await refused(h, "DELETE", path, "shift")
    assert (await h.call("POST", f"{path}/cancel", status=200))["status"] == "cancelled"
    await refused(h, "POST", f"{path}/cancel", "shift")
    await refused(h, "PATCH", path, "shift", json={"notes": "late"})
    await h.call("DELETE", path, status=204)
    await h.call("GET", path, status=404)
    await h.call("DELETE", path, status=404)
    await h.call("POST", f"{path}/activate", status=404)
    await h.call("PATCH", path, json={"notes": "x"}, status=404)

    current = await new_shift(h, tech="cat", start="now")
    assert current["status"] == "active"  # by the clock
    path = f"{SHIFTS}/{current['id']}"
    completed = await h.call("POST", f"{path}/complete", status=200)
    assert completed["status"] == "completed"
    assert "history" in await refused(h, "DELETE", path, "shift")
    await refused(h, "POST", f"{path}/activate", "shift")
    await refused(h, "GET", f"{SHIFTS}/abc", "id")
    assert [s["id"] for s in await shifts(h)] == [current["id"]]


async def test_bad_shifts_are_refused_with_the_field(h: ApiHarness) -> None:
    await refused(h, "POST", SHIFTS, "start", json={"tech": "bob", "start": "tomorrowish"})
    assert "clocks skip" in await refused(
        h, "POST", SHIFTS, "start", json={"tech": "bob", "start": "2030-03-10 02:30"}
    )
    assert "zed" in await refused(h, "POST", SHIFTS, "tech", json={"tech": "zed", "start": "now"})
    await refused(h, "POST", SHIFTS, "tech", json={"start": "now"})
    await refused(h, "POST", SHIFTS, "colour", json={"tech": "bob", "start": "now", "colour": 1})
    await refused(h, "POST", SHIFTS, "backup", json={"tech": "bob", "start": "now", "backup": "y"})
    await refused(h, "POST", SHIFTS, "start", json={"tech": "bob", "start": 1800})
    await refused(
        h,
        "POST",
        SHIFTS,
        "end",
        json={"tech": "bob", "start": "2030-01-06 18:00", "end": "2030-01-06 17:00"},
    )
    await new_shift(h, tech="bob", start="2030-01-06 18:00")
    overlap = {"tech": "cat", "start": "2030-01-06 20:00"}
    assert "backup" in await refused(h, "POST", SHIFTS, "start", json=overlap)
    backup = await new_shift(h, **overlap, backup=True)
    assert backup["backup"] is True
    assert "already has" in await refused(
        h, "PATCH", f"{SHIFTS}/{backup['id']}", "start", json={"tech": "bob"}
    )
    await refused(h, "PATCH", f"{SHIFTS}/{backup['id']}", "tech", json={"tech": "zed"})
    await refused(h, "PATCH", f"{SHIFTS}/{backup['id']}", "notes", json={"notes": None})
    assert len(await shifts(h)) == 2
    await refused(h, "GET", SHIFTS, "status", params={"status": "later"})
    await refused(h, "GET", SHIFTS, "limit", params={"limit": "0"})


async def test_writes_need_the_oncall_permission(h: ApiHarness) -> None:
    made = await new_shift(h, "ann", tech="bob", start="2030-01-06 18:00")
    path = f"{SHIFTS}/{made['id']}"
    for who in ("bob", "dee"):  # a technician and a dispatcher, neither with the permission
        for method, where, body in (
            ("POST", SHIFTS, {"tech": who, "start": "now"}),
            ("PATCH", path, {"notes": "mine now"}),
            ("POST", f"{path}/activate", None),
            ("DELETE", path, None),
            ("POST", "/api/oncall/rotate", {"from": "2030-01-08", "periods": 1}),
            ("POST", "/api/oncall/overrides", {"tech": who, "start": "now", "end": "23:59"}),
            ("POST", CALLS, {"shift": made["id"], "customer": "X", "phone": "3125550177",
                             "issue": "leak"}),
            ("PATCH", SETTINGS, {"sla_minutes": 5}),
        ):  # fmt: skip
            answer = await h.call(method, where, who, json=body, status=403)
            assert answer["field"] == "role" and "on-call write" in answer["error"]
    # nothing changed, and reading is for everyone
    (kept,) = await shifts(h)
    assert (kept["notes"], kept["status"]) == (None, "scheduled")
    assert (await h.get(SETTINGS, "bob"))["sla_minutes"] == "30"
    assert (await h.get(CALLS, "bob"))["items"] == []
    assert (await h.get("/api/oncall/now", "bob")) == {"on_call": None, "backup": None}
    assert (await h.get("/api/oncall/dashboard", "dee"))["scheduled_shifts"] == 1


async def test_who_is_on_call_rotation_and_overrides(h: ApiHarness) -> None:
    await new_shift(h, "ann", tech="bob", start="now")
    now = await h.get("/api/oncall/now", "cat")
    assert now["on_call"]["tech"] == "bob" and now["backup"] is None
    assert now["on_call"]["status"] == "active"

    await refused(
        h, "POST", "/api/oncall/rotate", "roster", json={"from": "2030-01-08", "periods": 2}
    )
    await h.call("PATCH", SETTINGS, json={"cadence": "daily", "roster": ["cat", "ann"]}, status=200)
    await refused(h, "POST", "/api/oncall/rotate", "from", json={"from": "soon", "periods": 2})
    await refused(
        h, "POST", "/api/oncall/rotate", "periods", json={"from": "2030-01-08", "periods": 0}
    )
    await refused(h, "POST", "/api/oncall/rotate", "periods", json={"from": "2030-01-08"})
    assert (await h.get(SETTINGS))["anchor"] == ""  # a refused rotation stores nothing
    rotated = await h.call(
        "POST", "/api/oncall/rotate", "ann", json={"from": "2030-01-08", "periods": 2}, status=201
    )
    assert [(s["tech"], s["start"], s["end"]) for s in rotated["shifts"]] == [
        ("cat", "2030-01-08 08:00", "2030-01-09 08:00"),
        ("ann", "2030-01-09 08:00", "2030-01-10 08:00"),
    ]
    override = {"tech": "bob", "start": "2030-01-08 12:00", "end": "2030-01-08 14:00"}
    made = await h.call("POST", "/api/oncall/overrides", json=override, status=201)
    assert (made["tech"], made["source"]) == ("bob", "override")
    assert [(s["tech"], s["start"], s["end"]) for s in made["rotation_pieces"]] == [
        ("cat", "2030-01-08 14:00", "2030-01-09 08:00")
    ]
    cat = [(s["start"], s["end"]) for s in await shifts(h, tech="cat")]
    assert cat == [
        ("2030-01-08 08:00", "2030-01-08 12:00"),
        ("2030-01-08 14:00", "2030-01-09 08:00"),
    ]
    await refused(h, "POST", "/api/oncall/overrides", "end", json={"tech": "bob", "start": "now"})
    await refused(h, "POST", "/api/oncall/overrides", "tech", json={**override, "tech": "zed"})
    everything = [s["id"] for s in await shifts(h)]
    assert len(everything) == 5  # bob now; cat, override bob, cat again; ann
    paged: list[int] = []
    params = {"limit": "2"}
    while True:
        page = await h.call("GET", SHIFTS, params=params, status=200)
        assert len(page["items"]) == (2 if page["next"] else 1)
        paged += [s["id"] for s in page["items"]]
        if page["next"] is None:
            break
        params = {"limit": "2", "cursor": page["next"]}
    assert paged == everything


async def test_the_emergency_call_log_and_dashboard(h: ApiHarness) -> None:
    shift = await new_shift(h, tech="ann", start="now")
    entry = {"shift": shift["id"], "customer": "Acme", "phone": "(312) 555-0177",
             "issue": "water leak", "outcome": "Dispatched", "response": 12}  # fmt: skip
    logged = await h.call("POST", CALLS, "ann", json=entry, status=201)
    assert (logged["phone"], logged["outcome"], logged["response_minutes"]) == (
        "+13125550177",
        "Dispatched",
        12.0,
    )
    assert logged["source"] == "by hand" and logged["shift"] == shift["id"]
    await refused(h, "POST", CALLS, "phone", json={**entry, "phone": "12"})
    await refused(h, "POST", CALLS, "outcome", json={**entry, "outcome": "maybe"})
    await refused(h, "POST", CALLS, "received", json={**entry, "received": "yesterday-ish"})
    await refused(h, "POST", CALLS, "response", json={**entry, "response": "soon"})
    await refused(h, "POST", CALLS, "shift", json={**entry, "shift": 999})
    await refused(h, "POST", CALLS, "issue", json={k: v for k, v in entry.items() if k != "issue"})
    second = await h.call(
        "POST", CALLS, json={**entry, "customer": "Bee", "received": "2020-01-01 10:00"}, status=201
    )

    listed = await h.get(CALLS)
    assert [c["id"] for c in listed["items"]] == [logged["id"], second["id"]]  # newest first
    page = await h.call("GET", CALLS, params={"limit": "1"}, status=200)
    assert [c["id"] for c in page["items"]] == [logged["id"]] and page["next"]
    rest = await h.call("GET", CALLS, params={"limit": "1", "cursor": page["next"]}, status=200)
    assert [c["id"] for c in rest["items"]] == [second["id"]] and rest["next"] is None
    only = await h.call("GET", CALLS, params={"shift": str(shift["id"])}, status=200)
    assert len(only["items"]) == 2
    await refused(h, "GET", CALLS, "shift", params={"shift": "999"})
    shown = await h.get(f"{SHIFTS}/{shift['id']}")
    assert [c["id"] for c in shown["calls"]] == [logged["id"], second["id"]]

    path = f"{CALLS}/{logged['id']}"
    edited = await h.call("PATCH", path, "ann", json={"outcome": "Resolved", "response": 40})
    assert (edited["outcome"], edited["response_minutes"]) == ("Resolved", 40.0)
    assert (await h.get(path, "bob"))["outcome"] == "Resolved"
    cleared = await h.call(
        "PATCH", f"{CALLS}/{second['id']}", json={"outcome": None, "response": None}
    )
    assert (cleared["outcome"], cleared["response_minutes"]) == (None, None)
    await refused(h, "PATCH", path, "phone", json={"phone": "12"})
    await refused(h, "PATCH", path, "shift", json={"shift": 2})  # not a field of an edit
    await refused(h, "PATCH", path, "job", json={"job": "x"})
    await h.call("PATCH", f"{CALLS}/999", json={"notes": "x"}, status=404)
    await h.call("GET", f"{CALLS}/999", status=404)
    assert (await h.get(path))["phone"] == "+13125550177"

    board = await h.get("/api/oncall/dashboard", "bob")
    assert board["active_shifts"] == 1 and board["emergency_calls_this_month"] == 1
    assert board["outcomes"]["Resolved"] == 1
    assert (board["average_response_minutes"], board["sla_tone"]) == (40.0, "breached")


async def test_settings_are_all_or_nothing_and_reload_routing(h: ApiHarness) -> None:
    reloads: list[str] = []
    h.state.refresh_directory = lambda: reloads.append("reload")
    shown = await h.get(SETTINGS, "bob")
    assert (shown["timezone"], shown["shift_hours"], shown["auto_notify"]) == (
        "America/Chicago",
        "12",
        "true",
    )
    changed = await h.call(
        "PATCH",
        SETTINGS,
        "ann",
        json={"sla_minutes": "20", "auto_notify": False, "roster": "cat,bob", "handoff": "07:30"},
        status=200,
    )
    assert (changed["sla_minutes"], changed["auto_notify"], changed["roster"]) == (
        "20",
        "false",
        "cat,bob",
    )
    assert reloads == ["reload"]
    await refused(h, "PATCH", SETTINGS, "cadence", json={"sla_minutes": 45, "cadence": "hourly"})
    await refused(h, "PATCH", SETTINGS, "roster", json={"roster": ["cat", "zed"]})
    await refused(h, "PATCH", SETTINGS, "timezone", json={"timezone": "Mars/Olympus"})
    await refused(h, "PATCH", SETTINGS, "colour", json={"colour": "red"})
    await refused(h, "PATCH", SETTINGS, "sla_minutes", json={"sla_minutes": [1]})
    await refused(h, "PATCH", SETTINGS, "sla_minutes", json={"sla_minutes": 0})
    assert (await h.get(SETTINGS))["sla_minutes"] == "20"  # all or nothing
    assert reloads == ["reload"]  # refusals change nothing, so routing has nothing to reload
    cleared = await h.call("PATCH", SETTINGS, json={"business_name": None}, status=200)
    assert cleared["business_name"] == ""
    await new_shift(h, tech="bob", start="2030-01-06 18:00")
    assert len(reloads) == 3
