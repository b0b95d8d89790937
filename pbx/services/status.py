"""`pbx status`: is Asterisk up, is the controller up, which extensions are registered."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from pbx.adapters import asterisk_process
from pbx.adapters.ami import Ami
from pbx.runtime.settings import Settings
from pbx.runtime.wiring import repository
from pbx.services.ports import EndpointState


async def _controller_health(settings: Settings) -> dict[str, Any]:
    host = "127.0.0.1" if settings.api_bind in ("0.0.0.0", "::", "") else settings.api_bind
    url = f"http://{host}:{settings.api_port}/api/health"
    try:
        timeout = aiohttp.ClientTimeout(total=2)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url) as resp,
        ):
            body = await resp.json(content_type=None)
            return {"reachable": resp.status == 200, "url": url, **body}
    except (TimeoutError, aiohttp.ClientError, json.JSONDecodeError, OSError) as exc:
        return {"reachable": False, "url": url, "error": str(exc) or exc.__class__.__name__}


async def _endpoint_states(settings: Settings) -> tuple[dict[str, Any], list[EndpointState]]:
    try:
        ami = await Ami.connect(
            "127.0.0.1", settings.ami_port, settings.ami_user, settings.ami_secret, timeout=3
        )
    except (TimeoutError, ConnectionError, OSError) as exc:
        return {"reachable": False, "error": str(exc) or exc.__class__.__name__}, []
    try:
        states = await ami.endpoint_states()
    finally:
        await ami.close()
    return {"reachable": True}, states


async def collect_status(settings: Settings) -> dict[str, Any]:
    """A JSON-ready report of the phone system's state."""
    async with repository(settings) as repo:
        directory = await repo.snapshot()
    process = asterisk_process.status(settings)
    (ami, states), controller = await asyncio.gather(
        _endpoint_states(settings), _controller_health(settings)
    )
    by_endpoint = {s.endpoint: s for s in states}
    extensions = []
    for ext in directory.extensions:
        state = by_endpoint.get(ext.number)
        extensions.append(
            {
                "number": ext.number,
                "user": ext.user,
                "dnd": ext.dnd,
                "registered": bool(state and state.registered),
                "contacts": [
                    {"uri": c.uri, "status": c.status, "user_agent": c.user_agent}
                    for c in (state.contacts if state else ())
                ],
            }
        )
    return {
        "home": str(settings.home),
        "asterisk": {**process, **ami},
        "controller": controller,
        "extensions": extensions,
    }


def format_status(report: dict[str, Any]) -> str:
    """The report as a few readable lines."""
    ast = report["asterisk"]
    ctl = report["controller"]
    lines = [
        f"data directory: {report['home']}",
        "asterisk:   "
        + ("up" if ast.get("reachable") else "DOWN")
        + (f" (pid {ast['pid']}, {ast.get('version', '')})" if ast.get("pid") else "")
        + ("" if ast.get("reachable") else f" - {ast.get('error', 'not running')}"),
        "controller: "
        + ("up" if ctl.get("reachable") else "DOWN")
        + ("" if ctl.get("reachable") else f" - {ctl.get('error', '')}"),
    ]
    if not report["extensions"]:
        lines.append("extensions: none (add one: pbx ext add 101 --user NAME)")
    else:
        lines.append("extensions:")
        for ext in report["extensions"]:
            state = "registered" if ext["registered"] else "not registered"
            contact = ext["contacts"][0]["uri"] if ext["contacts"] else ""
            dnd = " [DND]" if ext["dnd"] else ""
            lines.append(
                f"  {ext['number']:<5} {ext['user']:<20} {state:<15}{dnd} {contact}".rstrip()
            )
    return "\n".join(lines)
