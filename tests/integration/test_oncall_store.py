"""On-call shifts, settings and the emergency call log in SqlRepository, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from alembic import command
from sqlalchemy.engine import Connection

from pbx.adapters.db.engine import create_engine
from pbx.adapters.db.migrate import alembic_config, in_schema_transaction
from pbx.adapters.db.repository import SqlRepository, open_repository
from pbx.core.calls import CallLeg, CallPatch, Direction, Disposition, LegKind, LegOutcome
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import Customer, Extension, Job, User
from pbx.core.oncall import (
    Cadence,
    Changes,
    EmergencyCall,
    OnCallSettings,
    Outcome,
    Shift,
    ShiftSource,
    ShiftStatus,
    settings_text,
)
from pbx.core.voicemail import Message

ANN = User("Ann", "ann@example.com")
BOB = User("Bob", "bob@example.com")
CAT = User("Cat", "cat@example.com")
T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def shift(tech: str, start: datetime, length: float = 12, **kw: object) -> Shift:
    return Shift(tech, start, start + hours(length), **kw)  # type: ignore[arg-type]


@pytest.fixture
async def repo(db_url: str) -> AsyncIterator[SqlRepository]:
    repository = await open_repository(db_url)
    try:
        for user in (ANN, BOB, CAT):
            await repository.add(user)
        yield repository
    finally:
        await repository.close()


async def stored(repo: SqlRepository) -> list[tuple[str, datetime, datetime, ShiftStatus]]:
    return [(s.tech, s.start, s.end, s.status) for s in await repo.list_shifts()]


def entry(shift_id: int, **kw: object) -> EmergencyCall:
    values: dict[str, object] = {
        "shift_id": shift_id,
        "customer_name": "Acme",
        "phone": "+13125550100",
        "received_at": T0 + hours(1),
        "issue": "burst pipe",
    }
    return EmergencyCall(**{**values, **kw})  # type: ignore[arg-type]


# -- shifts -----------------------------------------------------------------------


async def test_shift_changes_apply_together_and_bump_the_revision(repo: SqlRepository) -> None:
    before = await repo.revision()
    first = shift("Ann", T0, notes="first", source=ShiftSource.ROTATION)
    backup = shift("Bob", T0, backup=True)
    added = await repo.apply_shift_changes(Changes(add=(first, backup)))
    assert [replace(s, id=None) for s in added] == [first, backup]
    assert all(s.id is not None for s in added) and added[0].id != added[1].id
    assert await repo.revision() == before + 1
    assert await repo.get_shift(added[0].id or 0) == added[0]
    assert await repo.list_shifts() == added

    a, b = added
    moved = replace(a, tech="Cat", start=T0 + hours(1), notes="", status=ShiftStatus.ACTIVE)
    later = shift("Bob", T0 + hours(12), source=ShiftSource.OVERRIDE)
    (new,) = await repo.apply_shift_changes(Changes(add=(later,), update=(moved,), delete=(b,)))
    assert new == replace(later, id=new.id)
    assert await repo.revision() == before + 2
    assert await repo.list_shifts() == [moved, new]
    with pytest.raises(NotFound) as error:
        await repo.get_shift(b.id or 0)
    assert (error.value.field, error.value.reason) == ("shift", f"no such shift #{b.id}")


async def test_a_shift_keeps_its_technician_through_a_rename(repo: SqlRepository) -> None:
    (s,) = await repo.apply_shift_changes(Changes(add=(shift("Ann", T0),)))
    await repo.replace(ANN, replace(ANN, name="Annie"))
    assert (await repo.get_shift(s.id or 0)).tech == "Annie"


async def test_listing_filters_on_status_and_overlap(repo: SqlRepository) -> None:
    made = await repo.apply_shift_changes(
        Changes(
            add=(
                shift("Ann", T0),  # [18:00, 06:00)
                shift("Bob", T0 + hours(12), status=ShiftStatus.CANCELLED),  # [06:00, 18:00)
                shift("Cat", T0 + hours(24)),  # [18:00, 06:00)
            )
        )
    )
    ann, bob, cat = made
    assert await repo.list_shifts(status=ShiftStatus.SCHEDULED) == [ann, cat]
    assert await repo.list_shifts(status=ShiftStatus.CANCELLED) == [bob]
    assert await repo.list_shifts(since=T0 + hours(12)) == [bob, cat]  # ann ends at since
    assert await repo.list_shifts(until=T0 + hours(24)) == [ann, bob]  # cat starts at until
    assert await repo.list_shifts(since=T0 + hours(11), until=T0 + hours(13)) == [ann, bob]


@pytest.mark.parametrize(
    ("changes", "error", "field", "reason"),
    [
        (
            lambda ok, s: Changes(add=(ok, shift("Zed", T0 + hours(30)))),
            NotFound,
            "tech",
            "no such user 'Zed'",
        ),
        (
            lambda ok, s: Changes(add=(ok,), update=(replace(s, id=999),)),
            NotFound,
            "shift",
            "no such shift #999",
        ),
        (
            lambda ok, s: Changes(add=(ok,), delete=(replace(s, id=999),)),
            NotFound,
            "shift",
            "no such shift #999",
        ),
        (
            lambda ok, s: Changes(add=(ok,), update=(replace(s, end=s.start),)),
            InvalidInput,
            "end",
            None,
        ),
        (
            lambda ok, s: Changes(add=(ok, replace(ok, id=5))),
            InvalidInput,
            "id",
            None,
        ),
    ],
)
async def test_refused_changes_store_nothing(
    repo: SqlRepository, changes: object, error: type[Exception], field: str, reason: str | None
) -> None:
    (s,) = await repo.apply_shift_changes(Changes(add=(shift("Ann", T0),)))
    before, revision = await repo.list_shifts(), await repo.revision()
    ok = shift("Bob", T0 + hours(12))
    with pytest.raises(error) as raised:
        await repo.apply_shift_changes(changes(ok, replace(s, notes="changed")))  # type: ignore[operator]
    assert isinstance(raised.value, InvalidInput)
    assert raised.value.field == field
    if reason is not None:
        assert raised.value.reason == reason
    assert await repo.list_shifts() == before
    assert await repo.revision() == revision


async def test_a_failure_halfway_through_rolls_everything_back(repo: SqlRepository) -> None:
    (s,) = await repo.apply_shift_changes(Changes(add=(shift("Ann", T0),)))
    before, revision = await repo.list_shifts(), await repo.revision()
    broken = replace(shift("Cat", T0 + hours(24)), status="bogus")  # fails on its insert
    with pytest.raises(ValueError):
        await repo.apply_shift_changes(
            Changes(add=(shift("Bob", T0 + hours(12)), broken), update=(replace(s, notes="x"),))
        )
    assert await repo.list_shifts() == before
    assert await repo.revision() == revision


async def test_the_snapshot_carries_recent_shifts_and_the_settings(repo: SqlRepository) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    long_over = shift("Ann", now - hours(60))  # ended 2 days ago: left out
    recent = shift("Bob", now - hours(48), status=ShiftStatus.COMPLETED)  # ended 1.5 days ago
    cancelled = shift("Cat", now + hours(1), status=ShiftStatus.CANCELLED)
    upcoming = shift("Ann", now + hours(2), backup=True)
    current = shift("Cat", now - hours(1), status=ShiftStatus.ACTIVE)
    await repo.apply_shift_changes(Changes(add=(long_over, upcoming, recent, cancelled, current)))
    settings = OnCallSettings(
        shift_hours=8,
        cadence=Cadence.BIWEEKLY,
        roster=("Bob", "Ann"),
        handoff=time(7, 30),
        timezone="America/Chicago",
        sla_minutes=20,
        auto_notify=False,
        business_name="Acme Plumbing",
    )
    await repo.save_oncall_settings(settings_text(settings))
    snap = await repo.snapshot()
    assert [replace(s, id=None) for s in snap.shifts] == [recent, current, upcoming]
    assert snap.oncall == settings


async def test_the_clock_moves_stored_statuses_forward(repo: SqlRepository) -> None:
    started = shift("Ann", T0 - hours(1))  # scheduled -> active
    ended = shift("Bob", T0 - hours(13), status=ShiftStatus.ACTIVE)  # active -> completed
    missed = shift("Cat", T0 - hours(30))  # scheduled, wholly past -> completed
    future = shift("Bob", T0 + hours(1))  # stays scheduled
    early = shift("Cat", T0 + hours(2), status=ShiftStatus.ACTIVE)  # activated early: stays
    gone = shift("Ann", T0 - hours(40), status=ShiftStatus.CANCELLED)  # stays cancelled
    made = await repo.apply_shift_changes(
        Changes(add=(started, ended, missed, future, early, gone))
    )
    revision = await repo.revision()
    changed = await repo.tick_shifts(T0)
    assert {(s.id, s.status) for s in changed} == {
        (made[0].id, ShiftStatus.ACTIVE),
        (made[1].id, ShiftStatus.COMPLETED),
        (made[2].id, ShiftStatus.COMPLETED),
    }
    assert await repo.revision() == revision + 1
    statuses = {s.id: s.status for s in await repo.list_shifts()}
    assert [statuses[s.id] for s in made] == [
        ShiftStatus.ACTIVE,
        ShiftStatus.COMPLETED,
        ShiftStatus.COMPLETED,
        ShiftStatus.SCHEDULED,
        ShiftStatus.ACTIVE,
        ShiftStatus.CANCELLED,
    ]
    assert await repo.tick_shifts(T0) == []
    assert await repo.revision() == revision + 1  # nothing changed: no new revision
    later = await repo.tick_shifts(T0 + hours(20))
    assert sorted(s.id or 0 for s in later) == sorted(
        s.id or 0 for s in (made[0], made[3], made[4])
    )
    assert all(s.status is ShiftStatus.COMPLETED for s in later)


async def test_settings_are_stored_as_text_and_replaced_by_key(repo: SqlRepository) -> None:
    assert await repo.oncall_settings_text() == {}
    revision = await repo.revision()
    await repo.save_oncall_settings({"shift_hours": "10", "roster": "Ann,Bob"})
    await repo.save_oncall_settings({"roster": "Cat", "sla_minutes": "15"})
    assert await repo.oncall_settings_text() == {
        "shift_hours": "10",
        "roster": "Cat",
        "sla_minutes": "15",
    }
    assert await repo.revision() == revision + 2
    snap = await repo.snapshot()
    assert (snap.oncall.shift_hours, snap.oncall.roster, snap.oncall.sla_minutes) == (
        10,
        ("Cat",),
        15,
    )


# -- what may not be removed ---------------------------------------------------


async def test_a_user_with_shifts_cannot_be_removed(repo: SqlRepository) -> None:
    (s,) = await repo.apply_shift_changes(Changes(add=(shift("Bob", T0),)))
    with pytest.raises(InvalidInput) as error:
        await repo.remove(BOB)
    assert error.value.field == "user"
    assert error.value.reason == (
        f"'Bob' has on-call shifts (#{s.id}); deactivate the user instead"
    )
    assert (await repo.snapshot()).user("Bob") == BOB

    await repo.add(Extension("102", "Bob", "pw"))
    with pytest.raises(InvalidInput) as error:
        await repo.remove(BOB)
    assert error.value.reason == (
        f"'Bob' is still used by extension 102 and has on-call shifts (#{s.id}); "
        "deactivate the user instead"
    )

    await repo.apply_shift_changes(Changes(delete=(s,)))
    await repo.remove(Extension("102", "Bob", "pw"))
    await repo.remove(BOB)
    assert (await repo.snapshot()).user("Bob") is None


async def test_a_shift_with_logged_calls_cannot_be_deleted(repo: SqlRepository) -> None:
    a, b = await repo.apply_shift_changes(
        Changes(add=(shift("Ann", T0), shift("Bob", T0 + hours(12))))
    )
    await repo.add_emergency_call(entry(b.id or 0))
    revision = await repo.revision()
    with pytest.raises(InvalidInput) as error:
        await repo.apply_shift_changes(Changes(delete=(a, b)))
    assert (error.value.field, error.value.reason) == (
        "shift",
        f"shift #{b.id} has logged emergency calls; cancel it instead",
    )
    assert await repo.list_shifts() == [a, b]
    assert await repo.revision() == revision
    cancelled = replace(b, status=ShiftStatus.CANCELLED)
    await repo.apply_shift_changes(Changes(update=(cancelled,), delete=(a,)))
    assert await repo.list_shifts() == [cancelled]


# -- the emergency call log ---------------------------------------------------------


async def test_emergency_calls_round_trip_and_are_logged_once(repo: SqlRepository) -> None:
    (s,) = await repo.apply_shift_changes(Changes(add=(shift("Ann", T0),)))
    customer = await repo.add(Customer("Acme", ("+13125550100",)))
    job = await repo.add(Job(customer.id or 0, "Burst pipe"))
    message = await repo.add_message(
        Message("office", "+13125550100", T0 + hours(2), 12.0, "vm/1.wav", call_key="node:vm")
    )
    revision = await repo.revision()

    full = entry(
        s.id or 0,
        outcome=Outcome.DISPATCHED,
        response_minutes=12.5,
        job_id=job.id,
        notes="sent Bob",
        call_key="node:1",
    )
    logged = await repo.add_emergency_call(full)
    assert logged == replace(full, id=logged.id) and logged.id is not None
    assert await repo.get_emergency_call(logged.id) == logged
    again = await repo.add_emergency_call(replace(full, customer_name="Other", issue="x"))
    assert again == logged

    from_vm = await repo.add_emergency_call(
        entry(s.id or 0, received_at=T0 + hours(2), message_id=message.id)
    )
    assert from_vm.message_id == message.id and from_vm.outcome is None
    assert await repo.add_emergency_call(entry(s.id or 0, message_id=message.id)) == from_vm
    assert await repo.revision() == revision  # the call log is not the directory

    assert await repo.list_emergency_calls() == [from_vm, logged]
    assert await repo.list_emergency_calls(since=T0 + hours(1)) == [from_vm, logged]
    assert await repo.list_emergency_calls(since=T0 + hours(1.5)) == [from_vm]
    assert await repo.list_emergency_calls(shift_id=(s.id or 0) + 1) == []


async def test_emergency_call_references_must_exist(repo: SqlRepository) -> None:
    (s,) = await repo.apply_shift_changes(Changes(add=(shift("Ann", T0),)))
    with pytest.raises(NotFound) as error:
        await repo.add_emergency_call(entry(999))
    assert (error.value.field, error.value.reason) == ("shift", "no such shift #999")
    with pytest.raises(NotFound) as error:
        await repo.add_emergency_call(entry(s.id or 0, job_id=4242))
    assert error.value.field == "job"
    with pytest.raises(NotFound) as error:
        await repo.add_emergency_call(entry(s.id or 0, message_id=4242))
    assert error.value.field == "message"
    with pytest.raises(NotFound) as error:
        await repo.get_emergency_call(77)
    assert (error.value.field, error.value.reason) == ("call", "no such emergency call #77")
    assert await repo.list_emergency_calls() == []


async def test_updating_an_emergency_call(repo: SqlRepository) -> None:
    a, b = await repo.apply_shift_changes(
        Changes(add=(shift("Ann", T0), shift("Bob", T0 + hours(12))))
    )
    customer = await repo.add(Customer("Acme", ("+13125550100",)))
    job = await repo.add(Job(customer.id or 0, "Burst pipe"))
    logged = await repo.add_emergency_call(entry(a.id or 0))
    ident = logged.id or 0
    updated = await repo.update_emergency_call(
        ident, outcome="Resolved", response_minutes=7.0, job_id=job.id, shift_id=b.id, notes="ok"
    )
    assert updated == replace(
        logged,
        outcome=Outcome.RESOLVED,
        response_minutes=7.0,
        job_id=job.id,
        shift_id=b.id,
        notes="ok",
    )
    assert await repo.get_emergency_call(ident) == updated
    assert await repo.list_emergency_calls(shift_id=b.id) == [updated]
    cleared = await repo.update_emergency_call(ident, outcome=None, job_id=None)
    assert (cleared.outcome, cleared.job_id) == (None, None)

    for values, field in (
        ({"outcome": "Maybe"}, "outcome"),
        ({"shift_id": 999}, "shift"),
        ({"job_id": 999}, "job"),
        ({"id": 5}, "id"),
        ({"colour": "red"}, "colour"),
    ):
        with pytest.raises(InvalidInput) as error:
            await repo.update_emergency_call(ident, **values)
        assert error.value.field == field
    with pytest.raises(NotFound) as error:
        await repo.update_emergency_call(999, notes="x")
    assert error.value.field == "call"
    assert await repo.get_emergency_call(ident) == cleared


async def test_removing_a_job_clears_it_from_the_log(repo: SqlRepository) -> None:
    (s,) = await repo.apply_shift_changes(Changes(add=(shift("Ann", T0),)))
    customer = await repo.add(Customer("Acme", ("+13125550100",)))
    job = await repo.add(Job(customer.id or 0, "Burst pipe"))
    logged = await repo.add_emergency_call(entry(s.id or 0, job_id=job.id))
    await repo.remove(job)
    assert (await repo.get_emergency_call(logged.id or 0)).job_id is None


# -- calls that went to on-call -----------------------------------------------------


def call_patches(key: str, shift_id: int | None, **end: object) -> list[CallPatch]:
    start = CallPatch(
        key,
        {
            "direction": Direction.INBOUND,
            "caller": "+13125550100",
            "called": "+13125550000",
            "started_at": T0 + hours(3),
            "business_number": "+13125550000",
        },
    )
    values: dict[str, object] = {
        "ended_at": T0 + hours(3.1),
        "answered_at": T0 + hours(3.05),
        "disposition": Disposition.ANSWERED,
        "oncall_shift": shift_id,
        "oncall_outcome": Outcome.DISPATCHED.value,
        "response_seconds": 95.0,
    }
    return [start, CallPatch(key, {**values, **end})]


async def test_an_oncall_call_is_logged_once(repo: SqlRepository) -> None:
    (s,) = await repo.apply_shift_changes(Changes(add=(shift("Ann", T0),)))
    customer = await repo.add(Customer("Acme Plumbing", ("+13125550100",)))
    job = await repo.add(Job(customer.id or 0, "Burst pipe"))
    patches = call_patches("node:1", s.id, customer_id=customer.id, job_id=job.id)
    await repo.apply_call_patches(patches)
    await repo.apply_call_patches(patches)
    for patch in patches:
        await repo.apply_call_patches([patch])

    record = await repo.get_call_by_key("node:1")
    assert record is not None
    assert (record.oncall_shift, record.oncall_outcome, record.response_seconds) == (
        s.id,
        "Dispatched",
        95.0,
    )
    (logged,) = await repo.list_emergency_calls()
    assert logged == EmergencyCall(
        shift_id=s.id or 0,
        customer_name="Acme Plumbing",
        phone="+13125550100",
        received_at=T0 + hours(3),
        issue="call to +13125550000, routed to on-call",
        outcome=Outcome.DISPATCHED,
        response_minutes=1.6,
        job_id=job.id,
        call_key="node:1",
        id=logged.id,
    )
    # logging it by hand again finds the same entry
    assert await repo.add_emergency_call(replace(logged, id=None, notes="dup")) == logged


async def test_a_call_is_logged_when_it_ends(repo: SqlRepository) -> None:
    (s,) = await repo.apply_shift_changes(Changes(add=(shift("Ann", T0),)))
    start, end = call_patches("node:2", s.id, oncall_outcome="No Answer", response_seconds=None)
    ringing = CallPatch("node:2", {"oncall_shift": s.id})
    await repo.apply_call_patches([start, ringing])
    assert await repo.list_emergency_calls() == []
    await repo.apply_call_patches([replace(end, values={**end.values, "caller": ""})])
    (logged,) = await repo.list_emergency_calls()
    assert (logged.customer_name, logged.phone, logged.outcome, logged.response_minutes) == (
        "unknown caller",
        "",
        Outcome.NO_ANSWER,
        None,
    )


async def test_odd_oncall_values_are_stored_safely(repo: SqlRepository) -> None:
    (s,) = await repo.apply_shift_changes(Changes(add=(shift("Ann", T0),)))
    # a shift that does not exist is stored as NULL: no entry
    await repo.apply_call_patches(call_patches("node:3", 999))
    record = await repo.get_call_by_key("node:3")
    assert record is not None and record.oncall_shift is None
    # an outcome that is not an Outcome value is kept on the call, not on the entry;
    # a response time that is not a number is dropped
    await repo.apply_call_patches(
        call_patches("node:4", s.id, oncall_outcome="Voicemail", response_seconds="soon")
    )
    record = await repo.get_call_by_key("node:4")
    assert record is not None
    assert (record.oncall_shift, record.oncall_outcome, record.response_seconds) == (
        s.id,
        "Voicemail",
        None,
    )
    (logged,) = await repo.list_emergency_calls()
    assert (logged.call_key, logged.outcome, logged.customer_name) == (
        "node:4",
        None,
        "+13125550100",
    )
    # a shift with a logged call keeps it; deleting it is refused
    with pytest.raises(InvalidInput):
        await repo.apply_shift_changes(Changes(delete=(s,)))


async def test_many_calls_in_one_batch(repo: SqlRepository) -> None:
    (s,) = await repo.apply_shift_changes(Changes(add=(shift("Ann", T0),)))
    patches = [p for n in range(30) for p in call_patches(f"node:b{n}", s.id)]
    patches += call_patches("node:plain", None)
    await repo.apply_call_patches(patches)
    await repo.apply_call_patches(patches)
    logged = await repo.list_emergency_calls(shift_id=s.id)
    assert sorted(e.call_key or "" for e in logged) == sorted(f"node:b{n}" for n in range(30))


# -- the migration keeps what the call log holds --------------------------------------


async def test_upgrading_keeps_stored_calls_and_their_legs(db_url: str) -> None:
    """0004 rebuilds `calls` on SQLite (a new foreign key): calls and legs survive it."""

    def to_0003(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")

    engine = create_engine(db_url)
    # SQLite keeps naive UTC; PostgreSQL would read a time without offset in its own zone
    when = "2026-11-20 18:00:00" + ("" if engine.dialect.name == "sqlite" else "+00")
    try:
        async with engine.connect() as connection:
            await connection.run_sync(in_schema_transaction, to_0003)
            await connection.exec_driver_sql(
                "INSERT INTO calls (id, key, direction, caller, called, started_at, disposition)"
                " VALUES (1, 'node:old', 'inbound', '+13125550100', '+13125550000',"
                f" '{when}', 'Answered')"
            )
            await connection.exec_driver_sql(
                "INSERT INTO call_legs (call_id, position, target, kind, started_at, outcome)"
                f" VALUES (1, 0, '101', 'softphone', '{when}', 'answered')"
            )
            await connection.commit()
    finally:
        await engine.dispose()
    repo = await open_repository(db_url)
    try:
        record = await repo.get_call_by_key("node:old")
        assert record is not None
        assert record.disposition is Disposition.ANSWERED
        assert record.legs == (CallLeg("101", LegKind.SOFTPHONE, T0, outcome=LegOutcome.ANSWERED),)
        assert (record.oncall_shift, record.oncall_outcome, record.response_seconds) == (
            None,
            None,
            None,
        )
        await repo.apply_call_patches([CallPatch("node:old", {"hangup_cause": "normal"})])
        assert await repo.list_emergency_calls() == []
    finally:
        await repo.close()
