"""Routing: from the facts of a call, a directory index and an instant, to a Plan.

Pure and fast: `route()` reads a `RoutingIndex` built once per directory
snapshot (dicts keyed by number, extension, group, customer phone), so a
decision never scans the directory. The rules are those of DESIGN.md:

Inbound call to business number N from caller C at instant t:
1. N unknown or inactive: announce "not in service"; disposition Failed.
2. C normalised; its customer (and that customer's newest open job) linked.
3. N has a schedule and it is closed at t (its own time zone, holidays):
   the schedule's after-hours chain, each step in turn on no answer.
4. Otherwise: N's assigned user; else C's customer's owner; else N's
   destination (extension or ring group); else N's forwarding number.
   Each applicable candidate is a RING step; at call time a step with no
   reachable target is skipped (reason recorded) and the next one is tried;
   a step that rang and was not answered goes to the voicemail box of what it
   rang (`Step.box`).
Internal call from extension E dialling D: an extension, a ring group's
extension, an emergency number (always allowed, out through the trunk), or an
outside number (normalised in the default region; international only when
allowed) rung through the trunk with the caller ID of E's user's direct number,
else the main number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from phonenumbers import is_emergency_number

from pbx.core import phone
from pbx.core.calls import Direction
from pbx.core.errors import InvalidInput
from pbx.core.model import (
    AfterHoursKind,
    AfterHoursStep,
    BusinessNumber,
    Customer,
    DestKind,
    Directory,
    Extension,
    Job,
    Menu,
    MenuTarget,
    OptionKind,
    Prompt,
    RingGroup,
    Schedule,
    Trunk,
    User,
    VoicemailBox,
)
from pbx.core.oncall import on_call
from pbx.core.schedule import is_open


class CallKind(StrEnum):
    INBOUND = "inbound"  # arrived from the trunk (Stasis(pbx,inbound,DID))
    INTERNAL = "internal"  # placed by one of our phones (Stasis(pbx,internal,DIALLED))


@dataclass(frozen=True)
class CallFacts:
    """What Asterisk tells us about a new call."""

    kind: CallKind
    dialled: str  # the DID as the trunk sent it, or what the phone dialled
    caller: str  # caller ID number (trunk) or the calling extension (internal)
    # click-to-dial: the customer and job the call was placed for (else matched by number)
    customer_id: int | None = None
    job_id: int | None = None


class StepKind(StrEnum):
    RING = "ring"  # ring a target; see `TargetKind`
    VOICEMAIL = "voicemail"  # leave a message in box `Step.name`
    ANNOUNCE = "announce"  # play announcement `Step.name` and hang up (disposition Failed)
    MENU = "menu"  # the auto attendant `Step.name`: the caller's key decides the rest
    TRIAGE = "triage"  # "press 1 for an emergency": else the ring steps after it are passed


class TargetKind(StrEnum):
    USER = "user"  # all ring targets of a user (extensions' softphones, mobile)
    EXTENSION = "ext"
    GROUP = "group"
    NUMBER = "number"  # an outside number through the trunk
    ONCALL = "oncall"  # the technician of the active on-call shift


class NoAnswer(StrEnum):
    VOICEMAIL = "voicemail"  # rang, not answered: the step's box (else the call ends Missed)
    NEXT = "next"  # rang, not answered: go on with the next step (after-hours chain)


# Announcements (contexts `pbx-announce,<name>` of the generated dialplan).
NO_SERVICE = "noservice"  # unknown or inactive business number
REFUSED = "refused"  # outbound number not allowed (international)
INVALID = "invalid"  # dialled something that is neither an extension nor a number
UNROUTABLE = "unavailable"  # nothing to ring (a number with no destination at all)

_ANNOUNCEMENTS = {
    NO_SERVICE: "this number is not in service",
    REFUSED: "this call is not allowed",
    INVALID: "the number dialled is not valid",
    UNROUTABLE: "nobody can take the call",
}


@dataclass(frozen=True)
class Step:
    """One step of a plan.

    RING: `target` and `name` (user name, extension number, group name, E.164
    or emergency number; the technician for ONCALL, empty when nobody is on
    call); `box` is the voicemail box of what
    is rung; `caller_id` the number presented on outbound legs.
    VOICEMAIL: `name` is the box. ANNOUNCE: `name` is the announcement.
    `skip` is set when routing already knows the step cannot be used (a
    deactivated user, no trunk for a cell phone, ...): it stays in the plan
    so that `pbx simulate` can show it, and the call moves past it.
    """

    kind: StepKind
    reason: str
    target: TargetKind | None = None
    name: str = ""
    box: str | None = None
    on_no_answer: NoAnswer = NoAnswer.VOICEMAIL
    caller_id: str | None = None
    skip: str | None = None
    shift: int | None = None  # ONCALL: the on-call shift whose technician (`name`) is rung
    backup: bool = False  # ONCALL: that shift is the backup
    prompt: Prompt | None = None  # TRIAGE: the question (None: the standard one)
    spoken: bool = False  # TRIAGE: the caller says the problem instead of pressing 1

    def describe(self) -> str:
        """One line for people, e.g. `ring group Dispatch — number destination; no answer: ...`."""
        return self._describe(last=False)

    def action(self) -> str:
        """What the step does, without the why: `ring user Ann`, `voicemail box After Hours`."""
        if self.kind is StepKind.VOICEMAIL:
            return f"voicemail box {self.name}"
        if self.kind is StepKind.ANNOUNCE:
            what = _ANNOUNCEMENTS.get(self.name)
            return f"announce {self.name!r}" + (f" ({what})" if what else "") + " and hang up"
        if self.kind is StepKind.MENU:
            return f"menu {self.name}"
        if self.kind is StepKind.TRIAGE:
            how = "say what the problem is" if self.spoken else "press 1"
            return (
                f"emergency triage ({how}): an emergency goes on to the next steps, "
                "anything else skips their ringing"
            )
        if self.target is TargetKind.ONCALL:
            who = "backup" if self.backup else "on-call"
            tech = f" {self.name}" if self.name else ""
            shift = f" (shift #{self.shift})" if self.shift is not None else ""
            return f"ring the {who} technician{tech}{shift}"
        if self.target is TargetKind.USER:
            return f"ring user {self.name}"
        if self.target is TargetKind.EXTENSION:
            return f"ring extension {self.name}"
        if self.target is TargetKind.GROUP:
            return f"ring group {self.name}"
        return f"ring number {phone.display(self.name)}"

    def _describe(self, last: bool) -> str:
        text = self.action()
        if self.caller_id:
            text += f" (caller ID {phone.display(self.caller_id)})"
        if self.reason:
            text += f" — {self.reason}"
        if self.skip:
            return f"{text} (skipped: {self.skip})"
        if self.kind is StepKind.RING:
            if self.on_no_answer is NoAnswer.NEXT and not last:
                text += "; no answer: next step"
            elif self.on_no_answer is NoAnswer.VOICEMAIL and self.box:
                text += f"; no answer: voicemail box {self.box}"
            else:
                text += "; no answer: the call ends (missed)"
        return text


@dataclass(frozen=True)
class Plan:
    """Where a call goes: its facts as routing understood them and the ordered steps."""

    direction: Direction
    caller: str  # E.164 when the caller ID is a phone number; the extension for internal calls
    called: str  # the business number (E.164), extension, group extension or outside number
    steps: tuple[Step, ...]
    business_number: str | None = None
    customer_id: int | None = None
    customer_name: str | None = None
    job_id: int | None = None
    record: bool = (
        True  # record answered calls (the business number's setting; groups have their own)
    )
    notes: tuple[str, ...] = ()  # facts worth showing: customer matched, closed for a holiday, ...

    @property
    def failed(self) -> bool:
        """True when the call is refused outright (the plan is one announcement)."""
        return bool(self.steps) and self.steps[0].kind is StepKind.ANNOUNCE

    def describe(self) -> list[str]:
        """The plan as numbered lines with reasons (what `pbx simulate` prints), then the notes."""
        count = len(self.steps)
        lines = [f"{i}. {step._describe(last=i == count)}" for i, step in enumerate(self.steps, 1)]
        lines.extend(f"note: {note}" for note in self.notes)
        return lines


@dataclass(frozen=True)
class RoutingOptions:
    """Settings routing depends on besides the directory."""

    default_region: str = "US"
    allow_international: bool = False
    # Outbound caller ID when the calling user has no direct number; "" = the
    # first active business number (sorted), as the rendered dialplan uses.
    main_number: str = ""


@dataclass(frozen=True)
class RoutingIndex:
    """A directory snapshot prepared for routing: every lookup is one dict access.

    Build it once per snapshot with `RoutingIndex.build`; customers are indexed
    by each of their (E.164) phones, so matching a caller never scans.
    """

    directory: Directory
    options: RoutingOptions
    numbers: dict[str, BusinessNumber]
    users: dict[str, User]
    extensions: dict[str, Extension]
    extensions_of: dict[str, tuple[Extension, ...]]  # user -> their extensions, by number
    groups: dict[str, RingGroup]
    group_by_ext: dict[str, RingGroup]  # a group's dial code -> the group
    schedules: dict[str, Schedule]
    boxes: dict[str, VoicemailBox]
    menus: dict[str, Menu]
    customer_by_phone: dict[str, Customer]  # E.164 -> the customer (lowest id on a shared phone)
    open_job: dict[int, Job]  # customer id -> its newest open job
    direct_number: dict[str, str]  # user -> the business number assigned to them
    trunk: Trunk | None  # the trunk outside calls use (first by name, as the dialplan)
    main_number: str | None  # outbound caller ID of users without a direct number

    @classmethod
    def build(cls, directory: Directory, options: RoutingOptions) -> RoutingIndex:
        """Index `directory` for routing: one pass over each kind of entity."""
        numbers = {n.e164: n for n in directory.numbers}
        extensions_of: dict[str, list[Extension]] = {}
        for ext in sorted(directory.extensions, key=_ext_order):
            extensions_of.setdefault(ext.user, []).append(ext)
        active = sorted(n.e164 for n in directory.numbers if n.active)
        direct_number: dict[str, str] = {}
        for e164 in active:
            user = numbers[e164].assigned_user
            if user:
                direct_number.setdefault(user, e164)
        main_number = options.main_number.strip()
        if main_number:
            main_number = _normalized(main_number, options.default_region) or main_number
        return cls(
            directory=directory,
            options=options,
            numbers=numbers,
            users={u.name: u for u in directory.users},
            extensions={e.number: e for e in directory.extensions},
            extensions_of={user: tuple(exts) for user, exts in extensions_of.items()},
            groups={g.name: g for g in directory.groups},
            group_by_ext={g.extension: g for g in directory.groups if g.extension},
            schedules={s.name: s for s in directory.schedules},
            boxes={b.name: b for b in directory.boxes},
            menus={m.name: m for m in directory.menus},
            customer_by_phone={e164: cs[0] for e164, cs in directory.customers_by_phone.items()},
            open_job=directory.open_jobs,
            direct_number=direct_number,
            trunk=min(directory.trunks, key=lambda t: t.name) if directory.trunks else None,
            main_number=main_number or (active[0] if active else None),
        )


def _ext_order(ext: Extension) -> tuple[int, str]:
    return (len(ext.number), ext.number)  # numeric order: extensions have no leading zero


# --- helpers ------------------------------------------------------------------------

NO_TRUNK = "no trunk is configured"
NOT_EMERGENCY = "not an emergency"  # the triage's caller did not say it is one
_ONCALL_MISSING = "nobody is on call now"


@lru_cache(maxsize=8192)
def _parsed(raw: str, region: str) -> tuple[str | None, str]:
    """`raw` as E.164 in `region` and "", or None and why not (cached: callers repeat)."""
    try:
        return phone.normalize(raw, region), ""
    except InvalidInput as exc:
        return None, exc.reason


def _normalized(raw: str, region: str) -> str | None:
    return _parsed(raw, region)[0]


@lru_cache(maxsize=1024)
def _international(e164: str, region: str) -> bool:
    return phone.is_international(e164, region)


@lru_cache(maxsize=1024)
def _emergency(dialled: str, region: str) -> bool:
    return bool(dialled) and dialled.isdigit() and is_emergency_number(dialled, region)


def _caller_e164(raw: str, region: str) -> str:
    """The caller ID as E.164 when it is a phone number, else as it came (anonymous, '')."""
    if raw[:1] == "+" and raw[1:].isdigit():
        return raw
    if not any(ch.isdigit() for ch in raw):
        return raw.strip()
    return _normalized(raw, region) or raw.strip()


def _user_skip(name: str, index: RoutingIndex) -> str | None:
    user = index.users.get(name)
    if user is None:
        return f"user {name} does not exist"
    if not user.active:
        return f"user {name} is deactivated"
    return None


def _user_step(name: str, reason: str, index: RoutingIndex) -> Step:
    exts = index.extensions_of.get(name, ())
    box = next((e.voicemail_box for e in exts if e.voicemail_box), None)
    skip = _user_skip(name, index)
    if skip is None and not exts:
        skip = f"{name} has no extension"
    return Step(StepKind.RING, reason, TargetKind.USER, name, box=box, skip=skip)


def _extension_step(number: str, reason: str, index: RoutingIndex) -> Step:
    ext = index.extensions.get(number)
    if ext is None:
        skip: str | None = f"extension {number} does not exist"
        return Step(StepKind.RING, reason, TargetKind.EXTENSION, number, skip=skip)
    skip = _user_skip(ext.user, index)
    return Step(
        StepKind.RING, reason, TargetKind.EXTENSION, number, box=ext.voicemail_box, skip=skip
    )


def _group_step(group: RingGroup | None, name: str, reason: str) -> Step:
    if group is None:
        skip: str | None = f"ring group {name} does not exist"
        return Step(StepKind.RING, reason, TargetKind.GROUP, name, skip=skip)
    skip = None if group.members else f"ring group {name} has no members"
    return Step(StepKind.RING, reason, TargetKind.GROUP, name, box=group.fallback_box, skip=skip)


def _number_step(
    number: str,
    reason: str,
    index: RoutingIndex,
    on_no_answer: NoAnswer,
    caller_id: str | None = None,
) -> Step:
    return Step(
        StepKind.RING,
        reason,
        TargetKind.NUMBER,
        number,
        on_no_answer=on_no_answer,
        caller_id=caller_id,
        skip=NO_TRUNK if index.trunk is None else None,
    )


def _oncall_steps(reason: str, index: RoutingIndex, at: datetime) -> list[Step]:
    """The technician of the active on-call shift, then the backup's (confirmed legs both)."""
    now = on_call(index.directory.shifts, at)
    steps: list[Step] = []
    for shift in (now.primary, now.backup):
        if shift is None:
            continue
        skip = _user_skip(shift.tech, index)
        if skip is None and not index.extensions_of.get(shift.tech):
            skip = f"{shift.tech} has no extension"
        steps.append(
            Step(
                StepKind.RING, reason, TargetKind.ONCALL, shift.tech,
                on_no_answer=NoAnswer.NEXT, skip=skip, shift=shift.id, backup=shift.backup,
            )
        )  # fmt: skip
    if not steps:
        steps.append(
            Step(
                StepKind.RING,
                reason,
                TargetKind.ONCALL,
                on_no_answer=NoAnswer.NEXT,
                skip=_ONCALL_MISSING,
            )  # fmt: skip
        )
    return steps


