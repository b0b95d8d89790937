"""The call log in SQL: applying `CallPatch`es, reading `CallRecord`s, ring statistics.

Functions over an open session; `SqlRepository` runs them in its transactions.
A patch is never refused for what it refers to: a user, customer or job that
does not exist (any more) is stored as NULL, and a value of the wrong kind is
dropped with a warning, so the call log's queue can always drain.

A call that went to on-call (`oncall_shift` set) gets an entry in that shift's
emergency call log once it has ended, made in the same transaction (see
`_log_emergencies`).
"""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from pbx.adapters.db.oncall import insert_new
from pbx.adapters.db.tables import (
    CallLegRow,
    CallRow,
    CustomerRow,
    EmergencyCallRow,
    JobRow,
    ShiftRow,
    UserRow,
)
from pbx.core import calls
from pbx.core.callflow import Triage
from pbx.core.calls import (
    CallLeg,
    CallPatch,
    CallRecord,
    Direction,
    Disposition,
    LegKind,
    LegOutcome,
)
from pbx.core.oncall import Outcome
from pbx.core.ringing import RingStats

log = logging.getLogger(__name__)

_MANDATORY = frozenset({"direction", "caller", "called", "started_at"})
_TIMES = frozenset({"started_at", "answered_at", "ended_at"})
_ENUMS: dict[str, type[StrEnum]] = {"direction": Direction, "disposition": Disposition}
_IDS_PER_QUERY = 500
_CALLS = cast(sa.Table, CallRow.__table__)
_LEGS = cast(sa.Table, CallLegRow.__table__)
_EMERGENCIES = cast(sa.Table, EmergencyCallRow.__table__)
_FLOATS = frozenset({"response_seconds"})
_OUTCOMES = frozenset(o.value for o in Outcome)


# -- writing -------------------------------------------------------------


async def apply_patches(session: AsyncSession, patches: Iterable[CallPatch]) -> None:
    """Apply `patches` in order: insert new calls, update only what each patch sets.

    A handful of Core statements per batch, not ORM objects per patch: the
    calls, users, customers and jobs a batch refers to are looked up together,
    new calls are inserted together, updates that set the same columns run as
    one executemany, and the legs of every call that got new ones are replaced
    together. An end that comes without legs closes the legs it would leave
    open (see `_close_open_legs`).
    """
    patches = list(patches)
    if not patches:
        return
    found = await _calls_by_key(session, {p.key for p in patches})
    refs = await _References.load(session, patches)
    inserts: dict[str, dict[str, Any]] = {}
    updates: dict[str, dict[str, Any]] = {}
    legs: dict[str, tuple[CallLeg, ...]] = {}
    for patch in patches:
        values = {
            name: value
            for name, value in patch.values.items()
            if not (name in _MANDATORY and value is None)
        }
        if patch.key in found:
            updates.setdefault(patch.key, {}).update(_columns(patch.key, values, refs, None))
        elif patch.key in inserts:
            row = inserts[patch.key]
            row.update(_columns(patch.key, values, refs, row))
        else:
            record = calls.apply(None, CallPatch(patch.key, values))
            values = {name: getattr(record, name) for name in calls.PATCH_FIELDS}
            row = inserts[patch.key] = {"key": patch.key, **_EMPTY}
            row.update(_columns(patch.key, values, refs, row))
        if patch.legs is not None:
            legs[patch.key] = patch.legs
    if inserts:
        result = await session.execute(
            sa.insert(_CALLS).returning(_CALLS.c.key, _CALLS.c.id),
            list(inserts.values()),
        )
        for key, ident in result.all():
            found[key] = (int(ident), inserts[key]["started_at"])
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for key, values in updates.items():
        if values:
            by_columns[tuple(sorted(values))].append({"_id": found[key][0], **values})
    for rows in by_columns.values():
        await session.execute(sa.update(_CALLS).where(_CALLS.c.id == sa.bindparam("_id")), rows)
    if legs:
        await _replace_legs(session, {found[key]: call_legs for key, call_legs in legs.items()})
    ended = {p.key for p in patches if p.legs is None and p.values.get("ended_at") is not None}
    if ended:
        await _close_open_legs(session, sorted(found[key][0] for key in ended))
    oncall = {p.key for p in patches if {"oncall_shift", "disposition"} & set(p.values)}
    if oncall:
        await _log_emergencies(session, sorted(found[key][0] for key in oncall))


# A new call's columns before its patch is applied, so that every insert of a
# batch sets the same columns (a value of the wrong kind is dropped, not set).
_EMPTY: dict[str, Any] = {
    column.name: None
    for column in _CALLS.columns
    if column.name not in {"id", "key", "created_at", "updated_at", *_MANDATORY}
} | {"route": "[]"}


