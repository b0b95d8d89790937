"""Call control: every call that enters Stasis, carried out by the pure call flow.

Events come in from ARI (a channel entered our application) and from the
dialplan's hangup handler (a call ended); the pure `pbx.core.callflow`
decides; this service carries the commands out: channel operations through the
`CallChannel` port (in tasks of its own TaskGroup, so one slow request never
holds up other calls), call-log patches and recording fetches handed to
queues that never block. Routing reads the in-memory directory index only.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pbx.core import callflow, live
from pbx.core.callflow import CallEnded, CallState, Context, DialEnded
from pbx.core.calls import CallPatch, Direction
from pbx.core.keywords import DEFAULT_KEYWORDS
from pbx.core.model import Directory, Prompt
from pbx.core.ringing import DeviceState, Presence, RingStats
from pbx.core.routing import CallFacts, CallKind, Plan, RoutingIndex, RoutingOptions, route

log = logging.getLogger(__name__)

_EMPTY_INDEX = RoutingIndex.build(Directory(), RoutingOptions())


class CallChannel(Protocol):
    """What call control asks of Asterisk for one call's channel."""

    async def ring(
        self, channel_id: str, dial: str, caller_id: str | None, from_trunk: bool
    ) -> None:
        """Continue the channel into the generated `pbx-dial` context with Dial(`dial`),
        presenting `caller_id` when given; `from_trunk` calls go to the failsafe when the
        wave ends unanswered and the controller is gone."""
        ...

    async def announce(self, channel_id: str, name: str) -> None:
        """Continue the channel into `pbx-announce,<name>` (announcement, then hangup)."""
        ...

    async def voicemail(self, channel_id: str, command: callflow.Voicemail) -> None:
        """Answer, play the greeting, beep and record the message (stored recording
        `command.name`); the recording's end is reported through `CallControl.on_recorded`."""
        ...

    async def play_prompts(self, channel_id: str, prompts: tuple[Prompt, ...], play: int) -> None:
        """Answer the channel (if not yet) and play `prompts` in turn as playback number
        `play`; its end is reported through `CallControl.on_prompt_ended`."""
        ...

    async def stop_prompts(self, channel_id: str, play: int) -> None:
        """Stop playback `play` of the channel (ended already is fine)."""
        ...

    async def record_speech(self, channel_id: str, command: callflow.RecordSpeech) -> None:
        """Record the caller's spoken answer (no beep) as stored recording `command.name`;
        its end is reported through `CallControl.on_recorded`."""
        ...

    async def stop_speech(self, name: str) -> None:
        """Stop recording `name` (stopped already is fine)."""
        ...

    async def hangup(self, channel_id: str) -> None:
        """Hang the channel up (gone already is fine)."""
        ...

    async def failsafe(self, channel_id: str, kind: str, dialled: str) -> None:
        """Hand the call to the dialplan's failsafe context, as if the controller were down."""
        ...


class PatchSink(Protocol):
    def submit(self, patch: CallPatch) -> None:
        """Queue a call-log patch; never blocks."""
        ...


class RecordingSink(Protocol):
    def submit(self, key: str, name: str, when: datetime) -> None:
        """Queue the fetch of Asterisk's recording `name` for call `key`; never blocks."""
        ...


class MessageSink(Protocol):
    def submit(self, message: callflow.SaveMessage) -> None:
        """Queue the storing of a voicemail message left on Asterisk; never blocks."""
        ...


class AlertSink(Protocol):
    def submit(self, alert: callflow.AlertOnCall) -> None:
        """Queue an on-call alert (auto-notify); never blocks."""
        ...


class EventSink(Protocol):
    @property
    def subscribers(self) -> int:
        """How many listen now (none: events are not even built)."""
        ...

    def publish(
        self, type_: str, data: Mapping[str, Any], users: frozenset[str] = frozenset()
    ) -> None:
        """Hand an event to whoever listens (the API's stream); never blocks."""
        ...