def _after_hours_steps(
    step: AfterHoursStep, reason: str, index: RoutingIndex, at: datetime
) -> list[Step]:
    if step.kind is AfterHoursKind.ONCALL:
        return _oncall_steps(reason, index, at)
    if step.kind is AfterHoursKind.NUMBER:
        return [_number_step(step.target or "", reason, index, NoAnswer.NEXT)]
    if step.kind is AfterHoursKind.MENU:
        return [_menu_step(step.target or "", reason, index)]
    if step.kind is AfterHoursKind.TRIAGE:
        return [Step(StepKind.TRIAGE, reason, prompt=step.prompt, spoken=step.spoken)]
    box = step.target or ""
    skip = None if box in index.boxes else f"voicemail box {box!r} does not exist"
    return [Step(StepKind.VOICEMAIL, reason, name=box, skip=skip)]


def _chain(
    chain: tuple[AfterHoursStep, ...], reason: str, index: RoutingIndex, at: datetime
) -> list[Step]:
    steps = [s for step in chain for s in _after_hours_steps(step, reason, index, at)]
    if (
        steps
        and steps[0].kind is StepKind.TRIAGE
        and not any(s.kind is StepKind.RING and not s.skip for s in steps[1:])
    ):
        # nothing to ring for an emergency: asking the caller would only delay them
        steps[0] = replace(steps[0], skip="no step after it rings anybody")
    return steps


