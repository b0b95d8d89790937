"""A short-lived cache of the API's JSON reads, so that many clients polling the same
page (a dispatch board's newest calls, a customer's history) cost one database read.

An answer is kept for `max_age` seconds, per principal and URL, and is dropped as
soon as anything in this process writes to the database (the engine tells
`invalidate` once the writing connection has committed): whoever wrote reads
their write. A write by another process (the CLI) is seen within about `max_age`,
as with the directory snapshot: once a page is older, the next request reads it
again while the others are still served the kept one, so that expiry does not
stall every client of a busy page. Concurrent requests for the same page share one
read, and a read begun before a write is never served to a request begun after
it. Answers carry an ETag; `If-None-Match` with it gets 304.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from aiohttp import web

from pbx.api.base import PRINCIPAL_KEY, Handler

MAX_AGE = 1.0
MAX_STALE = 5.0
MAX_ENTRIES = 2048
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class _Page:
    version: int
    stamp: float
    body: bytes
    content_type: str  # the whole header, with the charset
    etag: str


@dataclass
class PageCache:
    """Recent 200 answers of cacheable GETs; see the module docstring."""

    max_age: float = MAX_AGE
    max_stale: float = MAX_STALE
    max_entries: int = MAX_ENTRIES
    clock: Callable[[], float] = time.monotonic
    version: int = 0
    hits: int = 0
    misses: int = 0
    _pages: OrderedDict[Hashable, _Page] = field(default_factory=OrderedDict)
    _flights: dict[tuple[Hashable, int], asyncio.Future[_Page]] = field(default_factory=dict)

    def invalidate(self) -> None:
        """Something was written: no page read before now is served again."""
        self.version += 1
        self._pages.clear()

    def _fresh(self, key: Hashable) -> _Page | None:
        """The kept page if it may be served: younger than max_age, or (while one request
        reads it again) younger than max_stale; and nothing written since it was read."""
        page = self._pages.get(key)
        if page is None:
            return None
        age = self.clock() - page.stamp
        if page.version == self.version and (
            age <= self.max_age or (age <= self.max_stale and (key, page.version) in self._flights)
        ):
            self._pages.move_to_end(key)
            return page
        if page.version != self.version or age > self.max_stale:
            del self._pages[key]
        return None

    async def answer(
        self, request: web.Request, key: Hashable, read: Callable[[], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """The page for `key`: kept, or read once for every request waiting on it.

        Raises `Reread` when the shared read this request waited on failed or gave
        no keepable page: the caller then reads for itself."""
        page = self._fresh(key)
        if page is not None:
            self.hits += 1
            return _respond(request, page)
        flight_key = (key, self.version)
        flight = self._flights.get(flight_key)
        if flight is not None:
            self.hits += 1
            return _respond(request, await asyncio.shield(flight))
        self.misses += 1
        flight = asyncio.get_running_loop().create_future()
        self._flights[flight_key] = flight
        began, stamp = self.version, self.clock()
        try:
            response = await read()
        except BaseException:
            _fail(flight)
            raise
        finally:
            del self._flights[flight_key]
        try:
            page = self._keep(key, began, stamp, response)
        except BaseException:
            _fail(flight)
            raise
        if page is None:
            _fail(flight)
            return response
        flight.set_result(page)
        return _respond(request, page)

    def _keep(
        self, key: Hashable, began: int, stamp: float, response: web.StreamResponse
    ) -> _Page | None:
        """The page of a keepable answer, kept unless something was written meanwhile."""
        if not _keepable(response):
            return None
        body = bytes(response.body)  # type: ignore[attr-defined]
        content_type = response.headers.get("Content-Type") or response.content_type
        page = _Page(began, stamp, body, content_type, _etag(body))
        if began == self.version:
            self._pages.pop(key, None)  # (re)inserted last: the most recently used
            self._pages[key] = page
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)
        return page


class Reread(Exception):
    """The shared read did not give a keepable page: each waiter reads for itself."""


def _fail(flight: asyncio.Future[_Page]) -> None:
    flight.set_exception(Reread())
    flight.exception()  # retrieved: nobody waiting is not an error


def _keepable(response: web.StreamResponse) -> bool:
    return (
        type(response) is web.Response
        and response.status == 200
        and isinstance(response.body, bytes)
        and len(response.body) <= MAX_BODY
        and not response.cookies
    )


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _respond(request: web.Request, page: _Page) -> web.Response:
    headers = {"ETag": page.etag, "Cache-Control": "private, no-cache"}
    if page.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = page.content_type
    return web.Response(body=page.body, headers=headers)


PAGES_KEY: web.AppKey[PageCache] = web.AppKey("pbx_pages", PageCache)


def cached(handler: Handler) -> Handler:
    """`handler` answered through the app's page cache, per principal and URL."""

    async def through_cache(request: web.Request) -> web.StreamResponse:
        cache = request.app[PAGES_KEY]
        key = (request.get(PRINCIPAL_KEY), request.path_qs)
        try:
            return await cache.answer(request, key, lambda: handler(request))
        except Reread:
            return await handler(request)

    through_cache.__name__ = getattr(handler, "__name__", "handler")
    through_cache.__doc__ = handler.__doc__
    return through_cache
