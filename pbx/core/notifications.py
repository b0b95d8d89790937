"""Notifications as values: one `Notice` is one message to one user on one channel.

Notices wait in an outbox (the database) until a sender delivers them; a
failed delivery is retried later (`retry_at`), and given up after a few attempts.

This module decides who is told what: `voicemail_notices` follows each user's
chosen channels, `emergency_notices` escalates on every channel a user can be
reached on. It also defines how webhook deliveries are signed, so that senders
and receivers share one definition:

    POST <url>                        body: the notice's payload as compact JSON, sorted keys
    Content-Type: application/json
    X-Pbx-Event: voicemail | emergency | emergency-call
    X-Pbx-Delivery: <notice id>       the same on every retry: receivers can drop duplicates
    X-Pbx-Timestamp: <unix seconds>
    X-Pbx-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>

A receiver recomputes the signature over the raw body with `sign` (or `verify`)
and rejects old timestamps, which makes a captured request useless later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pbx.core.model import Directory, User, VoicemailBox
from pbx.core.voicemail import Message, TranscriptStatus


class Channel(StrEnum):
    EMAIL = "email"  # SMTP to User.email, audio attached
    SMS = "sms"  # the SMS webhook, to User.mobile
    PUSH = "push"  # the push webhook, to the user by name


class NoticeStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up after the last attempt


@dataclass(frozen=True)
class Notice:
    """One notification waiting in (or done with) the outbox.

    `address` is where the channel delivers: an email address, an E.164
    mobile number, or the user's name for push. `payload` is the JSON body of
    a webhook delivery (it also names the event); `attachment` the path of the
    audio file inside the recording store (email only).
    """

    channel: Channel
    user: str
    address: str
    kind: str  # "voicemail", "emergency" or "emergency-call"
    subject: str
    body: str
    created_at: datetime
    next_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    attachment: str | None = None
    message_id: int | None = None  # the voicemail message it is about
    attempts: int = 0
    status: NoticeStatus = NoticeStatus.PENDING
    last_error: str | None = None
    id: int | None = None


class DeliveryError(Exception):
    """A sender could not deliver a notice; `reason` is one line for the outbox and the log."""

    def __init__(self, reason: str) -> None:
        reason = " ".join(reason.split()) or "delivery failed"
        super().__init__(reason)
        self.reason = reason


KIND_VOICEMAIL = "voicemail"
KIND_EMERGENCY = "emergency"
KIND_ONCALL_CALL = "emergency-call"  # an after-hours call ringing the on-call technician

HEADER_EVENT = "X-Pbx-Event"
HEADER_DELIVERY = "X-Pbx-Delivery"
HEADER_TIMESTAMP = "X-Pbx-Timestamp"
HEADER_SIGNATURE = "X-Pbx-Signature"
SIGNATURE_PREFIX = "sha256="
SIGNATURE_TOLERANCE = 300  # seconds a receiver should accept between timestamp and its clock

SMS_MAX = 320  # two concatenated SMS segments
PUSH_BODY_MAX = 240

# Wait after the n-th failed attempt; after the last one the notice is given up (8 attempts
# over about 8 hours: long enough to outlast a mail server's restart or a gateway's outage).
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def retry_at(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts (1 = the first failed); None = give up."""
    if attempts < 1:
        raise ValueError(f"attempts counts failed attempts and starts at 1, got {attempts}")
    if attempts > len(RETRY_DELAYS):
        return None
    return now + RETRY_DELAYS[attempts - 1]


# --- who is told ---------------------------------------------------------------------------


def recipients(box: VoicemailBox, directory: Directory) -> tuple[User, ...]:
    """The users a box notifies: its members (a personal box's member is its owner).

    Inactive users and names that are not (or no longer) in the directory are
    skipped; each user appears once, in the box's order.
    """
    return _active_users(directory.user(name) for name in box.members)


def _active_users(users: Iterable[User | None]) -> tuple[User, ...]:
    seen: set[str] = set()
    found: list[User] = []
    for user in users:
        if user is None or not user.active or user.name in seen:
            continue
        seen.add(user.name)
        found.append(user)
    return tuple(found)


