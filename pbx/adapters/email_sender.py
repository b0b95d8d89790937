"""Email notifications over SMTP (stdlib smtplib, run off the event loop).

One connection per message: notifications are few, and a fresh connection
never trips over a server that silently dropped an idle one. The voicemail
audio is attached as audio/wav; a recording too big for mail servers is left
out and the body says so.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from pbx.core.notifications import KIND_EMERGENCY, KIND_ONCALL_CALL, DeliveryError, Notice

TLS_MODES = ("none", "starttls", "tls")
TIMEOUT = 20.0  # seconds per SMTP operation (connect, each command)
MAX_ATTACHMENT = 10 * 1024 * 1024  # many providers refuse messages over 10-25 MB


class SmtpSender:
    """Sends notices as email through one SMTP server.

    `tls`: "none" (plain, port 25), "starttls" (upgrade, usually port 587) or
    "tls" (TLS from the start, usually port 465). `user` empty = no login.
    `ssl_context` defaults to the system's trust store with host-name checking.
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        user: str = "",
        password: str = "",
        sender: str = "",
        tls: str = "none",
        timeout: float = TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        max_attachment: int = MAX_ATTACHMENT,
    ) -> None:
        if tls not in TLS_MODES:
            raise ValueError(f"smtp_tls must be one of {', '.join(TLS_MODES)}, got {tls!r}")
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.sender = sender or f"pbx@{socket.gethostname()}"
        self.tls = tls
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.max_attachment = max_attachment

    async def send(self, notice: Notice, attachment: Path | None) -> None:
        """Deliver one notice to `notice.address`; DeliveryError with a one-line reason if not."""
        await asyncio.to_thread(self._send, notice, attachment)

    def _send(self, notice: Notice, attachment: Path | None) -> None:
        message = self.build(notice, attachment)
        try:
            with self._connect() as smtp:
                if self.tls == "starttls":
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login as {self.user} refused: {_reply(exc)}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            reasons = "; ".join(f"{code} {_text(text)}" for code, text in exc.recipients.values())
            raise DeliveryError(f"recipient {notice.address} refused: {reasons}") from exc
        except smtplib.SMTPSenderRefused as exc:
            raise DeliveryError(f"sender {self.sender} refused: {_reply(exc)}") from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP server {self._where}: {_reply(exc)}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"SMTP server {self._where}: {exc}") from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise DeliveryError(f"SMTP server {self._where} disconnected: {exc}") from exc
        except ssl.SSLError as exc:
            raise DeliveryError(f"TLS with {self._where} failed: {exc}") from exc
        except TimeoutError as exc:
            reason = f"SMTP server {self._where} timed out ({self.timeout:g} s)"
            raise DeliveryError(reason) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"cannot send through {self._where}: {exc}") from exc

    def build(self, notice: Notice, attachment: Path | None) -> EmailMessage:
        """The email for a notice (reads the attachment: blocking)."""
        message = EmailMessage()
        try:
            message["From"] = self.sender
            message["To"] = notice.address
            message["Subject"] = notice.subject
        except ValueError as exc:  # a header with a line break or similar
            raise DeliveryError(f"cannot write the email: {exc}") from exc
        message["Date"] = formatdate(localtime=False, usegmt=True)
        domain = parseaddr(self.sender)[1].rpartition("@")[2]
        message["Message-ID"] = make_msgid(domain=domain or None)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
        if notice.kind in (KIND_EMERGENCY, KIND_ONCALL_CALL):
            message["Importance"] = "high"
            message["X-Priority"] = "1"
        body = notice.body
        data: bytes | None = None
        if attachment is not None:
            try:
                size = attachment.stat().st_size
                if size > self.max_attachment:
                    body += (
                        f"\n(The recording is not attached: {size / 1e6:.1f} MB is over the "
                        f"{self.max_attachment / 1e6:.0f} MB limit for email.)\n"
                    )
                else:
                    data = attachment.read_bytes()
            except OSError as exc:
                body += f"\n(The recording could not be attached: {exc.strerror or exc}.)\n"
        message.set_content(body)
        if data is not None:
            message.add_attachment(
                data, maintype="audio", subtype="wav", filename=attachment_name(notice, attachment)
            )
        return message

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "tls":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


def attachment_name(notice: Notice, path: Path | None = None) -> str:
    """voicemail-<message id>.wav (or the stored file's name when the notice has no message id)."""
    if notice.message_id is not None:
        return f"voicemail-{notice.message_id}.wav"
    return path.name if path is not None else "voicemail.wav"


def _text(raw: bytes | str) -> str:
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"
