"""API: voicemail boxes (greetings, emergency keywords) and the message inbox.

Technicians see the boxes they are members of (their personal box, and shared
boxes that notify them) and those boxes' messages, unless their token was given
all calls; the office (admins, dispatchers) sees every box. Boxes are changed
by admins only.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from pbx.api.app import backend_of, changed, snapshot
from pbx.api.base import (
    LIST_PARAMS,
    MAX_BODY,
    Param,
    Routes,
    body,
    boolean,
    decode_cursor,
    encode_cursor,
    limit_of,
    no_content,
    nullable,
    obj,
    offset_page,
    path_int,
    principal,
    query_bool,
    query_text,
    references_are_input,
    string,
    strings,
)
from pbx.core import access, present
from pbx.core import keywords as kw
from pbx.core.access import Forbidden, Principal
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import Directory, VoicemailBox
from pbx.core.prompts import MAX_TEXT
from pbx.core.voicemail import Message, TranscriptStatus

routes = Routes("voicemail")

GREETING_MAX_BYTES = 32 << 20  # two minutes of 48 kHz stereo 16-bit audio, with room to spare
GREETING_TYPES = frozenset(
    {"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave", "application/octet-stream"}
)


# -- who sees what ----------------------------------------------------------------------


def visible_boxes(p: Principal, d: Directory) -> frozenset[str] | None:
    """The boxes whose messages `p` may see (None: every box)."""
    if p.sees_all_calls:
        return None
    return frozenset(b.name for b in d.boxes if p.user is not None and p.user in b.members)


def _require_box_access(p: Principal, d: Directory, box: str, what: str | None = None) -> None:
    """Forbidden unless `p` may see box `box` (and `what`, which is in it)."""
    boxes = visible_boxes(p, d)
    if boxes is None or box in boxes:
        return
    if what is None:
        raise Forbidden("box", f"{p.name} is not a member of box '{box}'")
    raise Forbidden("box", f"{what} is in box '{box}', which {p.name} is not a member of")


def _box_view(b: VoicemailBox) -> dict[str, Any]:
    return present.voicemail_box(b, kw.DEFAULT_KEYWORDS if b.keywords is None else b.keywords)


async def _box(request: web.Request) -> tuple[VoicemailBox, Directory]:
    d = await snapshot(request)
    name = request.match_info["name"]
    b = d.box(name)
    if b is None:
        raise NotFound("box", f"no such voicemail box '{name}'")
    return b, d


# -- boxes ------------------------------------------------------------------------------


@routes.get(
    "/api/voicemail/boxes",
    "Voicemail boxes (technicians: the boxes they are members of).",
    params=LIST_PARAMS,
)
async def list_boxes(request: web.Request) -> web.Response:
    p = principal(request)
    d = await snapshot(request)
    boxes = visible_boxes(p, d)
    found = sorted(
        (b for b in d.boxes if boxes is None or b.name in boxes), key=lambda b: b.name.lower()
    )
    return offset_page(request, found, _box_view)


NEW_BOX = obj(
    ["name"],
    name=string("the box's name"),
    members=strings("users notified of its messages (user names)"),
)


@routes.post(
    "/api/voicemail/boxes", "Add a shared voicemail box (admin).", body=NEW_BOX, status=201
)
async def add_box(request: web.Request) -> web.Response:
    p = principal(request)
    access.require_admin(p, "adding a voicemail box")
    data = await body(request, NEW_BOX)
    members = [m.strip() for m in data.get("members", []) if m.strip()]
    if any("," in m for m in members):
        raise InvalidInput("members", "a user name has no commas: give one name per item")
    with references_are_input():
        b = (
            await backend_of(request)
            .directory()
            .add_box(data["name"], ",".join(members) if members else None)
        )
    changed(request)
    return web.json_response(_box_view(b), status=201)


@routes.get("/api/voicemail/boxes/{name}", "One voicemail box: members, greeting, keywords.")
async def show_box(request: web.Request) -> web.Response:
    b, d = await _box(request)
    _require_box_access(principal(request), d, b.name)
    return web.json_response(_box_view(b))


KEYWORDS = obj(
    keywords=strings("the whole list (replaces it; [] means nothing escalates)"),
    add=strings("keywords or phrases to add"),
    remove=strings("keywords to remove"),
    reset=boolean("back to the trade defaults (then add and remove apply)"),
)


def _normalized(data: dict[str, Any], name: str) -> tuple[str, ...]:
    """The keywords of body field `name`, each checked (the error names the item)."""
    found: list[str] = []
    for i, raw in enumerate(data.get(name, [])):
        try:
            found.append(kw.normalize_keyword(raw))
        except InvalidInput as exc:
            raise InvalidInput(f"{name}[{i}]", exc.reason) from None
    return tuple(found)


@routes.patch(
    "/api/voicemail/boxes/{name}",
    "Change a box's emergency keywords (admin).",
    body=KEYWORDS,
)
async def change_box(request: web.Request) -> web.Response:
    p = principal(request)
    access.require_admin(p, "changing a voicemail box")
    data = await body(request, KEYWORDS)
    b, _ = await _box(request)
    whole = _normalized(data, "keywords") if "keywords" in data else None
    add, remove = _normalized(data, "add"), _normalized(data, "remove")
    if whole is not None and (add or remove or data.get("reset")):
        raise InvalidInput(
            "keywords", "replaces the whole list: give it without add, remove, reset"
        )
    if whole is None and not (add or remove or data.get("reset")):
        return web.json_response(_box_view(b))  # nothing to change
    service = backend_of(request).voicemail()
    await service.set_keywords(
        box=b.name,
        add=whole if whole is not None else add,
        remove=remove,
        reset=bool(data.get("reset")),
        clear=whole is not None,
    )
    changed(request)
    b, _ = await _box(request)
    return web.json_response(_box_view(b))


@routes.delete(
    "/api/voicemail/boxes/{name}", "Remove a shared voicemail box that nothing routes to (admin)."
)
async def remove_box(request: web.Request) -> web.Response:
    p = principal(request)
    access.require_admin(p, "removing a voicemail box")
    b, _ = await _box(request)
    await backend_of(request).directory().remove_box(b.name)
    changed(request)
    return no_content()


async def _upload(request: web.Request) -> bytes:
    """The request body (a WAV file), refused beyond GREETING_MAX_BYTES."""
    kind = request.content_type
    if kind not in GREETING_TYPES:
        raise InvalidInput(
            "Content-Type", f"must be audio/wav (a WAV file) or application/json, got {kind}"
        )
    too_big = InvalidInput("body", f"is larger than {GREETING_MAX_BYTES} bytes")
    if request.content_length is not None and request.content_length > GREETING_MAX_BYTES:
        raise too_big
    data = bytearray()
    async for chunk in request.content.iter_chunked(1 << 16):
        data += chunk
        if len(data) > GREETING_MAX_BYTES:
            raise too_big
    if not data:
        raise InvalidInput("body", "is empty: send the greeting as a WAV file")
    return bytes(data)


def _write(folder: str, data: bytes) -> Path:
    path = Path(folder) / "greeting.wav"
    path.write_bytes(data)
    return path


GREETING_TEXT = obj(
    ["text"],
    text=string(f"words spoken as the greeting by the offline voice (1..{MAX_TEXT} characters)"),
)


async def _greeting_text(request: web.Request) -> str:
    """The `text` of a JSON greeting body; a WAV file sent as JSON is refused as such."""
    try:
        return str((await body(request, GREETING_TEXT))["text"])
    except InvalidInput as exc:
        too_big = request.content_length is not None and request.content_length > MAX_BODY
        if exc.field != "body" or too_big or (await request.read())[:4] != b"RIFF":
            raise
        raise InvalidInput(
            "Content-Type", "is application/json, but the body is a WAV file: send it as audio/wav"
        ) from None


@routes.put(
    "/api/voicemail/boxes/{name}/greeting",
    "Set the box's greeting (admin): the body is a WAV file (audio/wav), converted for phones,"
    ' or JSON {"text": "..."}: words spoken by the offline voice.',
    body=GREETING_TEXT,
)
async def set_greeting(request: web.Request) -> web.Response:
    p = principal(request)
    access.require_admin(p, "setting a greeting")
    b, _ = await _box(request)
    service = backend_of(request).voicemail()
    if request.content_type == "application/json":
        await service.set_greeting_text(b.name, await _greeting_text(request))
    else:
        upload = await _upload(request)
        with tempfile.TemporaryDirectory(prefix="pbx-greeting-") as folder:
            source = await asyncio.to_thread(_write, folder, upload)
            try:
                await service.set_greeting(b.name, source)
            except InvalidInput as exc:
                if exc.field != "file":
                    raise
                raise InvalidInput("body", exc.reason) from None
    changed(request)
    b, _ = await _box(request)
    return web.json_response(_box_view(b))


@routes.delete(
    "/api/voicemail/boxes/{name}/greeting",
    "Go back to the standard greeting (admin).",
)
async def reset_greeting(request: web.Request) -> web.Response:
    p = principal(request)
    access.require_admin(p, "setting a greeting")
    b, _ = await _box(request)
    await backend_of(request).voicemail().set_greeting(b.name, None)
    changed(request)
    return no_content()


# -- messages ---------------------------------------------------------------------------

FILTERS = (
    Param("box", "only this box"),
    Param("unread", "true: only messages not read yet; false: only read ones", "boolean"),
    Param("emergency", "true: only emergencies (keywords matched); false: no emergency", "boolean"),
    Param("customer", "customer id or exact name"),
    Param("assigned", "assigned to this user"),
    Param("status", "transcript status", enum=tuple(s.value for s in TranscriptStatus)),
    Param("since", "received at or after: ISO 8601, YYYY-MM-DD, or an age (90m, 24h, 7d)"),
    Param("until", "received before: same forms as since"),
)


def _cursor(raw: object) -> tuple[datetime, int] | None:
    if raw is None:
        return None
    try:
        if not isinstance(raw, list) or len(raw) != 2:
            raise ValueError(raw)
        return datetime.fromisoformat(str(raw[0])), int(raw[1])
    except (TypeError, ValueError):
        raise InvalidInput("cursor", "is not a cursor this API gave out") from None


@routes.get(
    "/api/voicemail/messages",
    "Voicemail messages, newest first (technicians: their boxes' messages).",
    params=(*FILTERS, *LIST_PARAMS),
)
async def list_messages(request: web.Request) -> web.Response:
    p = principal(request)
    backend = backend_of(request)
    box = query_text(request, "box")
    d = await backend.cached.snapshot()
    boxes = visible_boxes(p, d)
    if box is not None and d.box(box) is not None:
        _require_box_access(p, d, box)
    limit = limit_of(request)
    with references_are_input():
        page = await backend.voicemail().find(
            boxes=boxes,
            box=box,
            unread=query_bool(request, "unread"),
            emergency=query_bool(request, "emergency"),
            customer=query_text(request, "customer"),
            assigned=query_text(request, "assigned"),
            status=query_text(request, "status"),
            since=query_text(request, "since"),
            until=query_text(request, "until"),
            before=_cursor(decode_cursor(request)),
            limit=limit,
        )
    last = page.messages[-1] if page.more else None
    following = None if last is None else encode_cursor([last.received_at.isoformat(), last.id])
    return web.json_response(
        {"items": [present.message(m, page.customer(m)) for m in page.messages], "next": following}
    )


async def _visible_message(request: web.Request) -> tuple[int, Message]:
    """The message the path names (its id, and it), if the principal may see it."""
    p = principal(request)
    backend = backend_of(request)
    ident = path_int(request, "id")
    m = await backend.voicemail().messages.get_message(ident)
    _require_box_access(p, await backend.cached.snapshot(), m.box, f"message {ident}")
    return ident, m


@routes.get(
    "/api/voicemail/messages/{id}",
    "One message: transcript, emergency keywords, escalation steps and notifications.",
)
async def show_message(request: web.Request) -> web.Response:
    ident, m = await _visible_message(request)
    detail = await backend_of(request).voicemail().show(ident)
    return web.json_response(
        present.message_detail(detail.message, detail.customer, detail.escalations, detail.notices)
    )


MESSAGE_CHANGE = obj(
    read=boolean("read (true) or unread again (false); the message-waiting lamps follow"),
    assigned_to=nullable(string("the team member handling it (null: unassigned)")),
)


@routes.patch(
    "/api/voicemail/messages/{id}",
    "Mark a message read or unread, or assign it to a team member.",
    body=MESSAGE_CHANGE,
)
async def change_message(request: web.Request) -> web.Response:
    data = await body(request, MESSAGE_CHANGE)
    ident, m = await _visible_message(request)
    service = backend_of(request).voicemail()
    if "assigned_to" in data:
        user = data["assigned_to"].strip() or None if data["assigned_to"] is not None else None
        try:
            m = await service.assign(ident, user)
        except InvalidInput as exc:
            if exc.field != "user":
                raise
            raise InvalidInput("assigned_to", exc.reason) from None
    if "read" in data and data["read"] is not m.read:
        m = await service.mark(ident, read=data["read"])
    d = await snapshot(request)
    customer = d.customer(m.customer_id) if m.customer_id is not None else None
    return web.json_response(present.message(m, customer.name if customer else None))


@routes.get(
    "/api/voicemail/messages/{id}/audio", "The message's audio (WAV).", response="audio/wav"
)
async def message_audio(request: web.Request) -> web.StreamResponse:
    ident, m = await _visible_message(request)
    path = await backend_of(request).voicemail().audio_file(ident)
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "audio/wav",
            "Content-Disposition": f'attachment; filename="voicemail-{ident}.wav"',
        },
    )


@routes.get(
    "/api/voicemail/messages/{id}/transcript",
    "The message's transcript (plain text).",
    response="text/plain",
)
async def message_transcript(request: web.Request) -> web.Response:
    ident, m = await _visible_message(request)
    if m.transcript_status == TranscriptStatus.FAILED:
        raise InvalidInput(
            "transcript", f"message {ident} could not be transcribed: {m.transcript_error}"
        )
    if m.transcript_status != TranscriptStatus.DONE or m.transcript is None:
        raise InvalidInput("transcript", f"message {ident} is not transcribed yet")
    return web.Response(text=m.transcript, content_type="text/plain")