def address(user: User, channel: Channel) -> str | None:
    """Where `channel` reaches `user`, or None when the user has no such address."""
    if channel is Channel.EMAIL:
        value: str | None = user.email
    elif channel is Channel.SMS:
        value = user.mobile
    else:
        value = user.name
    value = (value or "").strip()
    return value or None


def chosen_channels(user: User) -> tuple[Channel, ...]:
    """The channels the user chose (User.notify), in Channel order; unknown names are ignored."""
    names = {name.strip().lower() for name in user.notify}
    return tuple(channel for channel in Channel if channel.value in names)


# --- what they are told ----------------------------------------------------------------------


def voicemail_notices(
    message: Message,
    box: VoicemailBox,
    directory: Directory,
    now: datetime,
    *,
    enabled: frozenset[Channel],
    customer: str | None = None,
) -> list[Notice]:
    """The notices about a new (or newly transcribed) message left in `box`.

    One per recipient per channel that the recipient chose, that is enabled (a
    sender is configured) and on which the recipient has an address. An
    emergency message (keywords found) gives "emergency" notices.
    """
    kind = KIND_EMERGENCY if message.emergency else KIND_VOICEMAIL
    notices: list[Notice] = []
    for user in recipients(box, directory):
        for channel in chosen_channels(user):
            if channel in enabled:
                notice = _notice(message, box.name, user, channel, kind, now, customer)
                if notice is not None:
                    notices.append(notice)
    return notices


def emergency_notices(
    message: Message,
    users: Sequence[User],
    now: datetime,
    *,
    enabled: frozenset[Channel],
    customer: str | None = None,
) -> list[Notice]:
    """Escalation: "emergency" notices to `users` on every enabled channel they can be reached on.

    `users` are whoever must act (the on-call technician, the box's members);
    their channel choices are overridden, inactive users skipped.
    """
    notices: list[Notice] = []
    for user in _active_users(users):
        for channel in Channel:
            if channel in enabled:
                notice = _notice(message, message.box, user, channel, KIND_EMERGENCY, now, customer)
                if notice is not None:
                    notices.append(notice)
    return notices


def oncall_call_notices(
    tech: User,
    caller: str,
    customer: str | None,
    business_number: str | None,
    at: datetime,
    *,
    enabled: frozenset[Channel],
) -> list[Notice]:
    """Auto-notify: an inbound emergency call is ringing on-call technician `tech` now.

    Sent on every enabled channel the technician can be reached on (like an
    escalation), so that a phone on silent still buzzes.
    """
    if not tech.active:
        return []
    who = caller.strip() or "an unknown caller"
    if customer:
        who += f" ({customer})"
    to = f" to {business_number}" if business_number else ""
    subject = f"EMERGENCY call from {who}{to}: your phone is ringing (press 1 to accept)"
    payload: dict[str, Any] = {
        "event": KIND_ONCALL_CALL,
        "caller": caller,
        "customer": customer,
        "business_number": business_number,
        "received_at": iso_utc(at),
    }
    body = "\n".join(
        [subject, "", f"Caller:      {caller or 'unknown'}", f"Customer:    {customer or 'unknown'}",
         f"Number:      {business_number or '-'}", f"Received at: {iso_utc(at)}", ""]
    )  # fmt: skip
    notices: list[Notice] = []
    for channel in Channel:
        where = address(tech, channel) if channel in enabled else None
        if where is None:
            continue
        extra: dict[str, Any] = {}
        if channel is Channel.SMS:
            extra = {"to": where, "text": _short(subject, SMS_MAX)}
        elif channel is Channel.PUSH:
            extra = {"user": tech.name, "title": subject, "body": _short(subject, PUSH_BODY_MAX)}
        notices.append(
            Notice(
                channel=channel, user=tech.name, address=where, kind=KIND_ONCALL_CALL,
                subject=subject, body=body, created_at=at, next_at=at,
                payload={**payload, **extra},
            )
        )  # fmt: skip
    return notices


def without_duplicates(notices: Iterable[Notice]) -> list[Notice]:
    """One notice per (channel, address, message): for combining voicemail and escalation lists.

    Where two notices go to the same place about the same message, the
    emergency one is kept (in the position of the first).
    """
    kept: dict[tuple[Channel, str, int | None], Notice] = {}
    for notice in notices:
        key = (notice.channel, notice.address, notice.message_id)
        earlier = kept.get(key)
        upgrade = (
            earlier is not None and earlier.kind != KIND_EMERGENCY and notice.kind == KIND_EMERGENCY
        )
        if earlier is None or upgrade:
            kept[key] = notice
    return list(kept.values())


