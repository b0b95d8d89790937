"""Alembic migrations on empty databases, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from pbx.adapters.db.engine import create_engine
from pbx.adapters.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    in_schema_transaction,
    migrate,
)
from pbx.adapters.db.repository import open_repository
from pbx.adapters.db.tables import Base
from pbx.core.errors import InvalidInput
from pbx.core.model import User

TABLES = {
    "users",
    "voicemail_messages",
    "escalations",
    "notices",
    "extensions",
    "voicemail_boxes",
    "box_members",
    "business_numbers",
    "ring_groups",
    "group_members",
    "schedules",
    "open_ranges",
    "holidays",
    "after_hours_steps",
    "customers",
    "customer_phones",
    "jobs",
    "trunks",
    "directory_state",
    "calls",
    "call_legs",
    "oncall_shifts",
    "oncall_settings",
    "emergency_calls",
    "api_tokens",
    "menus",
    "menu_options",
}


async def _inspect(url: str, look: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


def _schema(connection: Connection) -> dict[str, Any]:
    inspector = sa.inspect(connection)
    return {
        table: (
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            sorted(str(u) for u in inspector.get_unique_constraints(table)),
            sorted(str(f) for f in inspector.get_foreign_keys(table)),
            sorted(str(i) for i in inspector.get_indexes(table)),
        )
        for table in sorted(inspector.get_table_names())
    }


async def test_empty_database_has_no_revision(db_url: str) -> None:
    assert await current_revision(db_url) is None


async def test_upgrade_head_creates_every_table(db_url: str) -> None:
    await migrate(db_url)
    assert await current_revision(db_url) == head_revision() == "0006"
    names = await _inspect(db_url, lambda c: set(sa.inspect(c).get_table_names()))
    assert names == TABLES | {"alembic_version"}
    checks = await _inspect(
        db_url, lambda c: sa.inspect(c).get_check_constraints("business_numbers")
    )
    assert [c["name"] for c in checks] == ["ck_business_numbers_destination"]


async def test_migrating_twice_is_a_no_op(db_url: str) -> None:
    await migrate(db_url)
    repo = await open_repository(db_url, upgrade=False)
    await repo.add(User("alice", "alice@example.com"))
    await repo.close()
    before = await _inspect(db_url, _schema)
    await migrate(db_url)
    assert await current_revision(db_url) == head_revision()
    assert await _inspect(db_url, _schema) == before
    repo = await open_repository(db_url)
    try:
        assert [u.name for u in (await repo.snapshot()).users] == ["alice"]
    finally:
        await repo.close()


async def test_schema_matches_the_models(db_url: str) -> None:
    """The hand-written migrations build exactly what tables.py declares."""
    await migrate(db_url)

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    assert await _inspect(db_url, diff) == []


async def test_downgrade_to_base_and_back(db_url: str) -> None:
    await migrate(db_url)

    def down(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(in_schema_transaction, down)
    finally:
        await engine.dispose()
    assert await current_revision(db_url) is None
    names = await _inspect(db_url, lambda c: set(sa.inspect(c).get_table_names()))
    assert names & TABLES == set()
    await migrate(db_url)
    assert await current_revision(db_url) == head_revision()


async def test_opening_an_unmigrated_database_without_upgrade_is_refused(db_url: str) -> None:
    with pytest.raises(InvalidInput) as error:
        await open_repository(db_url, upgrade=False)
    assert error.value.field == "database_url"


async def test_sqlite_connections_are_configured(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pbx.db'}"
    await migrate(url)

    def pragmas(connection: Connection) -> tuple[Any, ...]:
        return tuple(
            connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        )

    journal, foreign_keys, busy = await _inspect(url, pragmas)
    assert (journal, foreign_keys) == ("wal", 1)
    assert busy > 0
