"""Voicemail notifications end to end on loopback: a real SMTP server (aiosmtpd) receives the
email with the recording attached, a real aiohttp server receives and verifies the signed
webhooks, and the notifier's worker retries, recovers and gives up on a clock the test moves."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import io
import socket
import ssl
import subprocess
import wave
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from pbx.adapters.email_sender import SmtpSender
from pbx.adapters.recordings import RecordingStore
from pbx.adapters.webhook_sender import WebhookSender
from pbx.core.model import BoxKind, Directory, User, VoicemailBox
from pbx.core.notifications import (
    MAX_ATTEMPTS,
    Channel,
    DeliveryError,
    Notice,
    NoticeStatus,
    emergency_notices,
    sign,
    verify,
    voicemail_notices,
    webhook_body,
)
from pbx.core.voicemail import Message, TranscriptStatus
from pbx.services.notifier import Notifier, Sender
from tests.integration.notify_fakes import FakeClock, ListSender, MemoryOutbox, eventually

T0 = datetime(2025, 11, 3, 15, 0, tzinfo=UTC)
SECRET = "whsec-0123456789"


def wav_bytes() -> bytes:
    """A short 8 kHz mono 16-bit WAV whose samples are not all alike."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(range(256)) * 8)
    return buffer.getvalue()


WAV = wav_bytes()

