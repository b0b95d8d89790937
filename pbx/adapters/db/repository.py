"""The `Repository` port on SQLAlchemy: rows in, frozen dataclasses out.

Entities refer to each other by natural key in the model and by surrogate id in
the database; this module translates both ways. Every write is one transaction:
a name that refers to nothing raises `NotFound`, a broken uniqueness or
foreign-key rule raises `InvalidInput` naming the field, and either way nothing
is stored. Every directory write also bumps the directory revision, in the same
transaction. Menus name their keys' targets by text: a rename of what they name
follows in the same transaction (`_follow_rename`). The call log's SQL lives in
`calllog`, voicemail's in `voicemail`, on-call shifts, settings and the emergency
call log's in `oncall`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import StaticPool

from pbx.adapters.db import calllog, oncall, tokens, voicemail
from pbx.adapters.db.engine import BEGIN_OPTION, create_engine
from pbx.adapters.db.migrate import engine_revision, head_revision, migrate_engine
from pbx.adapters.db.tables import (
    AfterHoursStepRow,
    Base,
    BoxMemberRow,
    BoxRow,
    CallRow,
    CustomerPhoneRow,
    CustomerRow,
    DirectoryStateRow,
    ExtensionRow,
    GroupMemberRow,
    GroupRow,
    HolidayRow,
    JobRow,
    MenuOptionRow,
    MenuRow,
    NumberRow,
    OpenRangeRow,
    ScheduleRow,
    ShiftRow,
    TrunkRow,
    UserRow,
)
from pbx.core.access import ApiToken
from pbx.core.calls import CallPatch, CallRecord, Direction, Disposition
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import (
    AfterHoursKind,
    AfterHoursStep,
    BusinessNumber,
    Customer,
    Destination,
    DestKind,
    Directory,
    Entity,
    Extension,
    Job,
    Menu,
    MenuTarget,
    OpenRange,
    OptionKind,
    Prompt,
    RingGroup,
    Schedule,
    Trunk,
    User,
    VoicemailBox,
)
from pbx.core.notifications import Notice
from pbx.core.oncall import Changes, EmergencyCall, Shift, ShiftStatus, settings_from_text
from pbx.core.ringing import RingStats
from pbx.core.validate import ordered_options
from pbx.core.voicemail import Escalation, Message, MessageFilters, TranscriptStatus

# what add/replace/remove store: the model's entities and menus
Stored = Entity | Menu
E = TypeVar("E", bound=Stored)
T = TypeVar("T")


@dataclass(frozen=True)
class _Kind:
    """How one entity type is stored: its row class and natural-key column."""

    noun: str
    field: str
    row: Any
    key: str  # the key attribute, same name on the dataclass and on the row
    quoted: bool = True

    def show(self, value: object) -> str:
        return repr(value) if self.quoted else str(value)

    def missing(self, value: object, field: str | None = None) -> NotFound:
        return NotFound(field or self.field, f"no such {self.noun} {self.show(value)}")


USER = _Kind("user", "user", UserRow, "name")
EXTENSION = _Kind("extension", "extension", ExtensionRow, "number", quoted=False)
NUMBER = _Kind("business number", "number", NumberRow, "e164", quoted=False)
GROUP = _Kind("ring group", "group", GroupRow, "name")
SCHEDULE = _Kind("schedule", "schedule", ScheduleRow, "name")
BOX = _Kind("voicemail box", "box", BoxRow, "name")
CUSTOMER = _Kind("customer", "customer", CustomerRow, "id", quoted=False)
JOB = _Kind("job", "job", JobRow, "id", quoted=False)
TRUNK = _Kind("trunk", "trunk", TrunkRow, "name")
MENU = _Kind("menu", "menu", MenuRow, "name")

_KINDS: dict[type, _Kind] = {
    User: USER,
    Extension: EXTENSION,
    BusinessNumber: NUMBER,
    RingGroup: GROUP,
    Schedule: SCHEDULE,
    VoicemailBox: BOX,
    Customer: CUSTOMER,
    Job: JOB,
    Trunk: TRUNK,
    Menu: MENU,
}
_BY_TABLE = {kind.row.__tablename__: kind for kind in _KINDS.values()}


def _kind(item: object) -> _Kind:
    try:
        return _KINDS[type(item)]
    except KeyError:
        raise TypeError(f"not a directory entity: {item!r}") from None


def _first_duplicate(values: Iterable[object]) -> str:
    seen: set[object] = set()
    for value in values:
        if value in seen:
            return str(value)
        seen.add(value)
    return "a value"


# unique constraint -> (field, reason for the item being written)
_UNIQUE: dict[str, tuple[str, Callable[[Any], str]]] = {
    "uq_users_name": ("user", lambda u: f"{u.name!r} is already taken"),
    "uq_extensions_number": ("extension", lambda e: f"{e.number} is already taken"),
    "uq_voicemail_boxes_name": ("box", lambda b: f"{b.name!r} is already taken"),
    "uq_ring_groups_name": ("group", lambda g: f"{g.name!r} is already taken"),
    "uq_ring_groups_extension": ("extension", lambda g: f"{g.extension} is already taken"),
    "uq_schedules_name": ("schedule", lambda s: f"{s.name!r} is already taken"),
    "uq_business_numbers_e164": ("number", lambda n: f"{n.e164} is already taken"),
    "uq_business_numbers_assigned_user_id": (
        "assigned_user",
        lambda n: f"{n.assigned_user!r} already has a direct number",
    ),
    "uq_trunks_name": ("trunk", lambda t: f"{t.name!r} is already taken"),
    "uq_menus_name": ("menu", lambda m: f"{m.name!r} is already taken"),
    "pk_menu_options": (
        "option",
        lambda m: f"key {_first_duplicate(k for k, _ in m.options)} is listed twice",
    ),
    "uq_box_members_box_id_user_id": (
        "members",
        lambda b: f"{_first_duplicate(b.members)} is listed twice",
    ),
    "uq_group_members_group_id_extension_id": (
        "members",
        lambda g: f"{_first_duplicate(g.members)} is listed twice",
    ),
    "uq_holidays_schedule_id_day": (
        "holidays",
        lambda s: f"{_first_duplicate(s.holidays)} is listed twice",
    ),
    "uq_customer_phones_customer_id_e164": (
        "phones",
        lambda c: f"{_first_duplicate(c.phones)} is listed twice",
    ),
}


def _constraint_name(error: IntegrityError) -> str | None:
    """The name of the constraint an IntegrityError broke, on PostgreSQL or SQLite."""
    orig = error.orig
    cause = getattr(orig, "__cause__", None)  # asyncpg's own exception carries the name
    name = getattr(cause, "constraint_name", None) or getattr(orig, "constraint_name", None)
    if isinstance(name, str):
        return name
    text = str(orig)
    if match := re.search(r'constraint "([^"]+)"', text):
        return match.group(1)
    if match := re.search(r"UNIQUE constraint failed: (.+)$", text, re.MULTILINE):
        columns = [part.strip().split(".", 1) for part in match.group(1).split(",")]
        table = Base.metadata.tables.get(columns[0][0])
        wanted = {column for _, column in columns}
        for constraint in table.constraints if table is not None else ():
            if (
                isinstance(constraint, (sa.UniqueConstraint, sa.PrimaryKeyConstraint))
                and {c.name for c in constraint.columns} == wanted
            ):
                return str(constraint.name)
    return None


def _explain(error: IntegrityError, item: object) -> InvalidInput:
    name = _constraint_name(error)
    if name in _UNIQUE:
        field, reason = _UNIQUE[name]
        return InvalidInput(field, reason(item))
    kind = _kind(item)
    return InvalidInput(
        kind.field,
        f"{kind.show(getattr(item, kind.key))} conflicts with "
        f"stored data ({name or 'integrity error'})",
    )


# on-call constraint -> (field, reason); the writers check these first, so they
# only fire on a concurrent change (and on PostgreSQL, which names them)
_ONCALL_RULES: dict[str, tuple[str, str]] = {
    "fk_oncall_shifts_user_id_users": ("tech", "that user was just removed"),
    "ck_oncall_shifts_period": ("end", "a shift must end after it starts"),
    "fk_emergency_calls_shift_id_oncall_shifts": (
        "shift",
        "the shift has logged emergency calls (or was just removed); cancel it instead",
    ),
    "fk_emergency_calls_job_id_jobs": ("job", "that job was just removed"),
    "fk_emergency_calls_message_id_voicemail_messages": (
        "message",
        "that voicemail message was just removed",
    ),
    "uq_emergency_calls_call_key": ("call_key", "that call is already logged"),
    "uq_emergency_calls_message_id": ("message_id", "that voicemail is already logged"),
}


def _explain_oncall(error: IntegrityError) -> InvalidInput:
    name = _constraint_name(error)
    if name in _ONCALL_RULES:
        return InvalidInput(*_ONCALL_RULES[name])
    return InvalidInput("shift", f"conflicts with stored data ({name or 'integrity error'})")


async def _find(session: AsyncSession, kind: _Kind, value: object, field: str | None = None) -> int:
    """The row id of the entity `kind` whose key is `value`; NotFound if there is none."""
    row_id = await session.scalar(
        sa.select(kind.row.id).where(getattr(kind.row, kind.key) == value)
    )
    if row_id is None:
        raise kind.missing(value, field)
    return int(row_id)


async def _ref(session: AsyncSession, kind: _Kind, value: object, field: str) -> int | None:
    return None if value is None else await _find(session, kind, value, field)


# Each filler copies an entity onto its row (resolving references) and returns
# its child rows: child class -> column values, in order; they replace any stored.
_Children = dict[type, list[dict[str, Any]]]
_Filler = Callable[[AsyncSession, Any, Any], Awaitable[_Children]]

_PARENT_COLUMN: dict[type, str] = {
    BoxMemberRow: "box_id",
    GroupMemberRow: "group_id",
    OpenRangeRow: "schedule_id",
    HolidayRow: "schedule_id",
    AfterHoursStepRow: "schedule_id",
    CustomerPhoneRow: "customer_id",
    MenuOptionRow: "menu_id",
}

# a menu target's kind -> the entity it names (oncall, repeat and numbers name none)
_TARGET_KINDS: dict[OptionKind, _Kind] = {
    OptionKind.EXTENSION: EXTENSION,
    OptionKind.GROUP: GROUP,
    OptionKind.USER: USER,
    OptionKind.VOICEMAIL: BOX,
    OptionKind.MENU: MENU,
}


def _keywords_json(keywords: tuple[str, ...] | None) -> str | None:
    return None if keywords is None else json.dumps(list(keywords))


def _keywords(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(str(k) for k in json.loads(text))


async def _fill_user(session: AsyncSession, u: User, row: UserRow) -> _Children:
    row.name, row.email, row.mobile, row.role = u.name, u.email, u.mobile, u.role
    row.oncall_write, row.active = u.oncall_write, u.active
    row.notify = ",".join(u.notify)
    return {}


async def _fill_extension(session: AsyncSession, e: Extension, row: ExtensionRow) -> _Children:
    clash = await session.scalar(sa.select(GroupRow.name).where(GroupRow.extension == e.number))
    if clash is not None:
        raise InvalidInput("extension", f"{e.number} is already taken by ring group {clash!r}")
    row.number, row.sip_password, row.ring, row.dnd = e.number, e.sip_password, e.ring, e.dnd
    row.webrtc = e.webrtc
    row.user_id = await _find(session, USER, e.user, "user")
    row.voicemail_box_id = await _ref(session, BOX, e.voicemail_box, "voicemail_box")
    return {}


async def _fill_box(session: AsyncSession, b: VoicemailBox, row: BoxRow) -> _Children:
    row.name, row.kind, row.greeting = b.name, b.kind, b.greeting
    row.keywords = _keywords_json(b.keywords)
    users = [await _find(session, USER, name, "members") for name in b.members]
    return {BoxMemberRow: [{"position": i, "user_id": u} for i, u in enumerate(users)]}


async def _fill_group(session: AsyncSession, g: RingGroup, row: GroupRow) -> _Children:
    if g.extension is not None and await session.scalar(
        sa.select(ExtensionRow.id).where(ExtensionRow.number == g.extension)
    ):
        raise InvalidInput("extension", f"{g.extension} is already taken by an extension")
    row.name, row.extension, row.strategy = g.name, g.extension, g.strategy
    row.timeout, row.ring_timeout = g.timeout, g.ring_timeout
    row.fallback_box_id = await _ref(session, BOX, g.fallback_box, "fallback_box")
    row.record = g.record
    members = [await _find(session, EXTENSION, number, "members") for number in g.members]
    return {GroupMemberRow: [{"position": i, "extension_id": e} for i, e in enumerate(members)]}


async def _fill_schedule(session: AsyncSession, s: Schedule, row: ScheduleRow) -> _Children:
    row.name, row.tz = s.name, s.tz
    steps = []
    for i, step in enumerate(s.after_hours):
        box = menu = None
        if step.kind is AfterHoursKind.VOICEMAIL:
            box = await _find(session, BOX, step.target, "after_hours")
        elif step.kind is AfterHoursKind.MENU:
            menu = await _find(session, MENU, step.target, "after_hours")
        target = None if box is not None or menu is not None else step.target
        prompt = step.prompt or Prompt()
        steps.append(
            {
                "position": i,
                "kind": step.kind,
                "target": target,
                "box_id": box,
                "menu_id": menu,
                "prompt_text": prompt.text,
                "prompt_sound": prompt.sound,
                "spoken": step.spoken,
            }
        )
    return {
        OpenRangeRow: [
            {"position": i, "weekday": r.weekday, "start_minute": r.start, "end_minute": r.end}
            for i, r in enumerate(s.hours)
        ],
        HolidayRow: [{"position": i, "day": day} for i, day in enumerate(s.holidays)],
        AfterHoursStepRow: steps,
    }


async def _fill_number(session: AsyncSession, n: BusinessNumber, row: NumberRow) -> _Children:
    row.e164, row.label, row.active, row.forward = n.e164, n.label, n.active, n.forward
    row.provider, row.provider_ref, row.record = n.provider, n.provider_ref, n.record
    row.keywords = _keywords_json(n.keywords)
    row.assigned_user_id = await _ref(session, USER, n.assigned_user, "assigned_user")
    row.schedule_id = await _ref(session, SCHEDULE, n.schedule, "schedule")
    dest = n.destination
    row.dest_kind = dest.kind if dest else None
    row.dest_extension_id = row.dest_group_id = row.dest_menu_id = None
    if dest is not None and dest.kind is DestKind.EXTENSION:
        row.dest_extension_id = await _find(session, EXTENSION, dest.name, "destination")
    elif dest is not None and dest.kind is DestKind.MENU:
        row.dest_menu_id = await _find(session, MENU, dest.name, "destination")
    elif dest is not None:
        row.dest_group_id = await _find(session, GROUP, dest.name, "destination")
    return {}


async def _check_target(session: AsyncSession, m: Menu, target: MenuTarget, field: str) -> None:
    """The entity `target` names must exist (a menu may name itself)."""
    kind = _TARGET_KINDS.get(target.kind)
    if kind is None or (kind is MENU and target.name == m.name):
        return
    await _find(session, kind, target.name, field)


async def _fill_menu(session: AsyncSession, m: Menu, row: MenuRow) -> _Children:
    row.name, row.timeout, row.retries = m.name, m.timeout, m.retries
    row.direct_dial = m.direct_dial
    row.prompt_text, row.prompt_sound = m.prompt.text, m.prompt.sound
    invalid = m.invalid_prompt or Prompt()
    row.invalid_text, row.invalid_sound = invalid.text, invalid.sound
    row.default_kind = m.default.kind if m.default is not None else None
    row.default_target = m.default.name if m.default is not None else None
    if m.default is not None:
        await _check_target(session, m, m.default, "default")
    for _, target in m.options:
        await _check_target(session, m, target, "option")
    return {
        MenuOptionRow: [
            {"key": key, "kind": target.kind, "target": target.name} for key, target in m.options
        ]
    }


async def _fill_customer(session: AsyncSession, c: Customer, row: CustomerRow) -> _Children:
    row.name = c.name
    row.owner_id = await _ref(session, USER, c.owner, "owner")
    return {CustomerPhoneRow: [{"position": i, "e164": p} for i, p in enumerate(c.phones)]}


async def _fill_job(session: AsyncSession, j: Job, row: JobRow) -> _Children:
    row.customer_id = await _find(session, CUSTOMER, j.customer_id, "customer_id")
    row.title, row.status = j.title, j.status
    return {}


async def _fill_trunk(session: AsyncSession, t: Trunk, row: TrunkRow) -> _Children:
    row.name, row.host, row.port = t.name, t.host, t.port
    row.username, row.password, row.from_domain = t.username, t.password, t.from_domain
    return {}


_FILLERS: dict[type, _Filler] = {
    User: _fill_user,
    Extension: _fill_extension,
    VoicemailBox: _fill_box,
    RingGroup: _fill_group,
    Schedule: _fill_schedule,
    BusinessNumber: _fill_number,
    Customer: _fill_customer,
    Job: _fill_job,
    Trunk: _fill_trunk,
    Menu: _fill_menu,
}


async def _save(session: AsyncSession, item: Stored, row_id: int | None) -> int:
    """Insert `item` (row_id None) or overwrite the row `row_id` with it; returns the row id."""
    kind = _kind(item)
    row: Any = kind.row() if row_id is None else await session.get(kind.row, row_id)
    children = await _FILLERS[type(item)](session, item, row)
    if row_id is not None:
        row.updated_at = sa.func.now()
    session.add(row)
    await session.flush()
    for child, values in children.items():
        parent = _PARENT_COLUMN[child]
        if row_id is not None:
            await session.execute(sa.delete(child).where(getattr(child, parent) == row.id))
        session.add_all(child(**{parent: row.id}, **v) for v in values)
    await session.flush()
    return int(row.id)


def _by_parent(rows: Iterable[T], parent: Callable[[T], int]) -> dict[int, list[T]]:
    grouped: dict[int, list[T]] = defaultdict(list)
    for row in rows:
        grouped[parent(row)].append(row)
    return grouped


async def _bump_revision(session: AsyncSession) -> None:
    """Count one more directory write (in the writer's transaction)."""
    bumped = await session.execute(
        sa.update(DirectoryStateRow)
        .where(DirectoryStateRow.id == 1)
        .values(directory_revision=DirectoryStateRow.directory_revision + 1)
    )
    if cast(Any, bumped).rowcount == 0:  # the migration inserts the row; be safe anyway
        session.add(DirectoryStateRow(id=1, directory_revision=1))
        await session.flush()


def _prompt(text: str | None, sound: str | None) -> Prompt | None:
    return None if text is None and sound is None else Prompt(text, sound)


async def _follow_rename(session: AsyncSession, kind: _Kind, old: str, new: str) -> None:
    """Menus name their targets: make those that named `old` (of `kind`) name `new`."""
    target = next((k for k, v in _TARGET_KINDS.items() if v is kind), None)
    if target is None or old == new:
        return
    await session.execute(
        sa.update(MenuOptionRow)
        .where(MenuOptionRow.kind == target, MenuOptionRow.target == old)
        .values(target=new)
    )
    await session.execute(
        sa.update(MenuRow)
        .where(MenuRow.default_kind == target, MenuRow.default_target == old)
        .values(default_target=new)
    )


async def _all(session: AsyncSession, row: Any, *order: Any) -> Sequence[Any]:
    return (await session.scalars(sa.select(row).order_by(*order))).all()


class SqlRepository:
    """The directory and the call log in SQLite or PostgreSQL.

    Implements `services.ports.Repository` and `services.ports.CallStore`.

    Snapshots read in one consistent transaction (REPEATABLE READ on PostgreSQL;
    a single SQLite read transaction). Writes take SQLite's write lock at BEGIN.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        sqlite = engine.dialect.name == "sqlite"
        reader = engine if sqlite else engine.execution_options(isolation_level="REPEATABLE READ")
        writer = engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"}) if sqlite else engine
        # no autoflush: a half-filled row must not be flushed by a reference lookup
        self._reads = async_sessionmaker(reader, expire_on_commit=False, autoflush=False)
        self._writes = async_sessionmaker(writer, expire_on_commit=False, autoflush=False)
        # an in-memory SQLite database is one shared connection: take turns on it
        self._turns = asyncio.Lock() if isinstance(engine.pool, StaticPool) else None

    @property
    def engine(self) -> AsyncEngine:
        """The engine underneath (for adapters that share the database)."""
        return self._engine

    async def snapshot(self) -> Directory:
        """The whole directory, every collection ordered by natural key (children by position)."""
        async with self._turn(), self._reads() as s, s.begin():
            users = await _all(s, UserRow, UserRow.id)
            boxes = await _all(s, BoxRow, BoxRow.id)
            box_members = await _all(s, BoxMemberRow, BoxMemberRow.box_id, BoxMemberRow.position)
            extensions = await _all(s, ExtensionRow, ExtensionRow.id)
            groups = await _all(s, GroupRow, GroupRow.id)
            members = await _all(
                s, GroupMemberRow, GroupMemberRow.group_id, GroupMemberRow.position
            )
            schedules = await _all(s, ScheduleRow, ScheduleRow.id)
            ranges = await _all(s, OpenRangeRow, OpenRangeRow.schedule_id, OpenRangeRow.position)
            holidays = await _all(s, HolidayRow, HolidayRow.schedule_id, HolidayRow.position)
            steps = await _all(
                s, AfterHoursStepRow, AfterHoursStepRow.schedule_id, AfterHoursStepRow.position
            )
            numbers = await _all(s, NumberRow, NumberRow.id)
            customers = await _all(s, CustomerRow, CustomerRow.id)
            phones = await _all(
                s, CustomerPhoneRow, CustomerPhoneRow.customer_id, CustomerPhoneRow.position
            )
            jobs = await _all(s, JobRow, JobRow.id)
            trunks = await _all(s, TrunkRow, TrunkRow.id)
            menus = await _all(s, MenuRow, MenuRow.id)
            options = await _all(s, MenuOptionRow, MenuOptionRow.menu_id)
            shifts = await oncall.snapshot_shifts(s, datetime.now(UTC))
            settings = await oncall.settings_text(s)

        user = {r.id: r.name for r in users}
        box = {r.id: r.name for r in boxes}
        ext = {r.id: r.number for r in extensions}
        group = {r.id: r.name for r in groups}
        schedule = {r.id: r.name for r in schedules}
        menu = {r.id: r.name for r in menus}
        menu_keys = _by_parent(options, lambda r: r.menu_id)
        box_users = _by_parent(box_members, lambda r: r.box_id)
        group_exts = _by_parent(members, lambda r: r.group_id)
        open_ranges = _by_parent(ranges, lambda r: r.schedule_id)
        closed_days = _by_parent(holidays, lambda r: r.schedule_id)
        chains = _by_parent(steps, lambda r: r.schedule_id)
        customer_phones = _by_parent(phones, lambda r: r.customer_id)

        def destination(r: NumberRow) -> Destination | None:
            if r.dest_kind is DestKind.EXTENSION and r.dest_extension_id is not None:
                return Destination(DestKind.EXTENSION, ext[r.dest_extension_id])
            if r.dest_kind is DestKind.GROUP and r.dest_group_id is not None:
                return Destination(DestKind.GROUP, group[r.dest_group_id])
            if r.dest_kind is DestKind.MENU and r.dest_menu_id is not None:
                return Destination(DestKind.MENU, menu[r.dest_menu_id])
            return None

        def step(r: AfterHoursStepRow) -> AfterHoursStep:
            target = r.target
            if r.box_id is not None:
                target = box[r.box_id]
            elif r.menu_id is not None:
                target = menu[r.menu_id]
            return AfterHoursStep(r.kind, target, _prompt(r.prompt_text, r.prompt_sound), r.spoken)

        def menu_of(r: MenuRow) -> Menu:
            default = None
            if r.default_kind is not None:
                default = MenuTarget(r.default_kind, r.default_target or "")
            return Menu(
                r.name,
                _prompt(r.prompt_text, r.prompt_sound) or Prompt(),
                # in key order (0-9, *, #) here, not in SQL: the same on every collation
                ordered_options(
                    (o.key, MenuTarget(o.kind, o.target or "")) for o in menu_keys[r.id]
                ),
                default,
                r.timeout,
                r.retries,
                _prompt(r.invalid_text, r.invalid_sound),
                r.direct_dial,
            )

        def by_key(items: Iterable[T], key: Callable[[T], str]) -> tuple[T, ...]:
            # sorted here, not in SQL: the same order on every backend and collation
            return tuple(sorted(items, key=key))

        return Directory(
            users=by_key(
                (
                    User(
                        r.name,
                        r.email,
                        r.mobile,
                        r.role,
                        r.oncall_write,
                        r.active,
                        tuple(c for c in (r.notify or "").split(",") if c),
                    )
                    for r in users
                ),
                lambda u: u.name,
            ),
            extensions=by_key(
                (
                    Extension(
                        r.number,
                        user[r.user_id],
                        r.sip_password,
                        r.ring,
                        r.dnd,
                        box[r.voicemail_box_id] if r.voicemail_box_id is not None else None,
                        r.webrtc,
                    )
                    for r in extensions
                ),
                lambda e: e.number,
            ),
            numbers=by_key(
                (
                    BusinessNumber(
                        r.e164,
                        r.label,
                        r.active,
                        r.provider,
                        r.provider_ref,
                        user[r.assigned_user_id] if r.assigned_user_id is not None else None,
                        destination(r),
                        r.forward,
                        schedule[r.schedule_id] if r.schedule_id is not None else None,
                        r.record,
                        _keywords(r.keywords),
                    )
                    for r in numbers
                ),
                lambda n: n.e164,
            ),
            groups=by_key(
                (
                    RingGroup(
                        r.name,
                        r.strategy,
                        tuple(ext[m.extension_id] for m in group_exts[r.id]),
                        r.ring_timeout,
                        r.timeout,
                        r.extension,
                        box[r.fallback_box_id] if r.fallback_box_id is not None else None,
                        r.record,
                    )
                    for r in groups
                ),
                lambda g: g.name,
            ),
            schedules=by_key(
                (
                    Schedule(
                        r.name,
                        r.tz,
                        tuple(
                            OpenRange(o.weekday, o.start_minute, o.end_minute)
                            for o in open_ranges[r.id]
                        ),
                        tuple(h.day for h in closed_days[r.id]),
                        tuple(step(a) for a in chains[r.id]),
                    )
                    for r in schedules
                ),
                lambda s: s.name,
            ),
            boxes=by_key(
                (
                    VoicemailBox(
                        r.name,
                        r.kind,
                        tuple(user[m.user_id] for m in box_users[r.id]),
                        _keywords(r.keywords),
                        r.greeting,
                    )
                    for r in boxes
                ),
                lambda b: b.name,
            ),
            customers=tuple(
                Customer(
                    r.name,
                    tuple(p.e164 for p in customer_phones[r.id]),
                    user[r.owner_id] if r.owner_id is not None else None,
                    r.id,
                )
                for r in customers
            ),
            jobs=tuple(Job(r.customer_id, r.title, r.status, r.id) for r in jobs),
            trunks=by_key(
                (
                    Trunk(r.name, r.host, r.username, r.password, r.port, r.from_domain)
                    for r in trunks
                ),
                lambda t: t.name,
            ),
            shifts=shifts,
            oncall=settings_from_text(settings),
            menus=by_key((menu_of(r) for r in menus), lambda m: m.name),
        )

    async def add(self, item: E) -> E:
        """Store a new entity; customers and jobs come back with their new id."""
        kind = _kind(item)
        if isinstance(item, (Customer, Job)) and item.id is not None:
            raise InvalidInput("id", f"a new {kind.noun} gets its id from the database")
        async with self._writing(item) as session:
            row_id = await _save(session, item, None)
        if isinstance(item, (Customer, Job)):
            return cast(E, replace(item, id=row_id))
        return item

    async def replace(self, old: E, new: E) -> E:
        """Overwrite the stored `old` (found by its key) with `new`, keeping its row.

        References follow: renaming a user keeps its extensions, boxes and numbers.
        """
        kind = _kind(old)
        if type(new) is not type(old):
            raise TypeError(f"cannot replace a {kind.noun} with {new!r}")
        key = getattr(old, kind.key)
        if isinstance(new, (Customer, Job)):
            if key is None:
                raise kind.missing(key)
            if new.id not in (None, key):
                raise InvalidInput("id", f"a {kind.noun}'s id cannot change")
            new = cast(E, replace(new, id=key))
        async with self._writing(new) as session:
            await _save(session, new, await _find(session, kind, key))
            if kind in _TARGET_KINDS.values():
                await _follow_rename(session, kind, str(key), str(getattr(new, kind.key)))
        return new

    async def remove(self, item: Stored) -> None:
        """Delete the stored entity; refused while anything still refers to it."""
        kind = _kind(item)
        key = getattr(item, kind.key)
        row_id: int | None = None
        async with self._turn():
            try:
                async with self._writes() as session, session.begin():
                    row_id = await _find(session, kind, key)
                    await session.execute(sa.delete(kind.row).where(kind.row.id == row_id))
                    await _bump_revision(session)
            except IntegrityError as error:
                if row_id is None:
                    raise InvalidInput(kind.field, f"{kind.show(key)} is still in use") from error
                raise await self._still_used(kind, key, row_id) from error

    async def revision(self) -> int:
        """The directory's revision: it goes up with every add, replace and remove."""
        async with self._turn(), self._reads() as s, s.begin():
            found = await s.scalar(
                sa.select(DirectoryStateRow.directory_revision).where(DirectoryStateRow.id == 1)
            )
        return int(found or 0)

    # -- the call log (implements `services.ports.CallStore`) --------------

    async def apply_call_patches(self, patches: Sequence[CallPatch]) -> None:
        """Apply `patches` in order, in one transaction (see `CallStore`)."""
        if not patches:
            return
        async with self._turn(), self._writes() as session, session.begin():
            await calllog.apply_patches(session, patches)

    async def list_calls(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        customer_id: int | None = None,
        limit: int = 100,
        job_id: int | None = None,
        business_number: str | None = None,
        disposition: Disposition | None = None,
        direction: Direction | None = None,
        involving: tuple[str, tuple[str, ...]] | None = None,
        before: tuple[datetime, int] | None = None,
    ) -> list[CallRecord]:
        """Calls that started in [since, until), newest first, filtered by customer, job,
        business number, disposition and direction; `involving` (user, their extensions):
        calls that user answered or placed; `before` (started_at, id): the calls after
        that one in this order (keyset pagination)."""
        where: list[Any] = []
        if since is not None:
            where.append(CallRow.started_at >= since)
        if until is not None:
            where.append(CallRow.started_at < until)
        if customer_id is not None:
            where.append(CallRow.customer_id == customer_id)
        if job_id is not None:
            where.append(CallRow.job_id == job_id)
        if business_number is not None:
            where.append(CallRow.business_number == business_number)
        if disposition is not None:
            where.append(CallRow.disposition == disposition)
        if direction is not None:
            where.append(CallRow.direction == direction)
        if involving is not None:
            user, extensions = involving
            handled = sa.select(UserRow.id).where(UserRow.name == user).scalar_subquery()
            mine = [CallRow.handled_by_user_id == handled]
            if extensions:
                mine.append(CallRow.caller.in_(extensions))
            where.append(sa.or_(*mine))
        if before is not None:
            at, ident = before
            where.append(
                sa.or_(
                    CallRow.started_at < at,
                    sa.and_(CallRow.started_at == at, CallRow.id < ident),
                )
            )
        # a plain connection, not a session: this is the API's busiest read
        async with self._turn(), self._engine.connect() as conn:
            return await calllog.read_calls(conn, where, max(limit, 0))

    async def get_call(self, ident: int) -> CallRecord:
        """The call with database id `ident`; NotFound (field "call") if there is none."""
        async with self._turn(), self._reads() as s, s.begin():
            found = await calllog.read_calls(s, [CallRow.id == ident], 1)
        if not found:
            raise NotFound("call", f"no such call {ident}")
        return found[0]

    async def get_call_by_key(self, key: str) -> CallRecord | None:
        """The call `key` (`<node>:<linkedid>`), or None."""
        async with self._turn(), self._reads() as s, s.begin():
            found = await calllog.read_calls(s, [CallRow.key == key], 1)
        return found[0] if found else None

    async def ring_stats(self, today_start: datetime) -> RingStats:
        """What the ring strategies remember, from the call log (see `CallStore`)."""
        async with self._turn(), self._reads() as s, s.begin():
            return await calllog.ring_stats(s, today_start)

    # -- voicemail (implements `services.ports.MessageStore`) and the outbox --------

    async def run_read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`work(session)` in one read transaction (for adapters that share the database)."""
        async with self._turn(), self._reads() as s, s.begin():
            return await work(s)

    async def run_write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`work(session)` in one write transaction."""
        async with self._turn(), self._writes() as s, s.begin():
            return await work(s)

    async def add_message(self, message: Message) -> Message:
        """Store a new message (the one of the same call if it is stored already)."""
        return await self.run_write(lambda s: voicemail.add_message(s, message))

    async def get_message(self, ident: int) -> Message:
        """The message `ident`; NotFound (field "message") if there is none."""
        return await self.run_read(lambda s: voicemail.get_message(s, ident))

    async def list_messages(
        self,
        *,
        box: str | None = None,
        unread: bool | None = None,
        status: TranscriptStatus | None = None,
        oldest_first: bool = False,
        limit: int = 100,
        filters: MessageFilters | None = None,
    ) -> list[Message]:
        """Messages, newest first unless `oldest_first`, filtered as given; NotFound (field
        "box") for a bad box."""
        return await self.run_read(
            lambda s: voicemail.list_messages(
                s,
                box=box,
                unread=unread,
                status=status,
                oldest_first=oldest_first,
                limit=limit,
                filters=filters,
            )
        )

    async def update_message(self, ident: int, **values: Any) -> Message:
        """Set columns of message `ident` (`assigned_user_name` must name a user)."""
        return await self.run_write(lambda s: voicemail.update_message(s, ident, dict(values)))

    async def unread_counts(self) -> dict[str, tuple[int, int]]:
        """Per box name: (unread, read) counts."""
        return await self.run_read(voicemail.unread_counts)

    async def log_escalation(self, step: Escalation) -> None:
        await self.run_write(lambda s: voicemail.log_escalation(s, step))

    async def escalations(self, message_id: int) -> list[Escalation]:
        return await self.run_read(lambda s: voicemail.escalations(s, message_id))

    async def notices_of(self, message_id: int) -> list[Notice]:
        return await self.run_read(lambda s: voicemail.notices_of(s, message_id))

    # -- on-call: shifts and settings (in the directory), the emergency call log ------

    async def list_shifts(
        self,
        *,
        status: ShiftStatus | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Shift]:
        """Shifts overlapping [since, until) with that stored status, ordered by start."""
        return await self.run_read(
            lambda s: oncall.list_shifts(s, status=status, since=since, until=until)
        )

    async def get_shift(self, ident: int) -> Shift:
        """The shift `ident`; NotFound (field "shift") if there is none."""
        return await self.run_read(lambda s: oncall.get_shift(s, ident))

    async def apply_shift_changes(self, changes: Changes) -> list[Shift]:
        """Add, update and delete shifts in one transaction; returns the added ones with ids."""
        return await self._directory_write(lambda s: oncall.apply_changes(s, changes))

    async def tick_shifts(self, now: datetime) -> list[Shift]:
        """Store the clock's status at `now` of every shift it changes; returns those shifts."""

        async def work(session: AsyncSession) -> list[Shift]:
            changed = await oncall.tick(session, now)
            if changed:
                await _bump_revision(session)
            return changed

        return await self._shift_write(work)

    async def oncall_settings_text(self) -> dict[str, str]:
        """The stored on-call settings as text, by key (see `core.oncall.settings_from_text`)."""
        return await self.run_read(oncall.settings_text)

    async def save_oncall_settings(self, values: dict[str, str]) -> None:
        """Store each on-call setting of `values` (text, by key), replacing stored ones."""
        await self._directory_write(lambda s: oncall.save_settings(s, values))

    async def add_emergency_call(self, entry: EmergencyCall) -> EmergencyCall:
        """Log `entry` (returned with its id); the entry of the same call or voicemail if stored."""
        return await self._shift_write(lambda s: oncall.add_entry(s, entry))

    async def get_emergency_call(self, ident: int) -> EmergencyCall:
        """The emergency call log entry `ident`; NotFound (field "call") if there is none."""
        return await self.run_read(lambda s: oncall.get_entry(s, ident))

    async def update_emergency_call(self, ident: int, **values: Any) -> EmergencyCall:
        """Set fields (those of `EmergencyCall` but the id) of entry `ident`; returns it."""
        return await self._shift_write(lambda s: oncall.update_entry(s, ident, values))

    async def list_emergency_calls(
        self, *, shift_id: int | None = None, since: datetime | None = None
    ) -> list[EmergencyCall]:
        """Emergency call log entries (of one shift, received since `since`), newest first."""
        return await self.run_read(lambda s: oncall.list_entries(s, shift_id=shift_id, since=since))

    # -- API tokens ------------------------------------------------------------------

    async def add_token(self, token: ApiToken, token_hash: str) -> ApiToken:
        """Store a new token of `token.user` by its hash; NotFound (field "user") if no such user."""
        return await self.run_write(lambda s: tokens.add(s, token, token_hash))

    async def token_by_hash(self, token_hash: str) -> tuple[ApiToken, User] | None:
        """The token with this hash, and its user."""
        return await self.run_read(lambda s: tokens.by_hash(s, token_hash))

    async def list_tokens(self, user: str | None = None) -> list[ApiToken]:
        return await self.run_read(lambda s: tokens.list_all(s, user))

    async def revoke_token(self, ident: int, at: datetime) -> ApiToken:
        """Revoke token `ident` (already revoked stays as it was); NotFound (field "token")."""
        return await self.run_write(lambda s: tokens.revoke(s, ident, at))

    async def touch_token(self, ident: int, at: datetime) -> None:
        await self.run_write(lambda s: tokens.touch(s, ident, at))

    async def _directory_write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`work(session)` in one write transaction that also bumps the directory revision."""

        async def bumped(session: AsyncSession) -> T:
            result = await work(session)
            await _bump_revision(session)
            return result

        return await self._shift_write(bumped)

    async def _shift_write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`work(session)` in one write transaction; a broken rule raises InvalidInput."""
        try:
            return await self.run_write(work)
        except IntegrityError as error:
            raise _explain_oncall(error) from error

    async def close(self) -> None:
        """Close every database connection."""
        await self._engine.dispose()

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if self._turns is None:
            yield
        else:
            async with self._turns:
                yield

    @asynccontextmanager
    async def _writing(self, item: object) -> AsyncIterator[AsyncSession]:
        async with self._turn():
            try:
                async with self._writes() as session, session.begin():
                    yield session
                    await _bump_revision(session)
            except IntegrityError as error:
                raise _explain(error, item) from error

    async def _still_used(self, kind: _Kind, key: object, row_id: int) -> InvalidInput:
        """Why the entity `key` (row `row_id`) cannot be removed: what still refers to it.

        A user with on-call shifts is told to be deactivated instead: shifts are history.
        """
        users = await self._referrers(kind, row_id)
        shifts: list[int] = []
        if kind is USER:
            async with self._reads() as s:
                found = await s.scalars(
                    sa.select(ShiftRow.id).where(ShiftRow.user_id == row_id).order_by(ShiftRow.id)
                )
                shifts = [int(i) for i in found]
        parts = [f"is still used by {', '.join(users)}"] if users else []
        if shifts:
            listed = ", ".join(f"#{i}" for i in shifts[:5]) + (", ..." if len(shifts) > 5 else "")
            parts.append(f"has on-call shifts ({listed}); deactivate the user instead")
        reason = " and ".join(parts) or "is still used by other records"
        return InvalidInput(kind.field, f"{kind.show(key)} {reason}")

    async def _referrers(self, kind: _Kind, row_id: int) -> list[str]:
        """What still refers to row `row_id` of `kind`, e.g. ["extension 101", "ring group 'x'"].

        Only directory entities and their child rows are named (not on-call shifts).
        """
        table = kind.row.__table__
        found: set[str] = set()
        async with self._reads() as s:
            for other in Base.metadata.sorted_tables:
                for fk in other.foreign_keys:
                    if fk.column.table is not table or fk.ondelete in ("CASCADE", "SET NULL"):
                        continue
                    if other.name not in _BY_TABLE and not any(
                        f.ondelete == "CASCADE" for f in other.foreign_keys
                    ):
                        continue  # not an entity nor a child row of one (on-call shifts)
                    owner, source = other, cast(sa.FromClause, other)
                    if other.name not in _BY_TABLE:  # a child row: name its parent entity
                        up = next(f for f in other.foreign_keys if f.ondelete == "CASCADE")
                        owner = up.column.table
                        source = other.join(owner, up.parent == up.column)
                    of = _BY_TABLE[owner.name]
                    labels = await s.scalars(
                        sa.select(owner.c[of.key]).select_from(source).where(fk.parent == row_id)
                    )
                    found.update(f"{of.noun} {of.show(label)}" for label in labels)
        return sorted(found)


async def open_repository(url: str, *, upgrade: bool = True) -> SqlRepository:
    """Open the database at `url`, first migrating it to the newest schema.

    With `upgrade=False` the schema must already be current, else InvalidInput.
    """
    engine = create_engine(url)
    try:
        if upgrade:
            await migrate_engine(engine)
        elif (found := await engine_revision(engine)) != (wanted := head_revision()):
            raise InvalidInput(
                "database_url",
                f"schema is at revision {found}, this pbx needs {wanted}: migrate it",
            )
    except BaseException:
        await engine.dispose()
        raise
    return SqlRepository(engine)
