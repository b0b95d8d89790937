"""The API over real HTTP on loopback, against a real database: aiohttp's test server
running `make_app` with a `Backend` on a migrated database (no mocks).

`ApiHarness` makes users with tokens of each role and sends requests as them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from pbx.adapters.db.repository import open_repository
from pbx.api.app import ApiState, make_app
from pbx.api.backend import Backend
from pbx.runtime.settings import Settings

SYSTEM_TOKEN = "system-secret-0123456789abcdef"


class ApiHarness:
    """A running API app with a database, and tokens to call it with."""

    def __init__(
        self, client: TestClient[web.Request, web.Application], backend: Backend, state: ApiState
    ) -> None:
        self.client = client
        self.backend = backend
        self.state = state
        self.tokens: dict[str, str] = {"system": SYSTEM_TOKEN}

    async def user(
        self,
        name: str,
        role: str = "technician",
        *,
        oncall_write: bool = False,
        all_calls: bool = False,
        mobile: str | None = None,
    ) -> str:
        """Add user `name` with `role` and a token; returns the token (also kept by name)."""
        await self.backend.directory().add_user(
            name, f"{name}@example.com", mobile=mobile, role=role, oncall_write=oncall_write
        )
        _, secret = await self.backend.tokens.create(name, all_calls=all_calls)
        self.tokens[name] = secret
        return secret

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.get(who, who)}"}

    async def call(
        self,
        method: str,
        path: str,
        who: str = "system",
        *,
        json: Any = None,
        status: int | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """Send a request as `who`; check the status if given; return the JSON body (or None)."""
        resp = await self.client.request(
            method, path, headers=self.headers(who), json=json, params=params
        )
        text = await resp.text()
        if status is not None:
            assert resp.status == status, f"{method} {path}: {resp.status} {text}"
        if resp.content_type == "application/json":
            return await resp.json()
        return text

    async def get(
        self, path: str, who: str = "system", status: int | None = 200, **params: str
    ) -> Any:
        return await self.call("GET", path, who, status=status, params=params or None)


@asynccontextmanager
async def api_harness(db_url: str, home: Path, **settings: Any) -> AsyncIterator[ApiHarness]:
    """The API app on a fresh database at `db_url`, its files under `home`."""
    cfg = Settings(home=home, database_url=db_url, api_token=SYSTEM_TOKEN, **settings)
    repo = await open_repository(db_url)
    backend = Backend(cfg, repo)
    state = ApiState(api_token=SYSTEM_TOKEN, version="test")
    state.open(backend)
    try:
        async with TestClient(TestServer(make_app(state), host="127.0.0.1")) as client:
            yield ApiHarness(client, backend, state)
    finally:
        await repo.close()


@asynccontextmanager
async def staffed_harness(db_url: str, home: Path) -> AsyncIterator[ApiHarness]:
    """`api_harness` with an admin ann, a dispatcher dee and a technician tom."""
    async with api_harness(db_url, home) as harness:
        await harness.user("ann", "admin")
        await harness.user("dee", "dispatcher")
        await harness.user("tom", "technician")
        yield harness


def refreshes(h: ApiHarness) -> list[int]:
    """Counts the times call routing is told the directory changed."""
    seen: list[int] = []
    h.state.refresh_directory = lambda: seen.append(1)
    return seen


async def refused(
    h: ApiHarness, method: str, path: str, field: str, who: str = "system", json: Any = None
) -> dict[str, Any]:
    """Send a request that must be refused with 400 naming `field`."""
    answer = await h.call(method, path, who, json=json, status=400)
    assert answer["field"] == field, answer
    assert answer["error"]
    return dict(answer)