ANN = User("Ann", "ann@example.com", mobile="+13125550101", notify=("email", "sms", "push"))
BOB = User("Bob", "bob@example.com", mobile="+13125550102", notify=("email",))
DIRECTORY = Directory(users=(ANN, BOB))
BOX = VoicemailBox("After Hours", BoxKind.SHARED, ("Ann", "Bob"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def message(store: RecordingStore, *, keywords: tuple[str, ...] = ()) -> Message:
    audio = store.save("vm-17", WAV, T0)
    return Message(
        box="After Hours",
        caller="+15551234567",
        received_at=T0,
        duration=42.0,
        audio=audio,
        transcript="Hi, this is Jane at 12 Elm Street, water is coming through the ceiling.",
        transcript_status=TranscriptStatus.DONE,
        keywords=keywords,
        id=17,
    )


@pytest.fixture
def store(tmp_path: Path) -> RecordingStore:
    return RecordingStore(tmp_path / "recordings")


@contextlib.asynccontextmanager
async def running(notifier: Notifier) -> AsyncIterator[Notifier]:
    task = asyncio.create_task(notifier.run())
    try:
        yield notifier
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def advance(clock: FakeClock, notifier: Notifier, delta: timedelta) -> None:
    clock.advance(delta)
    notifier.wake()


# --- a real SMTP server ----------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: keeps what it accepts; `refuse` answers RCPT with that reply instead."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []
        self.refuse: str | None = None

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.refuse is not None:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.received:
            raw = envelope.original_content or envelope.content
            assert isinstance(raw, bytes)
            parsed.append(email.message_from_bytes(raw, policy=email.policy.default))
        return [m for m in parsed if isinstance(m, EmailMessage)]


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int
    options: dict[str, Any] = field(default_factory=dict)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(Mailbox(), free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def client_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def authenticator(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"pbx", b"hunter2")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


def email_notice(store: RecordingStore, **changes: Any) -> Notice:
    (notice,) = voicemail_notices(
        message(store), VoicemailBox("After Hours", members=("Bob",)), DIRECTORY, T0,
        enabled=frozenset({Channel.EMAIL}), customer="Jane Doe",
    )  # fmt: skip
    return replace(notice, **changes)


def check_voicemail_email(mail: EmailMessage, to: str) -> None:
    assert mail["To"] == to
    assert mail["From"] == "PBX <pbx@example.com>"
    assert mail["Subject"] == "Voicemail from +15551234567 (Jane Doe) in After Hours, 0:42"
    assert mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "water is coming through the ceiling" in text
    assert "Jane Doe" in text and "2025-11-03T15:00:00+00:00" in text
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "audio/wav"
    assert attachment.get_filename() == "voicemail-17.wav"
    assert attachment.get_content() == WAV


# --- SmtpSender ------------------------------------------------------------------------------


async def test_smtp_sender_sends_the_transcript_with_the_recording_attached(
    smtp: SmtpServer, store: RecordingStore
) -> None:
    sender = SmtpSender("127.0.0.1", smtp.port, sender="PBX <pbx@example.com>")
    notice = email_notice(store)
    assert notice.attachment is not None
    await sender.send(notice, store.path(notice.attachment))
    (mail,) = smtp.mailbox.messages()
    check_voicemail_email(mail, "bob@example.com")
    assert smtp.mailbox.received[0].rcpt_tos == ["bob@example.com"]
    assert smtp.mailbox.received[0].mail_from == "pbx@example.com"


async def test_smtp_sender_default_from_and_emergency_headers(
    smtp: SmtpServer, store: RecordingStore
) -> None:
    (notice,) = emergency_notices(
        message(store, keywords=("water",)), [BOB], T0, enabled=frozenset({Channel.EMAIL})
    )
    await SmtpSender("127.0.0.1", smtp.port).send(notice, None)
    (mail,) = smtp.mailbox.messages()
    assert mail["From"] == f"pbx@{socket.gethostname()}"
    assert mail["Subject"].startswith("EMERGENCY voicemail from +15551234567")
    assert mail["Importance"] == "high"
    assert list(mail.iter_attachments()) == []


async def test_smtp_starttls_with_login(
    certificate: tuple[Path, Path], store: RecordingStore
) -> None:
    server = SmtpServer(
        Mailbox(),
        free_port(),
        {
            "tls_context": server_tls(certificate),
            "require_starttls": True,
            "auth_required": True,
            "authenticator": authenticator,
        },
    )
    server.start()
    try:
        options: dict[str, Any] = {
            "sender": "PBX <pbx@example.com>",
            "tls": "starttls",
            "user": "pbx",
            "ssl_context": client_tls(certificate),
        }
        notice = email_notice(store)
        assert notice.attachment is not None
        good = SmtpSender("127.0.0.1", server.port, password="hunter2", **options)
        await good.send(notice, store.path(notice.attachment))
        (mail,) = server.mailbox.messages()
        check_voicemail_email(mail, "bob@example.com")

        bad = SmtpSender("127.0.0.1", server.port, password="wrong", **options)
        with pytest.raises(DeliveryError, match=r"SMTP login as pbx refused: 535"):
            await bad.send(notice, None)
        untrusting = SmtpSender(
            "127.0.0.1", server.port, password="hunter2", **{**options, "ssl_context": None}
        )
        with pytest.raises(DeliveryError, match="TLS with 127.0.0.1:.* failed"):
            await untrusting.send(notice, None)
        plain = SmtpSender("127.0.0.1", server.port, sender="pbx@example.com")
        with pytest.raises(DeliveryError, match="530"):  # the server demands STARTTLS
            await plain.send(notice, None)
        assert len(server.mailbox.received) == 1
    finally:
        server.stop()


async def test_smtp_implicit_tls(certificate: tuple[Path, Path], store: RecordingStore) -> None:
    server = SmtpServer(Mailbox(), free_port(), {"ssl_context": server_tls(certificate)})
    server.start()
    try:
        sender = SmtpSender(
            "127.0.0.1",
            server.port,
            sender="PBX <pbx@example.com>",
            tls="tls",
            ssl_context=client_tls(certificate),
        )
        notice = email_notice(store)
        assert notice.attachment is not None
        await sender.send(notice, store.path(notice.attachment))
        (mail,) = server.mailbox.messages()
        check_voicemail_email(mail, "bob@example.com")
    finally:
        server.stop()


async def test_smtp_failures_are_delivery_errors(smtp: SmtpServer, store: RecordingStore) -> None:
    sender = SmtpSender("127.0.0.1", smtp.port, sender="pbx@example.com", timeout=5)
    notice = email_notice(store)
    smtp.mailbox.refuse = "550 5.1.1 No such user here"
    with pytest.raises(DeliveryError) as refused:
        await sender.send(notice, None)
    assert refused.value.reason == (
        "recipient bob@example.com refused: 550 5.1.1 No such user here"
    )
    smtp.stop()
    with pytest.raises(DeliveryError, match="cannot send through 127.0.0.1:.*refused"):
        await sender.send(notice, None)
    with pytest.raises(ValueError, match="smtp_tls"):
        SmtpSender("127.0.0.1", tls="ssl")


async def test_smtp_sender_leaves_out_an_oversized_recording(
    smtp: SmtpServer, store: RecordingStore
) -> None:
    notice = email_notice(store)
    assert notice.attachment is not None
    sender = SmtpSender("127.0.0.1", smtp.port, sender="pbx@example.com", max_attachment=100)
    await sender.send(notice, store.path(notice.attachment))
    (mail,) = smtp.mailbox.messages()
    assert list(mail.iter_attachments()) == []
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and "The recording is not attached" in body.get_content()


# --- the notifier with real SMTP -------------------------------------------------------------


def smtp_notifier(
    port: int, store: RecordingStore, outbox: MemoryOutbox, clock: FakeClock, **extra: Sender
) -> Notifier:
    sender = SmtpSender("127.0.0.1", port, sender="PBX <pbx@example.com>", timeout=5)
    senders: dict[Channel, Sender] = {Channel.EMAIL: sender}
    senders.update({Channel(name): s for name, s in extra.items()})
    return Notifier(outbox, senders, store.path, clock)


async def test_notifier_emails_every_member_of_a_shared_box(
    smtp: SmtpServer, store: RecordingStore
) -> None:
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    notifier = smtp_notifier(smtp.port, store, outbox, clock)
    assert notifier.enabled == frozenset({Channel.EMAIL})
    notices = voicemail_notices(
        message(store), BOX, DIRECTORY, clock(), enabled=notifier.enabled, customer="Jane Doe"
    )
    assert [n.address for n in notices] == ["ann@example.com", "bob@example.com"]

    await notifier.notify(notices)  # stored only: nothing is sent without the worker
    assert len(outbox.with_status(NoticeStatus.PENDING)) == 2
    assert smtp.mailbox.received == []

    async with running(notifier):
        await eventually(lambda: len(outbox.with_status(NoticeStatus.SENT)) == 2)
    mails = sorted(smtp.mailbox.messages(), key=lambda m: str(m["To"]))
    check_voicemail_email(mails[0], "ann@example.com")
    check_voicemail_email(mails[1], "bob@example.com")
    assert all(n.attempts == 1 and n.last_error is None for n in outbox.notices.values())


async def test_notifier_retries_a_refusing_then_down_smtp_server_until_it_takes_the_email(
    smtp: SmtpServer, store: RecordingStore
) -> None:
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    notifier = smtp_notifier(smtp.port, store, outbox, clock)
    smtp.mailbox.refuse = "554 5.7.1 Service unavailable, try later"
    async with running(notifier):
        await notifier.notify([email_notice(store)])
        await eventually(lambda: len(outbox.outcomes) == 1)
        (first,) = outbox.outcomes
        assert first.what == "retry" and first.attempts == 1
        assert first.at == T0 + timedelta(seconds=30)
        assert first.error == (
            "recipient bob@example.com refused: 554 5.7.1 Service unavailable, try later"
        )
        (notice,) = outbox.notices.values()
        assert notice.status is NoticeStatus.PENDING and notice.last_error == first.error

        await advance(clock, notifier, timedelta(seconds=10))  # not due yet
        await asyncio.sleep(0.2)
        assert len(outbox.outcomes) == 1

        smtp.stop()
        await advance(clock, notifier, timedelta(seconds=20))
        await eventually(lambda: len(outbox.outcomes) == 2)
        second = outbox.outcomes[1]
        assert second.what == "retry" and second.attempts == 2
        assert second.at == T0 + timedelta(seconds=30 + 120)
        assert second.error is not None and "refused" in second.error

        smtp.mailbox.refuse = None
        smtp.start()
        await advance(clock, notifier, timedelta(minutes=2))
        await eventually(lambda: len(outbox.outcomes) == 3)
    third = outbox.outcomes[2]
    assert third.what == "delivered" and third.attempts == 3
    (notice,) = outbox.notices.values()
    assert notice.status is NoticeStatus.SENT
    (mail,) = smtp.mailbox.messages()
    check_voicemail_email(mail, "bob@example.com")


async def test_notifier_sends_without_a_missing_recording_and_says_so(
    smtp: SmtpServer, store: RecordingStore
) -> None:
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    notifier = smtp_notifier(smtp.port, store, outbox, clock)
    gone = email_notice(store, attachment="2025/11/deleted.wav")
    escaping = email_notice(store, attachment="../../etc/passwd")
    async with running(notifier):
        await notifier.notify([gone, escaping])
        await eventually(lambda: len(outbox.with_status(NoticeStatus.SENT)) == 2)
    for mail in smtp.mailbox.messages():
        assert list(mail.iter_attachments()) == []
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        assert "The recording could not be attached: the file is missing." in body.get_content()
        assert "water is coming through the ceiling" in body.get_content()


# --- a real webhook receiver -----------------------------------------------------------------


@dataclass
class Gateway:
    """An SMS/push gateway on loopback that verifies signatures; `statuses[path]` are its
    answers to that path in turn (then 200)."""

    url: str = ""
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    statuses: dict[str, list[int]] = field(default_factory=dict)
    delay: float = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        timestamp = headers["X-Pbx-Timestamp"]
        expected = "sha256=" + sign(SECRET, timestamp, body)
        if headers["X-Pbx-Signature"] != expected:
            return web.Response(status=401, text="bad signature")
        self.received.append((request.path, headers, body))
        if self.delay:
            await asyncio.sleep(self.delay)
        answers = self.statuses.get(request.path)
        status = answers.pop(0) if answers else 200
        return web.Response(status=status, text="boom\n  (stack trace)" if status >= 500 else "")


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    gw = Gateway()
    app = web.Application()
    app.router.add_post("/sms", gw.handle)
    app.router.add_post("/push", gw.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    gw.url = f"http://{host}:{port}"
    yield gw
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def webhook_notices(store: RecordingStore, **changes: Any) -> list[Notice]:
    notices = voicemail_notices(
        message(store, keywords=("water",)), VoicemailBox("Ann", BoxKind.PERSONAL, ("Ann",)),
        DIRECTORY, T0, enabled=frozenset({Channel.SMS, Channel.PUSH}), customer="Jane Doe",
    )  # fmt: skip
    return [replace(n, **changes) for n in notices]


async def test_webhook_sender_posts_signed_json(
    gateway: Gateway, session: aiohttp.ClientSession, store: RecordingStore
) -> None:
    sms, push = webhook_notices(store, id=41)
    sender = WebhookSender(session, gateway.url + "/sms", SECRET)
    await sender.send(sms, None)
    await WebhookSender(session, gateway.url + "/push", SECRET).send(push, None)
    (path, headers, body), (push_path, push_headers, push_body) = gateway.received
    assert path == "/sms" and push_path == "/push"
    assert body == webhook_body(sms)
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Pbx-Event"] == "emergency"
    assert headers["X-Pbx-Delivery"] == "41"
    now = datetime.now(UTC)
    assert verify(SECRET, headers["X-Pbx-Timestamp"], body, headers["X-Pbx-Signature"], now)
    payload = sms.payload
    assert payload["to"] == "+13125550101" and payload["event"] == "emergency"
    assert payload["text"].startswith("EMERGENCY voicemail from +15551234567 (Jane Doe)")
    assert push_body == webhook_body(push)
    assert push.payload["user"] == "Ann" and push.payload["title"] == push.subject


async def test_webhook_failures_are_delivery_errors(
    gateway: Gateway, session: aiohttp.ClientSession, store: RecordingStore
) -> None:
    sms, _ = webhook_notices(store)
    with_token = gateway.url + "/sms?token=topsecret"
    gateway.statuses = {"/sms": [500]}
    with pytest.raises(DeliveryError) as error:
        await WebhookSender(session, with_token, SECRET).send(sms, None)
    assert error.value.reason == f"HTTP 500 from {gateway.url}/sms: boom (stack trace)"

    with pytest.raises(DeliveryError, match="HTTP 401 from .*bad signature"):
        await WebhookSender(session, gateway.url + "/sms", "wrong secret").send(sms, None)

    gateway.delay = 1.0
    with pytest.raises(DeliveryError, match=r"no answer from .*/sms within 0.2 s"):
        await WebhookSender(session, gateway.url + "/sms", SECRET, timeout=0.2).send(sms, None)

    closed = f"http://127.0.0.1:{free_port()}/sms?token=topsecret"
    with pytest.raises(DeliveryError) as down:
        await WebhookSender(session, closed, SECRET).send(sms, None)
    assert down.value.reason.startswith("cannot POST to http://127.0.0.1:")
    assert "topsecret" not in down.value.reason
    with pytest.raises(ValueError, match="http"):
        WebhookSender(session, "ftp://example.com/x", SECRET)


async def test_notifier_retries_webhooks_after_500_and_gives_up_after_the_last_attempt(
    gateway: Gateway, session: aiohttp.ClientSession, store: RecordingStore
) -> None:
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    senders: dict[Channel, Sender] = {
        Channel.SMS: WebhookSender(session, gateway.url + "/sms", SECRET),
        Channel.PUSH: WebhookSender(session, gateway.url + "/push", SECRET),
    }
    notifier = Notifier(outbox, senders, store.path, clock)
    sms, push = webhook_notices(store)
    # push: 500 twice, then accepted; SMS: 500 every time
    gateway.statuses = {"/push": [500, 500], "/sms": [500] * MAX_ATTEMPTS}
    async with running(notifier):
        await notifier.notify([sms, push])
        for attempt in range(1, MAX_ATTEMPTS + 1):
            # push is delivered at its third attempt; SMS fails every time
            expected = len(outbox.outcomes) + (2 if attempt <= 3 else 1)

            def reached(count: int = expected) -> bool:
                return len(outbox.outcomes) == count

            await eventually(reached, what=f"the outcomes of attempt {attempt}")
            next_due = await outbox.next_due()
            if next_due is not None:
                await advance(clock, notifier, next_due - clock())
    sms_id, push_id = 1, 2
    sms_outcomes = [o for o in outbox.outcomes if o.notice_id == sms_id]
    push_outcomes = [o for o in outbox.outcomes if o.notice_id == push_id]
    assert [o.what for o in push_outcomes] == ["retry", "retry", "delivered"]
    assert [o.what for o in sms_outcomes] == ["retry"] * (MAX_ATTEMPTS - 1) + ["give_up"]
    assert sms_outcomes[-1].attempts == MAX_ATTEMPTS
    assert sms_outcomes[0].error == f"HTTP 500 from {gateway.url}/sms: boom (stack trace)"
    assert outbox.notices[sms_id].status is NoticeStatus.FAILED
    assert outbox.notices[sms_id].last_error == sms_outcomes[0].error
    assert outbox.notices[push_id].status is NoticeStatus.SENT
    sms_posts = [r for r in gateway.received if r[0] == "/sms"]
    assert len(sms_posts) == MAX_ATTEMPTS
    # every retry is the same delivery, signed afresh
    assert {r[1]["X-Pbx-Delivery"] for r in sms_posts} == {str(sms_id)}
    assert all(r[2] == webhook_body(sms) for r in sms_posts)
    # the schedule: each retry waited longer than the one before
    waits = [o.at - T0 for o in sms_outcomes[:-1] if o.at is not None]
    assert waits[0] == timedelta(seconds=30) and waits == sorted(waits)


# --- the worker's own behaviour (in-memory senders) ------------------------------------------


def plain_notice(channel: Channel, user: str = "Ann", **changes: Any) -> Notice:
    return replace(
        Notice(channel, user, f"{user.lower()}@example.com", "voicemail", "s", "b", T0, T0),
        **changes,
    )


async def test_notices_survive_an_outbox_outage(tmp_path: Path) -> None:
    outbox, clock, sender = MemoryOutbox(), FakeClock(T0), ListSender()
    notifier = Notifier(outbox, {Channel.EMAIL: sender}, lambda p: tmp_path / p, clock)
    async with running(notifier):
        outbox.available = False
        await notifier.notify([plain_notice(Channel.EMAIL)])  # does not raise
        assert notifier.backlog == 1
        await asyncio.sleep(0.2)
        assert sender.sent == [] and outbox.notices == {}
        outbox.available = True
        await eventually(lambda: len(outbox.with_status(NoticeStatus.SENT)) == 1)
    assert len(sender.sent) == 1 and notifier.backlog == 0


async def test_an_unrecorded_outcome_is_kept_and_the_notice_not_sent_twice(
    tmp_path: Path,
) -> None:
    outbox, clock, sender = MemoryOutbox(), FakeClock(T0), ListSender()
    sender.gate = asyncio.Event()
    notifier = Notifier(outbox, {Channel.EMAIL: sender}, lambda p: tmp_path / p, clock)
    async with running(notifier):
        await notifier.notify([plain_notice(Channel.EMAIL)])
        await eventually(lambda: sender.in_flight == 1)
        outbox.available = False  # the database goes down while the email is being sent
        sender.gate.set()
        await eventually(lambda: notifier.backlog == 1)
        assert len(sender.sent) == 1
        outbox.available = True
        await eventually(lambda: notifier.backlog == 0)
        await asyncio.sleep(0.1)
    assert len(sender.sent) == 1
    assert [o.what for o in outbox.outcomes] == ["delivered"]


async def test_a_channel_without_sender_is_given_up_at_once(tmp_path: Path) -> None:
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    notifier = Notifier(outbox, {Channel.EMAIL: ListSender()}, lambda p: tmp_path / p, clock)
    async with running(notifier):
        await notifier.notify([plain_notice(Channel.SMS, address="+13125550101")])
        await eventually(lambda: len(outbox.outcomes) == 1)
    (outcome,) = outbox.outcomes
    assert (outcome.what, outcome.attempts) == ("give_up", 1)
    assert outcome.error == "sms notifications are not configured"


async def test_deliveries_are_bounded_per_channel_and_one_channel_does_not_hold_up_another(
    tmp_path: Path,
) -> None:
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    slow_mail, sms = ListSender(), ListSender()
    slow_mail.gate = asyncio.Event()
    notifier = Notifier(
        outbox, {Channel.EMAIL: slow_mail, Channel.SMS: sms}, lambda p: tmp_path / p, clock
    )
    async with running(notifier):
        await notifier.notify([plain_notice(Channel.EMAIL, f"U{i}") for i in range(10)])
        await notifier.notify([plain_notice(Channel.SMS, "Ann", address="+13125550101")])
        await eventually(lambda: len(sms.sent) == 1)  # while every email is stuck
        assert slow_mail.in_flight == 4
        slow_mail.gate.set()
        await eventually(lambda: len(slow_mail.sent) == 10)
    assert slow_mail.most_in_flight == 4
    assert len(outbox.with_status(NoticeStatus.SENT)) == 11


async def test_a_sender_that_hangs_or_breaks_counts_as_a_failed_attempt(tmp_path: Path) -> None:
    class Broken:
        async def send(self, notice: Notice, attachment: Path | None) -> None:
            raise RuntimeError("bug in the sender")

    hanging = ListSender()
    hanging.gate = asyncio.Event()  # never set
    outbox, clock = MemoryOutbox(), FakeClock(T0)
    notifier = Notifier(
        outbox,
        {Channel.EMAIL: Broken(), Channel.PUSH: hanging},
        lambda p: tmp_path / p,
        clock,
        send_timeout=0.2,
    )
    async with running(notifier):
        await notifier.notify([plain_notice(Channel.EMAIL), plain_notice(Channel.PUSH)])
        await eventually(lambda: len(outbox.outcomes) == 2)
    errors = {outbox.notices[o.notice_id].channel: o.error for o in outbox.outcomes}
    assert errors == {
        Channel.EMAIL: "RuntimeError: bug in the sender",
        Channel.PUSH: "no result within 0.2 s",
    }
    assert all(o.what == "retry" for o in outbox.outcomes)
