"""API: the call log (filtered, paginated), recordings and transcripts, and click-to-dial.

Technicians see the calls they answered or placed, unless their token was
given all calls; the office (admins, dispatchers) sees every call.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from aiohttp import web

from pbx.api.app import backend_of, error, state_of
from pbx.api.backend import Backend
from pbx.api.base import (
    LIST_PARAMS,
    Param,
    Routes,
    body,
    decode_cursor,
    encode_cursor,
    integer,
    limit_of,
    obj,
    path_int,
    principal,
    query_int,
    query_text,
    references_are_input,
    string,
)
from pbx.core import access, present
from pbx.core.access import Forbidden, Principal
from pbx.core.calls import CallRecord, Direction, Disposition
from pbx.core.errors import InvalidInput
from pbx.core.model import Directory
from pbx.services.calls import CallPage

routes = Routes("calls")

FILTERS = (
    Param("customer", "customer id or exact name"),
    Param("job", "job id", "integer"),
    Param("number", "the business number called (any format)"),
    Param("disposition", "how the call ended", enum=tuple(d.value for d in Disposition)),
    Param("direction", "inbound, outbound or internal", enum=tuple(d.value for d in Direction)),
    Param("user", "calls this user answered or placed"),
    Param("since", "started at or after: ISO 8601, YYYY-MM-DD, or an age (90m, 24h, 7d)"),
    Param("until", "started before: same forms as since"),
)


def _own_user(p: Principal, asked: str | None) -> str | None:
    """The user filter a principal may use: technicians are held to their own calls."""
    if p.sees_all_calls:
        return asked
    if asked is not None and asked != p.user:
        raise Forbidden("user", f"{p.name} may see only their own calls")
    return p.user


def _mine(p: Principal, c: CallRecord, d: Directory) -> bool:
    if p.sees_all_calls:
        return True
    own = {e.number for e in d.extensions_of(p.user or "")}
    return c.handled_by_user == p.user or c.caller in own


def _cursor(raw: object) -> tuple[datetime, int] | None:
    if raw is None:
        return None
    if isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], str):
        with contextlib.suppress(TypeError, ValueError):
            return datetime.fromisoformat(raw[0]), int(raw[1])
    raise InvalidInput("cursor", "is not a cursor this API gave out")


@routes.get("/api/calls", "The call log, newest first.", params=(*FILTERS, *LIST_PARAMS))
async def list_calls(request: web.Request) -> web.Response:
    p = principal(request)
    backend = backend_of(request)
    limit = limit_of(request)
    with references_are_input():  # an unknown customer, job or user filter: 400
        page = await _list(backend, request, p, limit)
    last = page.calls[-1] if len(page.calls) == limit else None
    following = None if last is None else encode_cursor([last.started_at.isoformat(), last.id])
    return web.json_response({"items": _rows(page), "next": following})


async def _list(backend: Backend, request: web.Request, p: Principal, limit: int) -> CallPage:
    return await backend.calls().list(
        since=query_text(request, "since"),
        until=query_text(request, "until"),
        customer=query_text(request, "customer"),
        limit=limit,
        job=query_int(request, "job"),
        number=query_text(request, "number"),
        disposition=query_text(request, "disposition"),
        direction=query_text(request, "direction"),
        user=_own_user(p, query_text(request, "user")),
        before=_cursor(decode_cursor(request)),
        region=backend.settings.default_region,
    )


def _rows(page: CallPage) -> list[dict[str, object]]:
    return [present.call(c, page.customer(c), page.job(c)) for c in page.calls]


async def _visible_call(request: web.Request) -> CallPage:
    p = principal(request)
    backend = backend_of(request)
    ident = path_int(request, "id")
    page = await backend.calls().show(ident)
    if not _mine(p, page.calls[0], await backend.cached.snapshot()):
        raise Forbidden("call", f"call {ident} is not one of {p.name}'s calls")
    return page


@routes.get("/api/calls/{id}", "One call: everything recorded, its legs and routing decisions.")
async def show_call(request: web.Request) -> web.Response:
    return web.json_response(_rows(await _visible_call(request))[0])


@routes.get("/api/calls/{id}/recording", "The call's recording (WAV).", response="audio/wav")
async def call_recording(request: web.Request) -> web.StreamResponse:
    await _visible_call(request)
    path = await backend_of(request).calls().recording(path_int(request, "id"))
    return web.FileResponse(path, headers={"Content-Type": "audio/wav"})


@routes.get(
    "/api/calls/{id}/transcript",
    "The transcript of the voicemail message left on the call.",
    response="text/plain",
)
async def call_transcript(request: web.Request) -> web.Response:
    page = await _visible_call(request)
    c = page.calls[0]
    if c.transcript is None:
        why = "no message was left" if c.voicemail_box is None else "it is not transcribed yet"
        raise InvalidInput("call", f"call {c.id} has no transcript ({why})")
    return web.Response(text=c.transcript, content_type="text/plain")


DIAL = obj(
    ["number"],
    number=string("the number to call (any format; normalised to E.164)"),
    user=string("whose phone rings first (default: the token's user)"),
    customer=integer("the customer this call is about", minimum=1),
    job=integer("the job this call is about", minimum=1),
)


@routes.post(
    "/api/calls",
    "Click-to-dial: ring the user's phone, then call the number with the business caller ID.",
    body=DIAL,
    status=202,
)
async def click_to_dial(request: web.Request) -> web.Response:
    p = principal(request)
    data = await body(request, DIAL)
    user = data.get("user") or p.user
    if user is None:
        raise InvalidInput("user", "is required with the system token")
    access.require_self_or_dispatcher(p, user, "dial")
    backend = backend_of(request)
    plan = await backend.dial_plan(user, data["number"], data.get("customer"), data.get("job"))
    dialer = state_of(request).dialer
    if dialer is None or not state_of(request).ari.is_set():
        return _unavailable_dialer()
    channel = await dialer.click_to_dial(
        plan.extension,
        plan.number,
        customer_name=plan.customer_name,
        customer_id=plan.customer,
        job=plan.job,
    )
    return web.json_response(
        {
            "status": "ringing",
            "channel": channel,
            "user": user,
            "extension": plan.extension,
            "number": plan.number,
            "customer_id": plan.customer,
            "job_id": plan.job,
        },
        status=202,
    )


def _unavailable_dialer() -> web.Response:
    return error(503, "call control is not connected to Asterisk; try again")
