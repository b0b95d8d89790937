"""The directory's REST resources over real HTTP against a real database (SQLite and
PostgreSQL): users, extensions, business numbers, ring groups, schedules, trunks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.api_client import (
    ApiHarness,
    refreshes,
    refused,
    staffed_harness,
)

MAIN = "+14155550100"
MAIN_PATH = "/api/numbers/%2B14155550100"


@pytest.fixture
async def h(db_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    async with staffed_harness(db_url, tmp_path) as harness:
        yield harness


async def forbidden(h: ApiHarness, method: str, path: str, who: str, json: Any = None) -> None:
    answer = await h.call(method, path, who, json=json, status=403)
    assert answer["field"] == "role" and who in answer["error"]


async def all_pages(h: ApiHarness, path: str, who: str = "system", **params: str) -> list[Any]:
    """Every item of a paginated list, two at a time, following the cursors."""
    items: list[Any] = []
    cursor: str | None = None
    while True:
        query = {"limit": "2", **params, **({"cursor": cursor} if cursor else {})}
        page = await h.call("GET", path, who, params=query, status=200)
        assert len(page["items"]) <= 2
        items += page["items"]
        cursor = page["next"]
        if cursor is None:
            return items


# -- users -------------------------------------------------------------------------------


async def test_users_add_show_list_update_remove(h: ApiHarness) -> None:
    seen = refreshes(h)
    bob = await h.call(
        "POST",
        "/api/users",
        json={"name": "bob", "email": "bob@example.com", "mobile": "(415) 555-0101"},
        status=201,
    )
    assert bob["name"] == "bob" and bob["mobile"] == "+14155550101"
    assert bob["role"] == "technician" and bob["active"] is True
    assert (bob["extensions"], bob["direct_number"]) == ([], None)
    assert len(seen) == 1

    assert (await h.get("/api/users/bob", "tom"))["email"] == "bob@example.com"
    names = [u["name"] for u in await all_pages(h, "/api/users", "tom")]
    assert names == ["ann", "bob", "dee", "tom"]
    techs = await h.get("/api/users", role="technician")
    assert [u["name"] for u in techs["items"]] == ["bob", "tom"]
    assert (await h.get("/api/users", active="false"))["items"] == []

    updated = await h.call(
        "PATCH",
        "/api/users/bob",
        json={
            "name": "robert",
            "mobile": None,
            "role": "dispatcher",
            "oncall_write": True,
            "active": False,
            "notify": ["sms", "email"],
        },
        status=200,
    )
    assert updated["name"] == "robert" and updated["mobile"] is None
    assert updated["role"] == "dispatcher" and updated["oncall_write"] is True
    assert updated["notify"] == ["sms", "email"] and updated["active"] is False
    inactive = await h.get("/api/users", active="false")
    assert [u["name"] for u in inactive["items"]] == ["robert"]
    await h.get("/api/users/bob", status=404)
    nowhere = await h.call("PATCH", "/api/users/robert", json={"notify": []}, status=200)
    assert nowhere["notify"] == []

    await h.call("DELETE", "/api/users/robert", status=204)
    await h.get("/api/users/robert", status=404)
    await h.call("DELETE", "/api/users/robert", status=404)
    assert len(seen) == 4


async def test_users_refuse_bad_input(h: ApiHarness) -> None:
    new = {"name": "bob", "email": "bob@example.com"}
    await refused(h, "POST", "/api/users", "email", json={**new, "email": "not-an-email"})
    await refused(h, "POST", "/api/users", "mobile", json={**new, "mobile": "12"})
    await refused(h, "POST", "/api/users", "name", json={**new, "name": "ann"})
    await refused(h, "POST", "/api/users", "role", json={**new, "role": "boss"})
    await refused(h, "POST", "/api/users", "colour", json={**new, "colour": "red"})
    await refused(h, "POST", "/api/users", "oncall_write", json={**new, "oncall_write": "yes"})
    await refused(h, "POST", "/api/users", "email", json={"name": "bob"})
    await refused(h, "POST", "/api/users", "body", json=["bob"])
    await refused(h, "PATCH", "/api/users/tom", "name", json={"name": "ann"})
    await refused(h, "PATCH", "/api/users/tom", "notify", json={"notify": ["fax"]})
    await refused(h, "PATCH", "/api/users/tom", "active", json={"active": 1})
    await refused(h, "GET", "/api/users?role=boss", "role")
    await refused(h, "GET", "/api/users?active=maybe", "active")
    await refused(h, "GET", "/api/users?limit=0", "limit")
    await refused(h, "GET", "/api/users?cursor=bogus", "cursor")
    await h.call("PATCH", "/api/users/nobody", json={"email": "x@example.com"}, status=404)
    await h.get("/api/users/nobody", status=404)

    await h.call("POST", "/api/extensions", json={"number": "102", "user": "tom"}, status=201)
    await refused(h, "DELETE", "/api/users/tom", "user")
    assert (await h.get("/api/users/tom"))["extensions"] == ["102"]
    assert [u["name"] for u in (await h.get("/api/users"))["items"]] == ["ann", "dee", "tom"]


async def test_users_need_an_admin_to_change(h: ApiHarness) -> None:
    seen = refreshes(h)
    for who in ("tom", "dee"):
        await forbidden(h, "POST", "/api/users", who, {"name": "x", "email": "x@example.com"})
        await forbidden(h, "PATCH", "/api/users/ann", who, {"role": "technician"})
        await forbidden(h, "DELETE", "/api/users/ann", who)
    # forbidden before anything else: even a bad body or an unknown user answers 403
    await forbidden(h, "PATCH", "/api/users/nobody", "tom", {"colour": 1})
    ann = await h.get("/api/users/ann", "tom")
    assert ann["role"] == "admin" and ann["active"] is True
    assert [u["name"] for u in (await h.get("/api/users", "dee"))["items"]] == [
        "ann",
        "dee",
        "tom",
    ]
    assert seen == []
    # an admin user's token (not only the system secret) may change the directory
    await h.call("PATCH", "/api/users/tom", "ann", json={"oncall_write": True}, status=200)
    await h.get("/api/users", "nobody-token", status=401)


# -- extensions --------------------------------------------------------------------------


async def test_extensions_add_show_list_update_remove(h: ApiHarness) -> None:
    seen = refreshes(h)
    ann_ext = await h.call(
        "POST", "/api/extensions", json={"number": "101", "user": "ann", "webrtc": True}, status=201
    )
    assert ann_ext["number"] == "101" and ann_ext["user"] == "ann" and ann_ext["webrtc"] is True
    assert ann_ext["ring"] == "softphone" and ann_ext["voicemail_box"] == "ext-101"
    assert len(ann_ext["sip_password"]) == 24
    tom_ext = await h.call(
        "POST", "/api/extensions", json={"number": "102", "user": "tom", "ring": "both"}, status=201
    )
    assert tom_ext["webrtc"] is False and tom_ext["ring"] == "both"
    await h.call("POST", "/api/extensions", json={"number": "1003", "user": "tom"}, status=201)
    assert len(seen) == 3

    # SIP passwords: admins see every one, a user only their own
    as_tom = {e["number"]: e for e in await all_pages(h, "/api/extensions", "tom")}
    assert list(as_tom) == ["101", "102", "1003"]
    assert "sip_password" not in as_tom["101"]
    assert as_tom["102"]["sip_password"] == tom_ext["sip_password"]
    as_dee = (await h.get("/api/extensions", "dee"))["items"]
    assert all("sip_password" not in e for e in as_dee)
    as_ann = (await h.get("/api/extensions", "ann"))["items"]
    assert all(len(e["sip_password"]) == 24 for e in as_ann)
    assert "sip_password" not in await h.get("/api/extensions/102", "dee")
    assert (await h.get("/api/extensions/102", "tom"))["sip_password"] == tom_ext["sip_password"]
    toms = await h.get("/api/extensions", user="tom")
    assert [e["number"] for e in toms["items"]] == ["102", "1003"]
    assert (await h.get("/api/extensions", user="nobody"))["items"] == []

    changed = await h.call(
        "PATCH",
        "/api/extensions/102",
        json={"ring": "cell", "dnd": True, "webrtc": True, "new_password": True, "user": "dee"},
        status=200,
    )
    assert (changed["ring"], changed["dnd"], changed["webrtc"]) == ("cell", True, True)
    assert changed["user"] == "dee"
    assert changed["sip_password"] != tom_ext["sip_password"]
    assert len(changed["sip_password"]) == 24
    shown = await h.get("/api/extensions/102", "dee")
    assert shown["sip_password"] == changed["sip_password"]
    assert "sip_password" not in await h.get("/api/extensions/102", "tom")

    await h.call("DELETE", "/api/extensions/1003", status=204)
    await h.get("/api/extensions/1003", status=404)
    await h.call("DELETE", "/api/extensions/1003", status=404)
    await h.call("PATCH", "/api/extensions/999", json={"dnd": True}, status=404)
    assert len(seen) == 5


async def test_extensions_refuse_bad_input(h: ApiHarness) -> None:
    await h.call("POST", "/api/extensions", json={"number": "101", "user": "ann"}, status=201)
    new = {"number": "102", "user": "tom"}
    dup = await refused(h, "POST", "/api/extensions", "number", json={**new, "number": "101"})
    assert "already taken" in dup["error"]
    await refused(h, "POST", "/api/extensions", "number", json={**new, "number": "0123"})
    await refused(h, "POST", "/api/extensions", "number", json={**new, "number": "9110"})
    await refused(h, "POST", "/api/extensions", "number", json={**new, "number": 102})
    unknown = await refused(h, "POST", "/api/extensions", "user", json={**new, "user": "nobody"})
    assert "nobody" in unknown["error"]
    await refused(h, "POST", "/api/extensions", "ring", json={**new, "ring": "pager"})
    await refused(h, "POST", "/api/extensions", "webrtc", json={**new, "webrtc": "true"})
    await refused(h, "POST", "/api/extensions", "password", json={**new, "password": "x"})
    await refused(h, "POST", "/api/extensions", "user", json={"number": "102"})
    await refused(h, "PATCH", "/api/extensions/101", "user", json={"user": "nobody"})
    await refused(h, "PATCH", "/api/extensions/101", "dnd", json={"dnd": "yes"})
    await refused(h, "PATCH", "/api/extensions/101", "number", json={"number": "105"})
    before = await h.get("/api/extensions/101")
    assert (before["user"], before["dnd"], before["ring"]) == ("ann", False, "softphone")
    assert [e["number"] for e in (await h.get("/api/extensions"))["items"]] == ["101"]


async def test_extensions_need_an_admin_to_change(h: ApiHarness) -> None:
    ext = await h.call("POST", "/api/extensions", json={"number": "102", "user": "tom"}, status=201)
    seen = refreshes(h)
    for who in ("tom", "dee"):
        await forbidden(h, "POST", "/api/extensions", who, {"number": "103", "user": who})
        await forbidden(h, "PATCH", "/api/extensions/102", who, {"new_password": True})
        await forbidden(h, "DELETE", "/api/extensions/102", who)
    after = await h.get("/api/extensions/102")
    assert after["sip_password"] == ext["sip_password"]
    assert [e["number"] for e in (await h.get("/api/extensions"))["items"]] == ["102"]
    assert seen == []


# -- business numbers --------------------------------------------------------------------


async def test_numbers_add_show_list_update(h: ApiHarness) -> None:
    await h.call("POST", "/api/extensions", json={"number": "101", "user": "ann"}, status=201)
    seen = refreshes(h)
    main = await h.call(
        "POST",
        "/api/numbers",
        json={"number": "(415) 555-0100", "label": "Main line", "dest": "ext:101"},
        status=201,
    )
    assert main["number"] == MAIN and main["label"] == "Main line"
    assert main["dest"] == "ext:101" and main["active"] is True and main["record"] is True
    await h.call(
        "POST",
        "/api/numbers",
        json={
            "number": "+1 415 555 0101",
            "label": "Tom direct",
            "assigned_user": "tom",
            "provider": "twilio",
            "provider_ref": "PN123",
            "record": False,
        },
        status=201,
    )
    await h.call(
        "POST", "/api/numbers", json={"number": "4155550102", "label": "Spare"}, status=201
    )
    assert len(seen) == 3

    # the number in the path in any format
    assert (await h.get(MAIN_PATH, "tom"))["label"] == "Main line"
    assert (await h.get("/api/numbers/4155550100", "tom"))["number"] == MAIN
    assert (await h.get("/api/numbers/+14155550100"))["number"] == MAIN
    numbers = [n["number"] for n in await all_pages(h, "/api/numbers", "dee")]
    assert numbers == [MAIN, "+14155550101", "+14155550102"]
    assigned = await h.get("/api/numbers", user="tom")
    assert [n["number"] for n in assigned["items"]] == ["+14155550101"]

    ann = await h.call("PATCH", MAIN_PATH, json={"assigned_user": "ann"}, status=200)
    assert ann["assigned_user"] == "ann"
    assert (await h.get("/api/users/ann"))["direct_number"] == MAIN
    changed = await h.call(
        "PATCH",
        MAIN_PATH,
        json={
            "label": "Office",
            "dest": None,
            "forward": "415-555-0199",
            "record": False,
            "assigned_user": None,
        },
        status=200,
    )
    assert changed["label"] == "Office" and changed["dest"] is None
    assert changed["forward"] == "+14155550199" and changed["record"] is False
    assert changed["assigned_user"] is None
    off = await h.call("PATCH", "/api/numbers/4155550102", json={"active": False}, status=200)
    assert off["active"] is False
    inactive = await h.get("/api/numbers", active="false")
    assert [n["number"] for n in inactive["items"]] == ["+14155550102"]
    assert len(seen) == 6

    # provider fields set at provisioning change only with force
    await refused(h, "PATCH", "/api/numbers/4155550101", "provider_ref", json={"provider_ref": "X"})
    forced = await h.call(
        "PATCH", "/api/numbers/4155550101", json={"provider_ref": "PN9", "force": True}, status=200
    )
    assert forced["provider_ref"] == "PN9"


async def test_numbers_refuse_bad_input(h: ApiHarness) -> None:
    await h.call(
        "POST",
        "/api/numbers",
        json={"number": MAIN, "label": "Main", "assigned_user": "tom"},
        status=201,
    )
    new = {"number": "4155550101", "label": "Second"}
    await refused(h, "POST", "/api/numbers", "number", json={**new, "number": "12"})
    await refused(h, "POST", "/api/numbers", "number", json={**new, "number": "+15551230000"})
    await refused(h, "POST", "/api/numbers", "number", json={**new, "number": MAIN})
    await refused(h, "POST", "/api/numbers", "dest", json={**new, "dest": "ext:999"})
    await refused(h, "POST", "/api/numbers", "dest", json={**new, "dest": "somewhere"})
    await refused(h, "POST", "/api/numbers", "schedule", json={**new, "schedule": "nosuch"})
    await refused(h, "POST", "/api/numbers", "assigned_user", json={**new, "assigned_user": "x"})
    taken = await refused(
        h, "POST", "/api/numbers", "assigned_user", json={**new, "assigned_user": "tom"}
    )
    assert MAIN in taken["error"]
    await refused(h, "POST", "/api/numbers", "forward", json={**new, "forward": "12"})
    await refused(h, "POST", "/api/numbers", "label", json={"number": "4155550101"})
    await refused(h, "POST", "/api/numbers", "record", json={**new, "record": "no"})

    await refused(h, "PATCH", MAIN_PATH, "assigned_user", json={"assigned_user": "ann"})
    await refused(h, "PATCH", MAIN_PATH, "assigned_user", json={"assigned_user": "nobody"})
    # a refused assignment changes nothing else of the same request either
    await refused(
        h, "PATCH", MAIN_PATH, "assigned_user", json={"label": "New", "assigned_user": "nobody"}
    )
    await refused(h, "PATCH", MAIN_PATH, "schedule", json={"label": "New", "schedule": "nosuch"})
    await refused(h, "PATCH", MAIN_PATH, "active", json={"active": "false"})
    await refused(h, "PATCH", MAIN_PATH, "e164", json={"e164": MAIN})
    await refused(h, "GET", "/api/numbers/abc", "number")
    await refused(h, "GET", "/api/numbers?active=perhaps", "active")
    await h.get("/api/numbers/%2B14155550199", status=404)
    await h.call("PATCH", "/api/numbers/4155550199", json={"label": "x"}, status=404)
    main = await h.get(MAIN_PATH)
    assert (main["label"], main["assigned_user"], main["active"]) == ("Main", "tom", True)
    assert [n["number"] for n in (await h.get("/api/numbers"))["items"]] == [MAIN]


async def test_numbers_need_an_admin_to_change(h: ApiHarness) -> None:
    await h.call("POST", "/api/numbers", json={"number": MAIN, "label": "Main"}, status=201)
    for who in ("tom", "dee"):
        await forbidden(h, "POST", "/api/numbers", who, {"number": "4155550101", "label": "x"})
        await forbidden(h, "PATCH", MAIN_PATH, who, {"assigned_user": who, "active": False})
    main = await h.get(MAIN_PATH, "tom")
    assert (main["assigned_user"], main["active"]) == (None, True)
    assert len((await h.get("/api/numbers"))["items"]) == 1


# -- ring groups -------------------------------------------------------------------------


async def test_groups_add_show_list_update_remove(h: ApiHarness) -> None:
    for number, user in (("101", "ann"), ("102", "tom")):
        await h.call("POST", "/api/extensions", json={"number": number, "user": user}, status=201)
    seen = refreshes(h)
    group = await h.call(
        "POST",
        "/api/groups",
        json={
            "name": "Dispatch",
            "strategy": "sequential",
            "members": ["101", "102"],
            "ext": "600",
            "ring_timeout": 15,
            "fallback_box": "ext-101",
        },
        status=201,
    )
    assert group == {
        "name": "Dispatch",
        "strategy": "sequential",
        "members": ["101", "102"],
        "ring_timeout": 15,
        "timeout": 60,
        "ext": "600",
        "fallback_box": "ext-101",
        "record": True,
    }
    for name in ("Alpha", "Zulu"):
        await h.call(
            "POST",
            "/api/groups",
            json={"name": name, "strategy": "ring-all", "members": ["102"]},
            status=201,
        )
    assert (await h.get("/api/groups/Dispatch", "tom"))["ext"] == "600"
    names = [g["name"] for g in await all_pages(h, "/api/groups", "tom")]
    assert names == ["Alpha", "Dispatch", "Zulu"]

    changed = await h.call(
        "PATCH",
        "/api/groups/Dispatch",
        json={
            "name": "Office",
            "members": ["102"],
            "ext": None,
            "fallback_box": None,
            "strategy": "round-robin",
            "timeout": 90,
        },
        status=200,
    )
    assert (changed["name"], changed["members"], changed["ext"]) == ("Office", ["102"], None)
    assert (changed["fallback_box"], changed["strategy"], changed["timeout"]) == (
        None,
        "round-robin",
        90,
    )
    await h.get("/api/groups/Dispatch", status=404)
    await h.call("DELETE", "/api/groups/Office", status=204)
    await h.get("/api/groups/Office", status=404)
    await h.call("DELETE", "/api/groups/Office", status=404)
    assert len(seen) == 5


async def test_groups_refuse_bad_input_and_non_admins(h: ApiHarness) -> None:
    await h.call("POST", "/api/extensions", json={"number": "101", "user": "ann"}, status=201)
    new = {"name": "Dispatch", "strategy": "ring-all", "members": ["101"]}
    await h.call("POST", "/api/groups", json=new, status=201)
    await refused(h, "POST", "/api/groups", "name", json=new)
    other = {**new, "name": "Other"}
    await refused(h, "POST", "/api/groups", "strategy", json={**other, "strategy": "loud"})
    await refused(h, "POST", "/api/groups", "members", json={**other, "members": ["999"]})
    await refused(h, "POST", "/api/groups", "members", json={**other, "members": []})
    await refused(h, "POST", "/api/groups", "members", json={**other, "members": "101"})
    await refused(h, "POST", "/api/groups", "members[0]", json={**other, "members": [101]})
    await refused(h, "POST", "/api/groups", "ring_timeout", json={**other, "ring_timeout": "20"})
    await refused(h, "POST", "/api/groups", "ring_timeout", json={**other, "ring_timeout": 1000})
    await refused(h, "POST", "/api/groups", "ext", json={**other, "ext": "101"})
    await refused(h, "POST", "/api/groups", "fallback_box", json={**other, "fallback_box": "x"})
    await refused(h, "PATCH", "/api/groups/Dispatch", "members", json={"members": ["102"]})
    await h.call("PATCH", "/api/groups/Nothing", json={"timeout": 30}, status=404)

    await h.call(
        "POST",
        "/api/numbers",
        json={"number": MAIN, "label": "M", "dest": "group:Dispatch"},
        status=201,
    )
    await refused(h, "DELETE", "/api/groups/Dispatch", "group")
    for who in ("tom", "dee"):
        await forbidden(h, "POST", "/api/groups", who, other)
        await forbidden(h, "PATCH", "/api/groups/Dispatch", who, {"timeout": 30})
        await forbidden(h, "DELETE", "/api/groups/Dispatch", who)
    groups = (await h.get("/api/groups", "tom"))["items"]
    assert [(g["name"], g["members"], g["timeout"]) for g in groups] == [("Dispatch", ["101"], 60)]


# -- schedules ---------------------------------------------------------------------------


async def test_schedules_add_show_list_remove(h: ApiHarness) -> None:
    await h.call("POST", "/api/extensions", json={"number": "101", "user": "ann"}, status=201)
    seen = refreshes(h)
    sched = await h.call(
        "POST",
        "/api/schedules",
        json={
            "name": "Office",
            "tz": "America/Chicago",
            "hours": ["mon-fri 08:00-17:00", "sat 09:00-12:00"],
            "holidays": ["2025-12-25"],
            "after_hours": ["oncall", "415-555-0142", "voicemail:ext-101"],
        },
        status=201,
    )
    assert sched == {
        "name": "Office",
        "tz": "America/Chicago",
        "hours": ["mon-fri 08:00-17:00", "sat 09:00-12:00"],
        "holidays": ["2025-12-25"],
        "after_hours": ["oncall", "+14155550142", "voicemail:ext-101"],
    }
    await h.call(
        "POST",
        "/api/schedules",
        json={"name": "Always", "tz": "UTC", "hours": ["mon-sun 00:00-24:00"]},
        status=201,
    )
    assert (await h.get("/api/schedules/Office", "tom"))["tz"] == "America/Chicago"
    page = await h.get("/api/schedules", "tom", limit="1")
    assert [s["name"] for s in page["items"]] == ["Always"] and page["next"]
    rest = await h.get("/api/schedules", "tom", limit="1", cursor=page["next"])
    assert [s["name"] for s in rest["items"]] == ["Office"] and rest["next"] is None

    await h.call("DELETE", "/api/schedules/Always", status=204)
    await h.get("/api/schedules/Always", status=404)
    await h.call("DELETE", "/api/schedules/Always", status=404)
    assert len(seen) == 3


async def test_schedules_refuse_bad_input_and_non_admins(h: ApiHarness) -> None:
    new = {"name": "Office", "tz": "America/Chicago", "hours": ["mon-fri 08:00-17:00"]}
    await h.call("POST", "/api/schedules", json=new, status=201)
    await refused(h, "POST", "/api/schedules", "name", json=new)
    other = {**new, "name": "Other"}
    await refused(h, "POST", "/api/schedules", "tz", json={**other, "tz": "Mars/Olympus"})
    await refused(h, "POST", "/api/schedules", "hours", json={**other, "hours": ["whenever"]})
    await refused(h, "POST", "/api/schedules", "hours", json={**other, "hours": "mon-fri"})
    await refused(h, "POST", "/api/schedules", "holidays", json={**other, "holidays": ["xmas"]})
    await refused(
        h, "POST", "/api/schedules", "after_hours", json={**other, "after_hours": ["voicemail:x"]}
    )
    await refused(h, "POST", "/api/schedules", "after_hours", json={**other, "after_hours": ["12"]})
    await refused(h, "POST", "/api/schedules", "hours", json={"name": "x", "tz": "UTC"})

    await h.call(
        "POST",
        "/api/numbers",
        json={"number": MAIN, "label": "M", "schedule": "Office"},
        status=201,
    )
    await refused(h, "DELETE", "/api/schedules/Office", "schedule")
    for who in ("tom", "dee"):
        await forbidden(h, "POST", "/api/schedules", who, other)
        await forbidden(h, "DELETE", "/api/schedules/Office", who)
    assert [s["name"] for s in (await h.get("/api/schedules"))["items"]] == ["Office"]


# -- trunks ------------------------------------------------------------------------------


async def test_trunks_are_for_admins_and_hide_passwords(h: ApiHarness) -> None:
    await h.backend.directory().add_trunk("carrier", "sip.example.com", "acct", "s3cret-pass")
    trunks = (await h.get("/api/trunks", "ann"))["items"]
    assert trunks == [
        {
            "name": "carrier",
            "host": "sip.example.com",
            "port": 5060,
            "username": "acct",
            "from_domain": None,
        }
    ]
    for who in ("tom", "dee"):
        await forbidden(h, "GET", "/api/trunks", who)


async def test_openapi_lists_the_directory(h: ApiHarness) -> None:
    doc = await h.get("/api/openapi.json")
    for path in ("/api/users/{name}", "/api/extensions/{number}", "/api/numbers/{number}"):
        assert doc["paths"][path]["get"]["tags"] == ["directory"]
    post = doc["paths"]["/api/users"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["name", "email"] and schema["additionalProperties"] is False
    assert "201" in post["responses"]
