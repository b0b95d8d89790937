"""Call-control benchmark: calls per second through the same Asterisk, plain dialplan
`Dial()` (the baseline) against the controller's ring-all.

Setup, in a temporary PBX_HOME with its own ports, through the `pbx` command: the
ringing extension 201, answering extensions (see "Who rings" below), a trunk
`carrier` whose address is 127.0.0.2 (callers from there enter `from-trunk`; its
registration goes to a port nobody listens on), ring-all groups reached by business
numbers (controller mode: not recorded; recording mode: recorded), and for the
baseline, exact extensions added to `from-trunk` in extensions_custom.conf that run
`Dial(PJSIP/201&PJSIP/<answerer>,20)` and never enter Stasis. Then `pbx asterisk
start` and `pbx serve`.

Per run: two SIPp member processes, one registered as 201 (rings on every call and
takes the CANCEL: 200, 487, ACK), one registered as the answering extensions (180
then 200 at once); one SIPp caller on 127.0.0.2 places R calls/s for --duration
seconds: INVITE, 180, 200, ACK, hold --hold seconds, BYE. Every call rings two
phones; one answers, the other is cancelled. Measured: failed calls (SIPp's
FailedCall counter, plus calls never completed), the rate SIPp achieved (from the
time each INVITE left), post-dial delay (INVITE to the first 180) and INVITE to
answer per call (SIPp response times, dumped per call; SIPp's clock moves in 4 ms
steps here), the CPU of Asterisk, the controller and SIPp (/proc), warnings in the
controller's and Asterisk's logs, and which calls the controller routed (its log:
none of the baseline's, all of its own). Between runs: no channel may be left
(ARI), then Asterisk settles --settle seconds.

Who rings: the controller does not ring a member who is already on a call (device
state in use), so with one answering phone (`--pairs 1`: exactly 201 and 202, group
Bench, +13125550100; baseline +13125550999) it connects one call at a time, while
Dial() rings a phone whatever it is doing. By default each call therefore gets its
own pair: 201 and one of N answering phones 2000, 2001, ..., group BenchNNNN, number
+1312600NNNN (recorded: BenchRecNNNN, +1312601NNNN; baseline +1312602NNNN), dialled
in turn, N = top rate x (hold + 1.5 s), so a phone is idle again when it is called
next. Both modes use the same pairs.

With --transcribing N, each mode's ladder runs again with N processes transcribing voicemail
in the background as the controller's worker does (bench/transcription_load.py).

Per mode: step up --rates until a step has 0.1% or more failed calls or SIPp could
not keep the rate (below 98% of it); the last passing rate is "sustained". Then one
run at half that rate gives the post-dial delay p50/p99. The target: the controller
sustains at least 70% of the baseline's rate and adds under 100 ms to the p99
post-dial delay. (The generated dialplan answers 180 itself (Ringing()) before the
call enters Stasis, so the INVITE-to-200 column shows what the controller adds.)

Run from the repository root:
    .venv/bin/python bench/call_bench.py [--duration 60] [--rates 50,100,150,200]
        [--mode baseline|controller|recording|both|all] [--pairs N] [--keep]
Needs SIPp (`sipp`, or PBX_SIPP) and a runnable Asterisk (`pbx asterisk bootstrap`).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import math
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root

from bench.transcription_load import TranscriptionLoad  # noqa: E402
from tests.e2e.phones import free_ports  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = Path(__file__).resolve().parent / "call_scenarios"

TRUNK_HOST = "127.0.0.2"  # the caller's address: identified as the trunk
CALLER_ID = "+13125550166"  # an unknown caller
RINGER = "201"  # rings on every call, never answers: takes the CANCEL
MODES = ("baseline", "controller", "recording")
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Pool:
    """Who rings on each call: the ringer 201 and one answering extension, always a pair.

    `size` 1 is the plain setup: 201 and 202, the ring group Bench, the business number
    +13125550100 (recorded: BenchRec, +13125550101), the baseline number +13125550999.
    The controller skips a member that is already on a call (Asterisk's device state),
    so with one answering phone it can connect one call at a time. A larger pool gives
    every call its own pair: answering extensions 2000, 2001, ..., ring groups Bench0000,
    ... (ring-all of 201 and one of them), numbers +1312600NNNN (controller),
    +1312601NNNN (recorded) and +1312602NNNN (baseline); the caller dials them in
    turn, so an answering phone is called again only every `size / rate` seconds.
    """

    size: int

    def answerer(self, i: int) -> str:
        return "202" if self.size == 1 else str(2000 + i)

    @property
    def answerers(self) -> list[str]:
        return [self.answerer(i) for i in range(self.size)]

    def group(self, mode: str, i: int) -> str:
        name = "BenchRec" if mode == "recording" else "Bench"
        return name if self.size == 1 else f"{name}{i:04d}"

    def number(self, mode: str, i: int) -> str:
        if self.size == 1:
            return {"baseline": "+13125550999", "controller": "+13125550100",
                    "recording": "+13125550101"}[mode]  # fmt: skip
        prefix = {"controller": "+1312600", "recording": "+1312601", "baseline": "+1312602"}
        return f"{prefix[mode]}{i:04d}"

    def numbers(self, mode: str) -> list[str]:
        return [self.number(mode, i) for i in range(self.size)]

    def dial(self, i: int) -> str:
        """The baseline's Dial(): both phones of pair i, 20 s."""
        return f"Dial(PJSIP/{RINGER}&PJSIP/{self.answerer(i)},20)"


# Adds extensions, ring groups and numbers in one process through pbx's own directory
# service (the same validation as the CLI, without starting Python per object).
PROVISION = """
import asyncio, json, sys
from pbx.runtime.settings import load_settings
from pbx.runtime.wiring import directory_service, prepare_home

async def main(items):
    async with directory_service(prepare_home(load_settings())) as d:
        for item in items:
            if item["kind"] == "ext":
                await d.add_extension(item["number"], item["user"])
            elif item["kind"] == "group":
                await d.add_group(item["name"], "ring-all", item["members"], record=item["record"])
            else:
                await d.add_number(item["e164"], item["label"], dest=item["dest"])

asyncio.run(main(json.load(sys.stdin)))
"""


def cli_command(item: dict[str, Any]) -> list[str]:
    """The `pbx` command that adds the same object as PROVISION does."""
    if item["kind"] == "ext":
        return ["ext", "add", item["number"], "--user", item["user"]]
    if item["kind"] == "group":
        record = "--record" if item["record"] else "--no-record"
        return ["group", "add", item["name"], "--strategy", "ring-all",
                "--members", item["members"], record]  # fmt: skip
    return ["number", "add", item["e164"], "--label", item["label"], "--dest", item["dest"]]


class BenchError(RuntimeError):
    """A reason the benchmark cannot go on, for people."""


class MissingTool(BenchError):
    """SIPp, the pbx command or Asterisk is not there."""


# ---------------------------------------------------------------- processes


class Processes:
    """Every process the benchmark starts, so that all of them are stopped on exit."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(self, command: list[str], out: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
        with open(out, "wb") as sink:
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                start_new_session=True, **kwargs,
            )  # fmt: skip
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], grace: float = 10.0) -> int:
        """SIGTERM, then SIGKILL (its whole process group) after `grace` seconds."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        with contextlib.suppress(ValueError):
            self.procs.remove(proc)
        return proc.returncode

    def stop_all(self) -> None:
        for proc in list(reversed(self.procs)):
            self.stop(proc, grace=5.0)


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


# ---------------------------------------------------------------- small helpers


def render(name: str, target: Path, **values: str) -> Path:
    """Copy scenario `name` to `target`, replacing each placeholder KEY by its value."""
    text = (SCENARIOS / name).read_text()
    for key, value in values.items():
        text = text.replace(key, value)
    target.write_text(text)
    return target


def wait_for(what: str, probe: Callable[[], Any], timeout: float, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise BenchError(f"timed out waiting for {what} (last: {last!r})")


def _cpu_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, user+system clock ticks) of every process."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[-1].split()
        # after the command: state ppid ... utime(12) stime(13) counted from state = 0
        table[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def pid_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user+system) used so far by these processes and their descendants."""
    table = _cpu_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    seen: set[int] = set()
    todo = [p for p in pids if p in table]
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo.extend(children.get(pid, ()))
    return sum(table[p][1] for p in seen) / CLK_TCK


def host_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return float(sum(values) - idle), float(sum(values))


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def sipp_binary() -> str:
    found = os.environ.get("PBX_SIPP") or shutil.which("sipp")
    if not found or not Path(found).exists():
        raise MissingTool(
            "SIPp not found: install sip-tester (apt-get install sip-tester) "
            "or set PBX_SIPP to the sipp executable"
        )
    return found


def pbx_binary() -> str:
    for candidate in (Path(sys.executable).with_name("pbx"), ROOT / ".venv" / "bin" / "pbx"):
        if candidate.exists():
            return str(candidate)
    raise MissingTool(
        "the `pbx` command was not found next to this Python nor in .venv/bin; "
        "run `make up` (or create .venv) first"
    )


# ---------------------------------------------------------------- the system


class Pbx:
    """A PBX_HOME with its own ports; Asterisk and the controller run against it."""

    def __init__(self, work: Path, procs: Processes, rtp_span: int) -> None:
        self.work = work
        self.home = work / "home"
        self.procs = procs
        self.pbx = pbx_binary()
        sip, ari, ami, api = free_ports(4)
        rtp = free_ports(1, rtp_span)[0]
        self.sip_port = sip
        self.ari_port = ari
        self.trunk_port = free_ports(1, 1, TRUNK_HOST)[0]  # nobody listens there
        self.env = {
            **os.environ,
            "PBX_HOME": str(self.home),
            "PBX_SIP_PORT": str(sip),
            "PBX_ARI_PORT": str(ari),
            "PBX_AMI_PORT": str(ami),
            "PBX_API_PORT": str(api),
            "PBX_RTP_START": str(rtp),
            "PBX_RTP_END": str(rtp + rtp_span - 1),
        }
        self.env.pop("PBX_DATABASE_URL", None)
        self.controller: subprocess.Popen[bytes] | None = None
        self.asterisk_pid: int | None = None
        self.asterisk_started = False
        self._ari_auth = ""

    # the pbx command
    def run(self, *args: str, check: bool = True, timeout: float = 120) -> str:
        done = subprocess.run(
            [self.pbx, *args], check=False, capture_output=True, text=True, env=self.env,
            timeout=timeout, stdin=subprocess.DEVNULL, cwd=ROOT,
        )  # fmt: skip
        if check and done.returncode != 0:
            reason = (done.stderr or done.stdout).strip()
            raise BenchError(f"pbx {' '.join(args)} failed: {reason}")
        return done.stdout

    def json(self, *args: str, check: bool = True) -> Any:
        out = self.run(*args, "--json", check=check)
        try:
            return json.loads(out)
        except json.JSONDecodeError:
            raise BenchError(
                f"pbx {' '.join(args)}: no JSON in its output: {out[:200]!r}"
            ) from None

    @property
    def controller_log(self) -> Path:
        return self.work / "controller.log"

    @property
    def asterisk_log(self) -> Path:
        return self.home / "asterisk" / "log" / "messages.log"

    def setup(self, pool: Pool, modes: list[str], say: Callable[[str], None]) -> None:
        self.run("init")
        state = self.json("asterisk", "status", check=False)  # exits 1 while not running
        if not state.get("bootstrapped"):
            raise MissingTool(
                "Asterisk is not available here: run `.venv/bin/pbx asterisk bootstrap` "
                "(or `make up`), or set PBX_ASTERISK_BINARY to an installed asterisk"
            )
        for command in (
            ["user", "add", "Bench Ringer", "--email", "ringer@example.com"],
            ["user", "add", "Bench Answer", "--email", "answer@example.com"],
            ["ext", "add", RINGER, "--user", "Bench Ringer"],
            ["trunk", "add", "carrier", "--host", TRUNK_HOST, "--port", str(self.trunk_port),
             "--username", "bench", "--password", "bench-pass-1"],
        ):  # fmt: skip
            self.run(*command)
        items: list[dict[str, Any]] = [
            {"kind": "ext", "number": ext, "user": "Bench Answer"} for ext in pool.answerers
        ]
        for mode in ("controller", "recording"):
            if mode not in modes:
                continue
            for i in range(pool.size):
                group = pool.group(mode, i)
                items.append({"kind": "group", "name": group, "record": mode == "recording",
                              "members": f"{RINGER},{pool.answerer(i)}"})  # fmt: skip
                items.append({"kind": "number", "e164": pool.number(mode, i),
                              "label": group, "dest": f"group:{group}"})  # fmt: skip
        started = time.monotonic()
        if pool.size > 1:
            say(f"provisioning {len(items)} extensions, ring groups and numbers ...")
        self.provision(items)
        if pool.size > 1:
            say(f"  done in {time.monotonic() - started:.0f} s")
        self.run("config", "render")
        # The baseline: exact extensions win over the generated _[0-9*#+]! pattern.
        lines = [
            "; call_bench.py: the baseline, plain dialplan ring-all (never enters Stasis)",
            "[from-trunk](+)",
        ]
        for i in range(pool.size):
            lines += [
                f"exten => {pool.number('baseline', i)},1,{pool.dial(i)}",
                " same => n,Hangup()",
            ]
        (self.home / "asterisk" / "etc" / "extensions_custom.conf").write_text(
            "\n".join(lines) + "\n"
        )
        self.secrets = {e["number"]: e["sip_password"] for e in
                        self.json("ext", "list", "--show-secrets")}  # fmt: skip
        settings = tomllib.loads((self.home / "pbx.toml").read_text())
        user = settings.get("ari_user", "pbx")
        token = f"{user}:{settings['ari_password']}".encode()
        self._ari_auth = "Basic " + base64.b64encode(token).decode()

    def provision(self, items: list[dict[str, Any]]) -> None:
        """Add `items` in one Python process; one `pbx` command each if that fails."""
        done = subprocess.run(
            [sys.executable, "-c", PROVISION], input=json.dumps(items), check=False,
            capture_output=True, text=True, env=self.env, cwd=ROOT, timeout=3600,
        )  # fmt: skip
        if done.returncode == 0:
            return
        print(f"note: provisioning in one process failed ({done.stderr.strip()[-300:]}); "
              "using the pbx command for each object", file=sys.stderr)  # fmt: skip
        there = {
            "ext": {e["number"] for e in self.json("ext", "list")},
            "group": {g["name"] for g in self.json("group", "list")},
            "number": {n["number"] for n in self.json("number", "list")},
        }
        key = {"ext": "number", "group": "name", "number": "e164"}
        for item in items:
            if item[key[item["kind"]]] not in there[item["kind"]]:
                self.run(*cli_command(item))

    def start(self, baseline_number: str) -> None:
        self.asterisk_started = True
        self.run("asterisk", "start")
        state = self.json("asterisk", "status")
        self.asterisk_pid = int(state["pid"])
        self.asterisk_version = str(state.get("version", "")).split(" built ")[0]
        self.controller = self.procs.spawn(
            [self.pbx, "serve"], self.controller_log, env=self.env, cwd=ROOT
        )

        def connected() -> bool:
            if self.controller is not None and self.controller.poll() is not None:
                raise BenchError(f"the controller exited:\n{tail(self.controller_log)}")
            ctl = self.json("status").get("controller", {})
            return bool(ctl.get("ari") and ctl.get("ami"))

        wait_for("the controller to connect to Asterisk", connected, timeout=30, every=0.5)
        plan = self.asterisk_rx_dialplan()
        if plan is not None and baseline_number not in plan:
            raise BenchError("the baseline extension is not in the from-trunk dialplan")

    def asterisk_rx_dialplan(self) -> str | None:
        """`dialplan show from-trunk`, through pbx's own Asterisk runner (None if unavailable)."""
        code = (
            "from pbx.runtime.settings import load_settings\n"
            "from pbx.adapters.asterisk_process import rx\n"
            "print(rx(load_settings(), 'dialplan show from-trunk'))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], check=False, capture_output=True, text=True,
            env=self.env, cwd=ROOT, timeout=30,
        )  # fmt: skip
        return done.stdout if done.returncode == 0 else None

    def alive(self) -> None:
        if self.controller is not None and self.controller.poll() is not None:
            raise BenchError(f"the controller exited:\n{tail(self.controller_log)}")
        if self.asterisk_pid is None or not pid_alive(self.asterisk_pid):
            raise BenchError(f"Asterisk is gone:\n{tail(self.asterisk_log)}")

    def ari(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.ari_port}/ari{path}", method=method,
            headers={"Authorization": self._ari_auth},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def channels(self) -> list[dict[str, Any]]:
        return list(self.ari("GET", "/channels"))

    def drain(self, timeout: float = 30.0) -> int:
        """Wait until Asterisk has no channels; hang up what is left after `timeout`.
        Returns how many channels had to be hung up."""
        deadline = time.monotonic() + timeout
        left: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            left = self.channels()
            if not left:
                return 0
            time.sleep(0.5)
        for channel in left:
            with contextlib.suppress(urllib.error.HTTPError):
                self.ari("DELETE", f"/channels/{channel['id']}")
        wait_for("leftover channels to go", lambda: not self.channels(), timeout=15)
        return len(left)

    def stop(self) -> None:
        if self.controller is not None:
            self.procs.stop(self.controller, grace=15)
            self.controller = None
        if self.asterisk_started:
            self.asterisk_started = False
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.run("asterisk", "stop", check=False, timeout=30)
            pid = self.asterisk_pid
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if pid is None or not pid_alive(pid):
                    break
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
                time.sleep(2)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(nothing)"


def read_from(path: Path, offset: int) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


# ---------------------------------------------------------------- SIPp members and caller


class Members:
    """One SIPp process that registers `extensions` (all on one address and port) and
    answers every call to them, or only rings and takes the CANCEL. Its ports stay the
    same across runs, so each registration replaces the last one."""

    def __init__(self, name: str, extensions: list[str], pbx: Pbx, answer: bool) -> None:
        self.name = name
        self.extensions = extensions
        self.pbx = pbx
        self.answer = answer
        self.port, self.control = free_ports(2)
        self.media = free_ports(1, 4)[0]
        self.proc: subprocess.Popen[bytes] | None = None
        self.dir = Path()

    def start(self, folder: Path, hold_s: float) -> None:
        self.dir = folder / f"members-{self.name}"
        self.dir.mkdir(parents=True)
        users = self.dir / "users.csv"
        users.write_text(
            "SEQUENTIAL\n"
            + "".join(
                f"{ext};[authentication username={ext} password={self.pbx.secrets[ext]}]\n"
                for ext in self.extensions
            )
        )
        scenario = render(
            "register.xml", self.dir / "register.xml", HOLD_MS=str(int(hold_s * 1000))
        )
        count = len(self.extensions)
        command = [
            sipp_binary(), f"127.0.0.1:{self.pbx.sip_port}", "-sf", str(scenario),
            "-oocsf", str(SCENARIOS / ("answer.xml" if self.answer else "ring.xml")),
            "-inf", str(users), "-m", str(count), "-r", "500", "-rp", "1000",
            "-l", str(count + 10), "-t", "u1", "-i", "127.0.0.1", "-p", str(self.port),
            "-mp", str(self.media), "-cp", str(self.control), "-max_socket", "1024",
            "-cid_str", f"bench-{self.name}-{secrets.token_hex(4)}-%u", "-nostdin",
            "-trace_logs", "-log_file", str(self.log),
            "-trace_err", "-error_file", str(self.dir / "errors.log"),
            "-timeout", f"{int(hold_s) + 120}s",
        ]  # fmt: skip
        self.proc = self.pbx.procs.spawn(command, self.dir / "sipp.out", cwd=self.dir)

    @property
    def log(self) -> Path:
        return self.dir / "members.log"

    def text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def wait_registered(self) -> None:
        count = len(self.extensions)

        def registered() -> bool:
            text = self.text()
            refused = re.search(r"REGISTER 40[13] (\S+)", text)
            if refused:
                raise BenchError(f"Asterisk refused the registration of {refused.group(1)}")
            if self.proc is not None and self.proc.poll() is not None:
                raise BenchError(
                    f"SIPp members {self.name} exited:\n"
                    f"{tail(self.dir / 'sipp.out')}\n{tail(self.dir / 'errors.log')}"
                )
            return text.count("REGISTER 200 ") >= count

        what = f"{count} {self.name} extension(s) to register"
        wait_for(what, registered, timeout=15 + count / 50, every=0.1)

    def counts(self) -> tuple[int, int]:
        """(calls answered, CANCELs received)."""
        lines = self.text().splitlines()
        return sum(line == "A" for line in lines), sum(line == "C" for line in lines)

    def stop(self) -> None:
        """Stop the process; its contacts stay until the next run registers them again."""
        if self.proc is not None:
            self.pbx.procs.stop(self.proc, grace=3)
            self.proc = None


def parse_stat(path: Path) -> dict[str, str]:
    """The last row of SIPp's -trace_stat file, by column name."""
    try:
        rows = [r for r in path.read_text(errors="replace").splitlines() if r.strip()]
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0].split(";"), rows[-1].split(";"), strict=False))