async def _replace_legs(
    session: AsyncSession, legs: Mapping[tuple[int, datetime], Sequence[CallLeg]]
) -> None:
    """Replace the legs of each call (id, start) by the ones given."""
    for chunk in _chunks(sorted(ident for ident, _ in legs)):
        await session.execute(sa.delete(_LEGS).where(_LEGS.c.call_id.in_(chunk)))
    rows = [
        _leg_columns(ident, started_at, i, leg)
        for (ident, started_at), call_legs in legs.items()
        for i, leg in enumerate(call_legs)
    ]
    if rows:
        await session.execute(sa.insert(_LEGS), rows)


async def _close_open_legs(session: AsyncSession, ended: Sequence[int]) -> None:
    """Close the legs that ended calls (by id) left open (`calls.close_open_legs`).

    An end that comes without legs (a call adopted after a restart) would leave
    the legs written before it open; the legs of all such calls are read together.
    """
    legs: dict[int, list[CallLegRow]] = defaultdict(list)
    for chunk in _chunks(ended):
        open_calls = sa.select(CallLegRow.call_id).where(
            CallLegRow.call_id.in_(chunk), CallLegRow.outcome.is_(None)
        )
        found = await session.scalars(
            sa.select(CallLegRow)
            .where(CallLegRow.call_id.in_(open_calls))
            .order_by(CallLegRow.call_id, CallLegRow.position)
        )
        for row in found:
            legs[row.call_id].append(row)
    if not legs:
        return
    by_id: dict[int, CallRow] = {}
    for chunk in _chunks(sorted(legs)):
        by_id.update((row.id, row) for row in await session.scalars(
            sa.select(CallRow).where(CallRow.id.in_(chunk))
        ))  # fmt: skip
    before = {
        call_id: _record(
            by_id[call_id], by_id[call_id].handled_by_user_name, [_leg(r) for r in rows]
        )
        for call_id, rows in legs.items()
    }
    closed = {call_id: calls.close_open_legs(record) for call_id, record in before.items()}
    handled = ("handled_by_ext", "handled_by_group", "handled_by_user")
    filled = {  # only what was unknown: a stored user keeps its id
        call_id: {
            name: getattr(record, name)
            for name in handled
            if getattr(record, name) != getattr(before[call_id], name)
        }
        for call_id, record in closed.items()
    }
    names = {values["handled_by_user"] for values in filled.values() if "handled_by_user" in values}
    users = dict(await _lookup(session, UserRow.name, UserRow.id, names))
    for call_id, record in closed.items():
        for row, leg in zip(legs[call_id], record.legs, strict=True):
            row.answered_at, row.ended_at, row.outcome = leg.answered_at, leg.ended_at, leg.outcome
        call = by_id[call_id]
        for name, value in _columns(
            call.key, filled[call_id], _References(users, set(), set()), None
        ).items():
            setattr(call, name, value)
    await session.flush()


async def _log_emergencies(session: AsyncSession, call_ids: Sequence[int]) -> None:
    """Log each ended on-call call (by id) in its shift's emergency call log, once.

    The entry names the linked customer (else the caller ID), carries the
    call's outcome and response time, and is keyed by the call's key: a call
    already logged (by an earlier batch, or by hand) is left alone.
    """
    logged = sa.select(_EMERGENCIES.c.id).where(_EMERGENCIES.c.call_key == _CALLS.c.key)
    c = _CALLS.c
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(call_ids):
        found = await session.execute(
            sa.select(
                c.key, c.caller, c.called, c.started_at, c.job_id, c.oncall_shift_id,
                c.oncall_outcome, c.response_seconds, CustomerRow.name.label("customer"),
            )
            .outerjoin(CustomerRow, CustomerRow.id == c.customer_id)
            .where(
                c.id.in_(chunk),
                c.oncall_shift_id.is_not(None),
                c.disposition.is_not(None),
                ~logged.exists(),
            )
            .order_by(c.started_at, c.id)
        )  # fmt: skip
        rows.extend(_emergency(call) for call in found.all())
    if rows:
        await session.execute(insert_new(session, _EMERGENCIES), rows)


def _emergency(call: sa.Row[Any]) -> dict[str, Any]:
    """The emergency call log entry (columns) of an ended on-call call."""
    seconds = call.response_seconds
    return {
        "shift_id": call.oncall_shift_id,
        "customer_name": call.customer or call.caller or "unknown caller",
        "phone": call.caller,
        "received_at": call.started_at,
        "issue": f"call to {call.called}, routed to on-call",
        "outcome": call.oncall_outcome if call.oncall_outcome in _OUTCOMES else None,
        "response_minutes": None if seconds is None else round(seconds / 60, 1),
        "job_id": call.job_id,
        "notes": "",
        "call_key": call.key,
        "message_id": None,
    }


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _IDS_PER_QUERY):
        yield values[start : start + _IDS_PER_QUERY]


