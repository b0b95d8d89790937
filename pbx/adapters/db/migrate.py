"""Schema migrations, run programmatically (no alembic.ini needed).

The Alembic scripts live inside the package (`pbx/adapters/db/migrations`), so
an installed pbx can upgrade its own database: `await migrate(url)`.
"""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from pbx.adapters.db.engine import BEGIN_OPTION, create_engine

SCRIPT_LOCATION = "pbx.adapters.db:migrations"
# any constant will do: serialises concurrent migrations on one PostgreSQL server
_PG_LOCK_KEY = 0x7062_7800


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config for our scripts; give `url` to run Alembic commands by hand."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def migrate(url: str) -> None:
    """Upgrade the database at `url` to the newest revision (a no-op when it is there)."""
    engine = create_engine(url)
    try:
        await migrate_engine(engine)
    finally:
        await engine.dispose()


async def migrate_engine(engine: AsyncEngine) -> None:
    """Upgrade the database behind `engine` to the newest revision."""
    async with engine.connect() as connection:
        await connection.run_sync(in_schema_transaction, _upgrade)


async def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at; None if it was never migrated."""
    engine = create_engine(url)
    try:
        return await engine_revision(engine)
    finally:
        await engine.dispose()


async def engine_revision(engine: AsyncEngine) -> str | None:
    """The revision of the database behind `engine`; None if it was never migrated."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def in_schema_transaction(connection: Connection, work: Callable[[Connection], None]) -> None:
    """Run `work(connection)` in one transaction suited to schema changes.

    PostgreSQL: a transaction-scoped advisory lock makes concurrent migrations
    wait for each other. SQLite: the write lock is taken at BEGIN, and foreign
    key enforcement is off meanwhile (batch mode copies and drops tables), then
    `PRAGMA foreign_key_check` must come back clean before the commit.
    """
    sqlite = connection.dialect.name == "sqlite"
    if not sqlite:
        with connection.begin():
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
            work(connection)
        return
    _pragma(connection, "foreign_keys=OFF")  # only takes effect outside a transaction
    try:
        connection.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        with connection.begin():
            work(connection)
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
    finally:
        _pragma(connection, "foreign_keys=ON")


def _pragma(connection: Connection, setting: str) -> None:
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {setting}")
    finally:
        cursor.close()


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
