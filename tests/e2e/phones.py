"""SIPp-driven test phones for the end-to-end tests.

A `SippPhone` is one SIPp process that registers an extension to Asterisk,
stays registered until `stop()`, then unregisters (REGISTER with Expires: 0)
and exits. SIPp cannot be interrupted inside a pause, so the scenario waits
in a `<recv request="MESSAGE">` and `stop()` sends it a SIP MESSAGE on the
registration's Call-ID. With `answer=True` the phone also answers incoming
calls (an out-of-call scenario) and counts them; with `ring_only=True` it rings
until the caller gives up; with `answer_on_demand=True` it rings until the test
calls `answer_now(call_id)` (a SIP MESSAGE on that call's Call-ID).

`call()` places one call (as a phone, answering the digest challenge, or as a
trunk from another loopback address) and reports whether it was answered.
Scenarios live in `scenarios/`; placeholders (HOLD_MS, CALLER) are replaced in
a per-process copy, because SIPp timeouts cannot take `-key` values.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def _is_free(port: int, host: str) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                return False
    return True


_taken: set[int] = set()


def free_ports(count: int = 1, span: int = 1, host: str = "127.0.0.1") -> list[int]:
    """`count` port numbers, each the start of `span` consecutive ports free on UDP and TCP.

    Ports handed out by this process are never handed out twice.
    """
    found: list[int] = []
    rng = random.Random()
    for _ in range(10_000):
        base = rng.randrange(20_000, 60_000 - span)
        block = range(base, base + span)
        if any(p in _taken for p in block) or not all(_is_free(p, host) for p in block):
            continue
        _taken.update(block)
        found.append(base)
        if len(found) == count:
            return found
    raise RuntimeError("no free ports found")


def free_port(host: str = "127.0.0.1") -> int:
    """One port free on both UDP and TCP."""
    return free_ports(1, 1, host)[0]


def sipp_binary() -> str:
    """The SIPp executable (`PBX_SIPP`, else `sipp` on PATH)."""
    found = os.environ.get("PBX_SIPP") or shutil.which("sipp")
    if not found:
        raise RuntimeError("sipp not found: install sip-tester (SIPp) or set PBX_SIPP")
    return found


def render_scenario(name: str, target: Path, **values: str) -> Path:
    """Copy scenario `name` to `target`, replacing each placeholder KEY by its value."""
    text = (SCENARIOS / name).read_text()
    for key, value in values.items():
        text = text.replace(key, value)
    target.write_text(text)
    return target


_INFO_KEY = """
  <pause milliseconds="{ms}"/>
  <send retrans="500">
    <![CDATA[
      INFO [next_url] SIP/2.0
      [routes]
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: <sip:CALLER@[local_ip]>;tag=[pid]call[call_number]
      To: <sip:[service]@[remote_ip]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} INFO
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal={digit}
      Duration=160
    ]]>
  </send>
  <recv response="200"/>
  <nop><action><log message="KEY {digit}"/></action></nop>
"""


def key_presses(keys: Sequence[tuple[float, str]]) -> str:
    """Scenario steps that press `keys` in turn, each (seconds after the previous, digit),
    as SIP INFO application/dtmf-relay in the call's dialog (at most 6: BYE is CSeq 10)."""
    if len(keys) > 6:
        raise ValueError("at most 6 keys per call")
    return "".join(
        _INFO_KEY.format(ms=int(wait * 1000), cseq=3 + i, digit=digit)
        for i, (wait, digit) in enumerate(keys)
    )


class RtpSink:
    """Receives the RTP Asterisk sends a test caller (its port goes in the caller's SDP in
    place of SIPp's media port) and keeps the mu-law payload, to check what was heard."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.payload = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                packet = self.sock.recv(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            if len(packet) > 12 and packet[1] & 0x7F == 0:  # PCMU
                self.payload.extend(packet[12:])

    def loud_seconds(self, floor: int = 500) -> float:
        """Seconds of received audio louder than `floor` (16-bit scale): speech, not silence."""
        return sum(1 for b in self.payload if abs(_ulaw(b)) > floor) / 8000

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def _ulaw(byte: int) -> int:
    byte = ~byte & 0xFF
    magnitude = ((((byte & 0x0F) << 3) + 0x84) << ((byte & 0x70) >> 4)) - 0x84
    return -magnitude if byte & 0x80 else magnitude


def _spawn_sipp(command: list[str], workdir: Path) -> subprocess.Popen[bytes]:
    """A SIPp process of its own session, running in `workdir` (its output in sipp.out)."""
    with open(workdir / "sipp.out", "wb") as out:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            cwd=workdir, start_new_session=True,
        )  # fmt: skip


@dataclass(frozen=True)
class CallResult:
    """What a `call()` saw: answered, hung up cleanly (by whom), SIPp's exit code, its folder."""

    answered: bool
    hung_up: bool
    remote_hangup: bool
    returncode: int
    dir: Path
    cancelled: bool = False

    def describe(self) -> str:
        """The tail of the SIP messages of the call, for assertion messages."""
        path = self.dir / "messages.log"
        return path.read_text()[-3000:] if path.exists() else "(no messages)"


