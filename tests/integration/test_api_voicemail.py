"""The voicemail API over real HTTP against a real database (SQLite and PostgreSQL):
boxes, greetings and keywords, the message inbox (filters, pages, read state,
assignment, audio, transcripts), and who may see and change what."""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pbx.core.keywords import DEFAULT_KEYWORDS
from pbx.core.voicemail import Escalation, Message, TranscriptStatus
from tests.integration.api_client import ApiHarness, api_harness

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
MESSAGES = "/api/voicemail/messages"
BOXES = "/api/voicemail/boxes"


def tone(seconds: float = 1.0, rate: int = 16000) -> bytes:
    """A 440 Hz tone as a mono 16-bit WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        samples = (
            int(8000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(int(rate * seconds))
        )
        w.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return out.getvalue()


@pytest.fixture
async def h(db_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    async with api_harness(db_url, tmp_path / "home") as harness:
        await harness.user("ann")
        await harness.user("bob")
        await harness.user("tia", all_calls=True)
        await harness.user("dee", "dispatcher")
        directory = harness.backend.directory()
        await directory.add_box("After Hours", "ann")
        await directory.add_box("Sales", "bob")
        await directory.add_customer("Jane Doe", ["+13125550166"])
        yield harness


async def leave(h: ApiHarness, n: int, **kw: Any) -> int:
    """Store message number `n` (received n minutes after T0) with its audio; returns its id."""
    at = T0 + timedelta(minutes=n)
    audio = h.backend.recordings.save(f"pbxvm-{n}", tone(), at)
    values: dict[str, Any] = {
        "box": "After Hours",
        "caller": "+13125550166",
        "received_at": at,
        "duration": 1.0,
        "audio": audio,
        "call_key": f"node:{n}",
        "transcript": "the pipe is leaking",
        "transcript_status": TranscriptStatus.DONE,
        "keywords": ("leak",),
    }
    m = await h.backend.repo.add_message(Message(**{**values, **kw}))
    assert m.id is not None
    return m.id


async def refused(
    h: ApiHarness, method: str, path: str, field: str, who: str = "system", **kw: Any
) -> str:
    """The request is refused with 400 naming `field`; returns the error text."""
    answer = await h.call(method, path, who, status=400, **kw)
    assert answer["field"] == field, answer
    return str(answer["error"])


# -- boxes ---------------------------------------------------------------------------------


async def test_boxes_are_listed_added_and_removed(h: ApiHarness) -> None:
    listed = await h.get(BOXES)
    assert [b["name"] for b in listed["items"]] == ["After Hours", "Sales"]
    assert listed["next"] is None
    first = listed["items"][0]
    assert first["members"] == ["ann"] and first["kind"] == "shared"
    assert first["keywords"] == list(DEFAULT_KEYWORDS) and first["keywords_default"] is True
    assert first["greeting"] is None
    # technicians see the boxes they are members of; all-calls tokens and the office see all
    assert [b["name"] for b in (await h.get(BOXES, "ann"))["items"]] == ["After Hours"]
    assert len((await h.get(BOXES, "tia"))["items"]) == 2
    assert len((await h.get(BOXES, "dee"))["items"]) == 2
    page = await h.get(BOXES, limit="1")
    assert [b["name"] for b in page["items"]] == ["After Hours"] and page["next"]
    page = await h.get(BOXES, limit="1", cursor=page["next"])
    assert [b["name"] for b in page["items"]] == ["Sales"] and page["next"] is None

    made = await h.call(
        "POST", BOXES, json={"name": "Service", "members": ["ann", "bob"]}, status=201
    )
    assert made["name"] == "Service" and made["members"] == ["ann", "bob"]
    assert (await h.get(f"{BOXES}/Service", "bob"))["members"] == ["ann", "bob"]
    await h.call("GET", f"{BOXES}/Sales", "ann", status=403)
    await h.call("GET", f"{BOXES}/Nope", status=404)
    await h.call("DELETE", f"{BOXES}/Service", status=204)
    await h.call("DELETE", f"{BOXES}/Service", status=404)
    assert [b["name"] for b in (await h.get(BOXES))["items"]] == ["After Hours", "Sales"]


async def test_box_writes_are_checked(h: ApiHarness) -> None:
    await refused(h, "POST", BOXES, "name", json={"name": "Sales"})  # taken
    assert "zed" in await refused(
        h, "POST", BOXES, "members", json={"name": "X", "members": ["zed"]}
    )
    await refused(h, "POST", BOXES, "members", json={"name": "X", "members": "ann"})
    await refused(h, "POST", BOXES, "members[0]", json={"name": "X", "members": [3]})
    await refused(h, "POST", BOXES, "colour", json={"name": "X", "colour": "red"})
    await refused(h, "POST", BOXES, "name", json={})
    resp = await h.client.post(BOXES, data=b"{not json", headers=h.headers("system"))
    assert (resp.status, (await resp.json())["field"]) == (400, "body")
    # only admins change boxes; a refused write leaves everything as it was
    assert (await h.call("POST", BOXES, "dee", json={"name": "X"}, status=403))["field"] == "role"
    await h.call("DELETE", f"{BOXES}/Sales", "ann", status=403)
    await h.call("PATCH", f"{BOXES}/Sales", "bob", json={"reset": True}, status=403)
    assert [b["name"] for b in (await h.get(BOXES))["items"]] == ["After Hours", "Sales"]


async def test_emergency_keywords_of_a_box(h: ApiHarness) -> None:
    path = f"{BOXES}/After Hours"
    changed = await h.call("PATCH", path, json={"add": ["Mold"], "remove": ["smoke"]}, status=200)
    assert "mold" in changed["keywords"] and "smoke" not in changed["keywords"]
    assert changed["keywords_default"] is False
    whole = await h.call("PATCH", path, json={"keywords": ["burst pipe", "no heat"]}, status=200)
    assert whole["keywords"] == ["burst pipe", "no heat"]
    assert (await h.call("PATCH", path, json={"keywords": []}, status=200))["keywords"] == []
    await refused(h, "PATCH", path, "add[1]", json={"add": ["leak", "!!"]})
    await refused(h, "PATCH", path, "remove", json={"remove": ["zzz"]})
    await refused(h, "PATCH", path, "keywords", json={"keywords": ["leak"], "reset": True})
    await refused(h, "PATCH", path, "reset", json={"reset": "yes"})
    assert (await h.get(path))["keywords"] == []  # the refusals changed nothing
    reset = await h.call("PATCH", path, json={"reset": True}, status=200)
    assert reset["keywords"] == list(DEFAULT_KEYWORDS) and reset["keywords_default"] is True
    await h.call("PATCH", f"{BOXES}/Nope", json={"reset": True}, status=404)


async def test_greetings_are_uploaded_checked_and_reset(h: ApiHarness) -> None:
    path = f"{BOXES}/After Hours/greeting"

    async def put(data: bytes, who: str = "system", kind: str = "audio/wav") -> Any:
        headers = {**h.headers(who), "Content-Type": kind}
        resp = await h.client.put(path, data=data, headers=headers)
        return resp.status, await resp.json()

    status, box = await put(tone(2.0))
    assert status == 200 and box["greeting"] == "pbx/greeting-after-hours"
    made = h.backend.settings.asterisk_dir / "sounds" / "pbx" / "greeting-after-hours.wav"
    with wave.open(str(made)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
    status, answer = await put(b"RIFF....WAVEjunk")
    assert (status, answer["field"]) == (400, "body"), answer
    status, answer = await put(b"")
    assert (status, answer["field"]) == (400, "body")
    status, answer = await put(tone(), kind="application/json")
    assert (status, answer["field"]) == (400, "Content-Type")
    status, answer = await put(tone(), who="ann")
    assert status == 403
    assert (await h.get(f"{BOXES}/After Hours"))["greeting"] == "pbx/greeting-after-hours"
    await h.call("DELETE", path, "ann", status=403)
    await h.call("DELETE", path, status=204)
    assert (await h.get(f"{BOXES}/After Hours"))["greeting"] is None
    resp = await h.client.put(f"{BOXES}/Nope/greeting", data=tone(), headers=h.headers("system"))
    assert resp.status == 404


# -- messages ------------------------------------------------------------------------------


async def test_the_inbox_filters_and_pages(h: ApiHarness) -> None:
    first = await leave(h, 1, customer_id=1)
    second = await leave(h, 2, keywords=(), transcript="call me back", read=True)
    sales = await leave(h, 3, box="Sales", caller="+13125550199")
    everything = await h.get(MESSAGES)
    assert [m["id"] for m in everything["items"]] == [sales, second, first]
    assert everything["next"] is None
    one = everything["items"][2]
    assert one["customer"] == "Jane Doe" and one["emergency"] is True
    assert one["received_at"] == "2026-11-21T02:01:00+00:00" and one["keywords"] == ["leak"]

    page = await h.get(MESSAGES, limit="2")
    assert [m["id"] for m in page["items"]] == [sales, second] and page["next"]
    rest = await h.get(MESSAGES, limit="2", cursor=page["next"])
    assert [m["id"] for m in rest["items"]] == [first] and rest["next"] is None

    def ids(answer: dict[str, Any]) -> list[int]:
        return [m["id"] for m in answer["items"]]

    assert ids(await h.get(MESSAGES, box="After Hours")) == [second, first]
    assert ids(await h.get(MESSAGES, unread="true")) == [sales, first]
    assert ids(await h.get(MESSAGES, unread="false")) == [second]
    assert ids(await h.get(MESSAGES, emergency="false")) == [second]
    assert ids(await h.get(MESSAGES, customer="Jane Doe")) == [first]
    assert ids(await h.get(MESSAGES, since="2026-11-21T02:02:00+00:00")) == [sales, second]
    assert ids(await h.get(MESSAGES, until="2026-11-21T02:02:00+00:00")) == [first]
    pending = await h.call("GET", MESSAGES, params={"status": "pending"}, status=200)
    assert ids(pending) == []  # (`status` here is the query's, not the answer's)
    # technicians: only their boxes' messages
    assert ids(await h.get(MESSAGES, "ann")) == [second, first]
    assert ids(await h.get(MESSAGES, "bob")) == [sales]
    assert ids(await h.get(MESSAGES, "tia")) == [sales, second, first]
    assert (await h.get(MESSAGES, "ann", status=403, box="Sales"))["field"] == "box"

    for field, value in (
        ("box", "Nope"),
        ("customer", "Nobody"),
        ("assigned", "zed"),
        ("since", "last tuesday"),
        ("unread", "maybe"),
        ("status", "lost"),
        ("limit", "0"),
        ("cursor", "%%%"),
    ):
        answer = await h.call("GET", MESSAGES, params={field: value}, status=400)
        assert answer["field"] == field, (field, answer)


async def test_one_message_read_state_and_assignment(h: ApiHarness) -> None:
    ident = await leave(h, 1)
    sales = await leave(h, 2, box="Sales")
    await h.backend.repo.log_escalation(Escalation(ident, T0, "call", "ann", "answered"))
    shown = await h.get(f"{MESSAGES}/{ident}", "ann")
    assert shown["transcript"] == "the pipe is leaking" and shown["keywords"] == ["leak"]
    assert shown["escalation"] == ["2026-11-21T02:00:00+00:00 call ann: answered"]
    assert shown["notifications"] == [] and shown["read"] is False

    path = f"{MESSAGES}/{ident}"
    changed = await h.call("PATCH", path, "ann", json={"read": True}, status=200)
    assert changed["read"] is True
    changed = await h.call("PATCH", path, "ann", json={"assigned_to": "bob"}, status=200)
    assert changed["assigned_to"] == "bob" and changed["read"] is True
    changed = await h.call("PATCH", path, json={"read": False, "assigned_to": None}, status=200)
    assert (changed["read"], changed["assigned_to"]) == (False, None)
    await refused(h, "PATCH", path, "assigned_to", json={"assigned_to": "zed"})
    await refused(h, "PATCH", path, "read", json={"read": "yes"})
    await refused(h, "PATCH", path, "starred", json={"starred": True})
    await refused(h, "PATCH", f"{MESSAGES}/abc", "id", json={"read": True})
    await h.call("GET", f"{MESSAGES}/999", status=404)
    await h.call("PATCH", f"{MESSAGES}/999", json={"read": True}, status=404)

    # another box's message: not for ann, and her refused write changes nothing
    for method, suffix in (("GET", ""), ("GET", "/audio"), ("GET", "/transcript")):
        answer = await h.call(method, f"{MESSAGES}/{sales}{suffix}", "ann", status=403)
        assert answer["field"] == "box"
    await h.call("PATCH", f"{MESSAGES}/{sales}", "ann", json={"read": True}, status=403)
    assert (await h.get(f"{MESSAGES}/{sales}", "bob"))["read"] is False
    assert (await h.get(f"{MESSAGES}/{sales}", "dee"))["read"] is False


async def test_audio_and_transcripts(h: ApiHarness) -> None:
    ident = await leave(h, 1)
    resp = await h.client.get(f"{MESSAGES}/{ident}/audio", headers=h.headers("ann"))
    assert resp.status == 200 and resp.content_type == "audio/wav"
    stored = (await h.backend.repo.get_message(ident)).audio
    assert await resp.read() == h.backend.recordings.path(stored).read_bytes()
    resp = await h.client.get(f"{MESSAGES}/{ident}/transcript", headers=h.headers("ann"))
    assert resp.status == 200 and resp.content_type == "text/plain"
    assert await resp.text() == "the pipe is leaking"

    pending = await leave(
        h, 2, transcript=None, transcript_status=TranscriptStatus.PENDING, keywords=()
    )
    failed = await leave(
        h,
        3,
        transcript=None,
        transcript_status=TranscriptStatus.FAILED,
        transcript_error="silent audio",
        keywords=(),
    )
    assert "not transcribed yet" in await refused(
        h, "GET", f"{MESSAGES}/{pending}/transcript", "transcript"
    )
    assert "silent audio" in await refused(
        h, "GET", f"{MESSAGES}/{failed}/transcript", "transcript"
    )
    await h.call("GET", f"{MESSAGES}/999/audio", status=404)
    h.backend.recordings.path(stored).unlink()  # the store lost it
    assert "missing" in (await h.call("GET", f"{MESSAGES}/{ident}/audio", status=404))["error"]


async def test_the_openapi_document_lists_the_voicemail_and_oncall_routes(h: ApiHarness) -> None:
    doc = await h.get("/api/openapi.json", "system")
    paths = doc["paths"]
    greeting = paths["/api/voicemail/boxes/{name}/greeting"]
    assert set(greeting) == {"put", "delete"} and greeting["put"]["tags"] == ["voicemail"]
    assert set(paths["/api/oncall/shifts/{id}"]) == {"get", "patch", "delete"}
    for action in ("activate", "complete", "cancel"):
        assert paths[f"/api/oncall/shifts/{{id}}/{action}"]["post"]["summary"]
    schema = paths["/api/oncall/shifts"]["post"]["requestBody"]["content"]["application/json"]
    assert schema["schema"]["required"] == ["tech", "start"]
    assert "201" in paths["/api/oncall/shifts"]["post"]["responses"]
