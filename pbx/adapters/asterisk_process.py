"""Run Asterisk on this host: installed on the host, or inside a cached Debian root.

Two modes:
- "host": an Asterisk binary on the host (settings.asterisk_binary, or
  `asterisk` on PATH) reads its files straight from settings.asterisk_dir.
- "root": Asterisk from a Debian sid root built by `bootstrap()` (mmdebstrap),
  shared by every PBX_HOME. Each command runs in a private mount namespace
  that bind-mounts the instance's asterisk_dir on the root's `/pbx/instance`,
  then chroots: so Asterisk sees its files under "/pbx/instance".

Synchronous (subprocess-based): used by the CLI and by tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pbx.runtime.settings import Settings, default_cache

MOUNT_POINT = "/pbx/instance"
RUN_DIRS = ("etc", "run", "spool", "spool/recording", "log", "db", "keys")
PID_FILE = "run/pbx-asterisk.pid"
OUT_FILE = "log/asterisk.out"
ROOT_PACKAGES = "asterisk,flite"

# Bind-mount the instance directory (and the host's name resolution files, so
# hostnames such as a trunk's resolve as on the host) into the root, then chroot.
_IN_ROOT = """\
mount --bind "$1" "$2/pbx/instance" || exit 125
for f in /etc/hosts /etc/resolv.conf; do
  [ -f "$f" ] && [ -f "$2$f" ] && { mount --bind "$f" "$2$f" || true; }
