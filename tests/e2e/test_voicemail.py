"""Voicemail end to end: a caller leaves a spoken message (flite speech through a
SIPp caller) in an after-hours box; the real controller stores it, transcribes it
offline, notifies by email (a real SMTP server) and signed webhook, escalates an
emergency by ringing the box member's SIPp phone, and keeps the phone's
message-waiting lamp in step."""

from __future__ import annotations

import json
import subprocess
import threading
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from email import message_from_bytes
from email.message import Message as Email
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from pbx.core.notifications import HEADER_SIGNATURE, HEADER_TIMESTAMP, sign
from tests.e2e.api import EventLog
from tests.e2e.phones import SippPhone, free_port
from tests.e2e.system import System, wait_for
from tests.e2e.test_calls import base, inbound, phones
from tests.speech_tools import speech_tools  # noqa: F401

NIGHT = "+13125550113"
GREETING_SECONDS = 7.5  # the default greeting and the beep, before the caller speaks

pytestmark = pytest.mark.usefixtures("speech_tools")


def speech(path: Path, text: str) -> Path:
    """`text` spoken by flite, as the headerless 8 kHz mu-law SIPp streams, after a
    pause as long as the greeting."""
    wav = path.with_suffix(".wav")
    subprocess.run(["flite", "-voice", "kal16", "-t", text, "-o", str(wav)], check=True)
    subprocess.run(
        ["sox", str(wav), "-r", "8000", "-c", "1", "-t", "ul", str(path), "pad", str(GREETING_SECONDS)],
        check=True,
    )  # fmt: skip
    return path


class Mailbox:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], Email]] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


