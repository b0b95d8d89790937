"""Alembic environment for the pbx schema.

`pbx.adapters.db.migrate` hands over an open connection in
`config.attributes["connection"]`; that is the normal path. Run by hand (a
Config with `sqlalchemy.url` set, or `PBX_DATABASE_URL`), it opens its own
engine, or writes SQL in offline mode (`--sql`).
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import make_url
from sqlalchemy.engine import Connection

from pbx.adapters.db.tables import Base

config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or os.environ["PBX_DATABASE_URL"]


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _offline() -> None:
    url = make_url(_url())
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        render_as_batch=url.get_backend_name() == "sqlite",
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _online() -> None:
    from pbx.adapters.db.engine import create_engine
    from pbx.adapters.db.migrate import in_schema_transaction

    engine = create_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(in_schema_transaction, _run)
    finally:
        await engine.dispose()


def _main() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    elif context.is_offline_mode():
        _offline()
    else:
        asyncio.run(_online())


_main()