def stat_int(stats: dict[str, str], name: str) -> int:
    try:
        return int(stats.get(name, "0") or 0)
    except ValueError:
        return 0


# ---------------------------------------------------------------- one run


@dataclass
class Run:
    mode: str
    rate: float
    duration: int
    calls: int = 0  # calls SIPp was asked to place
    created: int = 0
    successful: int = 0
    failed: int = 0
    unexpected: int = 0
    recv_timeouts: int = 0
    retransmissions: int = 0
    achieved: float = 0.0
    pdd: list[float] = field(default_factory=list)
    answer: list[float] = field(default_factory=list)
    wall: float = 0.0
    asterisk_cpu: float = 0.0
    controller_cpu: float = 0.0
    sipp_cpu: float = 0.0
    host_busy: float = 0.0  # share of all cores, 0..1
    answered: int = 0
    cancelled: int = 0
    routed: dict[str, int] = field(default_factory=dict)  # controller log: calls per mode
    controller_problems: list[str] = field(default_factory=list)
    asterisk_problems: list[str] = field(default_factory=list)
    leftover: int = 0
    error: str = ""
    folder: Path = Path()

    @property
    def failures(self) -> int:
        """Failed calls, including calls never completed and calls never placed."""
        return self.failed + max(0, self.calls - self.successful - self.failed)

    @property
    def failure_pct(self) -> float:
        return 100.0 * self.failures / self.calls if self.calls else 100.0

    @property
    def per_call(self) -> int:
        return max(1, self.successful)

    def passed(self, max_fail_pct: float, min_rate: float) -> bool:
        return (not self.error and self.failure_pct < max_fail_pct
                and self.achieved >= min_rate * self.rate)  # fmt: skip

    def pdd_ms(self, pct: float) -> float | None:
        return percentile(sorted(self.pdd), pct)

    def answer_ms(self, pct: float) -> float | None:
        return percentile(sorted(self.answer), pct)


