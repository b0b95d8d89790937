"""The phone-system directory as immutable values.

Entities refer to each other by their natural keys (user name, extension
number, group name, box name, schedule name) so that the pure core can reason
about a whole directory without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property

from pbx.core.oncall import OnCallSettings, Shift


class Role(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    TECHNICIAN = "technician"


class RingTarget(StrEnum):
    SOFTPHONE = "softphone"
    CELL = "cell"
    BOTH = "both"


class Strategy(StrEnum):
    RING_ALL = "ring-all"
    SEQUENTIAL = "sequential"
    LONGEST_IDLE = "longest-idle"
    ROUND_ROBIN = "round-robin"
    FEWEST_CALLS = "fewest-calls"
    RANDOM = "random"


class BoxKind(StrEnum):
    PERSONAL = "personal"
    SHARED = "shared"


class DestKind(StrEnum):
    EXTENSION = "ext"
    GROUP = "group"
    MENU = "menu"


class AfterHoursKind(StrEnum):
    ONCALL = "oncall"
    NUMBER = "number"
    VOICEMAIL = "voicemail"
    MENU = "menu"
    TRIAGE = "triage"  # "press 1 for an emergency": 1 goes on to the on-call steps


class OptionKind(StrEnum):
    """Where a menu key goes."""

    EXTENSION = "ext"
    GROUP = "group"
    USER = "user"
    VOICEMAIL = "voicemail"
    MENU = "menu"
    NUMBER = "number"  # an outside number through the trunk
    ONCALL = "oncall"  # the on-call technician (an emergency call, as after hours)
    REPEAT = "repeat"  # play the menu again


class JobStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class User:
    """A team member."""

    name: str
    email: str
    mobile: str | None = None
    role: Role = Role.TECHNICIAN
    oncall_write: bool = False
    active: bool = True
    # Where voicemail notifications reach this user: "email", "sms" (to mobile), "push".
    notify: tuple[str, ...] = ("email",)


@dataclass(frozen=True)
class Extension:
    """A 3-4 digit extension: one SIP endpoint of one user."""

    number: str
    user: str
    sip_password: str
    ring: RingTarget = RingTarget.SOFTPHONE
    dnd: bool = False
    voicemail_box: str | None = None
    webrtc: bool = False  # a browser softphone (registers over a websocket, DTLS-SRTP media)


@dataclass(frozen=True)
class Destination:
    """Where a business number rings in business hours: an extension or a ring group."""

    kind: DestKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.name}"


@dataclass(frozen=True)
class BusinessNumber:
    """A public number (E.164) that callers dial."""

    e164: str
    label: str
    active: bool = True
    provider: str | None = None
    provider_ref: str | None = None
    assigned_user: str | None = None
    destination: Destination | None = None
    forward: str | None = None
    schedule: str | None = None
    record: bool = True  # record answered calls to this number
    # Emergency keywords of messages left by callers of this number (None: the trade defaults).
    keywords: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RingGroup:
    """Extensions rung together or in turn under one strategy."""

    name: str
    strategy: Strategy
    members: tuple[str, ...]
    ring_timeout: int = 20
    timeout: int = 60
    extension: str | None = None
    fallback_box: str | None = None
    record: bool = True  # record calls this group answers


@dataclass(frozen=True, order=True)
class OpenRange:
    """Open from `start` to `end` (minutes after midnight, end exclusive) on `weekday` (0 = Monday)."""

    weekday: int
    start: int
    end: int


@dataclass(frozen=True)
class Prompt:
    """What callers hear: `text` spoken offline by flite, or an uploaded recording.

    `sound` is the made file's name in our sounds directory, as Asterisk plays it
    (`pbx/prompts/<content hash>`); the same text always makes the same file.
    """

    text: str | None = None
    sound: str | None = None

    def __str__(self) -> str:
        return repr(self.text) if self.text else f"recording {self.sound}"


@dataclass(frozen=True)
class AfterHoursStep:
    """One step of the after-hours chain: the on-call technician, a number, a voicemail box,
    a menu, or the emergency triage (`spoken`: the caller says the problem instead of
    pressing 1; `prompt` None: the standard question)."""

    kind: AfterHoursKind
    target: str | None = None
    prompt: Prompt | None = None
    spoken: bool = False

    def __str__(self) -> str:
        if self.kind is AfterHoursKind.ONCALL:
            return "oncall"
        if self.kind is AfterHoursKind.NUMBER:
            return self.target or ""
        if self.kind is AfterHoursKind.TRIAGE:
            return "triage:spoken" if self.spoken else "triage"
        return f"{self.kind.value}:{self.target}"


@dataclass(frozen=True)
class MenuTarget:
    """Where a menu key (or the menu's default) sends the caller."""

    kind: OptionKind
    name: str = ""  # extension, group, user, box, menu or E.164; "" for oncall and repeat

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.name}" if self.name else self.kind.value


MENU_KEYS = "0123456789*#"


@dataclass(frozen=True)
class Menu:
    """An auto attendant: a prompt, then a key per destination.

    Silence for `timeout` seconds or a key with no option replays the prompt
    (after `invalid_prompt`, if any) up to `retries` times; then the caller goes
    to `default` (None: on with the rest of the call's plan). With `direct_dial`
    the caller may also key an extension's number.
    """

    name: str
    prompt: Prompt
    options: tuple[tuple[str, MenuTarget], ...] = ()  # (key, target), by key
    default: MenuTarget | None = None
    timeout: int = 5
    retries: int = 2
    invalid_prompt: Prompt | None = None
    direct_dial: bool = False

    def option(self, key: str) -> MenuTarget | None:
        return next((t for k, t in self.options if k == key), None)