class Receiver:
    """A webhook receiver on loopback: every POST with its headers and body."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                posts.append((self.path, dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]


@contextmanager
def receivers() -> Iterator[tuple[Mailbox, Receiver]]:
    mailbox, receiver = Mailbox(), Receiver()
    mailbox.controller.start()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield mailbox, receiver
    finally:
        receiver.server.shutdown()
        mailbox.controller.stop()


def message_of(system: System, caller: str) -> dict[str, Any]:
    """The message `caller` left, once its transcript is done (or failed)."""

    def finished() -> dict[str, Any] | None:
        for m in system.json("voicemail", "list"):
            if m["caller"] == caller and m["transcript_status"] != "pending":
                return dict(m)
        return None

    return dict(wait_for(f"the message of {caller} transcribed", finished, timeout=120))


def test_a_spoken_emergency_is_transcribed_notified_escalated_and_lit(system: System) -> None:
    emergency_caller, routine_caller = "+13125550166", "+13125550167"
    leak = speech(
        system.work / "leak.ul",
        "Hello, this is Jane. There is a water leak under the kitchen sink, "
        "water is leaking everywhere. Please call me back.",
    )
    routine = speech(
        system.work / "routine.ul",
        "Hi, this is Bob. I am calling about the estimate for the kitchen. Call me tomorrow.",
    )
    with receivers() as (mailbox, receiver):
        system.env.update(
            PBX_SMTP_HOST="127.0.0.1",
            PBX_SMTP_PORT=str(mailbox.port),
            PBX_SMS_WEBHOOK_URL=f"http://127.0.0.1:{receiver.port}/sms",
        )
        base(system)
        system.provision(
            "user add Tia --email tia@example.com --mobile '+1 312 555 0104'",
            "user update Tia --notify email,sms",
            "ext add 104 --user Tia",
            "voicemail box add 'After Hours' --members Tia",
            # A schedule that is never open: after hours at any instant.
            "schedule add Closed --tz UTC --hours 'mon 00:00-00:01' "
            "--after-hours 'voicemail:After Hours'",
            f"number add {NIGHT} --label Night --dest ext:101 --schedule Closed",
        )
        secret = tomllib.loads((system.home / "pbx.toml").read_text())["webhook_secret"]
        tia_token = system.run("token", "create", "--user", "Tia").stdout.strip().splitlines()[-1]
        system.start()
        api_base = f"ws://127.0.0.1:{system.env['PBX_API_PORT']}"
        with ExitStack() as stack:
            # Tia's own event stream (a technician: the events of her boxes and calls)
            events = stack.enter_context(EventLog(f"{api_base}/api/events?token={tia_token}"))
            phone = SippPhone(
                "104", system.credentials()["104"], system.sip_port, system.work, lamp=True
            )
            stack.enter_context(phone)
            assert phone.wait_registered(), phone.describe()
            phones(stack, system)  # waits until Asterisk lists 104 registered

            left = inbound(system, to=NIGHT, caller=emergency_caller, audio=leak, hold=18.0)
            assert left.answered, left.describe()
            message = message_of(system, emergency_caller)
            assert message["transcript_status"] == "done", message
            assert "leak" in message["transcript"], message
            assert message["emergency"] and "leak" in message["keywords"], message
            assert message["box"] == "After Hours" and not message["read"]

            # The call record says Voicemail and carries the transcript.
            full = next(c for c in system.wait_calls(1) if c["caller"] == emergency_caller)
            assert full["disposition"] == "Voicemail", full
            assert "leak" in (full["transcript"] or ""), full

            # The escalation rings the box member's phone (nobody is on call) ...
            wait_for("the escalation call", lambda: phone.answered_calls >= 1, timeout=30)
            # ... and the lamp shows one new message.
            wait_for("the lamp lit", lambda: "1/0" in phone.lamp_states, timeout=15)

            # Email with the audio attached and the transcript in the body.
            def mails() -> list[tuple[list[str], Email]]:
                return [m for m in mailbox.received if "tia@example.com" in m[0]]

            wait_for("the email", lambda: len(mails()) >= 1, timeout=30)
            email = mails()[0][1]
            assert "EMERGENCY" in email["Subject"], email["Subject"]
            parts = list(email.walk())
            body = next(p for p in parts if p.get_content_type() == "text/plain")
            assert "leak" in body.get_payload(decode=True).decode()
            audio = next(p for p in parts if p.get_content_type() == "audio/wav")
            assert audio.get_payload(decode=True)[:4] == b"RIFF"

            # The SMS gateway's webhook, signed with the shared secret.
            wait_for("the sms webhook", lambda: len(receiver.posts) >= 1, timeout=30)
            path, headers, raw = receiver.posts[0]
            assert path == "/sms"
            stamp = headers[HEADER_TIMESTAMP]
            assert headers[HEADER_SIGNATURE] == "sha256=" + sign(secret, stamp, raw)
            payload = json.loads(raw)
            assert payload["event"] == "emergency" and payload["to"] == "+13125550104"

            # The API's stream told Tia about the new message and the emergency.
            wait_for("the emergency event", lambda: "emergency" in events.types(), timeout=30)
            new = next(e for e in events.events if e["type"] == "voicemail.new")
            assert (new["box"], new["caller"]) == ("After Hours", emergency_caller)
            emergency = next(e for e in events.events if e["type"] == "emergency")
            assert emergency["escalated_to"] == ["Tia"] and "leak" in emergency["keywords"]

            shown = system.json("voicemail", "show", str(message["id"]))
            actions = " | ".join(shown["escalation"])
            assert "notify email Tia" in actions and "call Tia: PJSIP/104" in actions

            # A routine message: transcribed, notified, nothing escalated.
            calls_before = phone.rung_calls
            left = inbound(system, to=NIGHT, caller=routine_caller, audio=routine, hold=16.0)
            assert left.answered, left.describe()
            other = message_of(system, routine_caller)
            assert other["transcript_status"] == "done" and not other["emergency"], other
            assert system.json("voicemail", "show", str(other["id"]))["escalation"] == []
            wait_for("the lamp at two", lambda: "2/0" in phone.lamp_states, timeout=15)
            assert phone.rung_calls == calls_before

            # Reading a message moves it to the old count; reading both clears the lamp.
            system.run("voicemail", "read", str(message["id"]))
            wait_for("the lamp at one", lambda: phone.lamp_states[-1] == "1/1", timeout=15)
            system.run("voicemail", "read", str(other["id"]))
            wait_for("the lamp off", lambda: phone.lamp_states[-1] == "0/2", timeout=15)
            unread = system.json("voicemail", "list", "--unread")
            assert unread == []
