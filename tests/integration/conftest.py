"""Real databases for the integration tests: SQLite files and a PostgreSQL server.

`postgres_url` (session) is a PostgreSQL server: `PBX_TEST_POSTGRES_URL` if set
(it needs CREATEDB), else a throwaway cluster made from Debian's PostgreSQL
binaries (installed with apt-get when missing and we are root), listening on a
free port of 127.0.0.1 and removed at the end. PostgreSQL tests are never
skipped: without a server they fail and say why.

`db_url` gives each test a fresh, empty database, once per backend (ids
`sqlite` and `postgres`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

from tests.pg_server import PG_ENV, PgServer, fail


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database URL (asyncpg) on a server that lives for the test session."""
    if url := os.environ.get(PG_ENV):
        yield url
        return
    server = PgServer()
    try:
        server.start()
        yield server.create_database("pbx_test")
    finally:
        server.remove()


async def _admin(server_url: str) -> asyncpg.Connection:
    url = make_url(server_url)
    try:
        return await asyncpg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            database=url.database,
        )
    except (OSError, asyncpg.PostgresError) as error:
        fail(f"cannot connect to {url.render_as_string()}: {error}")


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database for one test, on each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'pbx.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    name = f"pbx_t_{uuid.uuid4().hex[:16]}"
    admin = await _admin(server)
    try:
        # FILE_COPY (PostgreSQL 15+) beats the default WAL_LOG for tiny databases (fsync is off)
        fast = " STRATEGY FILE_COPY" if admin.get_server_version().major >= 15 else ""
        await admin.execute(f'CREATE DATABASE "{name}"{fast}')
    finally:
        await admin.close()
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    admin = await _admin(server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
