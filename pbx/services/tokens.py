"""API tokens: created for a user (the secret is shown once, only its hash is kept),
listed, revoked; and the sign-in of a request that presents one."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from pbx.core import rules, validate
from pbx.core.access import (
    TOKEN_PREFIX,
    ApiToken,
    Principal,
    hash_token,
    principal_for,
    token_refusal,
)
from pbx.core.errors import InvalidInput
from pbx.core.model import User
from pbx.services.ports import Repository

TOKEN_BYTES = 32  # 256 random bits
SIGN_IN_CACHE_SECONDS = 10.0  # a revocation or a role change is seen within this time


class TokenStore(Protocol):
    async def add_token(self, token: ApiToken, token_hash: str) -> ApiToken:
        """Store a new token by its hash (NotFound, field "user", if no such user)."""
        ...

    async def token_by_hash(self, token_hash: str) -> tuple[ApiToken, User] | None:
        """The token with this hash, and its user."""
        ...

    async def list_tokens(self, user: str | None = None) -> list[ApiToken]: ...

    async def revoke_token(self, ident: int, at: datetime) -> ApiToken:
        """Revoke a token (NotFound, field "token", if there is none)."""
        ...

    async def touch_token(self, ident: int, at: datetime) -> None:
        """Note that the token was used at `at`."""
        ...


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


class TokenService:
    """API tokens of users; `sign_in` turns a presented secret into a `Principal`."""

    def __init__(
        self,
        repo: Repository,
        store: TokenStore,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        self.store = store
        self.clock = clock
        self._signed_in: dict[str, tuple[float, Principal | str]] = {}
        self._pending: dict[str, asyncio.Future[Principal | str]] = {}

    async def create(
        self, user: str, name: str = "", all_calls: bool = False
    ) -> tuple[ApiToken, str]:
        """A new token for `user`; returns it and its secret (shown this once only)."""
        d = await self.repo.snapshot()
        found = rules.require_user(d, user)
        if not found.active:
            raise InvalidInput("user", f"user {user} is deactivated")
        label = validate.name("name", name) if name.strip() else ""
        secret = new_secret()
        token = await self.store.add_token(
            ApiToken(found.name, label, all_calls), hash_token(secret)
        )
        return token, secret

    async def list(self, user: str | None = None) -> list[ApiToken]:
        if user is not None:
            rules.require_user(await self.repo.snapshot(), user)
        return await self.store.list_tokens(user)

    async def revoke(self, ident: int) -> ApiToken:
        token = await self.store.revoke_token(ident, datetime.now(UTC))
        self._signed_in.clear()
        return token

    async def sign_in(self, secret: str) -> Principal | str:
        """The principal a token secret stands for, or the reason it is refused.

        Answers are kept for a few seconds, so a busy client costs no database
        read per request; the token's last use is stored when it is read. When an
        answer expires, one lookup runs and every request with that token waits for
        it (200 requests in flight must not become 200 reads and writes at once).
        """
        key = hash_token(secret)
        cached = self._signed_in.get(key)
        if cached is not None and cached[0] > self.clock():
            return cached[1]
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Principal | str] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            answer = await self._look_up(key, secret)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: the waiters (if any) raise it too
            raise
        finally:
            del self._pending[key]
        future.set_result(answer)
        if len(self._signed_in) > 10_000:
            self._signed_in.clear()
        self._signed_in[key] = (self.clock() + SIGN_IN_CACHE_SECONDS, answer)
        return answer

    async def _look_up(self, key: str, secret: str) -> Principal | str:
        found = await self.store.token_by_hash(key) if secret.startswith(TOKEN_PREFIX) else None
        token, user = found if found is not None else (None, None)
        refusal = token_refusal(user, token)
        if refusal is not None or user is None or token is None:
            return refusal or "missing or invalid bearer token"
        if token.id is not None:
            await self.store.touch_token(token.id, datetime.now(UTC))
        return principal_for(user, token)
