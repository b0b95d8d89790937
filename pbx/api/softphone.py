"""The browser softphone: the page and its static files under `/phone`.

The page is public (it holds no data); it signs in with an API token and then
calls the JSON API (`/api/softphone`, `/api/customers...`) with it. The SIP
library (JsSIP) is vendored into `static/vendor/` by `tools/vendor-js.sh`.

Only regular files inside `static/` with a known type are served: no directory
listings, no dot files, no path that leaves the folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static"

CONTENT_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".md": "text/plain",
}
_TEXT = (".html", ".js", ".css", ".svg", ".md")
# path segments: letters, digits, '_', '-', '.', not starting with a dot
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*")

# The page talks to this controller and to Asterisk's SIP websocket (another port, or
# another host with wss), plays the call's audio and runs no inline script.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' ws: wss:; media-src 'self' blob: mediastream:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
    "Permissions-Policy": "microphone=(self), camera=()",
}


def static_file(name: str, root: Path = STATIC) -> Path | None:
    """The file `name` (relative, '/'-separated) inside `root` that may be served, or None."""
    if not _NAME.fullmatch(name) or "/." in name:
        return None
    if Path(name).suffix not in CONTENT_TYPES:
        return None
    base = root.resolve()
    path = (base / name).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


def _respond(path: Path) -> web.FileResponse:
    kind = CONTENT_TYPES[path.suffix]
    if path.suffix in _TEXT:
        kind += "; charset=utf-8"
    # sent by aiohttp off the event loop (the SIP library is a few hundred kB)
    return web.FileResponse(path, headers={**SECURITY_HEADERS, "Content-Type": kind})


async def _page(request: web.Request) -> web.FileResponse:
    path = static_file("index.html")
    if path is None:
        raise web.HTTPNotFound(reason="the softphone page is not installed")
    return _respond(path)


async def _asset(request: web.Request) -> web.FileResponse:
    path = static_file(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    return _respond(path)


def add_routes(app: web.Application) -> None:
    """Serve the softphone: the page at `/phone` and `/phone/`, its files at `/phone/NAME`."""
    app.router.add_get("/phone", _page)
    app.router.add_get("/phone/", _page)
    app.router.add_get("/phone/{name:.+}", _asset)
