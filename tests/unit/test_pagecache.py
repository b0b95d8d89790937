"""The API's page cache: one read per page for many pollers, never a read begun before
a write served after it, stale pages served while one request reads again, ETags."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from pbx.api.base import PRINCIPAL_KEY
from pbx.api.pagecache import PAGES_KEY, PageCache, Reread, cached
from pbx.core.access import Principal
from pbx.core.model import Role

URL = "/api/calls"
KEY = ("someone", URL)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Reader:
    """A fake database read: counts its calls, answers `make(n)` for the n-th call
    (from 1), and, while `gate` is set to an unset Event, waits on it."""

    def __init__(self, make: Callable[[int], web.StreamResponse] | None = None) -> None:
        self.calls = 0
        self.make = make or (lambda n: web.json_response({"read": n}))
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()

    async def __call__(self) -> web.StreamResponse:
        self.calls += 1
        n = self.calls
        self.started.set()
        gate = self.gate
        if gate is not None:
            await gate.wait()
        return self.make(n)


def request(headers: dict[str, str] | None = None, **kw: Any) -> web.Request:
    return make_mocked_request("GET", URL, headers=headers or {}, **kw)


def body(response: web.StreamResponse) -> Any:
    assert isinstance(response, web.Response)
    assert response.status == 200
    assert isinstance(response.body, bytes)
    return json.loads(response.body)


async def settle() -> None:
    """Let every runnable task run until it waits on something."""
    for _ in range(10):
        await asyncio.sleep(0)


def ask(
    cache: PageCache,
    read: Callable[[], Awaitable[web.StreamResponse]],
    key: Any = KEY,
    headers: dict[str, str] | None = None,
) -> asyncio.Task[web.StreamResponse]:
    return asyncio.create_task(cache.answer(request(headers), key, read))


# --- kept pages -------------------------------------------------------------------------


async def test_second_request_within_max_age_is_served_from_the_cache() -> None:
    clock = Clock()
    cache = PageCache(clock=clock)
    read = Reader()

    first = await cache.answer(request(), KEY, read)
    clock.now += cache.max_age  # still young enough
    second = await cache.answer(request(), KEY, read)

    assert read.calls == 1
    assert (cache.hits, cache.misses) == (1, 1)
    assert body(first) == body(second) == {"read": 1}
    assert first.headers["ETag"] == second.headers["ETag"]
    assert second.headers["ETag"].startswith('"')
    assert second.headers["Cache-Control"] == "private, no-cache"


async def test_concurrent_requests_share_one_read_in_progress() -> None:
    cache = PageCache(clock=Clock())
    read = Reader()
    read.gate = asyncio.Event()

    tasks = [ask(cache, read) for _ in range(20)]
    await settle()
    # every request is now waiting on the one read
    assert read.calls == 1
    assert not any(t.done() for t in tasks)
    assert (cache.hits, cache.misses) == (19, 1)

    read.gate.set()
    answers = await asyncio.gather(*tasks)

    assert read.calls == 1
    assert all(body(a) == {"read": 1} for a in answers)
    assert len({a.headers["ETag"] for a in answers}) == 1


async def test_invalidate_makes_the_next_request_read_again() -> None:
    cache = PageCache(clock=Clock())
    read = Reader()

    assert body(await cache.answer(request(), KEY, read)) == {"read": 1}
    cache.invalidate()
    assert body(await cache.answer(request(), KEY, read)) == {"read": 2}
    assert read.calls == 2
    # and the new page is kept again
    assert body(await cache.answer(request(), KEY, read)) == {"read": 2}
    assert read.calls == 2


# --- a write during a read --------------------------------------------------------------


async def test_page_read_before_a_write_is_not_kept() -> None:
    cache = PageCache(clock=Clock())
    read = Reader()
    read.gate = asyncio.Event()

    before = ask(cache, read)
    await read.started.wait()
    cache.invalidate()  # a write commits while the read is in progress
    read.gate.set()
    assert body(await before) == {"read": 1}  # the request begun before the write

    read.gate = None
    after = await cache.answer(request(), KEY, read)
    assert read.calls == 2
    assert body(after) == {"read": 2}


async def test_request_after_a_write_does_not_join_the_earlier_read() -> None:
    db = {"rows": "old"}
    cache = PageCache(clock=Clock())
    gate = asyncio.Event()
    calls = 0

    async def read() -> web.StreamResponse:
        nonlocal calls
        calls += 1
        seen = db["rows"]  # what the database held when this read began
        if calls == 1:
            await gate.wait()
        return web.json_response({"rows": seen})

    before = ask(cache, read)
    await settle()
    assert calls == 1

    db["rows"] = "new"
    cache.invalidate()
    after = ask(cache, read)
    await settle()

    # the later request read for itself, without waiting for the earlier read
    assert calls == 2
    assert after.done()
    assert body(after.result()) == {"rows": "new"}

    gate.set()
    assert body(await before) == {"rows": "old"}
    # the earlier read, finishing last, did not replace the page read after the write
    assert body(await cache.answer(request(), KEY, read)) == {"rows": "new"}
    assert calls == 2


# --- expiry -----------------------------------------------------------------------------


async def test_expired_page_is_read_again_while_others_get_the_kept_page() -> None:
    clock = Clock()
    cache = PageCache(max_age=1.0, max_stale=5.0, clock=clock)
    read = Reader()
    assert body(await cache.answer(request(), KEY, read)) == {"read": 1}

    clock.now += 1.5  # older than max_age, within max_stale
    read.gate = asyncio.Event()
    refresher = ask(cache, read)
    await settle()
    assert read.calls == 2  # the first request after expiry reads again
    assert not refresher.done()

    other = ask(cache, read)
    await settle()
    assert other.done()  # without waiting for the read in progress
    assert body(other.result()) == {"read": 1}
    assert read.calls == 2

    read.gate.set()
    assert body(await refresher) == {"read": 2}
    read.gate = None
    assert body(await cache.answer(request(), KEY, read)) == {"read": 2}
    assert read.calls == 2


async def test_expired_page_is_not_served_without_a_read_in_progress() -> None:
    clock = Clock()
    cache = PageCache(max_age=1.0, max_stale=5.0, clock=clock)
    read = Reader()
    await cache.answer(request(), KEY, read)

    clock.now += 1.5
    assert body(await cache.answer(request(), KEY, read)) == {"read": 2}
    assert read.calls == 2


async def test_page_past_max_stale_is_not_served_requests_wait_for_the_read() -> None:
    clock = Clock()
    cache = PageCache(max_age=1.0, max_stale=5.0, clock=clock)
    read = Reader()
    assert body(await cache.answer(request(), KEY, read)) == {"read": 1}

    clock.now += 5.5  # older than max_stale
    read.gate = asyncio.Event()
    first = ask(cache, read)
    second = ask(cache, read)
    await settle()
    assert read.calls == 2
    assert not second.done()  # waits for the read instead of getting the old page

    read.gate.set()
    assert body(await first) == {"read": 2}
    assert body(await second) == {"read": 2}
    assert read.calls == 2


async def test_page_grown_past_max_stale_during_a_slow_read_is_no_longer_served() -> None:
    clock = Clock()
    cache = PageCache(max_age=1.0, max_stale=5.0, clock=clock)
    read = Reader()
    await cache.answer(request(), KEY, read)

    clock.now += 1.5
    read.gate = asyncio.Event()
    refresher = ask(cache, read)
    await settle()
    assert read.calls == 2

    clock.now += 4.0  # the read in progress is slow: the kept page is now past max_stale
    late = ask(cache, read)
    await settle()
    assert not late.done()  # waits for the read instead of getting the old page
    assert read.calls == 2

    read.gate.set()
    assert body(await refresher) == {"read": 2}
    assert body(await late) == {"read": 2}


# --- answers that are not kept ----------------------------------------------------------


async def test_non_200_answers_are_not_kept() -> None:
    cache = PageCache(clock=Clock())
    read = Reader(lambda n: web.json_response({"error": n}, status=400))

    for n in (1, 2):
        answer = await cache.answer(request(), KEY, read)
        assert answer.status == 400
        assert isinstance(answer, web.Response) and isinstance(answer.body, bytes)
        assert json.loads(answer.body) == {"error": n}
    assert read.calls == 2


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda n: web.json_response({"error": n}, status=400), id="400"),
        pytest.param(lambda n: web.json_response({"error": n}, status=500), id="500"),
        pytest.param(lambda n: web.Response(status=204), id="204"),
    ],
)
async def test_waiter_of_a_read_with_no_keepable_answer_gets_reread(
    make: Callable[[int], web.StreamResponse],
) -> None:
    cache = PageCache(clock=Clock())
    read = Reader(make)
    read.gate = asyncio.Event()

    reader = ask(cache, read)
    waiter = ask(cache, read)
    await settle()
    read.gate.set()

    assert (await reader).status == make(1).status  # the reader gets its own answer
    with pytest.raises(Reread):
        await waiter
    assert read.calls == 1


async def test_waiter_of_a_read_that_raised_gets_reread() -> None:
    cache = PageCache(clock=Clock())
    gate = asyncio.Event()

    async def read() -> web.StreamResponse:
        await gate.wait()
        raise RuntimeError("database gone")

    reader = ask(cache, read)
    waiter = ask(cache, read)
    await settle()
    gate.set()

    with pytest.raises(RuntimeError, match="database gone"):
        await reader
    with pytest.raises(Reread):
        await waiter


def app_with(cache: PageCache) -> web.Application:
    app = web.Application()
    app[PAGES_KEY] = cache
    return app


def signed_in(app: web.Application, who: Principal, path: str = URL) -> web.Request:
    req = make_mocked_request("GET", path, app=app)
    req[PRINCIPAL_KEY] = who
    return req


ALICE = Principal("alice", Role.DISPATCHER)
BOB = Principal("bob", Role.DISPATCHER)


async def test_cached_waiter_reads_for_itself_when_the_shared_read_failed() -> None:
    app = app_with(PageCache(clock=Clock()))
    gate = asyncio.Event()
    calls = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal calls
        calls += 1
        if calls == 1:
            await gate.wait()
            return web.json_response({"error": "busy"}, status=503)
        return web.json_response({"read": calls})

    through = cached(handler)
    reader = asyncio.create_task(through(signed_in(app, ALICE)))
    waiter = asyncio.create_task(through(signed_in(app, ALICE)))
    await settle()
    assert calls == 1
    gate.set()

    assert (await reader).status == 503
    assert body(await waiter) == {"read": 2}
    assert calls == 2


async def test_cached_waiter_reads_for_itself_when_the_shared_read_raised() -> None:
    app = app_with(PageCache(clock=Clock()))
    gate = asyncio.Event()
    calls = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal calls
        calls += 1
        if calls == 1:
            await gate.wait()
            raise web.HTTPServiceUnavailable()
        return web.json_response({"read": calls})

    through = cached(handler)
    reader = asyncio.create_task(through(signed_in(app, ALICE)))
    waiter = asyncio.create_task(through(signed_in(app, ALICE)))
    await settle()
    gate.set()

    with pytest.raises(web.HTTPServiceUnavailable):
        await reader
    assert body(await waiter) == {"read": 2}
    assert calls == 2


# --- ETags ------------------------------------------------------------------------------


async def test_if_none_match_with_the_etag_gives_304_without_body() -> None:
    cache = PageCache(clock=Clock())
    read = Reader()
    etag = (await cache.answer(request(), KEY, read)).headers["ETag"]

    for header in (etag, f'"other", {etag}'):
        answer = await cache.answer(request({"If-None-Match": header}), KEY, read)
        assert answer.status == 304
        assert isinstance(answer, web.Response)
        assert not answer.body
        assert answer.headers["ETag"] == etag
        assert "Content-Type" not in answer.headers
    assert read.calls == 1


async def test_if_none_match_with_the_etag_on_the_reading_request_gives_304() -> None:
    cache = PageCache(clock=Clock())
    etag = (await cache.answer(request(), KEY, Reader())).headers["ETag"]
    cache.invalidate()  # the same page read again has the same ETag
    read = Reader(lambda n: web.json_response({"read": 1}))

    answer = await cache.answer(request({"If-None-Match": etag}), KEY, read)
    assert read.calls == 1
    assert answer.status == 304


async def test_if_none_match_with_another_etag_gives_200() -> None:
    cache = PageCache(clock=Clock())
    read = Reader()
    etag = (await cache.answer(request(), KEY, read)).headers["ETag"]
    cache.invalidate()
    read2 = Reader(lambda n: web.json_response({"read": "changed"}))

    answer = await cache.answer(request({"If-None-Match": etag}), KEY, read2)
    assert body(answer) == {"read": "changed"}
    assert answer.headers["ETag"] != etag

    answer = await cache.answer(request({"If-None-Match": '"nothing-like-it"'}), KEY, read2)
    assert body(answer) == {"read": "changed"}
    assert read2.calls == 1


# --- bounds and headers -----------------------------------------------------------------


async def test_kept_pages_are_bounded_least_recently_used_dropped_first() -> None:
    cache = PageCache(max_entries=2, clock=Clock())
    reads = {k: Reader() for k in "abc"}

    await cache.answer(request(), "a", reads["a"])
    await cache.answer(request(), "b", reads["b"])
    await cache.answer(request(), "a", reads["a"])  # a is now used more recently than b
    await cache.answer(request(), "c", reads["c"])  # drops b

    assert len(cache._pages) == 2
    await cache.answer(request(), "a", reads["a"])
    await cache.answer(request(), "c", reads["c"])
    assert (reads["a"].calls, reads["c"].calls) == (1, 1)
    await cache.answer(request(), "b", reads["b"])
    assert reads["b"].calls == 2
    assert len(cache._pages) == 2


async def test_page_read_again_after_expiry_counts_as_recently_used() -> None:
    clock = Clock()
    cache = PageCache(max_age=1.0, max_stale=5.0, max_entries=2, clock=clock)
    reads = {k: Reader() for k in "abc"}

    await cache.answer(request(), "a", reads["a"])
    clock.now += 0.5
    await cache.answer(request(), "b", reads["b"])
    clock.now += 1.0  # a is past max_age, b is not
    await cache.answer(request(), "a", reads["a"])  # a read again: the most recently used
    assert reads["a"].calls == 2
    await cache.answer(request(), "c", reads["c"])  # must drop b, not a

    await cache.answer(request(), "a", reads["a"])
    assert reads["a"].calls == 2


async def test_content_type_with_charset_is_replayed() -> None:
    cache = PageCache(clock=Clock())
    read = Reader(lambda n: web.Response(text="a;b\n", content_type="text/csv", charset="latin-1"))

    first = await cache.answer(request(), KEY, read)
    second = await cache.answer(request(), KEY, read)
    assert read.calls == 1
    for answer in (first, second):
        assert answer.headers["Content-Type"] == "text/csv; charset=latin-1"
        assert answer.charset == "latin-1"
        assert isinstance(answer, web.Response) and answer.body == b"a;b\n"

    json_cache = PageCache(clock=Clock())
    await json_cache.answer(request(), KEY, Reader())
    kept = await json_cache.answer(request(), KEY, Reader())
    assert kept.headers["Content-Type"] == "application/json; charset=utf-8"


async def test_answer_without_content_type_is_returned_to_the_reader() -> None:
    cache = PageCache(clock=Clock())
    read = Reader(lambda n: web.Response(body=b"raw"))

    answer = await cache.answer(request(), KEY, read)
    assert answer.status == 200
    assert isinstance(answer, web.Response) and answer.body == b"raw"


async def test_waiter_is_not_stranded_when_the_answer_has_no_content_type() -> None:
    cache = PageCache(clock=Clock())
    read = Reader(lambda n: web.Response(body=b"raw"))
    read.gate = asyncio.Event()

    reader = ask(cache, read)
    waiter = ask(cache, read)
    await settle()
    read.gate.set()
    await asyncio.wait([reader], timeout=1.0)
    assert reader.done()
    reader.exception()  # the reader's own outcome is the other test's concern

    done, _ = await asyncio.wait([waiter], timeout=1.0)
    if not done:
        waiter.cancel()
    assert waiter in done
    if waiter.exception() is None:
        assert waiter.result().status == 200
    else:
        assert isinstance(waiter.exception(), Reread)


# --- the cached() wrapper: per principal ------------------------------------------------


async def test_cached_keys_pages_per_principal() -> None:
    app = app_with(PageCache(clock=Clock()))
    calls: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        who = request[PRINCIPAL_KEY].name
        calls.append(who)
        return web.json_response({"for": who})

    through = cached(handler)
    assert body(await through(signed_in(app, ALICE))) == {"for": "alice"}
    assert body(await through(signed_in(app, BOB))) == {"for": "bob"}
    assert calls == ["alice", "bob"]

    # each principal's page is kept for that principal
    assert body(await through(signed_in(app, ALICE))) == {"for": "alice"}
    assert body(await through(signed_in(app, BOB))) == {"for": "bob"}
    assert calls == ["alice", "bob"]
    # and per URL, query included
    assert body(await through(signed_in(app, ALICE, URL + "?limit=5"))) == {"for": "alice"}
    assert calls == ["alice", "bob", "alice"]


async def test_cached_keeps_the_handler_name_and_doc() -> None:
    async def newest_calls(request: web.Request) -> web.StreamResponse:
        """The newest calls."""
        return web.json_response([])

    through = cached(newest_calls)
    assert through.__name__ == "newest_calls"
    assert through.__doc__ == "The newest calls."
