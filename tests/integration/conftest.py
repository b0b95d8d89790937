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

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import NoReturn

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

PG_ENV = "PBX_TEST_POSTGRES_URL"
PG_USER = "postgres"


def _fail(message: str) -> NoReturn:
    pytest.fail(f"PostgreSQL for the integration tests: {message}", pytrace=False)


def _pg_bin() -> Path | None:
    """The bin directory of the newest Debian-packaged PostgreSQL, or one on PATH."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        newest = max(found, key=lambda p: int(Path(p).parent.parent.name.split(".")[0]))
        return Path(newest).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _run(args: list[str], what: str, cwd: Path | None = None, log: Path | None = None) -> None:
    """Run a command; on failure, fail the tests with its output (and the server log)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(
        args, check=False, capture_output=True, text=True, timeout=600, env=env, cwd=cwd
    )
    if result.returncode != 0:
        server_log = log.read_text(errors="replace") if log and log.exists() else ""
        _fail(f"{what} failed: {shlex.join(args)}\n{result.stdout}{result.stderr}{server_log}")


def _install_postgres() -> Path:
    if os.geteuid() != 0:
        _fail(
            "no PostgreSQL binaries found (looked in /usr/lib/postgresql/*/bin and PATH) and "
            f"not root, so cannot apt-get install postgresql; install it or set {PG_ENV}"
        )
    _run(["apt-get", "update"], "apt-get update")
    install = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    _run(install, "apt-get install postgresql")
    found = _pg_bin()
    if found is None:
        _fail("apt-get installed postgresql but no initdb was found")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database URL (asyncpg) on a server that lives for the test session."""
    if url := os.environ.get(PG_ENV):
        yield url
        return
    bin_dir = _pg_bin() or _install_postgres()
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    owner: pwd.struct_passwd | None = None
    if as_root:  # PostgreSQL refuses to run as root: run the server as the postgres user
        try:
            owner = pwd.getpwnam(PG_USER)
        except KeyError:
            _fail(f"running as root but there is no {PG_USER!r} system user to run the server")
        if shutil.which("runuser") is None:
            _fail("running as root but `runuser` (util-linux) is missing")
        prefix = ["runuser", "-u", PG_USER, "--"]
    base = Path(tempfile.mkdtemp(prefix="pbx-pg-"))
    data, log = base / "data", base / "server.log"
    if owner is not None:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    server = [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-t", "60"]
    try:
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", PG_USER, "-A", "trust"]
        initdb += ["-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"]
        # cwd: the postgres user may not be allowed into our working directory
        _run([*prefix, *initdb], "initdb", cwd=base)
        options = f"-p {port} -k {shlex.quote(str(base))} -c listen_addresses=127.0.0.1"
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        _run([*server, "-l", str(log), "-o", options, "start"], "pg_ctl start", cwd=base, log=log)
        createdb = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", PG_USER]
        _run([*createdb, "pbx_test"], "createdb")
        yield f"postgresql+asyncpg://{PG_USER}@127.0.0.1:{port}/pbx_test"
    finally:
        if (data / "postmaster.pid").exists():  # started, or half-started
            subprocess.run([*server, "-m", "immediate", "stop"], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


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
        _fail(f"cannot connect to {url.render_as_string()}: {error}")


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