def call(
    to: str,
    sip_port: int,
    workdir: Path,
    *,
    caller: str,
    password: str | None = None,
    host: str = "127.0.0.1",
    hold: float = 1.0,
    timeout: float = 30.0,
    audio: Path | None = None,
    cancel_after: float | None = None,
    keys: Sequence[tuple[float, str]] = (),
    listen: int | None = None,
    audio_delay: float = 0.0,
) -> CallResult:
    """Place one call to `to` from `host` (as `caller`, answering a challenge with
    `password` when given), stay `hold` seconds once answered, then hang up.

    `audio`: a headerless 8 kHz mu-law file (`sox in.wav -r 8000 -c 1 -t ul out.ul`)
    streamed as RTP once the call is answered. `cancel_after`: give up after it
    rang that many seconds (a CANCEL; callers from the trunk only, no challenge).
    `keys`: pressed once answered (see `key_presses`), before `audio` plays and the
    hold begins; `audio_delay`: seconds of silence before the audio. `listen`: the port
    Asterisk sends the call's audio to (an `RtpSink`), until it hears the caller's own RTP
    (symmetric RTP then answers where that comes from).
    """
    folder = workdir / f"call-{caller.lstrip('+')}-{to.lstrip('+')}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    stream = f'<nop><action><exec rtp_stream="{audio},1,0"/></action></nop>' if audio else ""
    if audio and audio_delay:
        stream = f'<pause milliseconds="{int(audio_delay * 1000)}"/>' + stream
    stream = key_presses(keys).replace("CALLER", caller) + stream
    if cancel_after is not None:
        scenario = render_scenario(
            "cancel.xml", folder / "cancel.xml",
            CANCEL_MS=str(int(cancel_after * 1000)), CALLER=caller,
        )  # fmt: skip
    else:
        scenario = render_scenario(
            "call.xml", folder / "call.xml",
            HOLD_MS=str(int(hold * 1000)), CALLER=caller, **{"<!-- AUDIO -->": stream},
        )  # fmt: skip
        if listen is not None:
            text = scenario.read_text().replace("m=audio [media_port]", f"m=audio {listen}")
            scenario.write_text(text)
    port, control = free_ports(2, 1, host)
    media = free_ports(1, 4, host)[0]
    log = folder / "call.log"
    command = [
        sipp_binary(), f"127.0.0.1:{sip_port}", "-sf", str(scenario), "-s", to,
        "-m", "1", "-l", "1", "-t", "u1", "-i", host, "-p", str(port),
        "-mp", str(media), "-cp", str(control), "-nostdin",
        "-trace_err", "-error_file", str(folder / "errors.log"),
        "-trace_msg", "-message_file", str(folder / "messages.log"),
        "-trace_logs", "-log_file", str(log),
        "-timeout", f"{int(timeout)}s",
    ]  # fmt: skip
    if password is not None:
        command += ["-au", caller, "-ap", password]
    with open(folder / "sipp.out", "wb") as out:
        done = subprocess.run(
            command, check=False, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, cwd=folder, timeout=timeout + 10,
        )  # fmt: skip
    text = log.read_text() if log.exists() else ""
    return CallResult(
        "ANSWERED" in text, "HUNGUP" in text, "by the other side" in text, done.returncode, folder,
        cancelled="CANCELLED" in text,
    )  # fmt: skip


