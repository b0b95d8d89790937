"""Call control's recovery paths, with recording stand-ins for Asterisk and the queues."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from pbx.core.callflow import CallEnded
from pbx.core.calls import CallPatch, Disposition
from pbx.core.routing import RoutingIndex
from pbx.services.callcontrol import CallControl, Entered, LiveChannel, PresenceBook
from tests.unit.test_callflow import INDEX, MAIN

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


class Channel:
    def __init__(self) -> None:
        self.done: list[tuple[str, ...]] = []

    async def ring(
        self, channel_id: str, dial: str, caller_id: str | None, from_trunk: bool
    ) -> None:
        self.done.append(("ring", channel_id, dial, "trunk" if from_trunk else "phone"))

    async def announce(self, channel_id: str, name: str) -> None:
        self.done.append(("announce", channel_id, name))

    async def hangup(self, channel_id: str) -> None:
        self.done.append(("hangup", channel_id))

    async def failsafe(self, channel_id: str, kind: str, dialled: str) -> None:
        self.done.append(("failsafe", channel_id, kind))


class Sink:
    def __init__(self) -> None:
        self.patches: list[CallPatch] = []

    def submit(self, patch: CallPatch) -> None:
        self.patches.append(patch)


class NoRecordings:
    def submit(self, key: str, name: str, when: datetime) -> None:
        raise AssertionError("nothing was recorded")


class NoMessages:
    def submit(self, message: object) -> None:
        raise AssertionError("no message was left")


class NotLoaded:
    index: RoutingIndex | None = None


class Loaded:
    index: RoutingIndex | None = INDEX


async def run_with(control: CallControl, action: Callable[[], None]) -> None:
    task = asyncio.create_task(control.run())
    await asyncio.sleep(0)
    action()
    await asyncio.sleep(0.01)
    task.cancel()


def make(directory: NotLoaded | Loaded | None = None) -> tuple[CallControl, Channel, Sink]:
    channel, sink = Channel(), Sink()
    control = CallControl(channel, directory or NotLoaded(), PresenceBook(), sink, NoRecordings(),
                          NoMessages(), clock=lambda: NOW)  # fmt: skip
    control.node = "node"
    return control, channel, sink


async def test_an_adopted_call_ends_before_the_directory_is_loaded() -> None:
    control, channel, sink = make()
    control.reconcile([LiveChannel("1.5", "pbx-dial", "Dial", "PJSIP/101,30,cU(pbx-answered)", "+13125550166")])

    def end() -> None:
        control.on_end("1.5", CallEnded(NOW, "ANSWER", "101", answered_ms=4000, cause=16))

    await run_with(control, end)
    (patch,) = sink.patches
    assert patch.key == "node:1.5" and patch.legs is None
    assert patch.values["disposition"] is Disposition.ANSWERED
    assert patch.values["handled_by_ext"] == "101"
    assert control.sessions == {} and channel.done == []


async def test_an_unknown_call_back_from_ringing_goes_to_the_failsafe_not_away() -> None:
    control, channel, sink = make()

    def back() -> None:
        control.on_enter(Entered("1.7", "node", ("dialled", "NOANSWER"), "+13125550166"))

    await run_with(control, back)
    assert channel.done == [("failsafe", "1.7", "inbound")]
    control.on_end("1.7", CallEnded(NOW, "ANSWER", "103", answered_ms=1000))
    (patch,) = sink.patches  # its end is still logged
    assert patch.key == "node:1.7" and patch.values["handled_by_ext"] == "103"


async def test_a_wave_says_whether_the_call_came_from_the_trunk() -> None:
    """Only a call from the trunk goes to the failsafe if its wave ends with the controller gone."""
    control, channel, _ = make(Loaded())
    control.presence.replace_all({"PJSIP/101": "NOT_INUSE", "PJSIP/102": "NOT_INUSE"})

    def calls() -> None:
        control.on_enter(Entered("1.1", "node", ("inbound", MAIN), "+13125550166"))
        control.on_enter(Entered("1.2", "node", ("internal", "102"), "101"))

    await run_with(control, calls)
    assert sorted(channel.done) == [
        ("ring", "1.1", "PJSIP/101&PJSIP/102,20,cU(pbx-answered^pbx-1.1)", "trunk"),
        ("ring", "1.2", "PJSIP/102,30,cU(pbx-answered^pbx-1.2)", "phone"),
    ]
