"""The API's call log, sign-in, event stream and OpenAPI document over real HTTP,
against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pbx.api.backend import CachedRepository
from pbx.core.calls import CallLeg, CallPatch, Direction, Disposition, LegKind, LegOutcome
from pbx.core.model import User
from tests.integration.api_client import ApiHarness, api_harness

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
WAV = b"RIFF$\x00\x00\x00WAVEfmt " + bytes(28)


@pytest.fixture
async def h(db_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    async with api_harness(db_url, tmp_path) as harness:
        yield harness


def _call(
    key: str,
    minutes: int,
    *,
    user: str | None = None,
    caller: str = "+13125550199",
    called: str = "+13125550100",
    direction: Direction = Direction.INBOUND,
    disposition: Disposition = Disposition.ANSWERED,
    customer: int | None = None,
    job: int | None = None,
    recording: str | None = None,
    transcript: str | None = None,
) -> CallPatch:
    start = START + timedelta(minutes=minutes)
    legs = ()
    if user is not None:
        legs = (
            CallLeg("101", LegKind.SOFTPHONE, start, user, "101", None, start, start, LegOutcome.ANSWERED),
        )  # fmt: skip
    return CallPatch(
        key,
        {
            "direction": direction,
            "caller": caller,
            "called": called,
            "business_number": called if direction is Direction.INBOUND else None,
            "started_at": start,
            "answered_at": start + timedelta(seconds=5) if user else None,
            "ended_at": start + timedelta(seconds=65),
            "disposition": disposition,
            "handled_by_user": user,
            "customer_id": customer,
            "job_id": job,
            "recording": recording,
            "voicemail_box": "Main" if transcript else None,
            "transcript": transcript,
        },
        legs=legs,
    )


async def _seed(h: ApiHarness) -> dict[str, Any]:
    await h.user("ann", "technician")
    await h.user("bob", "technician")
    await h.user("dee", "dispatcher")
    d = h.backend.directory()
    await d.add_extension("101", "ann")
    await d.add_extension("102", "bob")
    smith = await d.add_customer("Smith", ["+13125550199"])
    job = await d.add_job(str(smith.id), "Leak")
    store = h.backend.recordings
    path = store.path("2026/11/02/c1.wav")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(WAV)
    await h.backend.repo.apply_call_patches(
        [
            _call(
                "n:1", 0, user="ann", customer=smith.id, job=job.id, recording="2026/11/02/c1.wav"
            ),
            _call("n:2", 1, user="bob"),
            _call("n:3", 2, disposition=Disposition.MISSED, called="+13125550111"),
            _call("n:4", 3, caller="101", called="+13125550123", direction=Direction.OUTBOUND),
            _call("n:5", 4, disposition=Disposition.VOICEMAIL, transcript="the pipe burst"),
        ]
    )
    return {"customer": smith.id, "job": job.id}


def _keys(body: dict[str, Any]) -> list[str]:
    return [c["key"] for c in body["items"]]


async def test_office_lists_every_call_newest_first_with_filters(h: ApiHarness) -> None:
    ids = await _seed(h)
    assert _keys(await h.get("/api/calls", "dee")) == ["n:5", "n:4", "n:3", "n:2", "n:1"]
    assert _keys(await h.get("/api/calls", "dee", customer=str(ids["customer"]))) == ["n:1"]
    assert _keys(await h.get("/api/calls", "dee", customer="Smith")) == ["n:1"]
    assert _keys(await h.get("/api/calls", "dee", job=str(ids["job"]))) == ["n:1"]
    assert _keys(await h.get("/api/calls", "dee", disposition="Missed")) == ["n:3"]
    assert _keys(await h.get("/api/calls", "dee", number="(312) 555-0111")) == ["n:3"]
    assert _keys(await h.get("/api/calls", "dee", direction="outbound")) == ["n:4"]
    assert _keys(await h.get("/api/calls", "dee", user="ann")) == ["n:4", "n:1"]
    since = (START + timedelta(minutes=1)).isoformat()
    until = (START + timedelta(minutes=3)).isoformat()
    assert _keys(await h.get("/api/calls", "dee", since=since, until=until)) == ["n:3", "n:2"]
    first = await h.get("/api/calls", "dee", customer="Smith")
    assert first["items"][0]["customer"] == "Smith" and first["items"][0]["job"] == "Leak"


async def test_pages_follow_the_cursor_without_gaps(h: ApiHarness) -> None:
    await _seed(h)
    seen: list[str] = []
    page = await h.get("/api/calls", "dee", limit="2")
    while True:
        assert len(page["items"]) <= 2
        seen += _keys(page)
        if page["next"] is None:
            break
        page = await h.get("/api/calls", "dee", limit="2", cursor=page["next"])
    assert seen == ["n:5", "n:4", "n:3", "n:2", "n:1"]


async def test_a_technician_sees_only_their_own_calls(h: ApiHarness) -> None:
    await _seed(h)
    # ann answered n:1 and placed n:4 from her extension 101
    assert _keys(await h.get("/api/calls", "ann")) == ["n:4", "n:1"]
    refused = await h.get("/api/calls", "ann", status=403, user="bob")
    assert refused["field"] == "user"
    listed = await h.get("/api/calls", "bob")
    bobs = listed["items"][0]["id"]
    assert (await h.get(f"/api/calls/{bobs}", "bob"))["key"] == "n:2"
    assert (await h.get(f"/api/calls/{bobs}", "ann", status=403))["field"] == "call"
    # given more: a token with all calls
    _, secret = await h.backend.tokens.create("ann", all_calls=True)
    assert len((await h.get("/api/calls", secret))["items"]) == 5


async def test_recording_and_transcript_downloads(h: ApiHarness) -> None:
    await _seed(h)
    rows = {c["key"]: c["id"] for c in (await h.get("/api/calls", "dee"))["items"]}
    resp = await h.client.get(f"/api/calls/{rows['n:1']}/recording", headers=h.headers("dee"))
    assert resp.status == 200 and resp.content_type == "audio/wav"
    assert await resp.read() == WAV
    no_recording = await h.get(f"/api/calls/{rows['n:3']}/recording", "dee", status=400)
    assert no_recording["field"] == "call" and "not answered" in no_recording["error"]
    assert await h.get(f"/api/calls/{rows['n:5']}/transcript", "dee") == "the pipe burst"
    assert (await h.get(f"/api/calls/{rows['n:2']}/transcript", "dee", status=400))[
        "field"
    ] == "call"
    assert (await h.get("/api/calls/999999", "dee", status=404))["field"] == "call"
    assert (await h.get("/api/calls/abc", "dee", status=400))["field"] == "id"
    # digits that are not ASCII (found by fuzzing the OpenAPI document): refused, not a 500
    assert (await h.get("/api/calls/%C2%B9", "dee", status=400))["field"] == "id"
    assert (await h.get("/api/calls", "dee", status=400, customer="\u00b9"))["field"] == "customer"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"disposition": "Lost"}, "disposition"),
        ({"direction": "sideways"}, "direction"),
        ({"since": "yesterday-ish"}, "since"),
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"cursor": "!!"}, "cursor"),
        ({"customer": "Nobody"}, "customer"),
        ({"job": "424242"}, "job"),
        ({"number": "12"}, "number"),
        ({"user": "zed"}, "user"),
    ],
)
async def test_bad_filters_name_the_field(
    h: ApiHarness, params: dict[str, str], field: str
) -> None:
    await _seed(h)
    resp = await h.client.get("/api/calls", headers=h.headers("dee"), params=params)
    assert resp.status == 400
    assert (await resp.json())["field"] == field


async def test_click_to_dial_checks_its_input(h: ApiHarness) -> None:
    await _seed(h)
    # bad input is refused before anything rings
    assert (await h.call("POST", "/api/calls", "ann", json={}, status=400))["field"] == "number"
    body = {"number": "+13125550199", "extra": 1}
    assert (await h.call("POST", "/api/calls", "ann", json=body, status=400))["field"] == "extra"
    body = {"number": "+13125550199", "job": "7"}
    assert (await h.call("POST", "/api/calls", "ann", json=body, status=400))["field"] == "job"
    body = {"number": "+442071234567"}
    assert (await h.call("POST", "/api/calls", "ann", json=body, status=400))["field"] == "number"
    body = {"number": "+13125550199", "user": "bob"}
    assert (await h.call("POST", "/api/calls", "ann", json=body, status=403))["field"] == "user"
    body = {"number": "+13125550199", "user": "dee"}
    assert (await h.call("POST", "/api/calls", "dee", json=body, status=400))["field"] == "user"
    # valid, but nothing connects to Asterisk here
    body = {"number": "+13125550199"}
    assert "Asterisk" in (await h.call("POST", "/api/calls", "ann", json=body, status=503))["error"]


# -- sign-in --------------------------------------------------------------------------


async def test_tokens_sign_in_as_their_user_until_revoked(h: ApiHarness) -> None:
    await h.user("ann", "technician", oncall_write=True)
    me = await h.get("/api/me", "ann")
    assert me == {"user": "ann", "role": "technician", "oncall_write": True, "all_calls": False}
    assert (await h.get("/api/me", "system"))["user"] == "system"
    tokens = await h.backend.tokens.list("ann")
    assert tokens[0].last_used_at is not None
    stored = await h.backend.repo.list_tokens()
    assert all(h.tokens["ann"] not in repr(t) for t in stored)  # only the hash is stored
    await h.backend.tokens.revoke(tokens[0].id)
    refused = await h.get("/api/me", "ann", status=401)
    assert "revoked" in refused["error"]


async def test_a_deactivated_user_cannot_sign_in(h: ApiHarness) -> None:
    await h.user("ann", "technician")
    await h.backend.directory().update_user("ann", active=False)
    h.backend.tokens._signed_in.clear()
    assert "deactivated" in (await h.get("/api/me", "ann", status=401))["error"]
    with pytest.raises(Exception, match="deactivated"):
        await h.backend.tokens.create("ann")


async def test_failed_sign_ins_are_rate_limited(h: ApiHarness) -> None:
    await h.user("ann", "technician")
    for _ in range(h.state.limiter.limit):
        await h.get("/api/me", "pbx_guess", status=401)
    blocked = await h.client.get("/api/me", headers=h.headers("ann"))
    assert blocked.status == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    assert "too many" in (await blocked.json())["error"]
    later = time.monotonic() + h.state.limiter.window + 1
    h.state.clock = lambda: later  # the window has passed
    assert (await h.get("/api/me", "ann"))["user"] == "ann"


# -- events ---------------------------------------------------------------------------


async def _next_event(ws: Any) -> dict[str, Any]:
    return dict(await asyncio.wait_for(ws.receive_json(), 5))


async def test_event_stream_delivers_what_each_user_may_see(h: ApiHarness) -> None:
    await h.user("ann", "technician")
    await h.user("dee", "dispatcher")
    office = await h.client.ws_connect("/api/events", headers=h.headers("dee"))
    tech = await h.client.ws_connect(f"/api/events?token={h.tokens['ann']}")
    assert (await _next_event(office))["type"] == "hello"
    assert (await _next_event(tech))["user"] == "ann"
    h.state.events.publish("call.ringing", {"caller": "+13125550199"}, frozenset({"bob"}))
    h.state.events.publish("voicemail.new", {"box": "ext-101"}, frozenset({"ann"}))
    first = await _next_event(office)
    assert first["type"] == "call.ringing" and first["caller"] == "+13125550199"
    assert (await _next_event(office))["type"] == "voicemail.new"
    mine = await _next_event(tech)  # ann's stream skipped bob's call
    assert mine["type"] == "voicemail.new" and mine["box"] == "ext-101"
    await office.close()
    await tech.close()
    bad = await h.client.get("/api/events?token=pbx_wrong")
    assert bad.status == 401


# -- the OpenAPI document --------------------------------------------------------------


async def test_openapi_document_matches_the_routes(h: ApiHarness) -> None:
    doc = await h.get("/api/openapi.json", "nobody")  # public
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    served = {
        (route.resource.canonical, route.method)
        for route in h.client.app.router.routes()
        if route.resource is not None and route.method != "HEAD"
        and route.resource.canonical.startswith("/api/")
    }  # fmt: skip
    assert documented == served
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            names = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert names == {part[1:-1] for part in path.split("/") if part.startswith("{")}, (
                method,
                path,
            )


async def test_cached_directory_reads_its_own_writes_and_sees_others_soon(
    h: ApiHarness, db_url: str
) -> None:
    from pbx.adapters.db.repository import open_repository

    cached = h.backend.cached
    cached.recheck = 3600.0  # only writes and invalidate() make it look again
    await h.backend.directory().add_user("ann", "ann@example.com")
    assert (await cached.snapshot()).user("ann") is not None  # its own write, at once
    other = await open_repository(db_url)  # another process (the CLI) writes
    try:
        await other.add(User("bob", "bob@example.com"))
    finally:
        await other.close()
    assert (await cached.snapshot()).user("bob") is None  # not yet looked
    await h.call("POST", "/api/directory/refresh", status=503)  # the CLI's notice; no routing here
    assert (await cached.snapshot()).user("bob") is not None


async def test_softphone_account_of_the_token_user(db_url: str, tmp_path: Path) -> None:
    async with api_harness(db_url, tmp_path, ari_port=8123, wss_port=8089) as h:
        await h.user("ann", "technician")
        await h.user("bob", "technician")
        await h.backend.directory().add_extension("101", "ann")
        missing = await h.get("/api/softphone", "ann", status=404)
        assert missing["field"] == "extension" and "--webrtc" in missing["error"]
        web_ext = await h.backend.directory().add_extension("103", "ann", webrtc=True)
        account = await h.get("/api/softphone", "ann")
        assert (account["extension"], account["sip_password"]) == ("103", web_ext.sip_password)
        assert account["sip_uri"] == "sip:103@127.0.0.1"
        assert account["ws_url"] == "wss://127.0.0.1:8089/ws"  # wss_port set
        assert (await h.get("/api/softphone", "bob", status=404))["field"] == "extension"
        h.backend.settings = replace(h.backend.settings, wss_port=0)
        assert (await h.get("/api/softphone", "ann"))["ws_url"] == "ws://127.0.0.1:8123/ws"


async def test_concurrent_requests_share_one_token_lookup(h: ApiHarness) -> None:
    secret = await h.user("ann", "technician")
    tokens = h.backend.tokens
    tokens._signed_in.clear()
    looked_up: list[str] = []
    real = tokens.store.token_by_hash

    async def counted(token_hash: str) -> Any:
        looked_up.append(token_hash)
        await asyncio.sleep(0.05)  # a slow database: every request arrives meanwhile
        return await real(token_hash)

    tokens.store = type("Store", (), {})()  # the same store, with the lookup counted
    tokens.store.token_by_hash = counted  # type: ignore[attr-defined]
    tokens.store.touch_token = h.backend.repo.touch_token  # type: ignore[attr-defined]
    answers = await asyncio.gather(*(h.get("/api/me", secret) for _ in range(50)))
    assert {a["user"] for a in answers} == {"ann"}
    assert len(looked_up) == 1


async def test_cached_directory_looks_once_for_many_and_never_hides_a_write(h: ApiHarness) -> None:
    looks: list[int] = []
    repo = h.backend.repo

    class Slow:  # the repository, with a slow revision read that is counted
        async def revision(self) -> int:
            looks.append(1)
            await asyncio.sleep(0.05)
            return await repo.revision()

        def __getattr__(self, name: str) -> Any:
            return getattr(repo, name)

    cached = CachedRepository(Slow(), recheck=3600.0)  # type: ignore[arg-type]
    first = await asyncio.gather(*(cached.snapshot() for _ in range(100)))
    assert len(looks) == 1 and all(d is first[0] for d in first)
    # a look is under way when a write lands: the writer's next read still sees it
    cached.invalidate()
    looking = asyncio.ensure_future(cached.snapshot())
    await asyncio.sleep(0.01)
    await cached.add(User("zoe", "z@example.com"))
    assert (await cached.snapshot()).user("zoe") is not None
    await looking


async def test_cached_pages_show_this_process_writes_at_once_and_others_soon(
    h: ApiHarness, db_url: str
) -> None:
    from pbx.adapters.db.repository import open_repository

    await _seed(h)
    h.state.pages.max_age = 3600.0  # only writes make it read again
    first = await h.get("/api/calls", "dee")
    assert _keys(first)[0] == "n:5"
    # the controller records a call (its own engine): the next read has it
    await h.backend.repo.apply_call_patches([_call("n:6", 10, user="ann")])
    assert _keys(await h.get("/api/calls", "dee"))[0] == "n:6"
    # another process writes: the kept page is served until it is older than max_age
    other = await open_repository(db_url)
    try:
        await other.apply_call_patches([_call("n:7", 20, user="bob")])
    finally:
        await other.close()
    assert _keys(await h.get("/api/calls", "dee"))[0] == "n:6"
    h.state.pages.max_age = 0.0
    await h.get("/api/calls", "dee")  # this one reads it again (others meanwhile: the kept page)
    assert _keys(await h.get("/api/calls", "dee"))[0] == "n:7"


async def test_cached_pages_are_per_principal_and_answer_etags(h: ApiHarness) -> None:
    await _seed(h)
    assert len((await h.get("/api/calls", "dee"))["items"]) == 5
    assert _keys(await h.get("/api/calls", "ann")) == ["n:4", "n:1"]  # hers, not all
    resp = await h.client.get("/api/calls", headers=h.headers("dee"))
    etag = resp.headers["ETag"]
    again = await h.client.get("/api/calls", headers={**h.headers("dee"), "If-None-Match": etag})
    assert again.status == 304 and await again.read() == b""
    # a sign-in noting its last use is not a change (the page is not read again); a call is
    reads = h.state.pages.misses
    await h.backend.tokens.sign_in(h.tokens["bob"])
    same = await h.client.get("/api/calls", headers={**h.headers("dee"), "If-None-Match": etag})
    assert same.status == 304 and h.state.pages.misses == reads
    await h.backend.repo.apply_call_patches([_call("n:6", 10, user="ann")])
    changed = await h.client.get("/api/calls", headers={**h.headers("dee"), "If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    # errors are not kept: a bad filter is refused each time
    for _ in range(2):
        await h.get("/api/calls", "dee", status=400, disposition="Sometimes")