async def _calls_by_key(
    session: AsyncSession, keys: Iterable[str]
) -> dict[str, tuple[int, datetime]]:
    """Id and start of the stored calls among `keys`."""
    found: dict[str, tuple[int, datetime]] = {}
    for chunk in _chunks(sorted(keys)):
        result = await session.execute(
            sa.select(CallRow.key, CallRow.id, CallRow.started_at).where(CallRow.key.in_(chunk))
        )
        for key, ident, started_at in result.all():
            found[key] = (int(ident), started_at)
    return found


@dataclass
class _References:
    """Ids of the users (by name), customers, jobs and on-call shifts a batch of patches names."""

    users: dict[str, int]
    customers: set[int]
    jobs: set[int]
    shifts: set[int] = field(default_factory=set)

    @classmethod
    async def load(cls, session: AsyncSession, patches: Sequence[CallPatch]) -> _References:
        def wanted(name: str, kind: type) -> set[Any]:
            return {v for p in patches if (v := _as(kind, p.values.get(name))) is not None}

        users = await _lookup(session, UserRow.name, UserRow.id, wanted("handled_by_user", str))
        customers = await _lookup(
            session, CustomerRow.id, CustomerRow.id, wanted("customer_id", int)
        )
        jobs = await _lookup(session, JobRow.id, JobRow.id, wanted("job_id", int))
        shifts = await _lookup(session, ShiftRow.id, ShiftRow.id, wanted("oncall_shift", int))
        return cls(
            dict(users),
            {i for _, i in customers},
            {i for _, i in jobs},
            {i for _, i in shifts},
        )


async def _lookup(
    session: AsyncSession, column: Any, ident: Any, values: set[Any]
) -> list[tuple[Any, int]]:
    found: list[tuple[Any, int]] = []
    for chunk in _chunks(sorted(values)):
        result = await session.execute(sa.select(column, ident).where(column.in_(chunk)))
        found.extend((value, int(i)) for value, i in result.all())
    return found


def _as(kind: type, value: Any) -> Any:
    """`value` as an int or str id, or None (also for None or a bad value)."""
    if value is None:
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None