done
root="$2"; shift 2
exec chroot "$root" "$@"
"""


class AsteriskError(RuntimeError):
    """A one-line, user-facing reason why Asterisk could not be run or reached."""


@dataclass(frozen=True)
class AsteriskHost:
    """How Asterisk runs here: `mode` "host" (binary) or "root" (chroot into `root`)."""

    mode: str
    binary: str
    root: Path | None
    asterisk_dir: Path  # on the host
    asterisk_dir_view: str  # as Asterisk sees it (RenderOptions.asterisk_dir)

    @property
    def bootstrapped(self) -> bool:
        """True when the binary exists (in root mode: inside the root)."""
        if self.root is None:
            return Path(self.binary).is_file()
        return (self.root / self.binary.lstrip("/")).exists()

    def describe(self) -> str:
        """One line for people: which Asterisk, and where its files are."""
        if self.root is None:
            return f"{self.binary} on this host, files in {self.asterisk_dir}"
        return f"Asterisk in the root {self.root}, files in {self.asterisk_dir}"

    def command(self, *args: str) -> list[str]:
        """The argv that runs `asterisk -C <our asterisk.conf> args...` in this mode."""
        asterisk = [self.binary, "-C", f"{self.asterisk_dir_view}/etc/asterisk.conf", *args]
        if self.root is None:
            return asterisk
        # Not root: a user namespace (-r) makes the mount and the chroot possible.
        unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-r", "-m"]
        mount_args = [str(self.asterisk_dir), str(self.root)]
        return [*unshare, "sh", "-c", _IN_ROOT, "sh", *mount_args, *asterisk]


def default_root(settings: Settings) -> Path:
    """Where the shared Asterisk root lives (settings.asterisk_root, else the user cache)."""
    if settings.asterisk_root:
        return Path(settings.asterisk_root)
    return default_cache() / "asterisk-root"


def locate(settings: Settings) -> AsteriskHost:
    """Decide how Asterisk runs here; no side effects (see `AsteriskHost.bootstrapped`).

    Order: settings.asterisk_binary, then an explicit settings.asterisk_root,
    then `asterisk` on PATH, then the default cached root.
    """
    home_dir = settings.asterisk_dir
    if settings.asterisk_binary:
        binary = shutil.which(settings.asterisk_binary) or settings.asterisk_binary
        return AsteriskHost("host", binary, None, home_dir, str(home_dir))
    on_path = shutil.which("asterisk")
    if on_path and not settings.asterisk_root:
        return AsteriskHost("host", on_path, None, home_dir, str(home_dir))
    return AsteriskHost("root", "/usr/sbin/asterisk", default_root(settings), home_dir, MOUNT_POINT)


def _require(settings: Settings) -> AsteriskHost:
    host = locate(settings)
    if not host.bootstrapped:
        if host.mode == "host":
            raise AsteriskError(f"asterisk: {host.binary} not found (asterisk_binary)")
        raise AsteriskError("asterisk: not bootstrapped; run `pbx asterisk bootstrap`")
    if host.root is not None:
        for tool in ("unshare", "chroot", "mount"):
            if not shutil.which(tool):
                raise AsteriskError(f"asterisk: `{tool}` is needed to run Asterisk in its root")
    return host


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve())
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    points = [line.split()[1] for line in lines if len(line.split()) > 1]
    return [p for p in points if p == prefix or p.startswith(prefix + "/")]


def bootstrap(settings: Settings, progress: Callable[[str], None] = _say) -> AsteriskHost:
    """Make Asterisk runnable: build the root when it is missing (idempotent).

    The root is built with mmdebstrap in a temporary directory next to it and
    renamed into place when complete, so a half-built root is never used.
    """
    host = locate(settings)
    if host.mode == "host":
        if not host.bootstrapped:
            raise AsteriskError(f"asterisk: {host.binary} not found (asterisk_binary)")
        progress(f"asterisk: using {host.binary} installed on this host")
        return host
    assert host.root is not None
    root = host.root
    if host.bootstrapped:
        _prepare_root(root)
        progress(f"asterisk: root ready at {root}")
        return host
    if root.exists() and any(root.iterdir()):
        raise AsteriskError(f"asterisk: {root} exists but holds no Asterisk; remove it and retry")
    if not shutil.which("mmdebstrap"):
        raise AsteriskError(
            "asterisk: mmdebstrap not found; install it (apt-get install mmdebstrap)"
        )
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = root.with_name(f".{root.name}.tmp-{os.getpid()}")
    command = [
        "mmdebstrap", "--variant=apt", "--aptopt=Acquire::Check-Valid-Until \"false\"",
        f"--include={ROOT_PACKAGES}", "sid", str(tmp),
    ]  # fmt: skip
    progress(f"asterisk: building a Debian sid root with Asterisk in {root} (about 20 s)")
    try:
        subprocess.run(command, check=True, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError) as exc:
        _discard(tmp)
        raise AsteriskError(f"asterisk: building the root failed ({exc})") from None
    _prepare_root(tmp)
    if root.exists():
        root.rmdir()
    tmp.rename(root)
    progress(f"asterisk: root ready at {root}")
    return host


def _prepare_root(root: Path) -> None:
    """The mount points a root needs: /pbx/instance, and /etc/hosts, /etc/resolv.conf files."""
    (root / MOUNT_POINT.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for name in ("etc/hosts", "etc/resolv.conf"):
        target = root / name
        if not target.exists() and not target.is_symlink():
            target.touch()


def _discard(tmp: Path) -> None:
    """Remove a failed build, unless something is still mounted inside it."""
    if tmp.exists() and not _mounts_under(tmp):
        shutil.rmtree(tmp, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
        if done:
            return False
    except ChildProcessError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X") and b"asterisk" in cmdline


def _running_pid(settings: Settings) -> int | None:
    path = settings.asterisk_dir / PID_FILE
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def _rx(host: AsteriskHost, command: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        host.command("-rx", command),
        check=False, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def rx(settings: Settings, command: str, timeout: float = 15) -> str:
    """Run one Asterisk CLI command on the running instance; returns its output."""
    host = _require(settings)
    try:
        done = _rx(host, command, timeout)
    except subprocess.TimeoutExpired:
        raise AsteriskError(f"asterisk: `{command}` did not answer within {timeout:g} s") from None
    if done.returncode != 0:
        reason = (done.stdout + done.stderr).strip().splitlines()
        raise AsteriskError(f"asterisk: not running ({reason[-1] if reason else 'no answer'})")
    return done.stdout


def start(settings: Settings, timeout: float = 30) -> int:
    """Start Asterisk in the background on settings.asterisk_dir and wait until fully booted.

    Returns its pid (the running one if it is already up). The config must
    already be rendered into `etc/`. Every start begins with a fresh astdb.
    """
    host = _require(settings)
    running = _running_pid(settings)
    if running is not None:
        return running
    base = settings.asterisk_dir
    if not (base / "etc" / "asterisk.conf").exists():
        raise AsteriskError(f"asterisk: no config in {base / 'etc'}; run `pbx config render`")
    for name in RUN_DIRS:
        (base / name).mkdir(mode=0o700, parents=True, exist_ok=True)
    if host.root is not None:
        _prepare_root(host.root)
    for stale in (
        "astdb.sqlite3",
        "astdb.sqlite3-journal",
        "astdb.sqlite3-wal",
        "astdb.sqlite3-shm",
    ):
        (base / "db" / stale).unlink(missing_ok=True)
    out_path = base / OUT_FILE
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(
            host.command("-f", "-n"),
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            cwd=base, start_new_session=True, umask=0o077,
        )  # fmt: skip
    (base / PID_FILE).write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            (base / PID_FILE).unlink(missing_ok=True)
            raise AsteriskError(
                f"asterisk: exited during start (code {proc.returncode}); "
                f"end of {out_path}:\n{_tail(out_path)}"
            )
        left = deadline - time.monotonic()
        if left <= 0:
            _terminate(proc.pid, 5)
            (base / PID_FILE).unlink(missing_ok=True)
            raise AsteriskError(
                f"asterisk: not fully booted after {timeout:g} s; end of {out_path}:\n{_tail(out_path)}"
            )
        try:
            if _rx(host, "core waitfullybooted", left).returncode == 0:
                return proc.pid
        except subprocess.TimeoutExpired:
            continue
        time.sleep(0.1)


def _terminate(pid: int, timeout: float) -> None:
    """SIGTERM, then SIGKILL the process group if `pid` is still alive after `timeout`."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        if not _pid_alive(pid):
            return
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        end = time.monotonic() + wait
        while time.monotonic() < end and _pid_alive(pid):
            time.sleep(0.05)


def stop(settings: Settings, timeout: float = 10) -> None:
    """Stop Asterisk (`core stop now`, then signals); nothing happens when it is not running."""
    pid = _running_pid(settings)
    pid_file = settings.asterisk_dir / PID_FILE
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return
    host = locate(settings)
    deadline = time.monotonic() + timeout
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        _rx(host, "core stop now", timeout)
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.05)
    _terminate(pid, 3)
    pid_file.unlink(missing_ok=True)


def status(settings: Settings) -> dict[str, object]:
    """Whether Asterisk runs for this PBX_HOME: running, pid, version, mode, asterisk_dir."""
    host = locate(settings)
    pid = _running_pid(settings)
    version = ""
    if pid is not None:
        try:
            version = rx(settings, "core show version", timeout=5).strip()
        except AsteriskError:
            version = ""
    return {
        "running": pid is not None,
        "pid": pid,
        "version": version,
        "mode": host.mode,
        "bootstrapped": host.bootstrapped,
        "asterisk_dir": str(host.asterisk_dir),
    }
