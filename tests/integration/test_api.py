"""The API app over real HTTP on loopback (aiohttp's test server, no mocks)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from pbx.api.app import ApiState, make_app

TOKEN = "test-token-0123456789"


async def _protected(request: web.Request) -> web.Response:
    return web.json_response({"secret": "yes"})


@pytest.fixture
async def state() -> ApiState:
    return ApiState(api_token=TOKEN, version="9.9.9")


@pytest.fixture
async def client(state: ApiState) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = make_app(state)
    # A stand-in for the routes to come: anything but /api/health is protected.
    app.router.add_get("/api/protected", _protected)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_health_is_public_json(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.get("/api/health")
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert await resp.json() == {"status": "ok", "ari": False, "ami": False, "version": "9.9.9"}


async def test_health_reports_connections(
    client: TestClient[web.Request, web.Application], state: ApiState
) -> None:
    state.ari.set()
    body = await (await client.get("/api/health")).json()
    assert (body["ari"], body["ami"]) == (True, False)
    state.ami.set()
    state.ari.clear()
    body = await (await client.get("/api/health")).json()
    assert (body["ari"], body["ami"]) == (False, True)


async def test_unknown_path_is_json_404(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.get("/api/nothing-here", headers=bearer())
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert (await resp.json())["error"]


async def test_unknown_path_without_token_is_401(
    client: TestClient[web.Request, web.Application],
) -> None:
    # Routes are not revealed to unauthenticated callers.
    resp = await client.get("/api/nothing-here")
    assert resp.status == 401


async def test_wrong_method_is_json_405(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.post("/api/health")
    assert resp.status == 405
    assert resp.content_type == "application/json"
    assert "GET" in resp.headers["Allow"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer "},
        {"Authorization": TOKEN},
    ],
    ids=["none", "wrong", "basic-scheme", "empty", "no-scheme"],
)
async def test_protected_path_needs_the_bearer_token(
    client: TestClient[web.Request, web.Application], headers: dict[str, str]
) -> None:
    resp = await client.get("/api/protected", headers=headers)
    assert resp.status == 401
    assert resp.content_type == "application/json"
    assert "token" in (await resp.json())["error"]
    assert resp.headers["WWW-Authenticate"] == "Bearer"


async def test_protected_path_with_the_token(
    client: TestClient[web.Request, web.Application],
) -> None:
    resp = await client.get("/api/protected", headers=bearer())
    assert resp.status == 200
    assert await resp.json() == {"secret": "yes"}


async def test_empty_configured_token_refuses_everything() -> None:
    app = make_app(ApiState(api_token=""))
    app.router.add_get("/api/protected", _protected)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        assert (await test_client.get("/api/protected", headers=bearer(""))).status == 401
        assert (await test_client.get("/api/health")).status == 200


async def test_handler_failure_is_json_500(state: ApiState) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("boom")

    app = make_app(state)
    app.router.add_get("/api/broken", broken)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        resp = await test_client.get("/api/broken", headers=bearer())
        assert resp.status == 500
        assert await resp.json() == {"error": "internal error"}