def _columns(
    key: str, values: Mapping[str, Any], refs: _References, new: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The column values that set `values` on call `key`.

    A value of the wrong kind is dropped with a warning; on a new call (`new`,
    its columns so far) a mandatory one falls back to the neutral value.
    """
    out: dict[str, Any] = {}
    for name, value in values.items():
        try:
            if name == "handled_by_user":
                out["handled_by_user_name"] = None if value is None else str(value)
                out["handled_by_user_id"] = refs.users.get(_as(str, value))
            elif name == "customer_id":
                ident = _as(int, value)
                out[name] = ident if ident in refs.customers else None
            elif name == "job_id":
                ident = _as(int, value)
                out[name] = ident if ident in refs.jobs else None
            elif name == "oncall_shift":
                ident = _as(int, value)
                out["oncall_shift_id"] = ident if ident in refs.shifts else None
            elif name == "route":
                out[name] = json.dumps([str(line) for line in value or ()])
            else:
                out[name] = _plain(name, value)
        except (TypeError, ValueError) as exc:
            if name in _MANDATORY and new is not None and new.get(name) is None:
                out[name] = _plain(name, getattr(calls.apply(None, CallPatch(key)), name))
            log.warning("call %s: %s %r dropped (%s)", key, name, value, exc)
    return out


def _plain(name: str, value: Any) -> Any:
    """`value` as the column wants it; TypeError/ValueError when it cannot be."""
    if value is None:
        return None
    if name in _TIMES:
        if not isinstance(value, datetime):
            raise TypeError("not a datetime")
        return value
    if name in _ENUMS:
        return _ENUMS[name](value)
    if name == "triage":  # the caller's answer to the after-hours triage
        return Triage(value).value
    if name in _FLOATS:
        if isinstance(value, bool):
            raise TypeError("not a number")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError("not a finite number")
        return number
    return str(value)


def _leg_columns(
    call_id: int, call_started: datetime, position: int, leg: CallLeg
) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "position": position,
        "target": str(leg.target),
        "kind": LegKind(leg.kind),
        "user_name": leg.user,
        "ext": leg.ext,
        "group_name": leg.group,
        "started_at": leg.started_at if isinstance(leg.started_at, datetime) else call_started,
        "answered_at": leg.answered_at,
        "ended_at": leg.ended_at,
        "outcome": None if leg.outcome is None else LegOutcome(leg.outcome),
    }


# -- reading -------------------------------------------------------------


async def read_calls(
    session: AsyncSession | AsyncConnection, where: Sequence[Any], limit: int | None = None
) -> list[CallRecord]:
    """The calls matching `where`, newest first, with their legs.

    `handled_by_user` is the user's current name (renames follow), or the name
    written with the call when that user was removed.
    """
    # Core rows, not ORM objects: a page of the call log is read-only, and building ORM
    # instances cost more than the query itself.
    calls = cast(sa.Table, CallRow.__table__)
    query = (
        sa.select(calls, UserRow.name.label("current_user_name"))
        .outerjoin(UserRow, UserRow.id == calls.c.handled_by_user_id)
        .where(*where)
        .order_by(calls.c.started_at.desc(), calls.c.id.desc())
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    legs: dict[int, list[CallLeg]] = defaultdict(list)
    table = cast(sa.Table, CallLegRow.__table__)
    for chunk in _chunks([row.id for row in rows]):
        found = await session.execute(
            sa.select(table)
            .where(table.c.call_id.in_(chunk))
            .order_by(table.c.call_id, table.c.position)
        )
        for leg in found:
            legs[leg.call_id].append(_leg(leg))
    return [_record(row, row.current_user_name, legs[row.id]) for row in rows]


def _record(row: Any, user: str | None, legs: list[CallLeg]) -> CallRecord:
    return CallRecord(
        key=row.key,
        direction=row.direction,
        caller=row.caller,
        called=row.called,
        started_at=row.started_at,
        business_number=row.business_number,
        handled_by_ext=row.handled_by_ext,
        handled_by_group=row.handled_by_group,
        handled_by_user=user if user is not None else row.handled_by_user_name,
        customer_id=row.customer_id,
        job_id=row.job_id,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        disposition=row.disposition,
        hangup_cause=row.hangup_cause,
        recording=row.recording,
        voicemail_box=row.voicemail_box,
        transcript=row.transcript,
        route=tuple(json.loads(row.route or "[]")),
        legs=tuple(legs),
        oncall_shift=row.oncall_shift_id,
        oncall_outcome=row.oncall_outcome,
        response_seconds=row.response_seconds,
        triage=row.triage,
        id=row.id,
    )


def _leg(row: Any) -> CallLeg:
    return CallLeg(
        target=row.target,
        kind=row.kind,
        started_at=row.started_at,
        user=row.user_name,
        ext=row.ext,
        group=row.group_name,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        outcome=row.outcome,
    )


# -- what ring strategies remember ---------------------------------------


async def ring_stats(session: AsyncSession, today_start: datetime) -> RingStats:
    """Per extension the end of its last answered call and its answers since
    `today_start`; per ring group the extension where its last call stopped."""
    answered_leg = (
        sa.select(CallLegRow.ext.label("ext"), CallRow.id.label("call_id"))
        .join(CallRow, CallRow.id == CallLegRow.call_id)
        .where(CallLegRow.outcome == LegOutcome.ANSWERED, CallLegRow.ext.is_not(None))
    )
    handled = sa.select(CallRow.handled_by_ext.label("ext"), CallRow.id.label("call_id")).where(
        CallRow.disposition == Disposition.ANSWERED, CallRow.handled_by_ext.is_not(None)
    )

    answers = sa.union(answered_leg, handled).subquery()
    last_end = (
        sa.select(answers.c.ext, sa.func.max(CallRow.ended_at))
        .join(CallRow, CallRow.id == answers.c.call_id)
        .group_by(answers.c.ext)
    )
    today = sa.union(
        answered_leg.where(
            sa.func.coalesce(CallLegRow.answered_at, CallRow.started_at) >= today_start
        ),
        handled.where(sa.func.coalesce(CallRow.answered_at, CallRow.started_at) >= today_start),
    ).subquery()
    counts = sa.select(today.c.ext, sa.func.count()).group_by(today.c.ext)

    stopped_first = sa.case((CallLegRow.outcome == LegOutcome.ANSWERED, 0), else_=1)
    rank = (
        sa.func.row_number()
        .over(
            partition_by=CallLegRow.group_name,
            order_by=(
                CallRow.started_at.desc(),
                CallRow.id.desc(),
                stopped_first,
                CallLegRow.position.desc(),
            ),
        )
        .label("rank")
    )
    ranked = (
        sa.select(CallLegRow.group_name, CallLegRow.ext, rank)
        .join(CallRow, CallRow.id == CallLegRow.call_id)
        .where(CallLegRow.group_name.is_not(None), CallLegRow.ext.is_not(None))
        .subquery()
    )
    stopped = sa.select(ranked.c.group_name, ranked.c.ext).where(ranked.c.rank == 1)

    return RingStats(
        last_call_end={
            ext: end for ext, end in (await session.execute(last_end)).all() if end is not None
        },
        answered_today={ext: int(n) for ext, n in (await session.execute(counts)).all()},
        round_robin_last={group: ext for group, ext in (await session.execute(stopped)).all()},
    )
