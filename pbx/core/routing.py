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

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pbx.core.calls import Direction
from pbx.core.model import (
    BusinessNumber,
    Customer,
    Directory,
    Extension,
    Job,
    RingGroup,
    Schedule,
    Trunk,
    User,
    VoicemailBox,
)


class CallKind(StrEnum):
    INBOUND = "inbound"  # arrived from the trunk (Stasis(pbx,inbound,DID))
    INTERNAL = "internal"  # placed by one of our phones (Stasis(pbx,internal,DIALLED))


@dataclass(frozen=True)
class CallFacts:
    """What Asterisk tells us about a new call."""

    kind: CallKind
    dialled: str  # the DID as the trunk sent it, or what the phone dialled
    caller: str  # caller ID number (trunk) or the calling extension (internal)


class StepKind(StrEnum):
    RING = "ring"  # ring a target; see `TargetKind`
    VOICEMAIL = "voicemail"  # leave a message in box `Step.name`
    ANNOUNCE = "announce"  # play announcement `Step.name` and hang up (disposition Failed)


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


@dataclass(frozen=True)
class Step:
    """One step of a plan.

    RING: `target` and `name` (user name, extension number, group name, E.164
    or emergency number; empty for ONCALL); `box` is the voicemail box of what
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

    def describe(self) -> str:
        """One line for people, e.g. `ring group Dispatch (ring-all): number destination`."""
        raise NotImplementedError


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
    record: bool = True  # record answered calls (the business number's setting; groups have their own)
    notes: tuple[str, ...] = ()  # facts worth showing: customer matched, closed for a holiday, ...

    @property
    def failed(self) -> bool:
        """True when the call is refused outright (the plan is one announcement)."""
        return bool(self.steps) and self.steps[0].kind is StepKind.ANNOUNCE

    def describe(self) -> list[str]:
        """The plan as numbered lines with reasons (what `pbx simulate` prints)."""
        raise NotImplementedError


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
    customer_by_phone: dict[str, Customer]  # E.164 -> the customer (lowest id on a shared phone)
    open_job: dict[int, Job]  # customer id -> its newest open job
    direct_number: dict[str, str]  # user -> the business number assigned to them
    trunk: Trunk | None  # the trunk outside calls use (first by name, as the dialplan)
    main_number: str | None  # outbound caller ID of users without a direct number

    @classmethod
    def build(cls, directory: Directory, options: RoutingOptions) -> RoutingIndex:
        raise NotImplementedError


def route(facts: CallFacts, index: RoutingIndex, at: datetime) -> Plan:
    """The plan for a call (see the module docstring for the rules). `at` must be aware."""
    raise NotImplementedError
