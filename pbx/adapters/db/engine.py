"""Async SQLAlchemy engines for the two supported databases.

SQLite (aiosqlite) is the embedded default: WAL journal, foreign keys on, a busy
timeout, and a database file created with mode 0600 because it holds SIP
passwords (SQLite gives its -wal and -shm files the mode of the database file).
Transactions are real: the driver's own implicit BEGIN is switched off and we
emit BEGIN ourselves, so a read transaction sees one consistent snapshot and a
connection with the execution option `pbx_sqlite_begin="IMMEDIATE"` takes the
write lock up front (a second writer waits for the busy timeout instead of
failing on a lock upgrade).

PostgreSQL (asyncpg) is the production backend.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from pbx.core.errors import InvalidInput

BUSY_TIMEOUT_MS = 10_000
FILE_MODE = 0o600
BEGIN_OPTION = "pbx_sqlite_begin"

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def database_url(url: str | URL) -> URL:
    """`url` with its async driver: `sqlite://` -> aiosqlite, `postgres(ql)://` -> asyncpg."""
    text = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    scheme, sep, rest = text.partition("://")
    driver = _DRIVERS.get(scheme)
    if not sep or driver is None:
        raise InvalidInput(
            "database_url", f"unsupported database {scheme!r}: use sqlite:// or postgresql://"
        )
    return make_url(f"{driver}://{rest}")


def create_engine(url: str | URL) -> AsyncEngine:
    """An async engine for a SQLite or PostgreSQL URL, configured as described above."""
    target = database_url(url)
    if target.get_backend_name() == "sqlite":
        return _sqlite_engine(target)
    return create_async_engine(target, pool_pre_ping=True)


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    name = url.database or ""
    if name in ("", ":memory:") or url.query.get("uri") or name.startswith("file:"):
        return None
    return Path(name)


def _sqlite_engine(url: URL) -> AsyncEngine:
    path = sqlite_path(url)
    if path is not None:
        _create_private(path)
        engine = create_async_engine(url)
    else:
        engine = create_async_engine(url, poolclass=StaticPool)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cursor = dbapi_connection.cursor()
        if path is not None:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"bad {BEGIN_OPTION}: {mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _create_private(path: Path) -> None:
    """Create the database file with mode 0600 if it does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, FILE_MODE)  # exactly 0600, whatever the umask
    finally:
        os.close(fd)


_WRITE = re.compile(r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+\"?(\w+)", re.I)


def on_committed_writes(
    engine: AsyncEngine, callback: Callable[[], None], ignore: frozenset[str] = frozenset()
) -> None:
    """Call `callback()` each time a connection of this process that wrote to a table
    (other than those in `ignore`) goes back to the pool, i.e. after its commit or
    rollback, when a new read sees what it wrote."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _mark(conn: Connection, _cursor: Any, statement: str, *_rest: Any) -> None:
        found = _WRITE.match(statement)
        if found is not None and found.group(1).lower() not in ignore:
            conn.info[_WROTE] = True

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_WROTE, False):
            callback()

    @event.listens_for(engine.sync_engine, "commit")
    def _commit(conn: Connection) -> None:
        # a StaticPool (in-memory SQLite) never checks its one connection in: tell on commit
        if isinstance(engine.pool, StaticPool) and conn.info.pop(_WROTE, False):
            callback()


_WROTE = "pbx_wrote"
