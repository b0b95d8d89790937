"""A pbx installation as the e2e tests drive it: its own PBX_HOME and ports,
the `pbx` command, and the processes it starts."""

from __future__ import annotations

import base64
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.phones import free_ports

PBX = str(Path(sys.executable).with_name("pbx"))


class System:
    """A PBX_HOME with its own ports, and the `pbx` processes run against it."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        self.work = root / "work"
        self.work.mkdir(parents=True)
        sip, ari, ami, api = free_ports(4)
        rtp = free_ports(1, 200)[0]
        self.sip_port = sip
        self.env = {
            **os.environ,
            "PBX_HOME": str(self.home),
            "PBX_SIP_PORT": str(sip),
            "PBX_ARI_PORT": str(ari),
            "PBX_AMI_PORT": str(ami),
            "PBX_API_PORT": str(api),
            "PBX_RTP_START": str(rtp),
            "PBX_RTP_END": str(rtp + 199),
        }
        self.env.pop("PBX_DATABASE_URL", None)
        self.background: list[subprocess.Popen[str]] = []

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [PBX, *args], check=False, capture_output=True, text=True, env=self.env, timeout=120
        )
        if check:
            assert proc.returncode == 0, f"pbx {' '.join(args)}: {proc.stderr}"
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def spawn(self, *args: str, log: str) -> subprocess.Popen[str]:
        out = open(self.work / log, "w")  # noqa: SIM115 - the process keeps it
        proc = subprocess.Popen(
            [PBX, *args], stdout=out, stderr=subprocess.STDOUT, text=True, env=self.env,
            start_new_session=True,
        )  # fmt: skip
        self.background.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.work / name).read_text()

    def provision(self, *commands: str) -> None:
        """Run `pbx` commands given as shell-like strings."""
        for command in commands:
            self.run(*shlex.split(command))

    def start(self) -> subprocess.Popen[str]:
        """Start Asterisk and the controller; return once the controller is connected to both."""
        self.run("asterisk", "start")
        return self.serve("controller.log")

    def serve(self, log: str) -> subprocess.Popen[str]:
        """Start a controller (`pbx serve`, output in `log`); return once it is connected to
        ARI and AMI (asked through its API, so this works while the database is down)."""
        controller = self.spawn("serve", log=log)

        def connected() -> bool:
            assert controller.poll() is None, f"controller exited:\n{self.log(log)[-3000:]}"
            health = self.health()
            return bool(health.get("ari") and health.get("ami"))

        wait_for("controller connected to asterisk", connected, timeout=30)
        return controller

    def health(self) -> dict[str, Any]:
        """The controller's /api/health answer; {} when it does not answer."""
        url = f"http://127.0.0.1:{self.env['PBX_API_PORT']}/api/health"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return dict(json.loads(answer.read()))
        except (OSError, ValueError):
            return {}

    @staticmethod
    def kill(controller: subprocess.Popen[str]) -> None:
        """SIGKILL a controller (a crash: no cleanup, no flush) and reap it."""
        controller.kill()
        controller.wait(10)

    @property
    def journal(self) -> Path:
        """The controller's call-log journal (patches not yet known to be in the database)."""
        return self.home / "spool" / "calls.journal"

    def ari(self, method: str, path: str) -> Any:
        """Ask Asterisk's ARI directly (what the tests check behind the controller's back)."""
        password = tomllib.loads((self.home / "pbx.toml").read_text())["ari_password"]
        token = base64.b64encode(f"pbx:{password}".encode()).decode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.env['PBX_ARI_PORT']}/ari{path}",
            method=method,
            headers={"Authorization": f"Basic {token}"},
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def calls(self) -> list[dict[str, Any]]:
        """The call log, newest first."""
        return list(self.json("calls", "list", "--limit", "500"))

    def call_record(self, ident: int) -> dict[str, Any]:
        return dict(self.json("calls", "show", str(ident)))

    def wait_calls(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Wait until `count` calls are logged as ended; returns the full records, oldest first."""

        def ended() -> list[dict[str, Any]] | None:
            rows = self.calls()
            done = [r for r in rows if r.get("disposition")]
            return done if len(done) >= count else None

        rows = wait_for(f"{count} ended calls in the call log", ended, timeout)
        return [self.call_record(r["id"]) for r in reversed(rows)]

    def credentials(self) -> dict[str, str]:
        return {e["number"]: e["sip_password"] for e in self.json("ext", "list", "--show-secrets")}

    def stop_all(self) -> None:
        for proc in self.background:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        self.run("asterisk", "stop", check=False)


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def ext_state(system: System, number: str) -> dict[str, Any]:
    report = system.json("status")
    return next(e for e in report["extensions"] if e["number"] == number)
