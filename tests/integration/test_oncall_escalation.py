"""On-call in the notification path: an emergency voicemail escalates to the technician on
call (and is logged on their shift), auto-notify off falls back to the box's members, and an
after-hours call ringing the technician alerts them (OnCallAlerts). Real Notifier over an
in-memory outbox; the directory is a real RoutingIndex."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pbx.core.callflow import AlertOnCall
from pbx.core.model import Directory, User, VoicemailBox
from pbx.core.notifications import KIND_EMERGENCY, KIND_ONCALL_CALL, Channel
from pbx.core.oncall import EmergencyCall, OnCallSettings, Shift
from pbx.core.ringing import Presence
from pbx.core.routing import RoutingIndex, RoutingOptions
from pbx.core.voicemail import Escalation, Message, TranscriptStatus
from pbx.services.escalation import AfterTranscript
from pbx.services.notifier import Notifier
from pbx.services.oncall_alerts import OnCallAlerts
from tests.integration.notify_fakes import MemoryOutbox

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
ANN = User("Ann", "ann@example.com", "+13125550101")
BOB = User("Bob", "bob@example.com", "+13125550102")
BOX = VoicemailBox("After Hours", members=("Bob",))
SHIFT = Shift("Ann", T0 - timedelta(hours=1), T0 + timedelta(hours=11), id=7)


@dataclass
class View:
    index: RoutingIndex | None


@dataclass
class Log:
    steps: list[Escalation] = field(default_factory=list)
    entries: list[EmergencyCall] = field(default_factory=list)

    async def log_escalation(self, step: Escalation) -> None:
        self.steps.append(step)

    async def add_emergency_call(self, entry: EmergencyCall) -> EmergencyCall:
        self.entries.append(entry)
        return entry


class NoSender:
    async def send(self, *args: object) -> None:
        raise AssertionError("the test does not deliver")


def view(auto_notify: bool = True, shifts: tuple[Shift, ...] = (SHIFT,)) -> View:
    directory = Directory(
        users=(ANN, BOB),
        boxes=(BOX,),
        shifts=shifts,
        oncall=OnCallSettings(auto_notify=auto_notify),
    )
    return View(RoutingIndex.build(directory, RoutingOptions()))


def notifier(outbox: MemoryOutbox) -> Notifier:
    senders = {Channel.EMAIL: NoSender(), Channel.SMS: NoSender()}
    return Notifier(outbox, senders, lambda path: Path(path), lambda: T0)  # type: ignore[arg-type]


def message() -> Message:
    return Message(
        box="After Hours", caller="+13125550177", received_at=T0, duration=9.0, audio="a.wav",
        transcript="we have a water leak in the basement", transcript_status=TranscriptStatus.DONE,
        keywords=("water leak",), id=3,
    )  # fmt: skip


async def escalate(directory: View) -> tuple[MemoryOutbox, Log]:
    outbox, log = MemoryOutbox(), Log()
    after = AfterTranscript(
        directory, notifier(outbox), log, None, Path, Presence(), clock=lambda: T0
    )
    await after(message())
    return outbox, log


async def test_an_emergency_voicemail_escalates_to_the_technician_on_call_and_is_logged() -> None:
    outbox, log = await escalate(view())
    told = {(n.user, n.channel) for n in outbox.notices.values() if n.kind == KIND_EMERGENCY}
    # Ann on every channel she can be reached on; Bob, the box's member, as he chose (email).
    assert told == {("Ann", Channel.EMAIL), ("Ann", Channel.SMS), ("Bob", Channel.EMAIL)}
    (entry,) = log.entries
    assert (entry.shift_id, entry.phone, entry.message_id, entry.outcome) == (
        7, "+13125550177", 3, None,
    )  # fmt: skip
    assert entry.issue == "emergency voicemail (water leak): we have a water leak in the basement"


async def test_with_auto_notify_off_or_nobody_on_call_the_box_members_are_told() -> None:
    for directory, logged in ((view(auto_notify=False), 1), (view(shifts=()), 0)):
        outbox, log = await escalate(directory)
        told = {(n.user, n.channel) for n in outbox.notices.values() if n.kind == KIND_EMERGENCY}
        assert told == {("Bob", Channel.EMAIL), ("Bob", Channel.SMS)}
        assert len(log.entries) == logged  # the shift's log still has it when someone is on call


async def test_an_after_hours_call_alerts_the_technician_once_per_call() -> None:
    outbox = MemoryOutbox()
    alerts = OnCallAlerts(view(), notifier(outbox))
    alert = AlertOnCall("node:1", "Ann", "+13125550177", "Acme", "+13125550113", T0)
    alerts.submit(alert)
    alerts.submit(alert)  # the same technician rung again in a later wave
    task = asyncio.create_task(alerts.run())
    try:
        for _ in range(100):
            if outbox.notices:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
    notices = list(outbox.notices.values())
    assert sorted(n.channel for n in notices) == [Channel.EMAIL, Channel.SMS]
    assert {n.kind for n in notices} == {KIND_ONCALL_CALL}
    sms = next(n for n in notices if n.channel is Channel.SMS)
    assert sms.address == "+13125550101"
    assert sms.payload["text"].startswith("EMERGENCY call from +13125550177 (Acme) to +13125550113")
