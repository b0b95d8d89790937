"""On-call shifts, the on-call settings and the emergency call log in SQL (Core statements).

Functions take an open session; `SqlRepository` wraps them in transactions (and
bumps the directory revision for what the directory snapshot carries: shifts
and settings). A shift refers to its technician by user id, so renaming a user
keeps their shifts; it is read back with the user's current name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pbx.adapters.db.tables import (
    EmergencyCallRow,
    JobRow,
    MessageRow,
    OnCallSettingRow,
    ShiftRow,
    UserRow,
)
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.oncall import Changes, EmergencyCall, Outcome, Shift, ShiftStatus, with_clock

_SHIFTS = cast(sa.Table, ShiftRow.__table__)
_SETTINGS = cast(sa.Table, OnCallSettingRow.__table__)
_CALLS = cast(sa.Table, EmergencyCallRow.__table__)
_USERS = cast(sa.Table, UserRow.__table__)
_JOBS = cast(sa.Table, JobRow.__table__)
_MESSAGES = cast(sa.Table, MessageRow.__table__)

SNAPSHOT_HISTORY = timedelta(days=2)  # the snapshot keeps shifts that ended this recently
# what `update_emergency_call` may set: every field but the id
ENTRY_FIELDS = frozenset(f.name for f in fields(EmergencyCall)) - {"id"}


# -- shifts ----------------------------------------------------------------------


def _shift(row: sa.Row[Any]) -> Shift:
    return Shift(
        tech=row.tech,
        start=row.start_at,
        end=row.end_at,
        notes=row.notes,
        status=row.status,
        backup=bool(row.backup),
        source=row.source,
        id=row.id,
    )


def _shift_query() -> sa.Select[Any]:
    return sa.select(_SHIFTS, _USERS.c.name.label("tech")).join(
        _USERS, _USERS.c.id == _SHIFTS.c.user_id
    )


def _order(query: sa.Select[Any]) -> sa.Select[Any]:
    return query.order_by(_SHIFTS.c.start_at, _SHIFTS.c.id)


def missing_shift(ident: object) -> NotFound:
    return NotFound("shift", f"no such shift #{ident}")


async def list_shifts(
    session: AsyncSession,
    *,
    status: ShiftStatus | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Shift]:
    """Shifts that overlap [since, until) with that stored status, by start."""
    query = _shift_query()
    if status is not None:
        query = query.where(_SHIFTS.c.status == ShiftStatus(status).value)
    if since is not None:
        query = query.where(_SHIFTS.c.end_at > since)
    if until is not None:
        query = query.where(_SHIFTS.c.start_at < until)
    return [_shift(row) for row in await session.execute(_order(query))]


async def snapshot_shifts(session: AsyncSession, now: datetime) -> tuple[Shift, ...]:
    """What the directory snapshot carries: shifts not cancelled and not long over."""
    query = _shift_query().where(
        _SHIFTS.c.status != ShiftStatus.CANCELLED.value,
        _SHIFTS.c.end_at > now - SNAPSHOT_HISTORY,
    )
    return tuple(_shift(row) for row in await session.execute(_order(query)))


async def get_shift(session: AsyncSession, ident: int) -> Shift:
    row = (await session.execute(_shift_query().where(_SHIFTS.c.id == ident))).first()
    if row is None:
        raise missing_shift(ident)
    return _shift(row)


async def _user_ids(session: AsyncSession, names: Iterable[str]) -> dict[str, int]:
    """User id per technician name; NotFound (field "tech") for the first unknown one."""
    wanted = sorted(set(names))
    found: dict[str, int] = {}
    if wanted:
        rows = await session.execute(
            sa.select(_USERS.c.name, _USERS.c.id).where(_USERS.c.name.in_(wanted))
        )
        found = {name: int(ident) for name, ident in rows.all()}
    for name in wanted:
        if name not in found:
            raise NotFound("tech", f"no such user {name!r}")
    return found


def _check_period(shift: Shift) -> None:
    if shift.end <= shift.start:
        raise InvalidInput(
            "end", f"{shift.end.isoformat()} is not after the start {shift.start.isoformat()}"
        )


def _shift_values(shift: Shift, users: Mapping[str, int]) -> dict[str, Any]:
    return {
        "user_id": users[shift.tech],
        "start_at": shift.start,
        "end_at": shift.end,
        "notes": shift.notes,
        "status": ShiftStatus(shift.status),
        "backup": bool(shift.backup),
        "source": shift.source,
    }


async def _stored_ids(session: AsyncSession, table: sa.Table, ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = await session.scalars(sa.select(table.c.id).where(table.c.id.in_(wanted)))
    return {int(i) for i in rows}


def _ident(shift: Shift, what: str) -> int:
    if shift.id is None:
        raise InvalidInput("shift", f"a shift to {what} needs its id ({shift.label()})")
    return shift.id


async def apply_changes(session: AsyncSession, changes: Changes) -> list[Shift]:
    """Insert, update and delete shifts as `changes` says; returns the added ones with ids.

    Everything is checked before anything is written: an unknown technician
    (NotFound "tech"), a missing stored shift (NotFound "shift"), a shift that
    does not end after its start (InvalidInput "end"), and deleting a shift
    with logged emergency calls (InvalidInput "shift").
    """
    for shift in changes.add:
        if shift.id is not None:
            raise InvalidInput("id", f"a new shift gets its id from the database ({shift.label()})")
    for shift in (*changes.add, *changes.update):
        _check_period(shift)
    updated = [_ident(s, "update") for s in changes.update]
    deleted = [_ident(s, "delete") for s in changes.delete]
    stored = await _stored_ids(session, _SHIFTS, [*updated, *deleted])
    for ident in (*updated, *deleted):
        if ident not in stored:
            raise missing_shift(ident)
    if deleted:
        logged = await session.scalars(
            sa.select(_CALLS.c.shift_id)
            .where(_CALLS.c.shift_id.in_(sorted(set(deleted))))
            .order_by(_CALLS.c.shift_id)
            .limit(1)
        )
        if (busy := logged.first()) is not None:
            raise InvalidInput(
                "shift", f"shift #{busy} has logged emergency calls; cancel it instead"
            )
    users = await _user_ids(session, (s.tech for s in (*changes.add, *changes.update)))

    added: list[Shift] = []
    for shift in changes.add:
        new_id = await session.scalar(
            sa.insert(_SHIFTS).values(**_shift_values(shift, users)).returning(_SHIFTS.c.id)
        )
        added.append(replace(shift, id=int(new_id or 0)))
    if changes.update:
        await session.execute(
            sa.update(_SHIFTS)
            .where(_SHIFTS.c.id == sa.bindparam("_id"))
            .values(updated_at=sa.func.now()),
            [{"_id": _ident(s, "update"), **_shift_values(s, users)} for s in changes.update],
        )
    if deleted:
        await session.execute(sa.delete(_SHIFTS).where(_SHIFTS.c.id.in_(sorted(set(deleted)))))
    return added


async def tick(session: AsyncSession, now: datetime) -> list[Shift]:
    """Store the status the clock gives every scheduled or active shift at `now`.

    Returns the shifts whose status changed (with the new status). A shift
    changed by hand meanwhile is left alone (the update checks the old status).
    """
    live = (ShiftStatus.SCHEDULED.value, ShiftStatus.ACTIVE.value)
    query = _shift_query().where(_SHIFTS.c.status.in_(live), _SHIFTS.c.start_at <= now)
    changed: list[Shift] = []
    for row in (await session.execute(_order(query))).all():
        before = _shift(row)
        after = with_clock(before, now)
        if after.status is before.status:
            continue
        done = await session.execute(
            sa.update(_SHIFTS)
            .where(_SHIFTS.c.id == before.id, _SHIFTS.c.status == before.status.value)
            .values(status=after.status, updated_at=sa.func.now())
        )
        if cast(Any, done).rowcount:
            changed.append(after)
    return changed


# -- settings --------------------------------------------------------------------


async def settings_text(session: AsyncSession) -> dict[str, str]:
    """Every stored setting as text, by key."""
    rows = await session.execute(sa.select(_SETTINGS.c.key, _SETTINGS.c.value))
    return {str(key): str(value) for key, value in rows.all()}


async def save_settings(session: AsyncSession, values: Mapping[str, str]) -> None:
    """Store each `key: value` (replacing a stored value of the same key)."""
    if not values:
        return
    await session.execute(sa.delete(_SETTINGS).where(_SETTINGS.c.key.in_(sorted(values))))
    await session.execute(
        sa.insert(_SETTINGS), [{"key": k, "value": str(v)} for k, v in values.items()]
    )


# -- the emergency call log -------------------------------------------------------


def _entry(row: sa.Row[Any]) -> EmergencyCall:
    return EmergencyCall(
        shift_id=row.shift_id,
        customer_name=row.customer_name,
        phone=row.phone,
        received_at=row.received_at,
        issue=row.issue,
        outcome=row.outcome,
        response_minutes=row.response_minutes,
        job_id=row.job_id,
        notes=row.notes,
        call_key=row.call_key,
        message_id=row.message_id,
        id=row.id,
    )


def missing_entry(ident: object) -> NotFound:
    return NotFound("call", f"no such emergency call #{ident}")


def insert_new(session: AsyncSession, table: sa.Table) -> Any:
    """An INSERT into `table` that skips rows breaking a unique rule (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


async def _logged(session: AsyncSession, entry: EmergencyCall) -> EmergencyCall | None:
    """The stored entry of the same call or voicemail as `entry`, if there is one."""
    for column, value in (
        (_CALLS.c.call_key, entry.call_key),
        (_CALLS.c.message_id, entry.message_id),
    ):
        if value is None:
            continue
        row = (await session.execute(sa.select(_CALLS).where(column == value))).first()
        if row is not None:
            return _entry(row)
    return None


async def _check_references(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """NotFound for a shift, job or voicemail message in `values` that does not exist."""
    if "shift_id" in values:
        shift = values["shift_id"]
        if shift is None or not await _stored_ids(session, _SHIFTS, [shift]):
            raise missing_shift(shift)
    job = values.get("job_id")
    if job is not None and not await _stored_ids(session, _JOBS, [job]):
        raise NotFound("job", f"no such job {job}")
    message = values.get("message_id")
    if message is not None and not await _stored_ids(session, _MESSAGES, [message]):
        raise NotFound("message", f"no such voicemail message {message}")


def _outcome(value: object) -> Outcome | None:
    if value is None or isinstance(value, Outcome):
        return value
    try:
        return Outcome(str(value))
    except ValueError:
        choices = ", ".join(o.value for o in Outcome)
        raise InvalidInput("outcome", f"{value!r} is not one of {choices}") from None


async def add_entry(session: AsyncSession, entry: EmergencyCall) -> EmergencyCall:
    """Store `entry`; an entry of the same call (`call_key`) or voicemail (`message_id`)
    already stored is returned instead."""
    if entry.id is not None:
        raise InvalidInput("id", "a new emergency call gets its id from the database")
    if (stored := await _logged(session, entry)) is not None:
        return stored
    values = {f: getattr(entry, f) for f in ENTRY_FIELDS}
    values["outcome"] = _outcome(entry.outcome)
    await _check_references(session, values)
    ident = await session.scalar(
        insert_new(session, _CALLS).values(**values).returning(_CALLS.c.id)
    )
    if ident is None:  # stored meanwhile by another writer
        stored = await _logged(session, entry)
        if stored is not None:
            return stored
    return replace(entry, outcome=values["outcome"], id=int(ident or 0))


async def get_entry(session: AsyncSession, ident: int) -> EmergencyCall:
    row = (await session.execute(sa.select(_CALLS).where(_CALLS.c.id == ident))).first()
    if row is None:
        raise missing_entry(ident)
    return _entry(row)


async def update_entry(
    session: AsyncSession, ident: int, values: Mapping[str, Any]
) -> EmergencyCall:
    """Set fields of entry `ident` (NotFound "call" if there is none); returns the entry."""
    unknown = sorted(set(values) - ENTRY_FIELDS)
    if unknown:
        raise InvalidInput(unknown[0], "not a field of an emergency call entry")
    await get_entry(session, ident)
    columns = dict(values)
    if "outcome" in columns:
        columns["outcome"] = _outcome(columns["outcome"])
    await _check_references(session, columns)
    if columns:
        await session.execute(
            sa.update(_CALLS)
            .where(_CALLS.c.id == ident)
            .values(**columns, updated_at=sa.func.now())
        )
    return await get_entry(session, ident)


async def list_entries(
    session: AsyncSession, *, shift_id: int | None = None, since: datetime | None = None
) -> list[EmergencyCall]:
    """Entries of one shift and/or received since `since`, newest first."""
    query = sa.select(_CALLS)
    if shift_id is not None:
        query = query.where(_CALLS.c.shift_id == shift_id)
    if since is not None:
        query = query.where(_CALLS.c.received_at >= since)
    rows = await session.execute(query.order_by(_CALLS.c.received_at.desc(), _CALLS.c.id.desc()))
    return [_entry(row) for row in rows]