def _menu_step(name: str, reason: str, index: RoutingIndex) -> Step:
    menu = index.menus.get(name)
    skip = None if menu is not None else f"menu {name} does not exist"
    return Step(StepKind.MENU, reason, name=name, skip=skip)


def describe_menu(menu: Menu) -> str:
    """One line: the prompt, each key, what silence or wrong keys lead to."""
    keys = ", ".join(f"{key} -> {_target_text(t)}" for key, t in menu.options) or "no options"
    tries = menu.retries + 1
    default = _target_text(menu.default) if menu.default else "the next step of the call"
    text = (
        f"menu {menu.name}: says {menu.prompt}; {keys}; no key within {menu.timeout} s or a "
        f"wrong key {tries} time{'s' if tries != 1 else ''}: {default}"
    )
    return text + ("; extensions can be dialled directly" if menu.direct_dial else "")


def _target_text(target: MenuTarget) -> str:
    if target.kind is OptionKind.ONCALL:
        return "the on-call technician"
    if target.kind is OptionKind.REPEAT:
        return "the menu again"
    if target.kind is OptionKind.NUMBER:
        return f"number {phone.display(target.name)}"
    what = {OptionKind.EXTENSION: "extension", OptionKind.VOICEMAIL: "voicemail box"}
    return f"{what.get(target.kind, target.kind.value)} {target.name}"