class Bench:
    def __init__(self, args: argparse.Namespace, pbx: Pbx, pool: Pool, folder: Path) -> None:
        self.args = args
        self.pbx = pbx
        self.pool = pool
        self.folder = folder
        self.ringer = Members("ringer", [RINGER], pbx, answer=False)
        self.answering = Members("answer", pool.answerers, pbx, answer=True)
        self.members = [self.ringer, self.answering]
        self.mode_of = {n: m for m in MODES for n in pool.numbers(m)}
        self.caller_port, self.caller_control = free_ports(2, 1, TRUNK_HOST)
        self.caller_media = free_ports(1, 4, TRUNK_HOST)[0]
        self.count = 0

    def run(self, mode: str, rate: float) -> Run:
        args = self.args
        self.count += 1
        label = f"{self.count:02d}-{mode}-{fmt_rate(rate)}cps"
        folder = self.folder / label
        folder.mkdir(parents=True)
        calls = max(1, round(rate * args.duration))
        result = Run(mode, rate, args.duration, calls=calls, folder=folder)
        pbx = self.pbx
        pbx.alive()
        for member in self.members:
            member.start(folder, hold_s=args.duration + 600)
        for member in self.members:
            member.wait_registered()
        scenario = render("caller.xml", folder / "caller.xml",
                          CALLER=CALLER_ID, HOLD_MS=str(int(args.hold * 1000)))  # fmt: skip
        numbers = folder / "numbers.csv"
        numbers.write_text("SEQUENTIAL\n" + "".join(f"{n}\n" for n in self.pool.numbers(mode)))
        limit = max(200, int(rate * (args.hold + 2) * 5))
        command = [
            sipp_binary(), f"127.0.0.1:{pbx.sip_port}", "-sf", str(scenario),
            "-inf", str(numbers), "-r", fmt_rate(rate), "-rp", "1000", "-m", str(calls),
            "-l", str(limit), "-t", "u1", "-i", TRUNK_HOST, "-p", str(self.caller_port),
            "-mp", str(self.caller_media), "-cp", str(self.caller_control),
            "-max_socket", "1024", "-nostdin",
            "-trace_stat", "-stf", str(folder / "stat.csv"), "-fd", "1",
            "-trace_rtt", "-rtt_freq", "1",
            "-trace_logs", "-log_file", str(folder / "caller.log"),
            "-trace_screen", "-screen_file", str(folder / "screen.log"),
            "-trace_err", "-error_file", str(folder / "errors.log"),
            "-recv_timeout", str(int(args.recv_timeout * 1000)),
            "-timeout", f"{args.duration + 120}s",
        ]  # fmt: skip
        (folder / "command.txt").write_text(" ".join(command) + "\n")
        ctl_offset, ast_offset = size(pbx.controller_log), size(pbx.asterisk_log)
        ast_pids = [pbx.asterisk_pid] if pbx.asterisk_pid else []
        ctl_pids = [pbx.controller.pid] if pbx.controller else []
        sipp_pids = [m.proc.pid for m in self.members if m.proc]
        ast0, ctl0, sipp0 = cpu_seconds(ast_pids), cpu_seconds(ctl_pids), cpu_seconds(sipp_pids)
        busy0, total0 = host_cpu()
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        caller = pbx.procs.spawn(command, folder / "sipp.out", cwd=folder)
        try:
            while caller.poll() is None:
                if time.monotonic() - started > args.duration + 180:
                    result.error = "the SIPp caller did not finish in time"
                    break
                time.sleep(0.5)
        finally:
            code = pbx.procs.stop(caller, grace=5)
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the caller, now reaped
        caller_cpu = (children1.ru_utime + children1.ru_stime) - (
            children0.ru_utime + children0.ru_stime
        )
        result.wall = time.monotonic() - started
        busy1, total1 = host_cpu()
        result.asterisk_cpu = cpu_seconds(ast_pids) - ast0
        result.controller_cpu = cpu_seconds(ctl_pids) - ctl0
        result.sipp_cpu = cpu_seconds(sipp_pids) - sipp0 + caller_cpu
        result.host_busy = (busy1 - busy0) / (total1 - total0) if total1 > total0 else 0.0
        if code not in (0, 1) and not result.error:
            result.error = f"SIPp caller exited with {code}: {tail(folder / 'sipp.out', 5)}"

        stats = parse_stat(folder / "stat.csv")
        result.created = stat_int(stats, "OutgoingCall(C)")
        result.successful = stat_int(stats, "SuccessfulCall(C)")
        result.failed = stat_int(stats, "FailedCall(C)")
        result.unexpected = stat_int(stats, "FailedUnexpectedMessage(C)")
        result.recv_timeouts = stat_int(stats, "FailedTimeoutOnRecv(C)")
        result.retransmissions = stat_int(stats, "Retransmissions(C)")
        result.achieved = achieved_rate(folder / "caller.log", calls)
        for rtt in folder.glob("*_rtt.csv"):
            for line in rtt.read_text().splitlines()[1:]:
                parts = line.split(";")
                if len(parts) >= 3:
                    (result.pdd if parts[2].strip() == "1" else result.answer).append(
                        float(parts[1])
                    )

        # Let the last calls end everywhere, then check what each side saw.
        result.leftover = pbx.drain()
        time.sleep(args.settle)
        result.answered = self.answering.counts()[0]
        result.cancelled = self.ringer.counts()[1]
        for member in self.members:
            member.stop()
        result.routed, result.controller_problems = read_controller_log(
            read_from(pbx.controller_log, ctl_offset), self.mode_of
        )
        result.asterisk_problems = problems(read_from(pbx.asterisk_log, ast_offset))
        pbx.alive()
        return result