@dataclass(frozen=True)
class Schedule:
    """Weekly open hours in a time zone, closed dates, and what happens after hours."""

    name: str
    tz: str
    hours: tuple[OpenRange, ...]
    holidays: tuple[date, ...] = ()
    after_hours: tuple[AfterHoursStep, ...] = ()


@dataclass(frozen=True)
class VoicemailBox:
    """A voicemail box; personal boxes belong to one user, shared boxes notify several."""

    name: str
    kind: BoxKind = BoxKind.SHARED
    members: tuple[str, ...] = ()
    # Emergency keywords of its messages (None: the trade defaults); a message is
    # checked against its box's and its business number's lists.
    keywords: tuple[str, ...] | None = None
    greeting: str | None = None  # a sound made by `pbx voicemail greeting` (None: the default)


@dataclass(frozen=True)
class Customer:
    name: str
    phones: tuple[str, ...]
    owner: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class Job:
    customer_id: int
    title: str
    status: JobStatus = JobStatus.OPEN
    id: int | None = None


@dataclass(frozen=True)
class Trunk:
    """A SIP trunk to a provider: outbound registration and inbound identify."""

    name: str
    host: str
    username: str
    password: str
    port: int = 5060
    from_domain: str | None = None


Entity = (
    User | Extension | BusinessNumber | RingGroup | Schedule | VoicemailBox | Customer | Job | Trunk
)


@dataclass(frozen=True)
class Directory:
    """A snapshot of the whole phone-system directory."""

    users: tuple[User, ...] = ()
    extensions: tuple[Extension, ...] = ()
    numbers: tuple[BusinessNumber, ...] = ()
    groups: tuple[RingGroup, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    boxes: tuple[VoicemailBox, ...] = ()
    customers: tuple[Customer, ...] = ()
    jobs: tuple[Job, ...] = ()
    trunks: tuple[Trunk, ...] = ()
    shifts: tuple[Shift, ...] = ()  # on-call shifts that are not long over
    oncall: OnCallSettings = OnCallSettings()
    menus: tuple[Menu, ...] = ()

    def user(self, name: str) -> User | None:
        return next((u for u in self.users if u.name == name), None)

    def extension(self, number: str) -> Extension | None:
        return next((e for e in self.extensions if e.number == number), None)

    def number(self, e164: str) -> BusinessNumber | None:
        return next((n for n in self.numbers if n.e164 == e164), None)

    def group(self, name: str) -> RingGroup | None:
        return next((g for g in self.groups if g.name == name), None)

    def schedule(self, name: str) -> Schedule | None:
        return next((s for s in self.schedules if s.name == name), None)

    def box(self, name: str) -> VoicemailBox | None:
        return next((b for b in self.boxes if b.name == name), None)

    def menu(self, name: str) -> Menu | None:
        return next((m for m in self.menus if m.name == name), None)

    def trunk(self, name: str) -> Trunk | None:
        return next((t for t in self.trunks if t.name == name), None)

    def customer(self, ident: int) -> Customer | None:
        return self._customer_by_id.get(ident)

    def customers_with_phone(self, e164: str) -> tuple[Customer, ...]:
        """Customers with this phone number, in id order (caller-ID matching takes the first)."""
        return self.customers_by_phone.get(e164, ())

    def open_job(self, customer_id: int) -> Job | None:
        """The customer's newest open job (the one calls are linked to)."""
        return self.open_jobs.get(customer_id)

    # Indexes built on first use: a snapshot is immutable, and the API asks it thousands
    # of times a second (10,000 customers must not be scanned for each answer).
    @cached_property
    def _customer_by_id(self) -> dict[int, Customer]:
        return {c.id: c for c in self.customers if c.id is not None}

    @cached_property
    def customers_by_phone(self) -> dict[str, tuple[Customer, ...]]:
        """E.164 -> the customers with that phone, in id order (unsaved ones last)."""
        found: dict[str, list[Customer]] = {}
        for c in sorted(self.customers, key=lambda c: (c.id is None, c.id or 0)):
            for e164 in c.phones:
                found.setdefault(e164, []).append(c)
        return {e164: tuple(cs) for e164, cs in found.items()}

    @cached_property
    def open_jobs(self) -> dict[int, Job]:
        """Customer id -> their newest open job (highest id; closed jobs ignored)."""
        newest: dict[int, Job] = {}
        for job in self.jobs:
            if job.status is not JobStatus.OPEN:
                continue
            known = newest.get(job.customer_id)
            if known is None or (job.id if job.id is not None else -1) > (
                known.id if known.id is not None else -1
            ):
                newest[job.customer_id] = job
        return newest

    @cached_property
    def customer_names_folded(self) -> tuple[str, ...]:
        """The customers' names case-folded, in the order of `customers` (name search)."""
        return tuple(c.name.casefold() for c in self.customers)

    @cached_property
    def _job_by_id(self) -> dict[int, Job]:
        return {j.id: j for j in self.jobs if j.id is not None}

    def job(self, ident: int) -> Job | None:
        return self._job_by_id.get(ident)

    def extensions_of(self, user: str) -> tuple[Extension, ...]:
        return tuple(e for e in self.extensions if e.user == user)