def _menu_notes(steps: tuple[Step, ...], index: RoutingIndex) -> list[str]:
    """A line for every menu the call may reach (through other menus too), each once."""
    todo = [s.name for s in steps if s.kind is StepKind.MENU and not s.skip]
    seen: set[str] = set()
    lines: list[str] = []
    while todo:
        name = todo.pop(0)
        menu = index.menus.get(name)
        if name in seen or menu is None:
            continue
        seen.add(name)
        lines.append(describe_menu(menu))
        targets = [t for _, t in menu.options] + ([menu.default] if menu.default else [])
        todo.extend(t.name for t in targets if t.kind is OptionKind.MENU)
    return lines


def choose(
    plan: Plan,
    at_step: int,
    target: MenuTarget | None,
    reason: str,
    index: RoutingIndex,
    at: datetime,
) -> Plan:
    """The plan once the caller chose at its menu or triage step number `at_step`.

    A menu's choice replaces the steps after it with where the choice leads (no
    choice and no default: the plan goes on as it was). The triage goes on as it
    was for an emergency (`target` is the on-call technician); else the ring steps
    after it are passed, which leaves the voicemail.
    """
    head, rest = plan.steps[: at_step + 1], plan.steps[at_step + 1 :]
    if plan.steps[at_step].kind is StepKind.TRIAGE:
        if target is not None and target.kind is OptionKind.ONCALL:
            return plan
        rest = tuple(
            replace(s, skip=NOT_EMERGENCY) if s.kind is StepKind.RING and not s.skip else s
            for s in rest
        )
        return replace(plan, steps=(*head, *rest))
    if target is None:
        return plan
    return replace(plan, steps=(*head, *target_steps(target, reason, index, at)))


