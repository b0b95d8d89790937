"""The controller's REST API (aiohttp): the CRM side of the phone system.

Every answer is JSON, errors included (`{"error": "...", "field": "..."}`):
400 for bad input, 403 for what the caller's role may not do, 404 for what is
not there, 429 after too many failed sign-ins, 503 while the database or
Asterisk is unreachable. Everything under `/api/` but the health check and the
OpenAPI document needs `Authorization: Bearer <token>`: a user's API token
(`pbx token create`) or the controller's own secret (`api_token`).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.exc import SQLAlchemyError

from pbx.adapters.db.engine import on_committed_writes
from pbx.api.backend import Backend, Dialer, LiveView
from pbx.api.base import PRINCIPAL_KEY, Operation, Routes
from pbx.api.pagecache import PAGES_KEY, PageCache, cached
from pbx.core.access import TOKEN_PREFIX, FailureLimiter, Forbidden, Principal
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import Directory
from pbx.services.events import EventHub

log = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/api/health", "/api/openapi.json"})


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
    An empty `api_token` gives no system access (user tokens still work).
    `refresh_directory` asks call control to look for directory changes now
    (None until it runs). `backend` is set once the database is open; `live` and
    `dialer` while call control runs.
    """

    api_token: str
    ari: asyncio.Event = field(default_factory=asyncio.Event)
    ami: asyncio.Event = field(default_factory=asyncio.Event)
    version: str = field(default_factory=package_version)
    refresh_directory: Callable[[], None] | None = None
    backend: Backend | None = None
    live: LiveView | None = None
    dialer: Dialer | None = None
    events: EventHub = field(default_factory=EventHub)
    limiter: FailureLimiter = field(default_factory=FailureLimiter)
    pages: PageCache = field(default_factory=PageCache)
    clock: Callable[[], float] = time.monotonic

    def open(self, backend: Backend) -> None:
        """Serve `backend`'s database; the cached pages go stale with any write of this
        process to it (sign-ins noting their last use aside)."""
        on_committed_writes(
            backend.repo.engine, self.pages.invalidate, ignore=frozenset({"api_tokens"})
        )
        self.backend = backend

    def directory_changed(self) -> None:
        """The directory changed (through the API or the CLI): the API's snapshot and
        routing look at it now."""
        if self.backend is not None:
            self.backend.cached.invalidate()
        self.pages.invalidate()
        if self.refresh_directory is not None:
            self.refresh_directory()


STATE_KEY: web.AppKey[ApiState] = web.AppKey("pbx_state", ApiState)


def state_of(request: web.Request) -> ApiState:
    return request.app[STATE_KEY]


def backend_of(request: web.Request) -> Backend:
    """The services, or 503 while the database is not open yet."""
    backend = request.app[STATE_KEY].backend
    if backend is None:
        raise _unavailable("the database is not available yet")
    return backend


def changed(request: web.Request) -> None:
    """A directory write succeeded: the API's snapshot and call routing look at it now."""
    request.app[STATE_KEY].directory_changed()


async def snapshot(request: web.Request) -> Directory:
    """The directory as it is now (cached until it changes)."""
    return await backend_of(request).cached.snapshot()


def error(
    status: int, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    data = {"error": message} if field is None else {"error": message, "field": field}
    return web.json_response(data, status=status, headers=headers)


def _unavailable(message: str) -> web.HTTPException:
    return web.HTTPServiceUnavailable(
        text=f'{{"error": "{message}"}}', content_type="application/json"
    )


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise  # not an error, or already a JSON body
        kept = {k: v for k, v in exc.headers.items() if k in ("Allow", "WWW-Authenticate")}
        return error(exc.status, exc.reason, headers=kept)
    except Forbidden as exc:
        return error(403, str(exc), exc.field)
    except NotFound as exc:
        return error(404, str(exc), exc.field)
    except InvalidInput as exc:
        return error(400, str(exc), exc.field)
    except FileNotFoundError as exc:
        return error(404, str(exc))
    except (SQLAlchemyError, ConnectionError) as exc:
        log.warning("API: %s %s: %s", request.method, request.path, exc)
        return error(503, "a backing service is unavailable; try again")
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("API: %s %s failed", request.method, request.path)
        return error(500, "internal error")


def _bearer(request: web.Request) -> str | None:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        # browsers cannot set headers on a websocket: the events stream takes ?token=
        if request.path == "/api/events" and request.query.get("token"):
            return request.query["token"]
        return None
    return given.strip()


async def _sign_in(request: web.Request, state: ApiState) -> Principal | str:
    given = _bearer(request)
    if given is None:
        return "missing or invalid bearer token"
    if state.api_token and hmac.compare_digest(given.encode(), state.api_token.encode()):
        return Principal(None)
    if state.backend is None:
        if not given.startswith(TOKEN_PREFIX):
            return "missing or invalid bearer token"
        raise _unavailable("the database is not available yet")
    return await state.backend.tokens.sign_in(given)


@web.middleware
async def _bearer_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in PUBLIC_PATHS or not request.path.startswith("/api/"):
        return await handler(request)
    state = request.app[STATE_KEY]
    client = request.remote or "?"
    wait = state.limiter.retry_after(client, state.clock())
    if wait is not None:
        return error(
            429,
            "too many failed sign-ins from this address; try again later",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    found = await _sign_in(request, state)
    if isinstance(found, str):
        state.limiter.failed(client, state.clock())
        return error(401, found, headers={"WWW-Authenticate": "Bearer"})
    request[PRINCIPAL_KEY] = found
    return await handler(request)


# -- the few routes of the app itself -------------------------------------------------------

core = Routes("system")


@core.get("/api/health", "Liveness, and whether ARI and AMI are connected.", public=True)
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


@core.post("/api/directory/refresh", "Routing reloads the directory now.", status=202)
async def _refresh_directory(request: web.Request) -> web.Response:
    """The directory changed (the CLI says so after a write): routing reloads it now."""
    state = request.app[STATE_KEY]
    if state.backend is not None:
        state.backend.cached.invalidate()
    state.pages.invalidate()
    if state.refresh_directory is None:
        return error(503, "call control is not running")
    state.refresh_directory()
    return web.json_response({"status": "refreshing"}, status=202)


def operations() -> list[Operation]:
    """Every operation of the API, in the order they are documented."""
    from pbx.api import resources

    return [*core.operations, *resources.operations()]


OPERATIONS_KEY: web.AppKey[list[Operation]] = web.AppKey("pbx_operations", list)


def make_app(state: ApiState) -> web.Application:
    """The API application; routes may still be added before it starts."""
    from pbx.api import openapi, softphone

    app = web.Application(middlewares=[_json_errors, _bearer_auth], client_max_size=1 << 20)
    app[STATE_KEY] = state
    ops = [
        *operations(),
        Operation(
            "GET", "/api/openapi.json", openapi.serve, "This document.", "system", public=True
        ),
    ]
    app[OPERATIONS_KEY] = ops
    app[PAGES_KEY] = state.pages
    for op in ops:
        handler = cached(op.handler) if op.cacheable and not op.public else op.handler
        app.router.add_route(op.method, op.path, handler)
    softphone.add_routes(app)  # the browser softphone page (public: it signs in with a token)
    return app