class SpeechJudge(Protocol):
    async def judge(self, name: str, listen_for: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        """The transcript of stored recording `name` and the keywords found in it
        (raises when it cannot be transcribed)."""
        ...


class DirectoryView(Protocol):
    @property
    def index(self) -> RoutingIndex | None:
        """The current routing index; None until the directory was loaded once."""
        ...


class PresenceBook:
    """Device states of the extensions' phones, kept up to date from AMI."""

    PREFIX = "PJSIP/"

    def __init__(self) -> None:
        self._states: dict[str, DeviceState] = {}
        self.presence = Presence(self._states)

    def _set(self, device: str, state: str) -> None:
        if not device.startswith(self.PREFIX):
            return
        name = device[len(self.PREFIX) :]
        try:
            self._states[name] = DeviceState(state)
        except ValueError:
            self._states[name] = DeviceState.UNKNOWN

    def replace_all(self, states: Mapping[str, str]) -> None:
        """A full snapshot (AMI DeviceStateList)."""
        self._states.clear()
        for device, state in states.items():
            self._set(device, state)

    def update(self, device: str, state: str) -> None:
        """One change (AMI DeviceStateChange)."""
        self._set(device, state)


@dataclass(frozen=True)
class LiveChannel:
    """A channel Asterisk has up, as listed when (re)connecting."""

    id: str
    context: str  # where it is in the dialplan
    app: str  # the application it runs there (Stasis, Dial, ...)
    app_data: str
    caller: str


@dataclass(frozen=True)
class Entered:
    """A channel entered our Stasis application."""

    channel_id: str
    node: str  # Asterisk's entity id
    args: tuple[str, ...]
    caller: str


CLICK = "click"  # Stasis(pbx,click,...): a click-to-dial call, once the user's phone answered


def _now() -> datetime:
    return datetime.now(UTC)


class CallControl:
    """Runs every call through routing and the call flow."""

    def __init__(
        self,
        channel: CallChannel,
        directory: DirectoryView,
        presence: PresenceBook,
        calls: PatchSink,
        recordings: RecordingSink,
        messages: MessageSink,
        alerts: AlertSink | None = None,
        *,
        events: EventSink | None = None,
        speech: SpeechJudge | None = None,
        clock: Callable[[], datetime] = _now,
        rng: random.Random | None = None,
    ) -> None:
        self.channel = channel
        self.directory = directory
        self.presence = presence
        self.calls = calls
        self.recordings = recordings
        self.messages = messages
        self.alerts = alerts
        self.events = events
        self.speech = speech
        self.answered: dict[str, str] = {}  # channel id -> the answering leg's channel
        self.clock = clock
        self.rng = rng or random.Random()
        self.sessions: dict[str, CallState] = {}
        self.node = "asterisk"  # Asterisk's entity id, once known (call keys are node:uniqueid)
        self.stats = RingStats()
        self._stats_day = clock().astimezone().date()
        self._tasks: asyncio.TaskGroup | None = None
        self._timers: dict[str, asyncio.TimerHandle] = {}  # channel id -> its menu's timer

    async def run(self) -> None:
        """Own the tasks that carry out channel operations; runs until cancelled."""
        async with asyncio.TaskGroup() as tasks:
            self._tasks = tasks
            try:
                await asyncio.Event().wait()
            finally:
                self._tasks = None

    def load_stats(self, stats: RingStats) -> None:
        """Strategy memory from the call log (at start; calls since then are counted on top)."""
        self.stats = RingStats(
            {**stats.last_call_end, **self.stats.last_call_end},
            {k: stats.answered_today.get(k, 0) + self.stats.answered_today.get(k, 0)
             for k in {*stats.answered_today, *self.stats.answered_today}},
            {**stats.round_robin_last, **self.stats.round_robin_last},
        )  # fmt: skip

    # -- events -----------------------------------------------------------------

    def on_enter(self, event: Entered) -> None:
        """A channel entered Stasis: a new call, or a wave that ended unanswered."""
        kind = event.args[0] if event.args else ""
        if kind == "dialled":
            state = self.sessions.get(event.channel_id)
            if state is None or state.adopted:
                # Its plan was lost (the controller restarted while it rang): rather than
                # drop the caller, hand the call to the failsafe; its end is still logged.
                log.warning("call %s rang unanswered, plan unknown: failsafe", event.channel_id)
                if state is None:
                    self._adopt(event.node, event.channel_id)
                self._spawn(self.channel.failsafe(event.channel_id, CallKind.INBOUND, ""))
                return
            status = event.args[1] if len(event.args) > 1 else ""
            self._step(event.channel_id, state, DialEnded(self.clock(), status))
            return
        if event.channel_id in self.sessions:
            log.debug("call %s is already being routed", event.channel_id)
            return
        dialled = event.args[1] if len(event.args) > 1 else ""
        if kind == CLICK:
            self._new_call(event, CallKind.INTERNAL, dialled, _click_facts(event.args))
            return
        if kind not in (CallKind.INBOUND, CallKind.INTERNAL):
            log.warning("call %s entered with unknown arguments %r", event.channel_id, event.args)
            self._spawn(self.channel.hangup(event.channel_id))
            return
        self._new_call(event, CallKind(kind), dialled)

    def on_end(self, channel_id: str, ended: CallEnded) -> None:
        """The call's channel hung up (the dialplan's hangup handler reported it)."""
        state = self.sessions.get(channel_id)
        if state is None:
            log.debug("end of call %s, which is not ours", channel_id)
            return
        self._step(channel_id, state, ended)

    def on_recorded(self, name: str) -> None:
        """A recording stopped: when it is a call's voicemail message, the message is complete;
        when it is a spoken triage answer, it is transcribed."""
        spoken = callflow.recording_channel(name, callflow.SPEECH_PREFIX)
        if spoken is not None:
            self._spawn(self._judge(spoken, name))
            return
        channel_id = callflow.recording_channel(name, callflow.MESSAGE_PREFIX)
        state = self.sessions.get(channel_id or "")
        if channel_id is None or state is None:
            return
        self._step(channel_id, state, callflow.MessageRecorded(self.clock()))

    def on_confirm(self, linkedid: str, number: str, result: str) -> None:
        """An on-call technician accepted, declined or did not confirm an answered cell leg."""
        state = self.sessions.get(linkedid)
        if state is None:
            log.debug("confirmation for call %s, which is not ours", linkedid)
            return
        self._step(linkedid, state, callflow.Confirmation(self.clock(), number, result))

    def on_key(self, channel_id: str, digit: str) -> None:
        """The caller of a call we route pressed a key (menus and triage)."""
        state = self.sessions.get(channel_id)
        if state is not None and digit:
            self._step(channel_id, state, callflow.KeyPressed(self.clock(), digit))

    def on_prompt_ended(self, channel_id: str, play: int) -> None:
        """Prompt playback number `play` of a call ended (played out or stopped)."""
        state = self.sessions.get(channel_id)
        if state is not None:
            self._step(channel_id, state, callflow.PromptEnded(self.clock(), play))

    async def _judge(self, channel_id: str, name: str) -> None:
        state = self.sessions.get(channel_id)
        if state is None or not state.listening or self.speech is None:
            return
        try:
            text, found = await self.speech.judge(name, self._listen_for(state))
            heard = callflow.SpeechHeard(self.clock(), text, found)
        except Exception as exc:
            log.warning("call %s: spoken triage not understood: %s", channel_id, exc)
            heard = callflow.SpeechHeard(self.clock(), "", failed=True)
        state = self.sessions.get(channel_id)
        if state is not None:
            self._step(channel_id, state, heard)

    def _listen_for(self, state: CallState) -> tuple[str, ...]:
        """The emergency keywords of the called business number (else the trade's)."""
        index = self.directory.index
        number = index.numbers.get(state.plan.business_number or "") if index else None
        if number is not None and number.keywords is not None:
            return number.keywords
        return DEFAULT_KEYWORDS

    def _timer_fired(self, channel_id: str, timer: int) -> None:
        self._timers.pop(channel_id, None)
        state = self.sessions.get(channel_id)
        if state is not None:
            self._step(channel_id, state, callflow.TimerFired(self.clock(), timer))

    def _start_timer(self, channel_id: str, seconds: float, timer: int) -> None:
        old = self._timers.pop(channel_id, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self._timers[channel_id] = loop.call_later(seconds, self._timer_fired, channel_id, timer)

    def on_answered(self, linkedid: str, peer: str) -> None:
        """A leg of call `linkedid` answered (the channel `peer`)."""
        state = self.sessions.get(linkedid)
        if state is None:
            return
        self.answered[linkedid] = peer
        ext = live.answering_extension(peer)
        user = None
        index = self.directory.index
        if ext is not None and index is not None and ext in index.extensions:
            user = index.extensions[ext].user
        self._publish("call.answered", state, {"extension": ext, "user": user, "peer": peer}, user)

    def active_calls(self) -> list[dict[str, Any]]:
        """Every call in progress, for the live view."""
        return [
            live.call_view(state, self.answered.get(channel_id))
            for channel_id, state in self.sessions.items()
            if not state.adopted
        ]

    def _publish(
        self,
        type_: str,
        state: CallState,
        extra: Mapping[str, Any] | None = None,
        user: str | None = None,
    ) -> None:
        if self.events is None or not self.events.subscribers:
            return  # nobody listens: the call path builds nothing
        users = live.users_of(state, self.directory.index)
        if user is not None:
            users |= {user}
        try:
            self.events.publish(type_, {**live.call_view(state), **(extra or {})}, users)
        except Exception:  # an event is never worth a call
            log.exception("call event %s not published", type_)

    def reconcile(self, channels: list[LiveChannel]) -> None:
        """After a (re)connection, with every channel Asterisk has up.

        Calls we track whose channel is gone ended while we were away (their
        end event was lost). Calls ringing in `pbx-dial` that we do not track
        are adopted: their end is logged when it comes. Channels waiting in
        our application that we do not know (we stopped between their arrival
        and our answer) are routed now.
        """
        now = self.clock()
        live = {c.id: c for c in channels}
        for channel_id in [c for c in self.sessions if c not in live]:
            log.info("call %s ended while the controller was disconnected", channel_id)
            self._step(channel_id, self.sessions[channel_id], CallEnded(now))
        for channel in channels:
            if channel.id in self.sessions:
                continue
            if channel.app.lower() == "stasis":
                args = tuple(channel.app_data.split(",")[1:])
                log.info("call %s was waiting for the controller: routing it now", channel.id)
                self.on_enter(Entered(channel.id, self.node, args, channel.caller))
            elif channel.context == "pbx-dial":
                self._adopt(self.node, channel.id)
                log.info("adopted call %s, ringing since before the controller started", channel.id)

    # -- internals ----------------------------------------------------------------

    def _adopt(self, node: str, channel_id: str) -> None:
        plan = Plan(direction=Direction.INBOUND, caller="", called="", steps=())
        self.sessions[channel_id] = callflow.adopt(f"{node}:{channel_id}", plan, self.clock())

    def _context(self, index: RoutingIndex) -> Context:
        today = self.clock().astimezone().date()
        if today != self._stats_day:
            self._stats_day = today
            self.stats = RingStats(self.stats.last_call_end, {}, self.stats.round_robin_last)
        return Context(index, self.presence.presence, self.stats, self.rng)

    def _new_call(
        self, event: Entered, kind: CallKind, dialled: str, facts: CallFacts | None = None
    ) -> None:
        index = self.directory.index
        if index is None:
            log.error("call %s arrived before the directory was loaded: failsafe", event.channel_id)
            self._spawn(self.channel.failsafe(event.channel_id, kind, dialled))
            return
        now = self.clock()
        try:
            plan = route(facts or CallFacts(kind, dialled, event.caller), index, now)
            state, commands = callflow.begin(
                f"{event.node}:{event.channel_id}", plan, now, self._context(index)
            )
        except Exception:
            log.exception("routing call %s failed: failsafe", event.channel_id)
            self._spawn(self.channel.failsafe(event.channel_id, kind, dialled))
            return
        log.info(
            "call %s from %s to %s: %s",
            event.channel_id, plan.caller or "anonymous", plan.called or "?", _first_step(plan),
        )  # fmt: skip
        self._carry_out(event.channel_id, state, commands)

    def _step(self, channel_id: str, state: CallState, event: callflow.Event) -> None:
        # Adopted calls may end before the directory is loaded; they need no directory.
        index = self.directory.index or _EMPTY_INDEX
        try:
            new, commands = callflow.step(state, event, self._context(index))
        except Exception:
            log.exception("call %s: handling %s failed; hanging up", channel_id, event)
            self._spawn(self.channel.hangup(channel_id))
            return
        self._carry_out(channel_id, new, commands)

    def _carry_out(
        self, channel_id: str, state: CallState, commands: list[callflow.Command]
    ) -> None:
        if state.phase is callflow.Phase.DONE:
            self.sessions.pop(channel_id, None)
            self.answered.pop(channel_id, None)
            timer = self._timers.pop(channel_id, None)
            if timer is not None:
                timer.cancel()
            self.stats = callflow.update_stats(self.stats, state.legs, self.clock())
            log.info("call %s ended: %s", channel_id, state.outcome)
            if not state.adopted:
                outcome = state.outcome.value if state.outcome is not None else None
                self._publish("call.ended", state, {"disposition": outcome})
        else:
            self.sessions[channel_id] = state
        for command in commands:
            if isinstance(command, callflow.Write):
                self.calls.submit(command.patch)
            elif isinstance(command, callflow.FetchRecording):
                self.recordings.submit(command.key, command.name, command.when)
            elif isinstance(command, callflow.SaveMessage):
                self.messages.submit(command)
            elif isinstance(command, callflow.AlertOnCall):
                if self.alerts is not None:
                    self.alerts.submit(command)
                self._publish("emergency", state, {"oncall": command.tech}, command.tech)
            elif isinstance(command, callflow.Voicemail):
                self._spawn(self.channel.voicemail(channel_id, command))
            elif isinstance(command, callflow.Dial):
                self._publish("call.ringing", state)
                from_trunk = state.plan.direction is Direction.INBOUND
                self._spawn(
                    self.channel.ring(channel_id, command.args, command.caller_id, from_trunk)
                )
            elif isinstance(command, callflow.Announce):
                self._spawn(self.channel.announce(channel_id, command.name))
            elif isinstance(command, callflow.PlayPrompts):
                self._spawn(self.channel.play_prompts(channel_id, command.prompts, command.play))
            elif isinstance(command, callflow.StopPrompts):
                self._spawn(self.channel.stop_prompts(channel_id, command.play))
            elif isinstance(command, callflow.RecordSpeech):
                self._spawn(self.channel.record_speech(channel_id, command))
            elif isinstance(command, callflow.StopSpeech):
                self._spawn(self.channel.stop_speech(command.name))
            elif isinstance(command, callflow.StartTimer):
                self._start_timer(channel_id, command.seconds, command.timer)
            elif isinstance(command, callflow.Hangup):
                self._spawn(self.channel.hangup(channel_id))

    def _spawn(self, operation: Coroutine[Any, Any, None]) -> None:
        if self._tasks is None:
            operation.close()
            log.error("call control is not running; a channel operation was dropped")
            return
        self._tasks.create_task(_guarded(operation))


async def _guarded(operation: Coroutine[Any, Any, None]) -> None:
    try:
        await operation
    except (ConnectionError, RuntimeError) as exc:
        log.warning("channel operation failed: %s", exc)
    except Exception:
        log.exception("channel operation failed")


def _click_facts(args: tuple[str, ...]) -> CallFacts:
    """A click-to-dial call, `Stasis(pbx,click,NUMBER,EXTENSION,CUSTOMER,JOB)`: placed by
    the extension, for that customer and job (empty: none given)."""
    number, ext, customer, job = (*args[1:5], "", "", "", "")[:4]
    return CallFacts(
        CallKind.INTERNAL,
        number,
        ext,
        customer_id=int(customer) if customer.isascii() and customer.isdigit() else None,
        job_id=int(job) if job.isascii() and job.isdigit() else None,
    )


def _first_step(plan: Plan) -> str:
    usable = [s for s in plan.steps if not s.skip]
    return usable[0].action() if usable else "nothing to do"