def follow(
    plan: Plan, keys: Sequence[str], index: RoutingIndex, at: datetime
) -> tuple[Plan, list[str]]:
    """The plan after the caller answers its menus and triage with `keys` in turn ("" for
    pressing nothing), and a line per answer: what `pbx simulate --keys` shows."""
    said: list[str] = []
    start = 0
    for key in keys:
        at_step = next(
            (
                n
                for n in range(start, len(plan.steps))
                if plan.steps[n].kind in (StepKind.MENU, StepKind.TRIAGE) and not plan.steps[n].skip
            ),
            None,
        )
        if at_step is None:
            said.append(f"key {key or '(none)'}: no menu or triage is left to answer")
            break
        step, pressed = plan.steps[at_step], f"pressed {key}" if key else "pressed nothing"
        target: MenuTarget | None
        if step.kind is StepKind.TRIAGE:
            target = MenuTarget(OptionKind.ONCALL) if key == "1" else None
            said.append(f"triage: {pressed}: {'an emergency' if target else 'not an emergency'}")
            plan = choose(plan, at_step, target, "triage", index, at)
        else:
            menu = index.menus[step.name]
            target = menu.option(key) if key else None
            if target is None and menu.direct_dial and key in index.extensions:
                target = MenuTarget(OptionKind.EXTENSION, key)
            if target is None or target.kind is OptionKind.REPEAT:
                pressed, target = f"{pressed} (then nothing): the default", menu.default
            reason = f"menu {menu.name}: {pressed}"
            said.append(f"{reason} -> {_target_text(target) if target else 'the next step'}")
            plan = choose(plan, at_step, target, reason, index, at)
        start = at_step + 1
    return plan, said