class SippPhone:
    """A SIP phone for extension `extension` registering to Asterisk at host:sip_port."""

    def __init__(
        self,
        extension: str,
        password: str,
        sip_port: int,
        workdir: Path,
        *,
        host: str = "127.0.0.1",
        hold: float = 300.0,
        answer: bool = False,
        ring_only: bool = False,
        answer_on_demand: bool = False,
        lamp: bool = False,
    ) -> None:
        self.extension = extension
        self.password = password
        self.host = host
        self.sip_port = sip_port
        self.hold = hold
        self.answer = answer
        self.ring_only = ring_only
        self.answer_on_demand = answer_on_demand
        self.lamp = lamp  # answers calls and logs message-waiting NOTIFYs
        token = secrets.token_hex(4)
        self.dir = workdir / f"phone-{extension}-{token}"
        self.call_id = f"pbxphone-{token}-1"  # -cid_str below, call number 1
        self.local_port, self.control_port = free_ports(2, 1, host)
        self.media_port = free_ports(1, 4, host)[0]
        self.proc: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None

    # files
    @property
    def log_file(self) -> Path:
        return self.dir / "phone.log"

    @property
    def error_file(self) -> Path:
        return self.dir / "errors.log"

    @property
    def message_file(self) -> Path:
        return self.dir / "messages.log"

    def _log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def describe(self) -> str:
        """The tail of SIPp's error file and output, for assertion messages."""
        parts = []
        for path in (self.error_file, self.dir / "sipp.out"):
            if path.exists():
                parts.append(f"--- {path.name}\n" + path.read_text()[-2000:])
        return "\n".join(parts)

    def start(self) -> Self:
        """Launch SIPp; it registers at once (see `wait_registered`)."""
        self.dir.mkdir(parents=True)
        scenario = render_scenario(
            "register.xml", self.dir / "register.xml", HOLD_MS=str(int(self.hold * 1000))
        )
        command = [
            sipp_binary(), f"{self.host}:{self.sip_port}",
            "-sf", str(scenario),
            "-s", self.extension, "-au", self.extension, "-ap", self.password,
            "-m", "1", "-l", "1", "-t", "u1",
            "-i", self.host, "-p", str(self.local_port),
            "-mp", str(self.media_port), "-cp", str(self.control_port),
            "-cid_str", self.call_id.rsplit("-", 1)[0] + "-%u",
            "-nostdin",
            "-trace_err", "-error_file", str(self.error_file),
            "-trace_msg", "-message_file", str(self.message_file),
            "-trace_logs", "-log_file", str(self.log_file),
            "-timeout", f"{int(self.hold) + 60}s",
        ]  # fmt: skip
        if self.lamp:
            command += ["-oocsf", str(SCENARIOS / "answer_lamp.xml")]
        elif self.answer:
            command += ["-oocsf", str(SCENARIOS / "answer.xml")]
        elif self.ring_only:
            command += ["-oocsf", str(SCENARIOS / "ring.xml")]
        elif self.answer_on_demand:
            command += ["-oocsf", str(SCENARIOS / "ring_answer.xml")]
        self.proc = _spawn_sipp(command, self.dir)
        return self

    def wait_registered(self, timeout: float = 10.0) -> bool:
        """True once Asterisk answered the authenticated REGISTER with 200, False on 401/403."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self._log()
            if "REGISTER 200" in log:
                return True
            if "REGISTER 401" in log or "REGISTER 403" in log:
                return False
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"sipp for {self.extension} exited early\n{self.describe()}")
            time.sleep(0.05)
        raise TimeoutError(f"no answer to REGISTER of {self.extension}\n{self.describe()}")

    @property
    def answered_calls(self) -> int:
        """How many incoming calls this phone has answered (with `answer=True`)."""
        return self._log().count("ANSWERED ")

    @property
    def rung_calls(self) -> int:
        """How many incoming calls reached this phone (answered or not)."""
        return self._log().count("INVITE ")

    @property
    def incoming(self) -> list[str]:
        """The Call-IDs of the incoming calls that reached this phone, in order."""
        return [line.split()[1] for line in self._log().splitlines() if line.startswith("INVITE ")]

    @property
    def cancellations(self) -> list[str]:
        """One line per incoming call cancelled while it rang, with the CANCEL's Reason text."""
        return [line for line in self._log().splitlines() if "CANCELLED " in line]

    @property
    def lamp_states(self) -> list[str]:
        """The Voice-Message lines of the message-waiting NOTIFYs received, e.g. ["1/0"]."""
        prefix = "NOTIFY Voice-Message: "
        return [
            line[len(prefix) :].strip()
            for line in self._log().splitlines()
            if line.startswith(prefix)
        ]

    @property
    def unregistered(self) -> bool:
        """True once Asterisk accepted the REGISTER with Expires: 0."""
        return "UNREGISTER 200" in self._log()

    def _send_message(self, sock: socket.socket, call_id: str | None = None) -> None:
        branch = "z9hG4bK" + secrets.token_hex(8)
        local = sock.getsockname()
        text = (
            f"MESSAGE sip:{self.extension}@{self.host}:{self.local_port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {local[0]}:{local[1]};branch={branch};rport\r\n"
            f"From: <sip:test@{local[0]}>;tag={secrets.token_hex(4)}\r\n"
            f"To: <sip:{self.extension}@{self.host}>\r\n"
            f"Call-ID: {call_id or self.call_id}\r\n"
            "CSeq: 10 MESSAGE\r\n"
            "Max-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        sock.sendto(text.encode(), (self.host, self.local_port))

    def answer_now(self, call_id: str, timeout: float = 5.0) -> None:
        """Make a phone with `answer_on_demand=True` answer its ringing call `call_id`
        (see `incoming`): returns once the phone accepted the request."""
        assert self.answer_on_demand, "only a phone with answer_on_demand=True answers on demand"
        taken = f"ANSWERING {call_id}"
        deadline = time.monotonic() + timeout
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((self.host, 0))
            while time.monotonic() < deadline:
                # SIPp (-t u1) answers to Asterisk, not to us: its log says it took the request.
                self._send_message(sock, call_id)
                retry = min(deadline, time.monotonic() + 1.0)
                while time.monotonic() < retry:
                    if taken in self._log():
                        return
                    time.sleep(0.02)
        raise TimeoutError(f"{self.extension} did not take the answer request\n{self.describe()}")

    def stop(self, timeout: float = 10.0) -> int:
        """Unregister and wait for SIPp to exit (killed after `timeout`); returns its exit code."""
        proc = self.proc
        if proc is None:
            return self.returncode or 0
        deadline = time.monotonic() + timeout
        if proc.poll() is None and "REGISTER 200" in self._log():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind((self.host, 0))
                sock.settimeout(0.5)
                while proc.poll() is None and time.monotonic() < deadline:
                    self._send_message(sock)
                    try:
                        if sock.recv(4096).startswith(b"SIP/2.0 200"):
                            break
                    except TimeoutError:
                        continue
        try:
            self.returncode = proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            self.returncode = proc.wait()
        self.proc = None
        return self.returncode

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Carrier:
    """The provider behind the trunk: a SIPp process on `host:port` that accepts the
    trunk's registration and answers every call, logging the number dialled and
    the caller ID presented (`calls`)."""

    def __init__(
        self,
        workdir: Path,
        host: str = "127.0.0.2",
        hold: float = 300.0,
        *,
        confirm: str | None = None,
    ) -> None:
        """`confirm`: a regular expression; calls to numbers that match it (in the To: header)
        answer and press 1 (SIP INFO) every 2.5 s, like an on-call technician accepting."""
        self.confirm = confirm
        self.host = host
        self.port, self.control_port = free_ports(2, 1, host)
        self.media_port = free_ports(1, 4, host)[0]
        self.dir = workdir / f"carrier-{secrets.token_hex(4)}"
        self.hold = hold
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def log_file(self) -> Path:
        return self.dir / "carrier.log"

    def start(self) -> Self:
        self.dir.mkdir(parents=True)
        scenario = SCENARIOS / "carrier.xml"
        if self.confirm is not None:
            scenario = render_scenario(
                "carrier_oncall.xml", self.dir / "carrier.xml", CONFIRM_RE=self.confirm
            )
        command = [
            sipp_binary(), "-sf", str(scenario),
            "-t", "u1", "-i", self.host, "-p", str(self.port),
            "-mp", str(self.media_port), "-cp", str(self.control_port), "-nostdin",
            "-trace_err", "-error_file", str(self.dir / "errors.log"),
            "-trace_msg", "-message_file", str(self.dir / "messages.log"),
            "-trace_logs", "-log_file", str(self.log_file),
            "-timeout", f"{int(self.hold)}s",
        ]  # fmt: skip
        self.proc = _spawn_sipp(command, self.dir)
        return self

    @property
    def calls(self) -> list[tuple[str, str]]:
        """(number dialled, caller ID) of every call that reached the carrier."""
        text = self.log_file.read_text() if self.log_file.exists() else ""
        found = []
        for line in text.splitlines():
            words = line.split()
            if "INVITE" in words and "to" in words and "from" in words:
                found.append((words[words.index("to") + 1], words[words.index("from") + 1]))
        return found

    @property
    def answered_calls(self) -> int:
        return (self.log_file.read_text() if self.log_file.exists() else "").count("ANSWERED ")

    @property
    def presses(self) -> int:
        """How many times a confirming cell pressed 1."""
        return (self.log_file.read_text() if self.log_file.exists() else "").count("PRESSED 1 ")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
        self.proc = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
