"""API: who am I, the browser softphone's SIP account, the live view (calls in
progress, registered phones), the event stream, and the system settings."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from aiohttp import WSMsgType, web

from pbx.api.app import backend_of, state_of
from pbx.api.base import Routes, principal
from pbx.core import access
from pbx.core.access import Principal
from pbx.core.errors import NotFound
from pbx.services.events import Event

routes = Routes("live")

SECRET_SETTINGS = ("password", "secret", "token")


@routes.get("/api/me", "The token's user, role and permissions.", cache=False)
async def me(request: web.Request) -> web.Response:
    p = principal(request)
    return web.json_response(
        {
            "user": p.name,
            "role": p.role.value,
            "oncall_write": p.may_write_oncall,
            "all_calls": p.sees_all_calls,
        }
    )


@routes.get("/api/softphone", "The SIP account of the token user's browser softphone.", cache=False)
async def softphone(request: web.Request) -> web.Response:
    p = principal(request)
    backend = backend_of(request)
    d = await backend.cached.snapshot()
    user = d.user(p.user or "")
    ext = next((e for e in d.extensions_of(p.user or "") if e.webrtc), None)
    if user is None or ext is None:
        raise NotFound(
            "extension",
            f"{p.name} has no browser softphone extension (pbx ext add N --user {p.name} --webrtc)",
        )
    settings = backend.settings
    host = request.url.host or "127.0.0.1"
    return web.json_response(
        {
            "user": user.name,
            "display_name": user.name,
            "extension": ext.number,
            "sip_password": ext.sip_password,
            "sip_uri": f"sip:{ext.number}@{host}",
            # Asterisk's own HTTP server carries the SIP websocket (loopback unless configured)
            "ws_url": settings.softphone_ws_url
            or (
                f"wss://{host}:{settings.wss_port}/ws"
                if settings.wss_port
                else f"ws://{host}:{settings.ari_port}/ws"
            ),
        }
    )


@routes.get("/api/live", "Calls in progress and registered phones, now.", cache=False)
async def live(request: web.Request) -> web.Response:
    p = principal(request)
    access.require_dispatcher(p, "the live view")
    view = state_of(request).live
    return web.json_response(
        {
            "asterisk": state_of(request).ari.is_set(),
            "calls": view.active_calls() if view is not None else [],
            "registrations": view.registrations() if view is not None else [],
        }
    )


def _visible(p: Principal) -> Callable[[Event], bool]:
    def accept(event: Event) -> bool:
        return p.sees_all_calls or (p.user is not None and p.user in event.users)

    return accept


@routes.get(
    "/api/events",
    "A websocket of call and voicemail events (call.ringing with the matched customer, "
    "call.answered, call.ended, voicemail.new, emergency). Browsers may pass ?token=.",
    response="application/json",
    status=101,
)
async def events(request: web.Request) -> web.StreamResponse:
    p = principal(request)
    hub = state_of(request).events
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    with hub.subscribe(_visible(p)) as subscription:
        await ws.send_json({"type": "hello", "user": p.name})

        async def forward() -> None:
            async for event in subscription:
                await ws.send_str(json.dumps(event.as_json()))

        sender = asyncio.create_task(forward())
        try:
            async for message in ws:  # the client only closes; anything else is ignored
                if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await sender
    return ws


def _setting_value(name: str, value: Any) -> Any:
    if any(word in name for word in SECRET_SETTINGS):
        return "(set)" if value else ""
    return str(value) if not isinstance(value, (bool, int, str)) else value


@routes.get("/api/settings", "The controller's settings (secrets hidden).", cache=False)
async def settings(request: web.Request) -> web.Response:
    access.require_admin(principal(request), "reading the settings")
    cfg = backend_of(request).settings
    values = {f.name: _setting_value(f.name, getattr(cfg, f.name)) for f in fields(cfg)}
    return web.json_response(values)
