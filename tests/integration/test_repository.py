"""SqlRepository on SQLite and PostgreSQL: round trips, rules, references."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from pbx.adapters.db.repository import SqlRepository, open_repository
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import (
    AfterHoursKind,
    AfterHoursStep,
    BoxKind,
    BusinessNumber,
    Customer,
    Destination,
    DestKind,
    Directory,
    Entity,
    Extension,
    Job,
    JobStatus,
    OpenRange,
    RingGroup,
    RingTarget,
    Role,
    Schedule,
    Strategy,
    Trunk,
    User,
    VoicemailBox,
)

ALICE = User("alice", "alice@example.com", "+15550000001", Role.ADMIN, oncall_write=True)
BOB = User("bob", "bob@example.com", None, Role.TECHNICIAN, active=False)
CAROL = User("carol", "carol@example.com", "+15550000003", Role.DISPATCHER)
BOX_ALICE = VoicemailBox("alice", BoxKind.PERSONAL, ("alice",))
BOX_OFFICE = VoicemailBox("office", BoxKind.SHARED, ("carol", "alice"))
EXT_101 = Extension("101", "alice", "s3cret-101", RingTarget.BOTH, voicemail_box="alice")
EXT_102 = Extension("102", "bob", "s3cret-102", RingTarget.CELL, dnd=True)
EXT_103 = Extension("103", "carol", "s3cret-103")
SALES = RingGroup(
    "sales",
    Strategy.SEQUENTIAL,
    ("103", "101"),
    ring_timeout=15,
    timeout=45,
    extension="600",
    fallback_box="office",
)
SUPPORT = RingGroup("support", Strategy.RING_ALL, ("102",))
HOURS = Schedule(
    "main",
    "America/Chicago",
    (OpenRange(0, 480, 1020), OpenRange(4, 480, 960), OpenRange(1, 480, 1020)),
    (date(2025, 12, 25), date(2025, 1, 1)),
    (
        AfterHoursStep(AfterHoursKind.ONCALL),
        AfterHoursStep(AfterHoursKind.NUMBER, "+15550009999"),
        AfterHoursStep(AfterHoursKind.VOICEMAIL, "office"),
    ),
)
MAIN = BusinessNumber(
    "+15551230000",
    "Main line",
    provider="twilio",
    provider_ref="PN123",
    destination=Destination(DestKind.GROUP, "sales"),
    schedule="main",
)
DIRECT = BusinessNumber(
    "+15551230001",
    "Alice direct",
    assigned_user="alice",
    destination=Destination(DestKind.EXTENSION, "101"),
)
OLD = BusinessNumber("+15551230002", "Old ad line", active=False, forward="+15557654321")
TRUNK = Trunk("provider", "sip.example.net", "acct", "trunk-pass", 5080, "example.net")

EVERYTHING: tuple[Entity, ...] = (
    CAROL,
    ALICE,
    BOB,
    BOX_OFFICE,
    BOX_ALICE,
    EXT_103,
    EXT_101,
    EXT_102,
    SUPPORT,
    SALES,
    HOURS,
    OLD,
    MAIN,
    DIRECT,
    TRUNK,
)


@pytest.fixture
async def repo(db_url: str) -> AsyncIterator[SqlRepository]:
    repository = await open_repository(db_url)
    try:
        yield repository
    finally:
        await repository.close()


async def add_all(repo: SqlRepository, items: tuple[Entity, ...] = EVERYTHING) -> None:
    for item in items:
        assert await repo.add(item) == item


async def add_customer_and_job(repo: SqlRepository) -> tuple[Customer, Job]:
    customer = await repo.add(Customer("Acme Plumbing", ("+15553334444", "+15553335555"), "bob"))
    job = await repo.add(Job(customer.id or 0, "Leaking boiler"))
    return customer, job


async def test_empty_database_gives_an_empty_directory(repo: SqlRepository) -> None:
    assert await repo.snapshot() == Directory()


async def test_every_entity_round_trips_in_key_order(repo: SqlRepository) -> None:
    await add_all(repo)
    customer, job = await add_customer_and_job(repo)
    assert customer.id is not None and job.id is not None
    assert job.customer_id == customer.id
    assert await repo.snapshot() == Directory(
        users=(ALICE, BOB, CAROL),
        extensions=(EXT_101, EXT_102, EXT_103),
        numbers=(MAIN, DIRECT, OLD),
        groups=(SALES, SUPPORT),
        schedules=(HOURS,),
        boxes=(BOX_ALICE, BOX_OFFICE),
        customers=(customer,),
        jobs=(job,),
        trunks=(TRUNK,),
    )


async def test_replace_overwrites_every_kind(repo: SqlRepository) -> None:
    await add_all(repo)
    customer, job = await add_customer_and_job(repo)
    changes: list[tuple[Entity, Entity]] = [
        (BOB, replace(BOB, email="robert@example.com", mobile="+15550000002", active=True)),
        (EXT_102, replace(EXT_102, sip_password="new", dnd=False, voicemail_box="office")),
        (
            SALES,
            replace(
                SALES,
                members=("101", "102", "103"),
                strategy=Strategy.ROUND_ROBIN,
                extension=None,
                fallback_box=None,
            ),
        ),
        (
            HOURS,
            replace(
                HOURS,
                tz="Europe/Paris",
                hours=(OpenRange(2, 0, 1440),),
                holidays=(),
                after_hours=(AfterHoursStep(AfterHoursKind.VOICEMAIL, "alice"),),
            ),
        ),
        (BOX_OFFICE, replace(BOX_OFFICE, members=("bob",))),
        (
            MAIN,
            replace(
                MAIN,
                destination=Destination(DestKind.EXTENSION, "103"),
                schedule=None,
                assigned_user="bob",
                provider=None,
            ),
        ),
        (TRUNK, replace(TRUNK, password="rotated", from_domain=None)),
        (customer, replace(customer, name="Acme Ltd", phones=("+15553336666",), owner=None)),
        (job, replace(job, status=JobStatus.CLOSED, id=None)),
    ]
    for old, new in changes:
        stored = await repo.replace(old, new)
        if isinstance(old, (Customer, Job)) and isinstance(new, (Customer, Job)):
            new = replace(new, id=old.id)
        assert stored == new
    snap = await repo.snapshot()
    assert snap.user("bob") == changes[0][1]
    assert snap.extension("102") == changes[1][1]
    assert snap.group("sales") == changes[2][1]
    assert snap.schedule("main") == changes[3][1]
    assert snap.box("office") == changes[4][1]
    assert snap.number(MAIN.e164) == changes[5][1]
    assert snap.trunk("provider") == changes[6][1]
    assert snap.customers == (
        replace(customer, name="Acme Ltd", phones=("+15553336666",), owner=None),
    )
    assert snap.jobs == (replace(job, status=JobStatus.CLOSED),)


async def test_remove_deletes_each_kind(repo: SqlRepository) -> None:
    await add_all(repo)
    customer, job = await add_customer_and_job(repo)
    for item in (
        job,
        customer,
        DIRECT,
        MAIN,
        OLD,
        HOURS,
        SALES,
        SUPPORT,
        EXT_101,
        EXT_102,
        EXT_103,
        BOX_OFFICE,
        BOX_ALICE,
        ALICE,
        BOB,
        CAROL,
        TRUNK,
    ):
        await repo.remove(item)
    assert await repo.snapshot() == Directory()


@pytest.mark.parametrize(
    ("duplicate", "field"),
    [
        (replace(BOB, email="x@example.com"), "user"),
        (replace(EXT_103, user="bob"), "extension"),
        (replace(OLD, label="again"), "number"),
        (BusinessNumber("+15559999999", "second direct", assigned_user="alice"), "assigned_user"),
        (replace(SUPPORT, members=()), "group"),
        (RingGroup("other", Strategy.RANDOM, (), extension="600"), "extension"),
        (RingGroup("other", Strategy.RANDOM, (), extension="101"), "extension"),
        (Extension("600", "bob", "pw"), "extension"),
        (RingGroup("other", Strategy.RANDOM, ("101", "102", "101")), "members"),
        (VoicemailBox("other", BoxKind.SHARED, ("bob", "bob")), "members"),
        (replace(HOURS, after_hours=()), "schedule"),
        (Schedule("other", "UTC", (), (date(2025, 1, 1), date(2025, 1, 1))), "holidays"),
        (replace(BOX_ALICE, members=()), "box"),
        (replace(TRUNK, host="other.example.net"), "trunk"),
        (Customer("Twice", ("+15553334444", "+15553334444")), "phones"),
    ],
)
async def test_duplicates_are_refused_and_nothing_changes(
    repo: SqlRepository, duplicate: Entity, field: str
) -> None:
    await add_all(repo)
    before = await repo.snapshot()
    with pytest.raises(InvalidInput) as error:
        await repo.add(duplicate)
    assert error.value.field == field
    assert not isinstance(error.value, NotFound)
    assert await repo.snapshot() == before


async def test_duplicate_message_names_the_value(repo: SqlRepository) -> None:
    await add_all(repo)
    with pytest.raises(InvalidInput) as error:
        await repo.add(Extension("101", "bob", "pw"))
    assert (error.value.field, error.value.reason) == ("extension", "101 is already taken")


async def test_renaming_onto_an_existing_key_is_refused(repo: SqlRepository) -> None:
    await add_all(repo)
    before = await repo.snapshot()
    with pytest.raises(InvalidInput) as error:
        await repo.replace(BOB, replace(BOB, name="alice"))
    assert error.value.field == "user"
    with pytest.raises(InvalidInput) as error:
        await repo.replace(EXT_102, replace(EXT_102, number="101"))
    assert error.value.field == "extension"
    assert await repo.snapshot() == before


@pytest.mark.parametrize(
    ("item", "field", "reason"),
    [
        (Extension("104", "dave", "pw"), "user", "no such user 'dave'"),
        (
            Extension("104", "bob", "pw", voicemail_box="nope"),
            "voicemail_box",
            "no such voicemail box 'nope'",
        ),
        (RingGroup("g", Strategy.RING_ALL, ("101", "999")), "members", "no such extension 999"),
        (
            RingGroup("g", Strategy.RING_ALL, (), fallback_box="nope"),
            "fallback_box",
            "no such voicemail box 'nope'",
        ),
        (VoicemailBox("b", BoxKind.SHARED, ("alice", "dave")), "members", "no such user 'dave'"),
        (
            Schedule(
                "s",
                "UTC",
                (OpenRange(0, 0, 60),),
                (),
                (AfterHoursStep(AfterHoursKind.VOICEMAIL, "nope"),),
            ),
            "after_hours",
            "no such voicemail box 'nope'",
        ),
        (
            BusinessNumber("+15550001111", "x", destination=Destination(DestKind.EXTENSION, "999")),
            "destination",
            "no such extension 999",
        ),
        (
            BusinessNumber("+15550001111", "x", destination=Destination(DestKind.GROUP, "nope")),
            "destination",
            "no such ring group 'nope'",
        ),
        (
            BusinessNumber("+15550001111", "x", assigned_user="dave"),
            "assigned_user",
            "no such user 'dave'",
        ),
        (
            BusinessNumber("+15550001111", "x", schedule="nope"),
            "schedule",
            "no such schedule 'nope'",
        ),
        (Customer("c", (), owner="dave"), "owner", "no such user 'dave'"),
        (Job(12345, "j"), "customer_id", "no such customer 12345"),
    ],
)
async def test_unknown_references_are_refused_and_nothing_is_stored(
    repo: SqlRepository, item: Entity, field: str, reason: str
) -> None:
    await add_all(repo)
    before = await repo.snapshot()
    with pytest.raises(NotFound) as error:
        await repo.add(item)
    assert (error.value.field, error.value.reason) == (field, reason)
    assert await repo.snapshot() == before


async def test_replacing_or_removing_something_missing_is_not_found(repo: SqlRepository) -> None:
    with pytest.raises(NotFound) as error:
        await repo.replace(BOB, replace(BOB, email="x@example.com"))
    assert (error.value.field, error.value.reason) == ("user", "no such user 'bob'")
    with pytest.raises(NotFound):
        await repo.remove(TRUNK)
    with pytest.raises(NotFound):
        await repo.remove(Job(1, "x", id=77))


async def test_renaming_a_user_keeps_everything_pointing_at_them(repo: SqlRepository) -> None:
    await add_all(repo)
    customer = await repo.add(Customer("Acme", ("+15553334444",), "alice"))
    await repo.replace(ALICE, replace(ALICE, name="alicia"))
    snap = await repo.snapshot()
    assert snap.user("alice") is None
    assert snap.extension("101") == replace(EXT_101, user="alicia")
    assert snap.box("alice") == replace(BOX_ALICE, members=("alicia",))
    assert snap.box("office") == replace(BOX_OFFICE, members=("carol", "alicia"))
    assert snap.number(DIRECT.e164) == replace(DIRECT, assigned_user="alicia")
    assert snap.customers == (replace(customer, owner="alicia"),)


async def test_renames_of_extensions_groups_boxes_and_schedules_follow(
    repo: SqlRepository,
) -> None:
    await add_all(repo)
    await repo.replace(EXT_101, replace(EXT_101, number="201"))
    await repo.replace(SALES, replace(SALES, name="sales-team", members=("103", "201")))
    await repo.replace(HOURS, replace(HOURS, name="weekdays"))
    await repo.replace(BOX_OFFICE, replace(BOX_OFFICE, name="front-desk"))
    snap = await repo.snapshot()
    assert snap.number(DIRECT.e164) == replace(
        DIRECT, destination=Destination(DestKind.EXTENSION, "201")
    )
    assert snap.number(MAIN.e164) == replace(
        MAIN, destination=Destination(DestKind.GROUP, "sales-team"), schedule="weekdays"
    )
    assert snap.group("sales-team") == replace(
        SALES, name="sales-team", members=("103", "201"), fallback_box="front-desk"
    )
    assert snap.schedule("weekdays") == replace(
        HOURS,
        name="weekdays",
        after_hours=(
            *HOURS.after_hours[:2],
            AfterHoursStep(AfterHoursKind.VOICEMAIL, "front-desk"),
        ),
    )


async def test_removing_a_user_who_owns_extensions_is_refused(repo: SqlRepository) -> None:
    await add_all(repo)
    before = await repo.snapshot()
    with pytest.raises(InvalidInput) as error:
        await repo.remove(BOB)
    assert error.value.field == "user"
    assert "extension 102" in error.value.reason
    assert await repo.snapshot() == before


@pytest.mark.parametrize(
    ("item", "field", "used_by"),
    [
        (
            ALICE,
            "user",
            [
                "business number +15551230001",
                "extension 101",
                "voicemail box 'alice'",
                "voicemail box 'office'",
            ],
        ),
        (EXT_101, "extension", ["business number +15551230001", "ring group 'sales'"]),
        (SALES, "group", ["business number +15551230000"]),
        (BOX_OFFICE, "box", ["ring group 'sales'", "schedule 'main'"]),
        (HOURS, "schedule", ["business number +15551230000"]),
    ],
)
async def test_removing_anything_still_in_use_is_refused(
    repo: SqlRepository, item: Entity, field: str, used_by: list[str]
) -> None:
    await add_all(repo)
    before = await repo.snapshot()
    with pytest.raises(InvalidInput) as error:
        await repo.remove(item)
    assert error.value.field == field
    assert error.value.reason.endswith("is still used by " + ", ".join(used_by))
    assert await repo.snapshot() == before


async def test_removing_a_customer_with_jobs_is_refused(repo: SqlRepository) -> None:
    await add_all(repo)
    customer, job = await add_customer_and_job(repo)
    with pytest.raises(InvalidInput) as error:
        await repo.remove(customer)
    reason = f"{customer.id} is still used by job {job.id}"
    assert (error.value.field, error.value.reason) == ("customer", reason)


async def test_ids_are_assigned_by_the_database(repo: SqlRepository) -> None:
    await add_all(repo)
    first = await repo.add(Customer("One", ()))
    second = await repo.add(Customer("Two", ("+15551112222",), "carol"))
    assert first.id is not None and second.id is not None and first.id != second.id
    with pytest.raises(InvalidInput) as error:
        await repo.add(Customer("Three", (), id=99))
    assert error.value.field == "id"
    with pytest.raises(InvalidInput):
        await repo.replace(first, replace(first, id=second.id))
    assert [c.name for c in (await repo.snapshot()).customers] == ["One", "Two"]


async def test_concurrent_writers_all_succeed(repo: SqlRepository) -> None:
    users = [User(f"user{i:02}", f"user{i}@example.com") for i in range(20)]
    await asyncio.gather(*(repo.add(u) for u in users))
    assert (await repo.snapshot()).users == tuple(users)


async def test_data_survives_reopening(db_url: str) -> None:
    repo = await open_repository(db_url)
    await add_all(repo)
    before = await repo.snapshot()
    await repo.close()
    repo = await open_repository(db_url)
    try:
        assert await repo.snapshot() == before
    finally:
        await repo.close()


async def test_sqlite_files_are_private(tmp_path: Path) -> None:
    """The database holds SIP passwords: it and its -wal/-shm files are mode 0600."""
    old_umask = os.umask(0o022)
    try:
        repo = await open_repository(f"sqlite:///{tmp_path / 'data' / 'pbx.db'}")
    finally:
        os.umask(old_umask)
    try:
        await add_all(repo)
        files = sorted((tmp_path / "data").iterdir())
        assert [f.name for f in files] == ["pbx.db", "pbx.db-shm", "pbx.db-wal"]
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    finally:
        await repo.close()


async def test_in_memory_sqlite_takes_turns_on_its_one_connection() -> None:
    repo = await open_repository("sqlite://")
    try:
        users = [User(f"user{i}", "u@example.com") for i in range(5)]
        await asyncio.gather(*(repo.add(u) for u in users), repo.snapshot())
        assert (await repo.snapshot()).users == tuple(users)
    finally:
        await repo.close()
