"""Throwaway PostgreSQL servers for the tests (integration and e2e tiers).

`PgServer` is a cluster made from Debian's PostgreSQL binaries (installed with
apt-get when missing and we are root), listening on a free port of 127.0.0.1,
in a temporary directory removed by `remove()`. It can be stopped and started
again on the same port and data (the e2e tier uses that for database outages).
PostgreSQL refuses to run as root: as root the server runs as the `postgres`
system user (through `runuser`). Problems fail the tests and say why (never a skip).
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
from pathlib import Path
from typing import NoReturn

import pytest

PG_ENV = "PBX_TEST_POSTGRES_URL"
PG_USER = "postgres"


def fail(message: str) -> NoReturn:
    pytest.fail(f"PostgreSQL for the tests: {message}", pytrace=False)


def pg_bin() -> Path | None:
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
        fail(f"{what} failed: {shlex.join(args)}\n{result.stdout}{result.stderr}{server_log}")


def install_postgres() -> Path:
    if os.geteuid() != 0:
        fail(
            "no PostgreSQL binaries found (looked in /usr/lib/postgresql/*/bin and PATH) and "
            f"not root, so cannot apt-get install postgresql; install it or set {PG_ENV}"
        )
    _run(["apt-get", "update"], "apt-get update")
    install = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    _run(install, "apt-get install postgresql")
    found = pg_bin()
    if found is None:
        fail("apt-get installed postgresql but no initdb was found")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One PostgreSQL cluster of our own: `start()`, `stop()`, `start()` again, `remove()`."""

    def __init__(self) -> None:
        self.bin = pg_bin() or install_postgres()
        self.prefix: list[str] = []
        owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the postgres user
            try:
                owner = pwd.getpwnam(PG_USER)
            except KeyError:
                fail(f"running as root but there is no {PG_USER!r} system user to run the server")
            if shutil.which("runuser") is None:
                fail("running as root but `runuser` (util-linux) is missing")
            self.prefix = ["runuser", "-u", PG_USER, "--"]
        self.base = Path(tempfile.mkdtemp(prefix="pbx-pg-"))
        self.data, self.log = self.base / "data", self.base / "server.log"
        if owner is not None:
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
        self.port = _free_port()
        self._initialised = False

    @property
    def _ctl(self) -> list[str]:
        return [*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60"]

    def start(self) -> PgServer:
        """Start the server (creating the cluster the first time); returns once it accepts."""
        if not self._initialised:
            initdb = [str(self.bin / "initdb"), "-D", str(self.data), "-U", PG_USER, "-A", "trust"]
            initdb += ["-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"]
            # cwd: the postgres user may not be allowed into our working directory
            _run([*self.prefix, *initdb], "initdb", cwd=self.base)
            self._initialised = True
        options = f"-p {self.port} -k {shlex.quote(str(self.base))} -c listen_addresses=127.0.0.1"
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        start = [*self._ctl, "-l", str(self.log), "-o", options, "start"]
        _run(start, "pg_ctl start", cwd=self.base, log=self.log)
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: disconnect clients; `immediate`: like a crash)."""
        _run([*self._ctl, "-m", mode, "stop"], "pg_ctl stop", cwd=self.base, log=self.log)

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str) -> str:
        """Create database `name`; returns its asyncpg URL."""
        createdb = [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port)]
        _run([*createdb, "-U", PG_USER, name], "createdb")
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        """Stop the server if it runs (or half-started) and delete its files."""
        if self.running:
            subprocess.run(
                [*self._ctl, "-m", "immediate", "stop"], check=False, capture_output=True
            )
        shutil.rmtree(self.base, ignore_errors=True)
