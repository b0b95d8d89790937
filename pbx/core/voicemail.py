"""Voicemail messages as values.

A message is left in a box (personal or shared) by a call that nobody
answered. It is stored at once with its audio; its transcript arrives later
(transcription runs off the call path and may fail without losing the
message), and with it the emergency keywords found in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pbx.core.model import Directory


class TranscriptStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Message:
    """One voicemail message.

    `audio` is the path of the WAV file inside the recording store. `keywords`
    are the emergency keywords its transcript matched (empty: not an
    emergency). `transcript_error` says why transcription failed.
    """

    box: str
    caller: str
    received_at: datetime
    duration: float  # seconds of audio
    audio: str
    call_key: str | None = None
    business_number: str | None = None
    customer_id: int | None = None
    job_id: int | None = None
    transcript: str | None = None
    transcript_status: TranscriptStatus = TranscriptStatus.PENDING
    transcript_error: str | None = None
    engine: str | None = None
    confidence: float | None = None
    read: bool = False
    assigned_to: str | None = None
    keywords: tuple[str, ...] = ()
    id: int | None = None

    @property
    def emergency(self) -> bool:
        return bool(self.keywords)


@dataclass(frozen=True)
class MessageFilters:
    """What a message list keeps besides box, read state and transcript status (None:
    any): only these boxes, emergencies or not, a customer, an assigned user, received
    in [since, until), and after (received_at, id) in newest-first order (a page)."""

    boxes: frozenset[str] | None = None
    emergency: bool | None = None
    customer_id: int | None = None
    assigned: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: tuple[datetime, int] | None = None


@dataclass(frozen=True)
class Escalation:
    """One step of an emergency escalation: who was notified or called, and how it went."""

    message_id: int
    at: datetime
    action: str  # e.g. "notify email", "call", "call answered", "call not answered"
    user: str | None = None
    detail: str = ""


def keyword_lists(
    box_keywords: tuple[str, ...] | None,
    number_keywords: tuple[str, ...] | None,
    defaults: tuple[str, ...],
    *,
    has_number: bool,
) -> tuple[str, ...]:
    """The emergency keywords a message is checked against: its box's list and its
    business number's (a list not set is the trade defaults; internal calls have no number)."""
    lists = [defaults if box_keywords is None else box_keywords]
    if has_number:
        lists.append(defaults if number_keywords is None else number_keywords)
    return tuple(dict.fromkeys(k for words in lists for k in words))


def lamp_counts(
    directory: Directory, counts: Mapping[str, tuple[int, int]]
) -> dict[str, tuple[int, int]]:
    """Per extension: the (unread, read) messages of its boxes, for its message-waiting lamp.

    An extension's boxes are its own voicemail box and the shared boxes its user is a member of.
    """
    lamps: dict[str, tuple[int, int]] = {}
    for ext in directory.extensions:
        boxes = {b.name for b in directory.boxes if ext.user in b.members}
        if ext.voicemail_box:
            boxes.add(ext.voicemail_box)
        new = sum(counts.get(box, (0, 0))[0] for box in boxes)
        old = sum(counts.get(box, (0, 0))[1] for box in boxes)
        lamps[ext.number] = (new, old)
    return lamps
