"""What happens once a message is transcribed: notifications, and for an emergency, escalation.

Every transcribed message (or one whose transcription failed) notifies the
members of its box on the channels they chose. A message that matched an
emergency keyword also escalates: the technician on call (the box's members
when nobody is) is notified on every channel they can be reached on and,
when enabled, called: their phones ring and, on answer, they hear who called
and the message. Every step of an escalation is logged with the message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from pbx.core.model import User
from pbx.core.notifications import (
    Notice,
    emergency_notices,
    recipients,
    voicemail_notices,
    without_duplicates,
)
from pbx.core.oncall import EmergencyCall, on_call
from pbx.core.ringing import Presence, reach_user
from pbx.core.voicemail import Escalation, Message
from pbx.services.callcontrol import DirectoryView
from pbx.services.notifier import Notifier

log = logging.getLogger(__name__)


class EscalationLog(Protocol):
    async def log_escalation(self, step: Escalation) -> None: ...

    async def add_emergency_call(self, entry: EmergencyCall) -> EmergencyCall:
        """Log an emergency in the on-call shift's call log (idempotent per message)."""
        ...


class EscalationCalls(Protocol):
    async def call(self, endpoint: str, message: Message, audio: Path) -> None:
        """Ring `endpoint` (a Dial() target); on answer play who called and the message."""
        ...


def _now() -> datetime:
    return datetime.now(UTC)


class AfterTranscript:
    """Notifies and escalates one transcribed message (the Transcriber's `on_done`)."""

    def __init__(
        self,
        directory: DirectoryView,
        notifier: Notifier,
        steps: EscalationLog,
        calls: EscalationCalls | None,
        audio_path: Callable[[str], Path],
        presence: Presence,
        *,
        clock: Callable[[], datetime] = _now,
        on_emergency: Callable[[Message, tuple[str, ...]], None] | None = None,
    ) -> None:
        self.on_emergency = on_emergency  # told who an emergency voicemail escalates to
        self.directory = directory
        self.notifier = notifier
        self.steps = steps
        self.calls = calls
        self.audio_path = audio_path
        self.presence = presence
        self.clock = clock

    async def __call__(self, message: Message) -> None:
        index = self.directory.index
        if index is None:
            log.warning("voicemail %s: directory not loaded; no notifications", message.id)
            return
        now = self.clock()
        directory = index.directory
        customer = directory.customer(message.customer_id) if message.customer_id else None
        name = customer.name if customer is not None else None
        box = index.boxes.get(message.box)
        notices: list[Notice] = []
        if box is not None:
            notices = voicemail_notices(
                message, box, directory, now, enabled=self.notifier.enabled, customer=name
            )
        if message.emergency:
            members = recipients(box, directory) if box is not None else ()
            notices += await self.escalate(message, members, name, now)
        await self.notifier.notify(without_duplicates(notices))

    async def escalate(
        self, message: Message, members: Sequence[User], customer: str | None, now: datetime
    ) -> list[Notice]:
        """Notify and call whoever is on call (else `members`); log every step."""
        assert message.id is not None
        index = self.directory.index
        assert index is not None
        shifts = on_call(index.directory.shifts, now)
        tech = index.users.get(shifts.primary.tech) if shifts.primary is not None else None
        if not index.directory.oncall.auto_notify:
            tech = None
        users = [tech] if tech is not None else list(members)
        if tech is not None:
            who = "the technician on call"
        elif shifts.primary is not None:
            who = "the box's members (on-call auto-notify is off)"
        else:
            who = "the box's members (nobody is on call)"
        log.warning(
            "EMERGENCY voicemail %d from %s (%s): escalating to %s",
            message.id, message.caller or "anonymous", ", ".join(message.keywords), who,
        )  # fmt: skip
        steps = [
            Escalation(
                message.id, now, "emergency", None, f"keywords: {', '.join(message.keywords)}"
            )
        ]
        if not users:
            steps.append(Escalation(message.id, now, "nobody to escalate to"))
        if self.on_emergency is not None:
            self.on_emergency(message, tuple(u.name for u in users))
        notices = emergency_notices(
            message, users, now, enabled=self.notifier.enabled, customer=customer
        )
        steps += [
            Escalation(message.id, now, f"notify {n.channel}", n.user, n.address) for n in notices
        ]
        if self.calls is not None:
            for user in users:
                reach = reach_user(user.name, index, self.presence)
                if not reach.legs:
                    steps.append(
                        Escalation(message.id, now, "call skipped", user.name, reach.skip or "")
                    )
                for leg in reach.legs:
                    try:
                        await self.calls.call(leg.dial, message, self.audio_path(message.audio))
                    except Exception as exc:
                        steps.append(
                            Escalation(
                                message.id, now, "call failed", user.name, f"{leg.dial}: {exc}"
                            )
                        )
                    else:
                        steps.append(Escalation(message.id, now, "call", user.name, leg.dial))
        for step in steps:
            try:
                await self.steps.log_escalation(step)
            except Exception as exc:
                log.error(
                    "voicemail %d: escalation step not logged (%s): %s", message.id, exc, step
                )
        if shifts.primary is not None and shifts.primary.id is not None:
            entry = EmergencyCall(
                shift_id=shifts.primary.id,
                customer_name=customer or message.caller or "unknown caller",
                phone=message.caller,
                received_at=message.received_at,
                issue=_issue(message),
                job_id=message.job_id,
                message_id=message.id,
            )
            try:
                await self.steps.add_emergency_call(entry)
            except Exception as exc:
                log.error("voicemail %d: emergency call log entry not stored: %s", message.id, exc)
        return notices


def _issue(message: Message) -> str:
    """What the on-call log says of an emergency voicemail: its keywords and transcript."""
    text = " ".join((message.transcript or "").split())
    if len(text) > 300:
        text = text[:299].rstrip() + "…"
    return f"emergency voicemail ({', '.join(message.keywords)}): {text}".rstrip(": ")