def target_steps(target: MenuTarget, reason: str, index: RoutingIndex, at: datetime) -> list[Step]:
    """The steps a menu key (or a menu's default) leads to."""
    kind, name = target.kind, target.name
    if kind is OptionKind.EXTENSION:
        return [_extension_step(name, reason, index)]
    if kind is OptionKind.GROUP:
        return [_group_step(index.groups.get(name), name, reason)]
    if kind is OptionKind.USER:
        return [_user_step(name, reason, index)]
    if kind is OptionKind.MENU:
        return [_menu_step(name, reason, index)]
    if kind is OptionKind.NUMBER:
        return [_number_step(name, reason, index, NoAnswer.NEXT)]
    if kind is OptionKind.ONCALL:
        return _oncall_steps(reason, index, at)
    if kind is OptionKind.VOICEMAIL:
        skip = None if name in index.boxes else f"voicemail box {name!r} does not exist"
        return [Step(StepKind.VOICEMAIL, reason, name=name, skip=skip)]
    return []  # REPEAT is the menu's own business


def _announce(name: str, reason: str) -> tuple[Step, ...]:
    return (Step(StepKind.ANNOUNCE, reason, name=name),)


def _finish(steps: list[Step]) -> tuple[Step, ...]:
    """The steps, with an announcement at the end when none of them can be used at all."""
    if steps and all(step.skip for step in steps):
        reason = "every step is skipped: nothing can take the call"
        steps.append(Step(StepKind.ANNOUNCE, reason, name=UNROUTABLE))
    return tuple(steps)


def _closed_why(schedule: Schedule, at: datetime) -> str:
    """Why `schedule` is closed at `at`, in its own time zone (only called when closed)."""
    local = at.astimezone(ZoneInfo(schedule.tz))
    where = f"schedule {schedule.name!r} ({schedule.tz}) is closed"
    if local.date() in schedule.holidays:
        return f"{where} for the holiday {local.date().isoformat()}"
    return f"{where} at {local:%a %H:%M}"


# --- routing ------------------------------------------------------------------------


