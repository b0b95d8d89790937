"""The call state machine: a routing Plan carried out, one event at a time.

Pure: `begin()` and `step()` take the state and an event and return the new
state and the commands to carry out; the controller executes the commands
(ARI, the call-log queue) and feeds back events. Asterisk does the ringing:
each wave of legs is one Dial() in the generated dialplan (`pbx-dial`); an
unanswered wave comes back as `DialEnded`, and every call ends with exactly
one `CallEnded` (the dialplan's hangup handler), answered or not.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pbx.core import menu as menus
from pbx.core.calls import (
    CallLeg,
    CallPatch,
    Direction,
    Disposition,
    LegKind,
    LegOutcome,
)
from pbx.core.model import MenuTarget, OptionKind, Prompt, RingGroup, Strategy
from pbx.core.oncall import Outcome
from pbx.core.ringing import (
    Leg,
    Presence,
    Reach,
    RingStats,
    member_order,
    reach_extension,
    reach_number,
    reach_user,
)
from pbx.core.routing import (
    NOT_EMERGENCY,
    NoAnswer,
    Plan,
    RoutingIndex,
    Step,
    StepKind,
    TargetKind,
    choose,
)

EXTENSION_RING_SECONDS = 30  # an extension or a user's phones
NUMBER_RING_SECONDS = 30  # a forwarding / after-hours number
OUTBOUND_RING_SECONDS = 60  # a call placed by one of our phones
VOICEMAIL_MAX_SECONDS = 180  # the longest message a caller can leave
VOICEMAIL_SILENCE_SECONDS = 8  # this much silence ends a message
ONCALL_CONFIRM_SECONDS = 25  # on top of the ringing: a cell leg's "press 1 to accept" prompt
ONCALL_CONTEXT = "pbx-oncall"  # dialplan context that rings a cell leg and asks for the 1
MIN_WAVE_SECONDS = 1

# Q.850 causes worth naming in the call log.
CAUSES = {
    1: "unallocated number",
    3: "no route to destination",
    16: "normal clearing",
    17: "user busy",
    18: "no user responding",
    19: "no answer",
    21: "call rejected",
    26: "answered elsewhere",
    27: "destination out of order",
    28: "invalid number format",
    31: "normal, unspecified",
    34: "no circuit available",
    38: "network out of order",
    41: "temporary failure",
    42: "switching equipment congestion",
    127: "interworking, unspecified",
}


def cause_text(cause: int | None) -> str | None:
    if cause is None:
        return None
    return f"{CAUSES.get(cause, 'cause')} ({cause})"


class Phase(StrEnum):
    ROUTING = "routing"  # deciding the next step
    RINGING = "ringing"  # a wave is ringing (the channel is in Dial())
    ANNOUNCING = "announcing"  # playing a refusal
    MENU = "menu"  # an auto attendant or the emergency triage is talking with the caller
    VOICEMAIL = "voicemail"  # greeting, beep, recording a message
    ENDING = "ending"  # the outcome is decided; waiting for the hangup
    DONE = "done"


@dataclass(frozen=True)
class Context:
    """What the flow reads besides its state: the directory, phone presence, strategy memory."""

    index: RoutingIndex
    presence: Presence = field(default_factory=Presence)
    stats: RingStats = field(default_factory=RingStats)
    rng: random.Random = field(default_factory=random.Random)


# -- events -------------------------------------------------------------------


@dataclass(frozen=True)
class DialEnded:
    """A wave ended unanswered and the call is back with us (DIALSTATUS)."""

    at: datetime
    status: str


@dataclass(frozen=True)
class CallEnded:
    """The caller's channel hung up (from the dialplan's hangup handler)."""

    at: datetime
    status: str = ""  # DIALSTATUS of the last Dial(), "" when none ran
    peer: str = ""  # DIALEDPEERNUMBER of the leg that answered
    answered_ms: int | None = None
    cause: int | None = None


@dataclass(frozen=True)
class Confirmation:
    """An on-call cell leg answered and pressed 1 (accepted), 2 (declined) or nothing."""

    at: datetime
    number: str
    result: str  # "accepted", "declined", "unconfirmed"


@dataclass(frozen=True)
class MessageRecorded:
    """The voicemail recording stopped (#, silence or the time limit; or the caller hung up)."""

    at: datetime


@dataclass(frozen=True)
class KeyPressed:
    """The caller pressed a key (DTMF over ARI)."""

    at: datetime
    digit: str


@dataclass(frozen=True)
class PromptEnded:
    """Prompt playback number `play` finished (or was stopped)."""

    at: datetime
    play: int


@dataclass(frozen=True)
class TimerFired:
    """Timer number `timer` (a `StartTimer`) ran out."""

    at: datetime
    timer: int


@dataclass(frozen=True)
class SpeechHeard:
    """The spoken triage's answer was transcribed: `text`, and the emergency keywords found
    in it (`failed`: it could not be transcribed)."""

    at: datetime
    text: str
    keywords: tuple[str, ...] = ()
    failed: bool = False


Event = (
    DialEnded | CallEnded | MessageRecorded | Confirmation | KeyPressed | PromptEnded
    | TimerFired | SpeechHeard
)  # fmt: skip


# -- commands -------------------------------------------------------------------


@dataclass(frozen=True)
class Dial:
    """Ring legs: continue the channel into `pbx-dial` with Dial(`args`)."""

    args: str
    caller_id: str | None = None


@dataclass(frozen=True)
class AlertOnCall:
    """An after-hours call is ringing on-call technician `tech`: notify them (auto-notify)."""

    key: str
    tech: str
    caller: str
    customer_name: str | None
    business_number: str | None
    at: datetime


@dataclass(frozen=True)
class Announce:
    """Continue the channel into `pbx-announce,<name>` (plays it, hangs up)."""

    name: str


@dataclass(frozen=True)
class Voicemail:
    """Answer, play the box's greeting (None: the default one), beep, record message `name`."""

    box: str
    name: str
    greeting: str | None
    max_seconds: int = VOICEMAIL_MAX_SECONDS
    silence_seconds: int = VOICEMAIL_SILENCE_SECONDS


# A menu's or the triage's own commands, carried out as they are: play prompts (answering
# the channel first if needed), stop a playback on a key, report `TimerFired` later.
PlayPrompts = menus.Play
StopPrompts = menus.Stop
StartTimer = menus.SetTimer


@dataclass(frozen=True)
class RecordSpeech:
    """Record the caller's answer to the spoken triage as `name` (no beep), then transcribe
    it and report `SpeechHeard`."""

    name: str
    max_seconds: int
    silence_seconds: int


@dataclass(frozen=True)
class StopSpeech:
    """Stop recording `name` (a key decided first); nothing is reported for it."""

    name: str


@dataclass(frozen=True)
class Hangup:
    reason: str = "normal"


@dataclass(frozen=True)
class Write:
    """Queue a call-log patch (never on the call path)."""

    patch: CallPatch


@dataclass(frozen=True)
class FetchRecording:
    """After the call: move Asterisk's recording `name` into the store, then link it to `key`."""

    key: str
    name: str
    when: datetime


@dataclass(frozen=True)
class SaveMessage:
    """After the call: store Asterisk's recording `name` as a message in `box` (off the call path)."""

    key: str
    name: str
    box: str
    caller: str
    received_at: datetime
    business_number: str | None = None
    customer_id: int | None = None
    job_id: int | None = None


Command = (
    Dial | Announce | Voicemail | Hangup | Write | FetchRecording | SaveMessage | AlertOnCall
    | PlayPrompts | StopPrompts | StartTimer | RecordSpeech | StopSpeech
)  # fmt: skip

# The standard after-hours question (a schedule's triage step may give its own).
TRIAGE_PROMPT = Prompt(
    "Our office is closed. If this is an emergency, such as a leak, no heat or no power, "
    "press 1 now. Otherwise, stay on the line to leave a message."
)


TRIAGE_SPOKEN_PROMPT = Prompt(
    "Our office is closed. If this is an emergency, please say in a few words what the "
    "problem is, or press 1. Otherwise, stay on the line to leave a message."
)
SPEECH_SECONDS = 6  # the longest spoken answer recorded
SPEECH_SILENCE_SECONDS = 2  # this much silence ends it
JUDGE_SECONDS = 8  # the longest the caller waits for the answer to be transcribed


class Triage(StrEnum):
    """What the caller answered to the after-hours triage (kept in the call record)."""

    EMERGENCY = "emergency"  # pressed 1
    OTHER_KEY = "other-key"  # pressed another key
    NO_KEY = "no-key"  # pressed nothing
    SAID_EMERGENCY = "said-emergency"  # spoken: emergency keywords in the answer
    SAID_OTHER = "said-other"  # spoken: no emergency keyword (or nothing said)
    NOT_UNDERSTOOD = "not-understood"  # spoken: not transcribed in time, or it failed


# -- state ------------------------------------------------------------------------


@dataclass(frozen=True)
class CallState:
    key: str
    plan: Plan
    started_at: datetime
    phase: Phase = Phase.ROUTING
    step: int = -1  # index into plan.steps of the step being carried out
    wave: tuple[Leg, ...] = ()
    wave_started: datetime | None = None
    wave_records: bool = False
    order: tuple[str, ...] = ()  # a group step: members in strategy order
    cursor: int = 0  # a group step: next position in `order`
    deadline: datetime | None = None  # a group step: the group's total timeout
    first_rung: Step | None = None  # the first step that rang (its box, what handled the call)
    outcome: Disposition | None = None  # decided before the hangup (Missed, Failed, ...)
    legs: tuple[CallLeg, ...] = ()
    route: tuple[str, ...] = ()
    recording: str | None = None  # recording name while a recorded wave rings
    voicemail_box: str | None = None  # the box the call went to
    voicemail_at: datetime | None = None  # when the greeting started
    adopted: bool = False  # found in Asterisk after a restart: routing state unknown
    oncall_shifts: tuple[int, ...] = ()  # on-call shifts whose technician the call went to
    declined: bool = False  # an on-call leg pressed 2
    menu: menus.MenuState | None = None  # the menu or triage talking with the caller
    answered: bool = False  # we answered the caller (a prompt played): ring with ringback
    triage: Triage | None = None
    listening: bool = False  # the spoken triage is recording or transcribing the answer
    numbered: int = 0  # playbacks and timers of the call's menus so far

    @property
    def current(self) -> Step | None:
        return self.plan.steps[self.step] if 0 <= self.step < len(self.plan.steps) else None


def adopt(key: str, plan: Plan, at: datetime) -> CallState:
    """A call that was already ringing when the controller (re)started: only its end is ours."""
    return CallState(key=key, plan=plan, started_at=at, phase=Phase.RINGING, adopted=True)


RECORDING_PREFIX = "pbx-"
MESSAGE_PREFIX = "pbxvm-"
SPEECH_PREFIX = "pbxtr-"


def recording_name(key: str) -> str:
    """The name of a call's recording on Asterisk: `pbx-<uniqueid of the caller's channel>`.

    Reversible (see `recording_channel`), so recordings left on Asterisk by a
    controller that stopped can still be linked to their calls.
    """
    return RECORDING_PREFIX + key.rsplit(":", 1)[-1]


def message_name(key: str) -> str:
    """The name of a call's voicemail message on Asterisk: `pbxvm-<uniqueid>` (reversible too)."""
    return MESSAGE_PREFIX + key.rsplit(":", 1)[-1]


def speech_name(key: str) -> str:
    """The name of a call's spoken triage answer on Asterisk (reversible too)."""
    return SPEECH_PREFIX + key.rsplit(":", 1)[-1]


def recording_channel(name: str, prefix: str = RECORDING_PREFIX) -> str | None:
    """The caller channel's uniqueid a recording (or with MESSAGE_PREFIX, message) name stands for.

    None if the name is not one of ours.
    """
    if not name.startswith(prefix):
        return None
    rest = name[len(prefix) :]
    return rest if rest and all(ch.isdigit() or ch == "." for ch in rest) else None


def begin(key: str, plan: Plan, at: datetime, ctx: Context) -> tuple[CallState, list[Command]]:
    """Start carrying out `plan` for a call that just arrived."""
    state = CallState(key=key, plan=plan, started_at=at, route=tuple(plan.describe()))
    start = CallPatch(
        key,
        {
            "direction": plan.direction,
            "caller": plan.caller,
            "called": plan.called,
            "started_at": at,
            "business_number": plan.business_number,
            "customer_id": plan.customer_id,
            "job_id": plan.job_id,
            "route": state.route,
        },
        legs=(),
    )
    state, commands = _advance(state, at, ctx)
    return state, [Write(start), *commands]


def step(state: CallState, event: Event, ctx: Context) -> tuple[CallState, list[Command]]:
    """The state after `event`, and what to do about it."""
    if state.phase is Phase.DONE:
        return state, []
    if isinstance(event, CallEnded):
        return _ended(state, event)
    if isinstance(event, Confirmation):
        return _confirmed(state, event), []
    if isinstance(event, MessageRecorded):
        if state.phase is not Phase.VOICEMAIL:
            return state, []
        state = replace(state, phase=Phase.ENDING, outcome=Disposition.VOICEMAIL)
        return _note(state, "end: message recorded"), [Announce("goodbye")]
    if isinstance(event, KeyPressed | PromptEnded | TimerFired):
        return _menu_event(state, event, ctx)
    if isinstance(event, SpeechHeard):
        return _heard(state, event, ctx)
    if state.phase is not Phase.RINGING:
        return state, []  # a late or repeated result: nothing is ringing
    state = _close_wave(state, event.at, _unanswered(event.status))
    if state.current is not None and state.current.target is TargetKind.GROUP:
        group = ctx.index.groups.get(state.current.name)
        if group is not None:
            state, commands = _next_wave(state, group, event.at, ctx)
            if commands:
                return state, commands
    return _after_no_answer(state, event.status, event.at, ctx)


# -- carrying out steps -----------------------------------------------------------


def _note(state: CallState, line: str) -> CallState:
    return replace(state, route=(*state.route, line))


def _advance(state: CallState, at: datetime, ctx: Context) -> tuple[CallState, list[Command]]:
    """Move to the next usable step and start it."""
    steps = state.plan.steps
    while state.step + 1 < len(steps):
        state = replace(state, step=state.step + 1, wave=(), order=(), cursor=0, deadline=None)
        current = steps[state.step]
        passed = current.skip == NOT_EMERGENCY  # the triage: the caller's call never went there
        if current.target is TargetKind.ONCALL and current.shift is not None and not passed:
            state = replace(state, oncall_shifts=(*state.oncall_shifts, current.shift))
        if current.skip:
            continue
        if current.kind is StepKind.ANNOUNCE:
            outcome = Disposition.FAILED
            return replace(state, phase=Phase.ANNOUNCING, outcome=outcome), [Announce(current.name)]
        if current.kind is StepKind.VOICEMAIL:
            return _voicemail(state, current.name, at, ctx)
        if current.kind in (StepKind.MENU, StepKind.TRIAGE):
            state, commands = _start_menu(state, current, ctx)
            if commands:
                return state, commands
            continue
        state, commands = _start_ring(state, current, at, ctx)
        if commands:
            return state, commands
    return _exhausted(state, at, ctx)


def _start_ring(
    state: CallState, current: Step, at: datetime, ctx: Context
) -> tuple[CallState, list[Command]]:
    """Ring a RING step's first wave; no commands (and the reason noted) when nobody can ring."""
    index = ctx.index
    if current.target is TargetKind.GROUP:
        group = index.groups.get(current.name)
        if group is None:
            return _note(state, f"group {current.name} no longer exists"), []
        order = member_order(group, ctx.stats, ctx.rng)
        deadline = at + timedelta(seconds=group.timeout)
        state = replace(state, order=order, cursor=0, deadline=deadline)
        state, commands = _next_wave(state, group, at, ctx)
        if not commands:
            state = _note(state, f"skipped {current.action()}: no member can ring now")
        return state, commands
    if current.target is TargetKind.USER:
        reach = reach_user(current.name, index, ctx.presence)
        seconds = EXTENSION_RING_SECONDS
    elif current.target is TargetKind.EXTENSION:
        reach = reach_extension(current.name, index, ctx.presence)
        seconds = EXTENSION_RING_SECONDS
    elif current.target is TargetKind.NUMBER:
        reach = reach_number(current.name, index)
        outbound = state.plan.direction is Direction.OUTBOUND
        seconds = OUTBOUND_RING_SECONDS if outbound else NUMBER_RING_SECONDS
    else:  # ONCALL: the technician's phones; cell legs must press 1
        reach = (
            reach_user(current.name, index, ctx.presence)
            if current.name
            else Reach(skip="nobody is on call")
        )
        legs = tuple(confirmed(leg) for leg in reach.legs)
        reach = replace(reach, legs=legs)
        seconds = EXTENSION_RING_SECONDS
        if any(leg.kind is LegKind.CELL for leg in legs):
            seconds += ONCALL_CONFIRM_SECONDS
    if not reach.legs:
        return _note(state, f"skipped {current.action()}: {reach.skip or 'nobody to ring'}"), []
    state, commands = _ring(
        state, reach.legs, seconds, at, record=state.plan.record, caller_id=current.caller_id
    )
    if current.target is TargetKind.ONCALL and ctx.index.directory.oncall.auto_notify:
        plan = state.plan
        commands.append(
            AlertOnCall(
                state.key, current.name, plan.caller, plan.customer_name, plan.business_number, at
            )
        )
    return state, commands


def confirmed(leg: Leg) -> Leg:
    """An on-call leg: a cell phone is rung through `pbx-oncall`, which connects it only
    once the technician pressed 1 (a carrier's voicemail or a pocket answer never does)."""
    if leg.kind is not LegKind.CELL:
        return leg
    local = f"{leg.target}@{ONCALL_CONTEXT}"
    return replace(leg, dial=f"Local/{local}", peer=local)


def _confirmed(state: CallState, event: Confirmation) -> CallState:
    said = {
        "accepted": "accepted (pressed 1)",
        "declined": "declined (pressed 2)",
    }.get(event.result, "answered but did not press 1: not counted as an answer")
    state = _note(state, f"on-call leg {event.number}: {said}")
    return replace(state, declined=True) if event.result == "declined" else state


def _next_wave(
    state: CallState, group: RingGroup, at: datetime, ctx: Context
) -> tuple[CallState, list[Command]]:
    """The group's next wave (strategy order, round after round until its timeout), or none."""
    assert state.deadline is not None
    remaining = int((state.deadline - at).total_seconds())
    if remaining < MIN_WAVE_SECONDS or not state.order:
        return state, []
    seconds = min(group.ring_timeout, remaining)
    record = state.plan.record and group.record
    members = len(state.order)
    if group.strategy is Strategy.RING_ALL:
        if state.cursor >= members and not _any_rang(state, group):
            return state, []
        legs: list[Leg] = []
        for ext in state.order:
            reach = reach_extension(ext, ctx.index, ctx.presence)
            if reach.legs:
                legs.extend(reach.legs)
            elif state.cursor == 0:
                state = _note(state, f"group {group.name}: {reach.skip}")
        state = replace(state, cursor=state.cursor + members)
        if not legs:
            return state, []
        return _ring(state, tuple(legs), seconds, at, record=record, group=group.name)
    # One member per wave; a full round in which nobody could ring ends the hunt.
    skipped_in_a_row = 0
    cursor = state.cursor
    while skipped_in_a_row < members:
        ext = state.order[cursor % members]
        cursor += 1
        reach = reach_extension(ext, ctx.index, ctx.presence)
        if reach.legs:
            state = replace(state, cursor=cursor)
            return _ring(state, reach.legs, seconds, at, record=record, group=group.name)
        skipped_in_a_row += 1
        if cursor <= members:  # say why only on the first round
            state = _note(state, f"group {group.name}: {reach.skip}")
    return replace(state, cursor=cursor), []


def _any_rang(state: CallState, group: RingGroup) -> bool:
    return any(leg.group == group.name for leg in state.legs)


def _ring(
    state: CallState,
    legs: tuple[Leg, ...],
    seconds: int,
    at: datetime,
    *,
    record: bool,
    group: str | None = None,
    caller_id: str | None = None,
) -> tuple[CallState, list[Command]]:
    current = state.current
    # losers are cancelled as "answered elsewhere"; the answering leg runs pbx-answered
    # (tells the controller it answered, and starts the recording when there is one)
    name = recording_name(state.key) if record else None
    options = f"cU(pbx-answered^{name})" if name is not None else "cU(pbx-answered)"
    if state.answered:
        # The caller is past the answer (a menu, the triage): let them hear ringing, and
        # keep the answering phone's name to ourselves (an update would be a re-INVITE).
        options = "rI" + options
    args = "&".join(leg.dial for leg in legs) + f",{seconds},{options}"
    logged = tuple(
        CallLeg(
            target=leg.target,
            kind=leg.kind,
            started_at=at,
            user=leg.user,
            ext=leg.ext,
            group=group,
        )
        for leg in legs
    )
    state = replace(
        state,
        phase=Phase.RINGING,
        wave=legs,
        wave_started=at,
        wave_records=record,
        recording=name,
        first_rung=state.first_rung or current,
        legs=(*state.legs, *logged),
    )
    return state, [Dial(args, caller_id), Write(CallPatch(state.key, {}, legs=state.legs))]


# -- menus and triage ------------------------------------------------------------------


def _start_menu(state: CallState, current: Step, ctx: Context) -> tuple[CallState, list[Command]]:
    """Begin the menu or triage of the current step; no commands when it cannot run."""
    if current.kind is StepKind.TRIAGE:
        standard = TRIAGE_SPOKEN_PROMPT if current.spoken else TRIAGE_PROMPT
        menu = menus.triage_menu(current.prompt or standard)
    else:
        found = ctx.index.menus.get(current.name)
        if found is None:
            return _note(state, f"skipped menu {current.name}: it no longer exists"), []
        menu = found
    talk, said = menus.start(menu, frozenset(ctx.index.extensions), state.numbered)
    state = replace(state, phase=Phase.MENU, menu=talk, answered=True)
    return _menu_commands(state, said, None, ctx)


def _menu_event(
    state: CallState, event: KeyPressed | PromptEnded | TimerFired, ctx: Context
) -> tuple[CallState, list[Command]]:
    if state.phase is not Phase.MENU or state.menu is None:
        return state, []
    heard: menus.Event
    if isinstance(event, KeyPressed):
        heard = menus.Key(event.digit)
    elif isinstance(event, PromptEnded):
        heard = menus.PromptEnded(event.play)
    else:
        heard = menus.TimerFired(event.timer)
    talk, said = menus.step(state.menu, heard)
    return _menu_commands(replace(state, menu=talk), said, event.at, ctx)


def _menu_commands(
    state: CallState, said: list[menus.Command], at: datetime | None, ctx: Context
) -> tuple[CallState, list[Command]]:
    commands: list[Command] = []
    for command in said:
        if isinstance(command, menus.SetTimer) and _spoken(state) and not state.listening:
            # the question was asked: record the answer, wait for its transcript
            state = replace(state, listening=True)
            commands.append(
                RecordSpeech(speech_name(state.key), SPEECH_SECONDS, SPEECH_SILENCE_SECONDS)
            )
            commands.append(StartTimer(SPEECH_SECONDS + JUDGE_SECONDS, command.timer))
        elif not isinstance(command, menus.Chosen):
            commands.append(command)
        else:
            state, more = _chosen(state, command, at or state.started_at, ctx)
            commands.extend(more)
    return state, commands


def _chosen(
    state: CallState, chosen: menus.Chosen, at: datetime, ctx: Context
) -> tuple[CallState, list[Command]]:
    """The caller left the menu or triage: go where they chose."""
    current = state.current
    assert current is not None and state.menu is not None
    numbered = menus.numbers_used(state.menu)
    state = replace(state, menu=None, phase=Phase.ROUTING, numbered=numbered)
    keyed = f"pressed {chosen.keys}" if chosen.keys else "pressed nothing"
    if current.kind is StepKind.TRIAGE:
        emergency = chosen.target is not None and chosen.target.kind is OptionKind.ONCALL
        if emergency:
            triage = Triage.EMERGENCY
        elif chosen.keys:
            triage = Triage.OTHER_KEY
        else:
            triage = Triage.NOT_UNDERSTOOD if state.listening else Triage.NO_KEY
        stop: list[Command] = [StopSpeech(speech_name(state.key))] if state.listening else []
        state, commands = _triaged(state, emergency, triage, keyed, at, ctx)
        return state, [*stop, *commands]
    if chosen.target is None:
        state = _note(state, f"menu {current.name}: {keyed}, and it has no default: next step")
        return _advance(state, at, ctx)
    how = "default" if chosen.how is menus.How.DEFAULT else keyed
    reason = f"menu {current.name}: {how}"
    state = _note(state, f"{reason} -> {chosen.target}")
    plan = choose(state.plan, state.step, chosen.target, reason, ctx.index, at)
    return _advance(replace(state, plan=plan), at, ctx)


def _spoken(state: CallState) -> bool:
    current = state.current
    return current is not None and current.kind is StepKind.TRIAGE and current.spoken


def _triaged(
    state: CallState, emergency: bool, triage: Triage, answer: str, at: datetime, ctx: Context
) -> tuple[CallState, list[Command]]:
    said = "an emergency" if emergency else "not an emergency, no ringing"
    if state.menu is not None:
        state = replace(state, numbered=menus.numbers_used(state.menu))
    state = replace(state, triage=triage, listening=False, menu=None, phase=Phase.ROUTING)
    state = _note(state, f"triage: {answer}: {said}")
    target = MenuTarget(OptionKind.ONCALL) if emergency else None
    plan = choose(state.plan, state.step, target, "triage", ctx.index, at)
    return _advance(replace(state, plan=plan), at, ctx)


def _heard(state: CallState, event: SpeechHeard, ctx: Context) -> tuple[CallState, list[Command]]:
    """The spoken triage's answer is understood (unless a key or the timer decided first)."""
    if state.phase is not Phase.MENU or not state.listening:
        return state, []
    if event.failed:
        answer, triage = "the answer could not be transcribed", Triage.NOT_UNDERSTOOD
    else:
        words = f"said {event.text!r}" if event.text else "said nothing"
        found = f" (emergency keywords: {', '.join(event.keywords)})" if event.keywords else ""
        answer = words + found
        triage = Triage.SAID_EMERGENCY if event.keywords else Triage.SAID_OTHER
    emergency = triage is Triage.SAID_EMERGENCY
    return _triaged(state, emergency, triage, answer, event.at, ctx)


def _unanswered(status: str) -> LegOutcome:
    return {
        "BUSY": LegOutcome.BUSY,
        "CHANUNAVAIL": LegOutcome.UNAVAILABLE,
        "CONGESTION": LegOutcome.UNAVAILABLE,
        "CANCEL": LegOutcome.CANCELLED,
    }.get(status, LegOutcome.NO_ANSWER)


def _close_wave(
    state: CallState,
    at: datetime,
    outcome: LegOutcome,
    winner: str | None = None,
    answered_at: datetime | None = None,
) -> CallState:
    """End the legs of the ringing wave: the winner answered, the others `outcome`."""
    count = len(state.wave)
    if not count:
        return state
    head, tail = state.legs[:-count], state.legs[-count:]
    closed = []
    for leg, rung in zip(tail, state.wave, strict=True):
        if winner is not None and rung.peer == winner:
            closed.append(
                replace(
                    leg, answered_at=answered_at or at, ended_at=at, outcome=LegOutcome.ANSWERED
                )
            )
        else:
            closed.append(replace(leg, ended_at=leg.ended_at or at, outcome=leg.outcome or outcome))
    return replace(state, legs=(*head, *closed), wave=(), phase=Phase.ROUTING, recording=None)


def _after_no_answer(
    state: CallState, status: str, at: datetime, ctx: Context
) -> tuple[CallState, list[Command]]:
    current = state.current
    if current is not None and current.on_no_answer is NoAnswer.NEXT:
        if state.plan.direction is Direction.OUTBOUND and status in ("CHANUNAVAIL", "CONGESTION"):
            return _end(state, Disposition.FAILED, f"the call could not be placed ({status})")
        return _advance(state, at, ctx)
    if current is not None and current.box:
        return _voicemail(state, current.box, at, ctx)
    return _end(state, Disposition.MISSED, "nobody answered")


def _exhausted(state: CallState, at: datetime, ctx: Context) -> tuple[CallState, list[Command]]:
    """No step left: the box of what rang first, else of the first ring step; else Missed."""
    rung = state.first_rung
    if rung is None:
        rung = next((s for s in state.plan.steps if s.kind is StepKind.RING and not s.skip), None)
    if rung is not None and rung.box:
        return _voicemail(state, rung.box, at, ctx)
    reason = "nobody answered" if state.first_rung else "nobody could be rung"
    return _end(state, Disposition.MISSED, reason)


def _voicemail(
    state: CallState, box: str, at: datetime, ctx: Context
) -> tuple[CallState, list[Command]]:
    found = ctx.index.boxes.get(box)
    if found is None:
        return _end(state, Disposition.MISSED, f"voicemail box {box} no longer exists")
    state = replace(state, phase=Phase.VOICEMAIL, voicemail_box=box, voicemail_at=at, answered=True)
    state = _note(state, f"voicemail box {box}")
    return state, [Voicemail(box, message_name(state.key), found.greeting)]


def _end(state: CallState, outcome: Disposition, reason: str) -> tuple[CallState, list[Command]]:
    route = (*state.route, f"end: {reason}")
    return replace(state, phase=Phase.ENDING, outcome=outcome, route=route), [Hangup()]


# -- the end ------------------------------------------------------------------------


def _ended(state: CallState, event: CallEnded) -> tuple[CallState, list[Command]]:
    at = event.at
    answered_at: datetime | None = None
    winner: Leg | None = None
    if state.phase is Phase.RINGING and event.status == "ANSWER":
        winner = next((leg for leg in state.wave if leg.peer == event.peer), None)
        if winner is None and len(state.wave) == 1:
            winner = state.wave[0]
        if event.answered_ms is not None:
            answered_at = at - timedelta(milliseconds=event.answered_ms)
        else:
            answered_at = state.wave_started or at
    recording = state.recording if winner is not None and state.wave_records else None
    if winner is not None:
        state = _close_wave(
            state, at, LegOutcome.ANSWERED_ELSEWHERE, winner=winner.peer, answered_at=answered_at
        )
        forwarded = winner.kind is LegKind.NUMBER and state.plan.direction is not Direction.OUTBOUND
        disposition = Disposition.FORWARDED if forwarded else Disposition.ANSWERED
    else:
        left = _unanswered(event.status) if event.status else LegOutcome.CANCELLED
        state = _close_wave(state, at, left)
        disposition = state.outcome or Disposition.MISSED
    if state.adopted:
        return _ended_adopted(state, event, answered_at)
    handled = state.first_rung
    values: dict[str, Any] = {
        "ended_at": at,
        "answered_at": answered_at,
        "disposition": disposition,
        "hangup_cause": cause_text(event.cause),
        "route": state.route,
        "handled_by_user": winner.user if winner is not None else None,
        "handled_by_ext": _handled_ext(handled, winner),
        "handled_by_group": _handled_group(state, winner),
    }
    values.update(_oncall_values(state, winner, answered_at))
    if state.triage is not None:
        values["triage"] = state.triage.value
    commands: list[Command] = []
    box = state.voicemail_box
    if winner is None and box is not None and state.voicemail_at is not None:
        disposition = values["disposition"] = Disposition.VOICEMAIL
        values["voicemail_box"] = box
        plan = state.plan
        commands.append(
            SaveMessage(
                state.key, message_name(state.key), box, plan.caller, state.voicemail_at,
                plan.business_number, plan.customer_id, plan.job_id,
            )
        )  # fmt: skip
    state = replace(state, phase=Phase.DONE, outcome=disposition)
    commands.insert(0, Write(CallPatch(state.key, values, legs=state.legs)))
    if recording is not None:
        commands.append(FetchRecording(state.key, recording, state.started_at))
    return state, commands


def _oncall_values(
    state: CallState, winner: Leg | None, answered_at: datetime | None
) -> dict[str, Any]:
    """For a call that went to on-call: its shift, the outcome, the response time.

    The response is from the call's start to the technician's confirmed answer
    (a cell leg only answers once 1 is pressed)."""
    if not state.oncall_shifts:
        return {}
    current = state.current
    won = winner is not None and current is not None and current.target is TargetKind.ONCALL
    shift = current.shift if won and current is not None else None
    if won and answered_at is not None:
        outcome, response = Outcome.DISPATCHED, (answered_at - state.started_at).total_seconds()
    else:
        outcome, response = (Outcome.DECLINED if state.declined else Outcome.NO_ANSWER), None
    return {
        "oncall_shift": shift if shift is not None else state.oncall_shifts[0],
        "oncall_outcome": outcome.value,
        "response_seconds": response,
    }


def _ended_adopted(
    state: CallState, event: CallEnded, answered_at: datetime | None
) -> tuple[CallState, list[Command]]:
    """The end of a call whose routing state was lost: what the hangup handler says, legs kept."""
    answered = event.status == "ANSWER"
    peer = event.peer.split("@", 1)[0]
    values: dict[str, Any] = {
        "ended_at": event.at,
        "answered_at": answered_at if answered else None,
        "disposition": Disposition.ANSWERED if answered else Disposition.MISSED,
        "hangup_cause": cause_text(event.cause),
    }
    if answered and peer.isdigit():
        values["handled_by_ext"] = peer
    state = replace(state, phase=Phase.DONE, outcome=values["disposition"])
    return state, [Write(CallPatch(state.key, values))]


def _handled_ext(handled: Step | None, winner: Leg | None) -> str | None:
    if winner is not None and winner.ext is not None:
        return winner.ext
    if handled is not None and handled.target is TargetKind.EXTENSION:
        return handled.name
    return None


def _handled_group(state: CallState, winner: Leg | None) -> str | None:
    if winner is not None:
        won = next((leg for leg in state.legs if leg.outcome is LegOutcome.ANSWERED), None)
        if won is not None and won.group:
            return won.group
    first = state.first_rung
    if first is not None and first.target is TargetKind.GROUP:
        return first.name
    return None


def update_stats(stats: RingStats, legs: tuple[CallLeg, ...], ended_at: datetime) -> RingStats:
    """Strategy memory after a call: idle time and answered counts, where round-robin stopped."""
    last_end = dict(stats.last_call_end)
    answered = dict(stats.answered_today)
    stopped = dict(stats.round_robin_last)
    won = next((leg for leg in legs if leg.outcome is LegOutcome.ANSWERED), None)
    if won is not None and won.ext:
        last_end[won.ext] = ended_at
        answered[won.ext] = answered.get(won.ext, 0) + 1
    rung = [leg for leg in legs if leg.group and leg.ext]
    last = won if won is not None and won in rung else (rung[-1] if rung else None)
    if last is not None and last.group and last.ext:
        stopped[last.group] = last.ext
    return RingStats(last_end, answered, stopped)
