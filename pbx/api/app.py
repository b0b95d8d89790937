"""The controller's REST API (aiohttp): health now, the CRM API later.

Every answer is JSON, errors included (`{"error": "..."}`). Everything but
`GET /api/health` needs `Authorization: Bearer <api_token>`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata

from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/api/health"})


def package_version() -> str:
    """The installed version of pbx, or "unknown" when running from a source tree."""
    import pbx

    version = getattr(pbx, "__version__", None)
    if isinstance(version, str):
        return version
    try:
        return metadata.version("pbx")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class ApiState:
    """What the API reads from the running controller.

    `ari` and `ami` are set while the ARI websocket / AMI session is up.
    An empty `api_token` refuses every protected request. `refresh_directory`
    asks call control to look for directory changes now (None until it runs).
    """

    api_token: str
    ari: asyncio.Event = field(default_factory=asyncio.Event)
    ami: asyncio.Event = field(default_factory=asyncio.Event)
    version: str = field(default_factory=package_version)
    refresh_directory: Callable[[], None] | None = None


STATE_KEY: web.AppKey[ApiState] = web.AppKey("pbx_state", ApiState)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def _authorized(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise  # not an error, or already a JSON body
        kept = {k: v for k, v in exc.headers.items() if k in ("Allow", "WWW-Authenticate")}
        return _error(exc.status, exc.reason, headers=kept)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("API: %s %s failed", request.method, request.path)
        return _error(500, "internal error")


@web.middleware
async def _bearer_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path not in PUBLIC_PATHS and not _authorized(
        request, request.app[STATE_KEY].api_token
    ):
        return _error(
            401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
    return await handler(request)


async def _health(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return web.json_response(
        {
            "status": "ok",
            "ari": state.ari.is_set(),
            "ami": state.ami.is_set(),
            "version": state.version,
        }
    )


async def _refresh_directory(request: web.Request) -> web.Response:
    """The directory changed (the CLI says so after a write): routing reloads it now."""
    refresh = request.app[STATE_KEY].refresh_directory
    if refresh is None:
        return _error(503, "call control is not running")
    refresh()
    return web.json_response({"status": "refreshing"}, status=202)


def make_app(state: ApiState) -> web.Application:
    """The API application; routes may still be added before it starts."""
    app = web.Application(middlewares=[_json_errors, _bearer_auth])
    app[STATE_KEY] = state
    app.router.add_get("/api/health", _health)
    app.router.add_post("/api/directory/refresh", _refresh_directory)
    return app
