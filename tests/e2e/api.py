"""The controller's API as the e2e tests use it: JSON requests with a token, and the
event stream read in a thread while the test runs."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from typing import Any

import aiohttp

from tests.e2e.system import System


class Api:
    """The controller's API, as a CRM would call it."""

    def __init__(self, system: System, token: str) -> None:
        self.base = f"http://127.0.0.1:{system.env['PBX_API_PORT']}"
        self.token = token

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())


class EventLog:
    """The API's event stream, read in a thread of its own while the test runs."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.events: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._read()), daemon=True)

    async def _read(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with aiohttp.ClientSession() as session, session.ws_connect(self.url) as ws:
            self.ready.set()
            reader = asyncio.ensure_future(self._collect(ws))
            await self._stop.wait()
            reader.cancel()

    async def _collect(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            self.events.append(json.loads(message.data))

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def __enter__(self) -> EventLog:
        self._thread.start()
        assert self.ready.wait(10), "event stream did not open"
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)