def fmt_rate(rate: float) -> str:
    return f"{rate:g}"


def achieved_rate(log: Path, calls: int) -> float:
    """Calls per second SIPp actually placed: from the clock ticks logged per INVITE."""
    ticks = []
    try:
        for line in log.read_text().splitlines():
            if line.startswith("I "):
                with contextlib.suppress(ValueError):
                    ticks.append(int(line.split()[1]))
    except OSError:
        return 0.0
    if len(ticks) < 2:
        return 0.0
    span = (max(ticks) - min(ticks)) / 1000
    # n INVITEs span n-1 intervals; calls never placed count as not kept.
    placed = (len(ticks) - 1) / span if span > 0 else 0.0
    return placed * min(1.0, len(ticks) / calls)


_ROUTED = re.compile(r"call \S+ from \S+ to (\S+?):")


def read_controller_log(text: str, mode_of: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    """(calls the controller routed, per mode of the number called; its WARNING/ERROR lines)."""
    routed: dict[str, int] = {}
    issues = []
    for line in text.splitlines():
        found = _ROUTED.search(line)
        if found:
            mode = mode_of.get(found.group(1), f"other ({found.group(1)})")
            routed[mode] = routed.get(mode, 0) + 1
        if " WARNING " in line or " ERROR " in line or "Traceback" in line:
            issues.append(line)
    return routed, issues


def problems(text: str) -> list[str]:
    """WARNING/ERROR lines of Asterisk's log, without their timestamps; not the trunk's
    registration attempts (nobody answers them, on purpose)."""
    return [
        re.sub(r"^\[[^\]]*\]\s*", "", line)
        for line in text.splitlines()
        if ("WARNING" in line or "ERROR" in line) and f"@{TRUNK_HOST}" not in line
    ]


# ---------------------------------------------------------------- reporting


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def describe(run: Run) -> str:
    share = run.controller_cpu / run.wall * 100 if run.wall else 0
    ast_share = run.asterisk_cpu / run.wall * 100 if run.wall else 0
    lines = [
        f"  {run.calls} calls: {run.successful} ok, {run.failures} failed "
        f"({run.failure_pct:.3f}%; unexpected msg {run.unexpected}, recv timeout "
        f"{run.recv_timeouts}, retransmissions {run.retransmissions}); achieved "
        f"{run.achieved:.1f}/s",
        f"  post-dial delay p50 {ms(run.pdd_ms(50))} ms p99 {ms(run.pdd_ms(99))} ms max "
        f"{ms(run.pdd_ms(100))} ms; INVITE->200 p50 {ms(run.answer_ms(50))} ms p99 "
        f"{ms(run.answer_ms(99))} ms",
        f"  CPU: Asterisk {run.asterisk_cpu:.1f} s ({ast_share:.0f}% of a core, "
        f"{run.asterisk_cpu * 1000 / run.per_call:.1f} ms/call), controller "
        f"{run.controller_cpu:.1f} s ({share:.0f}%, "
        f"{run.controller_cpu * 1000 / run.per_call:.1f} ms/call), SIPp {run.sipp_cpu:.1f} s; "
        f"machine {run.host_busy * 100:.0f}% busy ({os.cpu_count()} cores)",
        f"  members: {run.answered} answered, {run.cancelled} cancelled on {RINGER}; "
        f"the controller routed: {routed_text(run.routed)}",
    ]
    if run.leftover:
        lines.append(f"  {run.leftover} channel(s) were left after the run and hung up")
    if run.controller_problems:
        lines.append(
            f"  controller log: {len(run.controller_problems)} warning/error lines, "
            f"first: {run.controller_problems[0][:160]}"
        )
    if run.asterisk_problems:
        distinct = sorted(set(run.asterisk_problems), key=run.asterisk_problems.index)
        lines.append(
            f"  Asterisk log: {len(run.asterisk_problems)} warning/error lines, "
            f"first: {distinct[0][:160]}"
        )
    if run.error:
        lines.append(f"  ERROR: {run.error}")
    return "\n".join(lines)


def routed_text(routed: dict[str, int]) -> str:
    return ", ".join(f"{n} {mode} calls" for mode, n in routed.items()) or "no calls"


def check_routing(run: Run) -> str | None:
    """Baseline calls must never reach the controller; controller calls must."""
    own = run.routed.get(run.mode, 0)
    if run.mode == "baseline":
        if sum(run.routed.values()):
            return f"baseline calls reached the controller ({routed_text(run.routed)})"
        return None
    if own < run.successful:
        return f"only {own} of {run.successful} completed calls were routed by the controller"
    return None


@dataclass
class Ladder:
    mode: str
    steps: list[Run] = field(default_factory=list)
    sustained: Run | None = None
    half: Run | None = None


def run_ladder(
    bench: Bench,
    mode: str,
    rates: list[float],
    say: Callable[[str], None],
    load: TranscriptionLoad | None = None,
) -> Ladder:
    """Step up `rates` in `mode`; with `load`, voicemail transcription runs during each step."""
    args = bench.args
    label = f"{mode}+stt" if load is not None else mode
    ladder = Ladder(label)

    def step(rate: float) -> Run:
        if load is None:
            return bench.run(mode, rate)
        with load:
            run = bench.run(mode, rate)
        if load.figures is not None:
            say(f"  background: {load.figures.describe()}")
        return run

    for rate in rates:
        say(f"[{label}] {fmt_rate(rate)} calls/s for {args.duration} s ...")
        run = step(rate)
        ladder.steps.append(run)
        ok = run.passed(args.max_fail, args.min_rate)
        routing = check_routing(run)
        say(describe(run))
        if routing:
            say(f"  ROUTING: {routing}")
        say(f"  -> {'PASS' if ok else 'FAIL'}")
        if not ok:
            break
        ladder.sustained = run
    if ladder.sustained is not None:
        half = ladder.sustained.rate / 2
        say(f"[{label}] half of the sustained rate: {fmt_rate(half)} calls/s for "
            f"{args.duration} s ...")  # fmt: skip
        ladder.half = step(half)
        say(describe(ladder.half))
        routing = check_routing(ladder.half)
        if routing:
            say(f"  ROUTING: {routing}")
    return ladder


def _transcribing_lines(by_mode: dict[str, Ladder]) -> list[str]:
    """Each mode against itself with voicemail transcription running in the background."""
    lines: list[str] = []
    for mode, quiet in by_mode.items():
        busy = by_mode.get(f"{mode}+stt")
        if busy is None:
            continue
        lines.append("")
        if quiet.sustained and busy.sustained:
            lines.append(
                f"{mode} while transcribing / {mode}: sustained rate "
                f"{busy.sustained.rate / quiet.sustained.rate:.2f}"
            )
        for name, at in (("quiet", quiet.half), ("transcribing", busy.half)):
            if at is not None:
                lines.append(
                    f"  {name:<13} at {fmt_rate(at.rate)}/s: {at.failure_pct:.3f}% failed, "
                    f"post-dial delay p50 {at.pdd_ms(50)} ms, p99 {at.pdd_ms(99)} ms"
                )
    return lines


def summary(ladders: list[Ladder], args: argparse.Namespace) -> str:
    head = (f"{'mode':<11}{'sustained/s':>12}{'fail %':>8}{'  half/s':>8}{'fail %':>8}"
            f"{'PDD p50':>9}{'p99':>6}{'  answer p50':>13}{'p99':>6}{'  Asterisk ms/call':>19}"
            f"{'ctl ms/call':>12}")  # fmt: skip
    lines = [
        f"Summary ({args.duration} s per step, pass = under {args.max_fail:g}% failed calls "
        f"and at least {args.min_rate * 100:g}% of the rate kept; delays in ms, at half "
        "the sustained rate)",
        head,
        "-" * len(head),
    ]
    for ladder in ladders:
        top, half = ladder.sustained, ladder.half
        cpu_from = top or (ladder.steps[0] if ladder.steps else None)
        lines.append(
            f"{ladder.mode:<11}"
            f"{fmt_rate(top.rate) if top else 'none':>12}"
            f"{f'{top.failure_pct:.3f}' if top else '-':>8}"
            f"{fmt_rate(half.rate) if half else '-':>8}"
            f"{f'{half.failure_pct:.3f}' if half else '-':>8}"
            f"{ms(half.pdd_ms(50)) if half else '-':>9}"
            f"{ms(half.pdd_ms(99)) if half else '-':>6}"
            f"{ms(half.answer_ms(50)) if half else '-':>13}"
            f"{ms(half.answer_ms(99)) if half else '-':>6}"
            + (f"{cpu_from.asterisk_cpu * 1000 / cpu_from.per_call:>19.1f}"
               f"{cpu_from.controller_cpu * 1000 / cpu_from.per_call:>12.1f}"
               if cpu_from else f"{'-':>19}{'-':>12}")
        )  # fmt: skip
        first_fail = next((s for s in ladder.steps if not s.passed(args.max_fail, args.min_rate)),
                          None)  # fmt: skip
        if first_fail is not None:
            lines.append(
                f"{'':<11}first failing step: {fmt_rate(first_fail.rate)}/s "
                f"({first_fail.failure_pct:.3f}% failed, achieved "
                f"{first_fail.achieved:.1f}/s)"
            )
        elif ladder.steps:
            lines.append(
                f"{'':<11}every step passed: the ceiling is above "
                f"{fmt_rate(ladder.steps[-1].rate)}/s (add higher --rates)"
            )
    by_mode = {ladder.mode: ladder for ladder in ladders}
    lines += _transcribing_lines(by_mode)
    base = by_mode.get("baseline")
    for mode in ("controller", "recording"):
        other = by_mode.get(mode)
        if base is None or other is None:
            continue
        lines.append("")
        if base.sustained and other.sustained:
            ratio = other.sustained.rate / base.sustained.rate
            verdict = "meets" if ratio >= 0.70 else "misses"
            caveat = ""
            if base.sustained is base.steps[-1]:
                caveat = "; not conclusive: the baseline passed every step, add higher --rates"
            elif other.sustained is other.steps[-1]:
                caveat = f"; a lower bound: {mode} passed every step"
            lines.append(
                f"{mode}/baseline sustained rate: {ratio:.2f} ({verdict} the 0.70 target{caveat})"
            )
        else:
            lines.append(f"{mode}/baseline sustained rate: n/a (a ladder had no passing step)")
        b99 = base.half.pdd_ms(99) if base.half else None
        o99 = other.half.pdd_ms(99) if other.half else None
        if b99 is not None and o99 is not None:
            diff = o99 - b99
            verdict = "meets" if diff < 100 else "misses"
            lines.append(
                f"{mode} adds {diff:+.0f} ms to the p99 post-dial delay "
                f"({verdict} the under-100 ms target)"
            )
            a_b = base.half.answer_ms(99) if base.half else None
            a_o = other.half.answer_ms(99) if other.half else None
            if a_b is not None and a_o is not None:
                lines.append(
                    f"{mode} adds {a_o - a_b:+.0f} ms to the p99 INVITE->200 "
                    "(members answer at once: the whole call path)"
                )
        else:
            lines.append(f"{mode} p99 post-dial delay difference: n/a")
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def describe_pool(pool: Pool, modes: list[str]) -> str:
    more = "" if pool.size == 1 else "..."
    lines = []
    if pool.size == 1:
        lines.append("every call rings 201 and 202 (202 answers at once, 201 takes the CANCEL)")
    else:
        lines.append(
            f"every call rings 201 (takes the CANCEL) and one of {pool.size} answering phones "
            f"{pool.answerer(0)}-{pool.answerer(pool.size - 1)} (answers at once), in turn"
        )
    for mode in modes:
        if mode == "baseline":
            target = f"{pool.dial(0)}{more} in extensions_custom.conf"
        else:
            target = f"controller, ring group {pool.group(mode, 0)}{more}"
            target += " (recorded)" if mode == "recording" else " (--no-record)"
        lines.append(f"  {mode}: {pool.number(mode, 0)}{more} -> {target}")
    if pool.size == 1 and set(modes) & {"controller", "recording"}:
        lines.append(
            "note: the controller does not ring a member already on a call, so with one "
            "answering phone it connects one call at a time (see --pairs)"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Calls per second through Asterisk: plain Dial() against the controller.",
    )
    parser.add_argument("--duration", type=int, default=60, help="seconds per step (60)")
    parser.add_argument(
        "--rates",
        default="50,100,150,200,250,300",
        help="the rate ladder, calls/s, comma-separated (50,...,300)",
    )
    parser.add_argument(
        "--mode",
        default="both",
        choices=("baseline", "controller", "recording", "both", "all"),
        help="both = baseline and controller; recording = the controller "
        "with call recording on; all = the three (default: both)",
    )
    parser.add_argument(
        "--hold", type=float, default=1.0, help="seconds a call stays up once answered (1.0)"
    )
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds to let Asterisk settle between steps (5)"
    )
    parser.add_argument(
        "--max-fail",
        type=float,
        default=0.1,
        help="a step passes under this percentage of failed calls (0.1)",
    )
    parser.add_argument(
        "--min-rate",
        type=float,
        default=0.98,
        help="and when SIPp kept at least this share of the rate (0.98)",
    )
    parser.add_argument(
        "--recv-timeout",
        type=float,
        default=10.0,
        help="seconds a caller waits for each answer before the call fails (10)",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=0,
        help="answering phones, each in its own ring-all pair with 201 (default: the top "
        "rate x (hold + 1.5 s), so a phone is idle again when it is called next); 1 = only "
        "201 and 202",
    )
    parser.add_argument(
        "--transcribing",
        type=int,
        default=0,
        metavar="N",
        help="run each mode's ladder again with N processes transcribing voicemail in the "
        "background, as the controller's transcription worker does (nice 10); 1 is what the "
        "controller runs",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the work directory (PBX_HOME, SIPp logs) afterwards",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where to make the work directory (default: the system temp dir)",
    )
    args = parser.parse_args(argv)
    try:
        args.rate_list = sorted({float(r) for r in args.rates.split(",") if r.strip()})
    except ValueError:
        parser.error(f"--rates: not a list of numbers: {args.rates!r}")
    if not args.rate_list or args.rate_list[0] <= 0:
        parser.error("--rates: give positive calls/s, e.g. 50,100,150")
    if args.duration < 1:
        parser.error("--duration: at least 1 second")
    if args.pairs < 0 or args.pairs > 5000:
        parser.error("--pairs: from 1 to 5000 (0 = automatic)")
    if not args.pairs:
        args.pairs = max(1, math.ceil(max(args.rate_list) * (args.hold + 1.5)))
    args.modes = {
        "both": ["baseline", "controller"],
        "all": ["baseline", "controller", "recording"],
    }.get(args.mode, [args.mode])
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        sipp = sipp_binary()
        pbx_binary()
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    version = subprocess.run([sipp, "-v"], check=False, capture_output=True, text=True)
    sipp_version = next((ln.strip() for ln in (version.stdout + version.stderr).splitlines()
                         if "SIPp" in ln), "SIPp")  # fmt: skip

    work = Path(tempfile.mkdtemp(prefix="pbx-call-bench-", dir=args.workdir))
    procs = Processes()
    max_rate = max(args.rate_list)
    # Asterisk takes an RTP port pair per channel (caller + two legs) even without media.
    rtp_span = min(30_000, max(2_000, int(max_rate * (args.hold + 3) * 3 * 2 * 1.5)))
    pbx: Pbx | None = None
    bench: Bench | None = None
    ladders: list[Ladder] = []
    failed = interrupted = False
    try:
        pbx = Pbx(work, procs, rtp_span)
        say(f"call bench: work directory {work}")
        pool = Pool(min(args.pairs, 5000))
        pbx.setup(pool, args.modes, say)
        pbx.start(pool.number("baseline", 0))
        load = os.getloadavg()
        say(f"{pbx.asterisk_version}; {sipp_version}; {os.cpu_count()} cores, load average "
            f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
        say(
            f"modes {', '.join(args.modes)}; rates {', '.join(map(fmt_rate, args.rate_list))} "
            f"calls/s; {args.duration} s per step; hold {args.hold:g} s"
        )
        say(describe_pool(pool, args.modes))
        bench = Bench(args, pbx, pool, work / "runs")
        load = None
        if args.transcribing:
            load = TranscriptionLoad(args.transcribing, work / "stt")
            load.warm()
        for mode in args.modes:
            ladders.append(run_ladder(bench, mode, args.rate_list, say))
            if load is not None:
                ladders.append(run_ladder(bench, mode, args.rate_list, say, load))
        say("")
        say(summary(ladders, args))
        failed = any(check_routing(r) for ladder in ladders for r in ladder.steps)
        if failed:
            say("ROUTING CHECK FAILED: see the lines marked ROUTING above")
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        failed = True
        return 2 if isinstance(exc, MissingTool) else 1
    except KeyboardInterrupt as exc:
        print(f"\ninterrupted ({exc or 'SIGINT'}): stopping everything", file=sys.stderr)
        interrupted = True
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if pbx is not None:
            for member in bench.members if bench is not None else []:
                with contextlib.suppress(Exception):
                    member.stop()
            with contextlib.suppress(Exception):
                pbx.stop()
        procs.stop_all()
        if args.keep or (failed and bench is not None and not interrupted):
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
        signal.signal(signal.SIGINT, _interrupt)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