def route(facts: CallFacts, index: RoutingIndex, at: datetime) -> Plan:
    """The plan for a call (see the module docstring for the rules). `at` must be aware."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"instant must be timezone-aware, got naive {at.isoformat()}")
    if facts.kind is CallKind.INTERNAL:
        return _route_internal(facts, index)
    return _route_inbound(facts, index, at)


def _route_inbound(facts: CallFacts, index: RoutingIndex, at: datetime) -> Plan:
    region = index.options.default_region
    did = facts.dialled
    number = index.numbers.get(did)
    if number is None:
        did = did.strip()
        if did:
            did = _normalized(did, region) or did
            number = index.numbers.get(did)
    caller = _caller_e164(facts.caller, region)
    notes: list[str] = []
    customer = index.customer_by_phone.get(caller) if caller else None
    customer_id = job_id = None
    if customer is not None:
        customer_id = customer.id
        job = index.open_job.get(customer.id) if customer.id is not None else None
        job_id = job.id if job is not None else None
        ident = f" (#{customer.id})" if customer.id is not None else ""
        linked = f"open job #{job.id} {job.title!r}" if job is not None else "no open job"
        notes.append(f"caller {caller} is customer {customer.name}{ident}, {linked}")

    def plan(steps: tuple[Step, ...], record: bool) -> Plan:
        return Plan(
            direction=Direction.INBOUND,
            caller=caller,
            called=number.e164 if number is not None else did,
            steps=steps,
            business_number=number.e164 if number is not None else None,
            customer_id=customer_id,
            customer_name=customer.name if customer is not None else None,
            job_id=job_id,
            record=record,
            notes=(*notes, *_menu_notes(steps, index)),
        )

    if number is None:
        why = f"{did} is not one of our numbers" if did else "the trunk sent no dialled number"
        return plan(_announce(NO_SERVICE, f"not in service: {why}"), record=False)
    if not number.active:
        why = f"number {number.e164} ({number.label}) is disabled"
        return plan(_announce(NO_SERVICE, f"not in service: {why}"), record=number.record)

    schedule = index.schedules.get(number.schedule) if number.schedule else None
    if number.schedule and schedule is None:
        notes.append(f"schedule {number.schedule!r} does not exist: treated as always open")
    if number.e164 == index.directory.oncall.emergency_number:
        reason = "emergency contact number: the on-call chain at any hour"
        if schedule is not None and schedule.after_hours:
            steps = _chain(schedule.after_hours, reason, index, at)
        else:
            steps = _oncall_steps(reason, index, at)
            fallback = _in_hours(number, customer, index, notes)
            steps.extend(s for s in fallback if s.kind is not StepKind.ANNOUNCE)
        return plan(_finish(steps), record=number.record)
    if schedule is not None:
        try:
            open_now = is_open(schedule, at)
        except InvalidInput as exc:
            notes.append(f"schedule {schedule.name!r}: {exc}; treated as open")
            open_now = True
        if not open_now:
            why = _closed_why(schedule, at)
            if schedule.after_hours:
                reason = f"after hours: {why}"
                steps = _chain(schedule.after_hours, reason, index, at)
                return plan(_finish(steps), record=number.record)
            notes.append(f"{why}, but it has no after-hours chain: routed as in business hours")
    return plan(_in_hours(number, customer, index, notes), record=number.record)


def _in_hours(
    number: BusinessNumber, customer: Customer | None, index: RoutingIndex, notes: list[str]
) -> tuple[Step, ...]:
    steps: list[Step] = []
    owner = customer.owner if customer is not None else None
    if number.assigned_user:
        user = number.assigned_user
        steps.append(_user_step(user, f"number assigned to {user}", index))
        if owner and customer is not None and owner != user:
            notes.append(
                f"customer {customer.name} is owned by {owner}, "
                f"but the number is assigned to {user}, who takes the call"
            )
    elif owner and customer is not None:
        reason = f"caller is customer {customer.name}, owned by {owner}"
        steps.append(_user_step(owner, reason, index))
    dest = number.destination
    if dest is not None:
        if dest.kind is DestKind.EXTENSION:
            steps.append(_extension_step(dest.name, "number destination", index))
        elif dest.kind is DestKind.MENU:
            steps.append(_menu_step(dest.name, "number destination", index))
        else:
            steps.append(_group_step(index.groups.get(dest.name), dest.name, "number destination"))
    if number.forward:
        steps.append(_number_step(number.forward, "forwarding number", index, NoAnswer.VOICEMAIL))
    if not steps:
        reason = f"number {number.e164} has no assigned user, destination or forwarding number" + (
            f", and customer {customer.name} has no owner" if customer is not None else ""
        )
        return _announce(UNROUTABLE, reason)
    return _finish(steps)


def _route_internal(facts: CallFacts, index: RoutingIndex) -> Plan:
    region = index.options.default_region
    caller = facts.caller.strip()
    dialled = facts.dialled.strip()
    notes: list[str] = []

    def plan(direction: Direction, called: str, steps: tuple[Step, ...]) -> Plan:
        customer, job = _called_customer(facts, called, index, notes)
        return Plan(
            direction,
            caller,
            called,
            steps,
            customer_id=customer.id if customer is not None else None,
            customer_name=customer.name if customer is not None else None,
            job_id=job.id if job is not None else None,
            record=True,
            notes=tuple(notes),
        )

    if _emergency(dialled, region):
        caller_id = _outbound_caller_id(caller, index, notes)
        step = _number_step(
            dialled, "emergency number: always allowed", index, NoAnswer.NEXT, caller_id
        )
        return plan(Direction.OUTBOUND, dialled, _finish([step]))
    if dialled in index.extensions:
        steps = [_extension_step(dialled, f"internal call to extension {dialled}", index)]
        return plan(Direction.INTERNAL, dialled, _finish(steps))
    group = index.group_by_ext.get(dialled)
    if group is not None:
        reason = f"internal call to ring group {group.name} (extension {dialled})"
        return plan(Direction.INTERNAL, dialled, _finish([_group_step(group, group.name, reason)]))
    e164, why = _parsed(dialled, region) if dialled else (None, "nothing was dialled")
    if e164 is None:
        detail = re.search(r"\(([^()]*)\)$", why)
        why = detail.group(1) if detail else why
        reason = f"{dialled!r} is not an extension, a ring group or a phone number ({why})"
        return plan(Direction.INTERNAL, dialled, _announce(INVALID, reason))
    if _international(e164, region) and not index.options.allow_international:
        reason = (
            f"{e164} is an international number and international dialling is disabled "
            "(allow_international = false)"
        )
        return plan(Direction.OUTBOUND, e164, _announce(REFUSED, reason))
    caller_id = _outbound_caller_id(caller, index, notes)
    step = _number_step(e164, "outside number", index, NoAnswer.NEXT, caller_id)
    return plan(Direction.OUTBOUND, e164, _finish([step]))


def _called_customer(
    facts: CallFacts, called: str, index: RoutingIndex, notes: list[str]
) -> tuple[Customer | None, Job | None]:
    """The customer (and job) an outbound call is about: the ones it was placed for
    (click-to-dial), else the customer whose phone it is and their open job."""
    directory = index.directory
    customer = directory.customer(facts.customer_id) if facts.customer_id else None
    if customer is None:
        customer = index.customer_by_phone.get(called)
    job = directory.job(facts.job_id) if facts.job_id else None
    if job is not None and (customer is None or job.customer_id != customer.id):
        job = None
    if customer is None:
        return None, None
    if job is None and customer.id is not None:
        job = index.open_job.get(customer.id)
    linked = f"job #{job.id} {job.title!r}" if job is not None and job.id else "no open job"
    notes.append(f"called customer {customer.name} (#{customer.id}), {linked}")
    return customer, job


def _outbound_caller_id(caller: str, index: RoutingIndex, notes: list[str]) -> str | None:
    """The caller ID for a call placed by extension `caller`: its user's direct number, else main."""
    ext = index.extensions.get(caller)
    direct = index.direct_number.get(ext.user) if ext is not None else None
    if direct is not None and ext is not None:
        notes.append(f"caller ID {direct}: the direct number of {ext.user}")
        return direct
    if index.main_number is not None:
        notes.append(f"caller ID {index.main_number}: the main number")
        return index.main_number
    notes.append("no caller ID: the caller has no direct number and there is no main number")
    return None
