"""API tokens in SQL (Core statements): stored by hash, read back with their user.

Functions take an open session; `SqlRepository` wraps them in transactions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from pbx.adapters.db.tables import ApiTokenRow, UserRow
from pbx.core.access import ApiToken
from pbx.core.errors import NotFound
from pbx.core.model import Role, User

_TOKENS = cast(sa.Table, ApiTokenRow.__table__)
_USERS = cast(sa.Table, UserRow.__table__)


def _token(row: sa.Row[Any]) -> ApiToken:
    return ApiToken(
        user=row.user_name,
        name=row.name,
        all_calls=bool(row.all_calls),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        id=row.id,
    )


def _query() -> sa.Select[Any]:
    return sa.select(
        _TOKENS,
        _USERS.c.name.label("user_name"),
        _USERS.c.email,
        _USERS.c.role,
        _USERS.c.oncall_write,
        _USERS.c.active,
    ).join(_USERS, _USERS.c.id == _TOKENS.c.user_id)


async def add(session: AsyncSession, token: ApiToken, token_hash: str) -> ApiToken:
    user_id = await session.scalar(sa.select(_USERS.c.id).where(_USERS.c.name == token.user))
    if user_id is None:
        raise NotFound("user", f"no such user '{token.user}'")
    ident = await session.scalar(
        sa.insert(_TOKENS)
        .values(user_id=user_id, name=token.name, token_hash=token_hash, all_calls=token.all_calls)
        .returning(_TOKENS.c.id)
    )
    return await get(session, int(cast(int, ident)))


async def get(session: AsyncSession, ident: int) -> ApiToken:
    row = (await session.execute(_query().where(_TOKENS.c.id == ident))).first()
    if row is None:
        raise NotFound("token", f"no such token {ident}")
    return _token(row)


async def by_hash(session: AsyncSession, token_hash: str) -> tuple[ApiToken, User] | None:
    """The token with this hash and its user (name, email, role, permission, active)."""
    row = (await session.execute(_query().where(_TOKENS.c.token_hash == token_hash))).first()
    if row is None:
        return None
    user = User(
        row.user_name, row.email, role=Role(row.role), oncall_write=bool(row.oncall_write),
        active=bool(row.active),
    )  # fmt: skip
    return _token(row), user


async def list_all(session: AsyncSession, user: str | None) -> list[ApiToken]:
    query = _query().order_by(_TOKENS.c.id)
    if user is not None:
        query = query.where(_USERS.c.name == user)
    return [_token(row) for row in await session.execute(query)]


async def revoke(session: AsyncSession, ident: int, at: datetime) -> ApiToken:
    token = await get(session, ident)
    if token.revoked_at is None:
        await session.execute(sa.update(_TOKENS).where(_TOKENS.c.id == ident).values(revoked_at=at))
    return await get(session, ident)


async def touch(session: AsyncSession, ident: int, at: datetime) -> None:
    await session.execute(sa.update(_TOKENS).where(_TOKENS.c.id == ident).values(last_used_at=at))