def _notice(
    message: Message,
    box: str,
    user: User,
    channel: Channel,
    kind: str,
    now: datetime,
    customer: str | None,
) -> Notice | None:
    where = address(user, channel)
    if where is None:
        return None
    subject = _subject(message, box, kind, customer)
    payload = _payload(message, box, kind, customer)
    if channel is Channel.SMS:
        payload["to"] = where
        payload["text"] = _short(f"{subject}. {_transcript_text(message)}", SMS_MAX)
    elif channel is Channel.PUSH:
        payload["user"] = user.name
        payload["title"] = subject
        payload["body"] = _short(_transcript_text(message), PUSH_BODY_MAX)
    return Notice(
        channel=channel,
        user=user.name,
        address=where,
        kind=kind,
        subject=subject,
        body=_body(message, box, kind, customer),
        created_at=now,
        next_at=now,
        payload=payload,
        attachment=message.audio if channel is Channel.EMAIL and message.audio else None,
        message_id=message.id,
    )


def _caller(message: Message, customer: str | None) -> str:
    caller = message.caller.strip() or "an unknown caller"
    return f"{caller} ({customer})" if customer else caller


def _subject(message: Message, box: str, kind: str, customer: str | None) -> str:
    text = (
        f"Voicemail from {_caller(message, customer)} in {box}, {format_duration(message.duration)}"
    )
    if kind == KIND_EMERGENCY:
        text = "EMERGENCY " + text[0].lower() + text[1:]
        if message.keywords:
            text += ": " + ", ".join(message.keywords)
    return text


def _transcript_text(message: Message) -> str:
    if message.transcript_status is TranscriptStatus.FAILED:
        return f"(no transcript: {message.transcript_error or 'transcription failed'})"
    if message.transcript_status is TranscriptStatus.PENDING or message.transcript is None:
        return "(transcript pending)"
    return message.transcript.strip() or "(nothing was said)"


def _body(message: Message, box: str, kind: str, customer: str | None) -> str:
    lines = [
        _subject(message, box, kind, customer),
        "",
        f"Caller:      {message.caller or 'unknown'}",
        f"Customer:    {customer or 'unknown'}",
        f"Box:         {box}",
        f"Received at: {iso_utc(message.received_at)}",
        f"Duration:    {format_duration(message.duration)}",
    ]
    if message.keywords:
        lines.append(f"Emergency keywords: {', '.join(message.keywords)}")
    if message.id is not None:
        lines.append(f"Message id:  {message.id}")
    lines += ["", "Transcript:", _transcript_text(message), ""]
    return "\n".join(lines)


def _payload(message: Message, box: str, kind: str, customer: str | None) -> dict[str, Any]:
    return {
        "event": kind,
        "message_id": message.id,
        "box": box,
        "caller": message.caller,
        "customer": customer,
        "received_at": iso_utc(message.received_at),
        "duration": round(message.duration, 1),
        "transcript": message.transcript,
        "transcript_status": message.transcript_status.value,
        "keywords": list(message.keywords),
    }


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 3].rstrip() + "..."


def format_duration(seconds: float) -> str:
    """0:42, 12:05, 1:02:03."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_utc(when: datetime) -> str:
    """ISO 8601 in UTC to the second (a naive datetime is taken to be UTC already)."""
    utc = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return utc.isoformat(timespec="seconds")


# --- webhook signatures ----------------------------------------------------------------------


def webhook_body(notice: Notice) -> bytes:
    """The exact bytes POSTed for a notice: its payload as compact JSON with sorted keys."""
    return json.dumps(
        notice.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of `<timestamp>.<body>` under `secret` (X-Pbx-Signature minus 'sha256=')."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return mac.hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: datetime,
    *,
    tolerance: int = SIGNATURE_TOLERANCE,
) -> bool:
    """A receiver's check: the signature header matches and the timestamp is recent."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now.timestamp() - sent) > tolerance:
        return False
    expected = SIGNATURE_PREFIX + sign(secret, timestamp, body)
    return hmac.compare_digest(expected, signature.strip())
