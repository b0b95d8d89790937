"""The call log on SQLite and PostgreSQL: patches, reads, ring statistics, the
directory revision, and the durable write queue (journal, replay, outages)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

from pbx.adapters.db.repository import SqlRepository, open_repository
from pbx.adapters.journal import Journal
from pbx.core.calls import (
    CallLeg,
    CallPatch,
    CallRecord,
    Direction,
    Disposition,
    LegKind,
    LegOutcome,
    apply,
)
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import (
    BoxKind,
    BusinessNumber,
    Customer,
    Destination,
    DestKind,
    Extension,
    Job,
    OpenRange,
    RingGroup,
    Schedule,
    Strategy,
    Trunk,
    User,
    VoicemailBox,
)
from pbx.core.ringing import RingStats
from pbx.services.calllog import CallLogWriter, merge

T0 = datetime(2025, 11, 3, 15, 0, tzinfo=UTC)
PLUS2 = timezone(timedelta(hours=2))

ANN = User("Ann", "ann@example.com")
BOB = User("Bob", "bob@example.com")
CAT = User("Cat", "cat@example.com")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def leg(
    ext: str,
    start: float,
    outcome: LegOutcome | None,
    *,
    user: str | None = None,
    group: str | None = None,
    answered: float | None = None,
    ended: float | None = None,
    kind: LegKind = LegKind.SOFTPHONE,
) -> CallLeg:
    return CallLeg(
        target=ext,
        kind=kind,
        started_at=at(start),
        user=user,
        ext=ext,
        group=group,
        answered_at=None if answered is None else at(answered),
        ended_at=None if ended is None else at(ended),
        outcome=outcome,
    )


def call_patches(
    key: str, start: float, *, customer_id: int | None = None, job_id: int | None = None
) -> list[CallPatch]:
    """The patches of one answered inbound call to Dispatch, answered by Ann on 101."""
    legs = (
        leg(
            "101", start + 1, LegOutcome.ANSWERED, user="Ann", group="Dispatch", answered=start + 4
        ),
        leg(
            "102",
            start + 1,
            LegOutcome.ANSWERED_ELSEWHERE,
            user="Bob",
            group="Dispatch",
            ended=start + 4,
        ),
    )
    return [
        CallPatch(
            key,
            {
                "direction": Direction.INBOUND,
                "caller": "+13125550199",
                "called": "+13125550100",
                "business_number": "+13125550100",
                "started_at": at(start).astimezone(PLUS2),  # any offset: stored as UTC
                "customer_id": customer_id,
                "job_id": job_id,
                "route": ("in business hours", "ring group Dispatch (ring-all)"),
            },
        ),
        CallPatch(
            key,
            {
                "answered_at": at(start + 4),
                "handled_by_group": "Dispatch",
                "handled_by_ext": "101",
                "handled_by_user": "Ann",
            },
            legs,
        ),
        CallPatch(
            key,
            {"ended_at": at(start + 64), "disposition": Disposition.ANSWERED, "hangup_cause": "16"},
        ),
    ]


def expected(patches: Sequence[CallPatch], ident: int | None) -> CallRecord:
    record: CallRecord | None = None
    for patch in patches:
        record = apply(record, patch)
    assert record is not None
    return replace(record, started_at=record.started_at.astimezone(UTC), id=ident)


def assert_utc(record: CallRecord) -> None:
    times = [record.started_at, record.answered_at, record.ended_at]
    for one in record.legs:
        times += [one.started_at, one.answered_at, one.ended_at]
    for when in times:
        if when is not None:
            assert when.tzinfo is not None and when.utcoffset() == timedelta(0), when


@pytest.fixture
async def repo(db_url: str) -> AsyncIterator[SqlRepository]:
    repository = await open_repository(db_url)
    try:
        for user in (ANN, BOB, CAT):
            await repository.add(user)
        yield repository
    finally:
        await repository.close()


async def add_customer(repo: SqlRepository, name: str = "Acme") -> tuple[int, int]:
    customer = await repo.add(Customer(name, ("+13125550199",)))
    assert customer.id is not None
    job = await repo.add(Job(customer.id, "Leaking boiler"))
    assert job.id is not None
    return customer.id, job.id


# -- applying patches ----------------------------------------------------


async def test_patches_insert_then_update_with_legs(repo: SqlRepository) -> None:
    customer_id, job_id = await add_customer(repo)
    patches = call_patches("n1:1.1", 0, customer_id=customer_id, job_id=job_id)
    await repo.apply_call_patches(patches[:1])
    first = await repo.get_call_by_key("n1:1.1")
    assert first is not None and first.id is not None
    assert first == expected(patches[:1], first.id)
    assert first.started_at == T0 and first.disposition is None and first.legs == ()
    await repo.apply_call_patches(patches[1:])
    stored = await repo.get_call(first.id)
    assert stored == expected(patches, first.id)
    assert stored.duration == 60.0
    assert [(x.ext, x.outcome) for x in stored.legs] == [
        ("101", LegOutcome.ANSWERED),
        ("102", LegOutcome.ANSWERED_ELSEWHERE),
    ]
    assert_utc(stored)
    # legs are replaced only by a patch that has legs
    await repo.apply_call_patches([CallPatch("n1:1.1", {"recording": "2025/11/x.wav"})])
    assert (await repo.get_call(first.id)).legs == stored.legs
    await repo.apply_call_patches([CallPatch("n1:1.1", legs=(stored.legs[1],))])
    again = await repo.get_call(first.id)
    assert again.legs == (stored.legs[1],) and again.recording == "2025/11/x.wav"


async def test_applying_the_same_patches_again_changes_nothing(repo: SqlRepository) -> None:
    patches = call_patches("n1:1.1", 0) + call_patches("n1:2.1", 100)
    await repo.apply_call_patches(patches)
    before = await repo.list_calls()
    await repo.apply_call_patches(patches)
    await repo.apply_call_patches(patches[::3])
    await repo.apply_call_patches(patches)
    after = await repo.list_calls()
    assert after == before
    assert [c.key for c in after] == ["n1:2.1", "n1:1.1"]
    assert all(len(c.legs) == 2 for c in after)

async def test_one_batch_of_calls_at_different_stages(repo: SqlRepository) -> None:
    """New and stored calls, each patch setting other columns, interleaved in one batch."""
    one, two, three, four = (call_patches(f"n1:{i}.1", 100 * i) for i in range(1, 5))
    await repo.apply_call_patches([one[0], two[0], *three[:2]])
    await repo.apply_call_patches(
        [
            four[0],
            one[1],
            two[1],
            CallPatch("n1:3.1", {"recording": 7, "ended_at": "not a time"}),
            four[1],
            two[2],
            three[2],
            four[2],
        ]
    )
    stored = {c.key: c for c in await repo.list_calls()}
    for key, patches in (("n1:1.1", one[:2]), ("n1:2.1", two), ("n1:4.1", four)):
        assert stored[key] == expected(patches, stored[key].id), key
    # a value of the wrong kind is dropped, one convertible is kept, the rest of the batch applies
    assert stored["n1:3.1"] == replace(expected(three, stored["n1:3.1"].id), recording="7")
    assert [len(c.legs) for c in stored.values()] == [2, 2, 2, 2]



async def test_a_patch_for_an_unknown_call_gets_neutral_values(repo: SqlRepository) -> None:
    await repo.apply_call_patches([CallPatch("n1:9.9", {"disposition": Disposition.MISSED})])
    found = await repo.get_call_by_key("n1:9.9")
    assert found is not None
    assert (found.direction, found.caller, found.called) == (Direction.INBOUND, "", "")
    assert found.started_at == datetime.fromtimestamp(0, UTC)
    assert found.disposition is Disposition.MISSED
    # a later start fills them in; a None for a mandatory field is ignored
    await repo.apply_call_patches(
        [
            CallPatch("n1:9.9", {"caller": "+13125550199", "started_at": T0}),
            CallPatch("n1:9.9", {"caller": None, "direction": "bogus"}),
        ]
    )
    found = await repo.get_call_by_key("n1:9.9")
    assert found is not None
    assert (found.caller, found.started_at, found.direction) == (
        "+13125550199",
        T0,
        Direction.INBOUND,
    )
    assert await repo.get_call_by_key("n1:nothing") is None


async def test_dangling_references_are_stored_as_null(repo: SqlRepository) -> None:
    await repo.apply_call_patches(
        [
            CallPatch(
                "n1:1.1",
                {
                    "started_at": T0,
                    "handled_by_user": "Ghost",
                    "customer_id": 999,
                    "job_id": 998,
                },
            )
        ]
    )
    found = await repo.get_call_by_key("n1:1.1")
    assert found is not None
    assert (found.handled_by_user, found.customer_id, found.job_id) == ("Ghost", None, None)


async def test_removed_references_become_null_and_renames_follow(repo: SqlRepository) -> None:
    customer_id, job_id = await add_customer(repo)
    patches = call_patches("n1:1.1", 0, customer_id=customer_id, job_id=job_id)
    patches[1] = replace(patches[1], values={**patches[1].values, "handled_by_user": "Cat"})
    await repo.apply_call_patches(patches)
    await repo.replace(CAT, replace(CAT, name="Catherine"))
    found = await repo.get_call_by_key("n1:1.1")
    assert found is not None and found.handled_by_user == "Catherine"
    await repo.remove(replace(CAT, name="Catherine"))
    snap = await repo.snapshot()
    await repo.remove(snap.jobs[0])
    await repo.remove(snap.customers[0])
    found = await repo.get_call_by_key("n1:1.1")
    assert found is not None
    assert found.handled_by_user == "Cat"  # the name as it was written
    assert (found.customer_id, found.job_id) == (None, None)
    # and the same patches still apply
    await repo.apply_call_patches(patches)
    assert await repo.get_call_by_key("n1:1.1") == found


async def test_an_end_without_legs_closes_the_open_ones(repo: SqlRepository) -> None:
    """A call adopted after a restart ends without legs: those written before are closed."""
    ringing = (
        leg("101", 1, None, user="Ann", group="Dispatch"),
        leg("102", 1, None, user="Bob", group="Dispatch"),
    )
    end = {
        "ended_at": at(64),
        "answered_at": at(4),
        "disposition": Disposition.ANSWERED,
        "hangup_cause": "normal clearing (16)",
        "handled_by_ext": "102",
    }
    missed = {"ended_at": at(64), "disposition": Disposition.MISSED}

    def start(key: str, legs: tuple[CallLeg, ...] = ringing) -> CallPatch:
        return CallPatch(key, {"started_at": T0, "caller": "+13125550199"}, legs)

    await repo.apply_call_patches([start("n1:apart")])
    await repo.apply_call_patches([CallPatch("n1:apart", end)])
    await repo.apply_call_patches([start("n1:batch"), CallPatch("n1:batch", end)])
    await repo.apply_call_patches([start("n1:missed"), CallPatch("n1:missed", missed)])
    busy = replace(ringing[0], outcome=LegOutcome.BUSY)
    await repo.apply_call_patches([start("n1:closed", (busy, ringing[1]))])
    await repo.apply_call_patches([CallPatch("n1:closed", end), CallPatch("n1:closed", end)])
    calls = {c.key: c for c in await repo.list_calls()}

    for key in ("n1:apart", "n1:batch"):
        found = calls[key]
        assert [(x.ext, x.outcome, x.answered_at, x.ended_at) for x in found.legs] == [
            ("101", LegOutcome.ANSWERED_ELSEWHERE, None, at(64)),
            ("102", LegOutcome.ANSWERED, at(4), at(64)),
        ]
        assert (found.handled_by_ext, found.handled_by_group, found.handled_by_user) == (
            "102",
            "Dispatch",
            "Bob",
        )
        assert_utc(found)
    found = calls["n1:missed"]
    assert [(x.outcome, x.ended_at) for x in found.legs] == [(LegOutcome.NO_ANSWER, at(64))] * 2
    assert (found.handled_by_group, found.handled_by_user) == (None, None)
    found = calls["n1:closed"]  # a leg with an outcome is left alone
    assert [x.outcome for x in found.legs] == [LegOutcome.BUSY, LegOutcome.ANSWERED]
    assert found.handled_by_user == "Bob"

    # the user is linked by id (a rename follows), and the end applies again to the same
    await repo.replace(BOB, replace(BOB, name="Robert"))
    before = await repo.list_calls()
    assert {c.handled_by_user for c in before} == {"Robert", None}
    await repo.apply_call_patches([CallPatch("n1:apart", end)])
    assert await repo.list_calls() == before


async def test_removing_a_user_still_in_use_names_what_uses_it(repo: SqlRepository) -> None:
    await repo.add(Extension("101", "Ann", "pw"))
    patches = call_patches("n1:1.1", 0)
    await repo.apply_call_patches(patches)
    with pytest.raises(InvalidInput) as error:
        await repo.remove(ANN)
    assert error.value.reason == "'Ann' is still used by extension 101"


# -- reading ---------------------------------------------------------------


async def test_list_filters_and_orders_newest_first(repo: SqlRepository) -> None:
    acme, _ = await add_customer(repo, "Acme")
    other, _ = await add_customer(repo, "Other")
    starts = {"a": 0, "b": 3600, "c": 7200, "d": 7200, "e": 86400}
    owners = {"a": acme, "b": other, "c": acme, "d": None, "e": acme}
    for key, start in starts.items():
        await repo.apply_call_patches(call_patches(f"n1:{key}", start, customer_id=owners[key]))
    keys = lambda found: [c.key.split(":")[1] for c in found]  # noqa: E731
    assert keys(await repo.list_calls()) == ["e", "d", "c", "b", "a"]  # same start: newest id
    assert keys(await repo.list_calls(limit=2)) == ["e", "d"]
    assert keys(await repo.list_calls(since=at(3600))) == ["e", "d", "c", "b"]
    assert keys(await repo.list_calls(until=at(7200))) == ["b", "a"]
    assert keys(await repo.list_calls(since=at(1), until=at(7201))) == ["d", "c", "b"]
    assert keys(await repo.list_calls(customer_id=acme)) == ["e", "c", "a"]
    assert keys(await repo.list_calls(customer_id=acme, since=at(7200), limit=1)) == ["e"]
    local_since = at(3600).astimezone(timezone(timedelta(hours=-6)))  # any offset works
    assert keys(await repo.list_calls(since=local_since)) == ["e", "d", "c", "b"]
    assert await repo.list_calls(customer_id=12345) == []
    found = await repo.list_calls()
    assert all(len(c.legs) == 2 for c in found)
    for record in found:
        assert_utc(record)


async def test_get_call_of_an_unknown_id_is_not_found(repo: SqlRepository) -> None:
    with pytest.raises(NotFound) as error:
        await repo.get_call(4242)
    assert (error.value.field, error.value.reason) == ("call", "no such call 4242")


# -- what ring strategies remember -------------------------------------------


async def test_ring_stats(repo: SqlRepository) -> None:
    def answered_call(
        key: str, start: float, ext: str, group: str | None, rung: Sequence[CallLeg]
    ) -> list[CallPatch]:
        return [
            CallPatch(key, {"started_at": at(start), "handled_by_group": group}, tuple(rung)),
            CallPatch(
                key,
                {
                    "answered_at": at(start + 5),
                    "ended_at": at(start + 60),
                    "handled_by_ext": ext,
                    "disposition": Disposition.ANSWERED,
                },
            ),
        ]

    patches = [
        # yesterday: 101 answers for Sales
        *answered_call(
            "n1:1",
            -86400,
            "101",
            "Sales",
            [
                leg("101", -86399, LegOutcome.ANSWERED, group="Sales", answered=-86395),
            ],
        ),
        # today: Sales rings 102 then 103 (sequential); 103 answers on its cell
        *answered_call(
            "n1:2",
            100,
            "103",
            "Sales",
            [
                leg("102", 101, LegOutcome.NO_ANSWER, group="Sales"),
                CallLeg(
                    "+13125550103",
                    LegKind.CELL,
                    at(121),
                    ext="103",
                    group="Sales",
                    answered_at=at(125),
                    outcome=LegOutcome.ANSWERED,
                ),
                leg("104", 141, LegOutcome.CANCELLED, group="Sales"),
            ],
        ),
        # today: a direct call to 101 without legs (only handled_by_ext)
        *answered_call("n1:3", 200, "101", None, []),
        # today, later: Support rings 105 and 106, nobody answers
        CallPatch(
            "n1:4",
            {"started_at": at(300), "ended_at": at(330), "disposition": Disposition.MISSED},
            (
                leg("105", 301, LegOutcome.NO_ANSWER, group="Support"),
                leg("106", 311, LegOutcome.NO_ANSWER, group="Support"),
            ),
        ),
        # an earlier Support call that 105 answered
        *answered_call(
            "n1:5",
            50,
            "105",
            "Support",
            [
                leg("105", 51, LegOutcome.ANSWERED, group="Support", answered=55),
            ],
        ),
        # in progress: 101 answered, not ended yet
        CallPatch(
            "n1:6",
            {"started_at": at(400), "answered_at": at(405)},
            (leg("101", 401, LegOutcome.ANSWERED, answered=405),),
        ),
    ]
    await repo.apply_call_patches(patches)
    stats = await repo.ring_stats(today_start=T0)
    assert stats == RingStats(
        last_call_end={"101": at(260), "103": at(160), "105": at(110)},
        answered_today={"101": 2, "103": 1, "105": 1},
        round_robin_last={"Sales": "103", "Support": "106"},
    )
    assert all(when.utcoffset() == timedelta(0) for when in stats.last_call_end.values())
    assert await repo.ring_stats(today_start=at(250)) == replace(stats, answered_today={"101": 1})


async def test_ring_stats_of_an_empty_log(repo: SqlRepository) -> None:
    assert await repo.ring_stats(T0) == RingStats()


# -- the directory revision ----------------------------------------------------


async def test_every_directory_write_bumps_the_revision(repo: SqlRepository) -> None:
    start = await repo.revision()
    box = VoicemailBox("office", BoxKind.SHARED, ("Ann",))
    ext = Extension("101", "Ann", "pw")
    group = RingGroup("Dispatch", Strategy.RING_ALL, ("101",))
    hours = Schedule("main", "America/Chicago", (OpenRange(0, 480, 1020),))
    number = BusinessNumber(
        "+13125550100", "Main", destination=Destination(DestKind.GROUP, "Dispatch")
    )
    trunk = Trunk("carrier", "sip.example.net", "acct", "pw")
    writes: list[Any] = [
        lambda: repo.add(box),
        lambda: repo.add(ext),
        lambda: repo.add(group),
        lambda: repo.add(hours),
        lambda: repo.add(number),
        lambda: repo.add(trunk),
        lambda: repo.add(Customer("Acme", ("+13125550199",))),
        lambda: repo.replace(number, replace(number, record=False)),
        lambda: repo.replace(group, replace(group, record=False, name="Dispatchers")),
        lambda: repo.replace(ANN, replace(ANN, email="ann@example.org")),
        lambda: repo.remove(trunk),
        lambda: repo.remove(number),
        lambda: repo.remove(BOB),
    ]
    for n, write in enumerate(writes, start=1):
        await write()
        assert await repo.revision() == start + n
    end = start + len(writes)
    # reads, refused writes and the call log leave it alone
    await repo.snapshot()
    await repo.list_calls()
    await repo.apply_call_patches(call_patches("n1:1.1", 0))
    with pytest.raises(InvalidInput):
        await repo.add(ANN)
    with pytest.raises(InvalidInput):
        await repo.remove(ANN)  # still has extension 101
    assert await repo.revision() == end
    snap = await repo.snapshot()
    assert snap.group("Dispatchers") is not None and snap.group("Dispatchers").record is False


async def test_record_flags_round_trip(repo: SqlRepository) -> None:
    await repo.add(Extension("101", "Ann", "pw"))
    quiet = RingGroup("Quiet", Strategy.RING_ALL, ("101",), record=False)
    loud = RingGroup("Loud", Strategy.RING_ALL, ("101",))
    private = BusinessNumber("+13125550101", "Private", record=False)
    main = BusinessNumber("+13125550100", "Main")
    for item in (quiet, loud, private, main):
        await repo.add(item)
    snap = await repo.snapshot()
    assert [(g.name, g.record) for g in snap.groups] == [("Loud", True), ("Quiet", False)]
    assert [(n.e164, n.record) for n in snap.numbers] == [
        ("+13125550100", True),
        ("+13125550101", False),
    ]
    await repo.replace(private, replace(private, record=True))
    await repo.replace(loud, replace(loud, record=False))
    snap = await repo.snapshot()
    assert snap.number("+13125550101").record is True  # type: ignore[union-attr]
    assert snap.group("Loud").record is False  # type: ignore[union-attr]


# -- the durable write queue -------------------------------------------------


class FlakyStore:
    """A CallStore in front of the real one that can be 'down' (for SQLite)."""

    def __init__(self, inner: SqlRepository) -> None:
        self.inner = inner
        self.down = False
        self.attempts = 0
        self.batches: list[list[CallPatch]] = []

    async def apply_call_patches(self, patches: Sequence[CallPatch]) -> None:
        self.attempts += 1
        if self.down:
            raise ConnectionRefusedError("database is down")
        self.batches.append(list(patches))
        await self.inner.apply_call_patches(patches)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextlib.asynccontextmanager
async def running(writer: CallLogWriter) -> AsyncIterator[CallLogWriter]:
    task = asyncio.create_task(writer.run())
    try:
        yield writer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        writer.close()


def interleaved(*calls: list[CallPatch]) -> list[CallPatch]:
    out: list[CallPatch] = []
    for group in zip(*calls, strict=True):
        out.extend(group)
    return out


async def assert_calls(repo: SqlRepository, patches: Sequence[CallPatch]) -> None:
    """Every call of `patches` stored exactly once, as the patches say."""
    stored = await repo.list_calls(limit=1000)
    keys = sorted({p.key for p in patches})
    assert sorted(c.key for c in stored) == keys
    for key in keys:
        found = next(c for c in stored if c.key == key)
        assert found == expected([p for p in patches if p.key == key], found.id)


def test_merge_keeps_one_patch_per_call_in_order() -> None:
    a, b = call_patches("n1:a", 0), call_patches("n1:b", 10)
    merged = merge(interleaved(a, b))
    assert [p.key for p in merged] == ["n1:a", "n1:b"]
    assert merged[0] == a[0].then(a[1]).then(a[2])


async def test_writer_batches_and_clears_the_journal(repo: SqlRepository, tmp_path: Path) -> None:
    store = FlakyStore(repo)
    path = tmp_path / "spool" / "calls.journal"
    patches = interleaved(call_patches("n1:a", 0), call_patches("n1:b", 10))
    async with running(CallLogWriter(store, Journal(path))) as writer:
        for patch in patches:
            writer.submit(patch)  # synchronous: nothing is written before the loop runs
        assert len(Journal(path).read()) == len(patches)
        assert await writer.flush(10)
    assert store.batches and all(len(b) == len({p.key for p in b}) for b in store.batches)
    assert path.stat().st_size == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    await assert_calls(repo, patches)


async def test_writer_replays_the_journal_after_a_crash(
    repo: SqlRepository, tmp_path: Path
) -> None:
    path = tmp_path / "calls.journal"
    done = call_patches("n1:a", 0)
    half = call_patches("n1:b", 100)
    lost = call_patches("n1:c", 200)
    # a first controller wrote call a fully
    async with running(CallLogWriter(repo, Journal(path))) as first:
        for patch in done:
            first.submit(patch)
        assert await first.flush(10)
    # a second one applied half of call b but crashed before clearing the journal,
    # and never got to write call c
    journal = Journal(path)
    for patch in half + lost:
        journal.append(patch)
    journal.close()
    await repo.apply_call_patches(half[:2])
    # the third one replays everything: no duplicates, nothing lost
    replayed = CallLogWriter(repo, Journal(path))
    assert replayed.backlog == len(half + lost)
    async with running(replayed) as third:
        assert await third.flush(10)
    assert Journal(path).read() == []
    await assert_calls(repo, done + half + lost)


async def test_a_torn_journal_line_is_skipped(
    repo: SqlRepository, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "calls.journal"
    patches = call_patches("n1:a", 0)
    journal = Journal(path)
    for patch in patches:
        journal.append(patch)
    journal.close()
    whole = path.read_bytes()
    path.write_bytes(whole[: whole.rindex(b"\n", 0, len(whole) - 1) + 40])  # crash mid-write
    with caplog.at_level(logging.WARNING):
        journal = Journal(path)
        assert journal.read() == patches[:2]
    assert "torn last line" in caplog.text
    # later appends are not glued to the torn fragment
    journal.append(patches[2])
    assert journal.read() == patches
    journal.close()
    async with running(CallLogWriter(repo, Journal(path))) as writer:
        assert await writer.flush(10)
    await assert_calls(repo, patches)


async def test_a_big_journal_is_compacted_while_writes_keep_coming(
    repo: SqlRepository, tmp_path: Path
) -> None:
    path = tmp_path / "calls.journal"
    late = CallPatch("n1:late", {"started_at": T0})

    class Busy:
        """A store during whose writes another patch always arrives."""

        def __init__(self) -> None:
            self.writer: CallLogWriter | None = None
            self.calls = 0

        async def apply_call_patches(self, patches: Sequence[CallPatch]) -> None:
            self.calls += 1
            await repo.apply_call_patches(patches)
            if self.calls == 1 and self.writer is not None:
                self.writer.submit(late)

    busy = Busy()
    writer = CallLogWriter(busy, Journal(path), compact_bytes=1)  # type: ignore[arg-type]
    busy.writer = writer
    first = call_patches("n1:a", 0)
    for patch in first:
        writer.submit(patch)
    seen: list[list[CallPatch]] = []
    original = writer._written

    def spy() -> None:
        original()
        seen.append(Journal(path).read())

    writer._written = spy  # type: ignore[method-assign]
    async with running(writer):
        assert await writer.flush(10)
    assert seen == [[late], []]
    await assert_calls(repo, [*first, late])


async def _pg_admin(request: pytest.FixtureRequest) -> asyncpg.Connection:
    url = make_url(request.getfixturevalue("postgres_url"))
    return await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
    )


@contextlib.asynccontextmanager
async def outage(
    request: pytest.FixtureRequest, db_url: str, store: FlakyStore
) -> AsyncIterator[None]:
    """The database goes away: PostgreSQL refuses connections to it (and drops the
    open ones); for SQLite the store fails."""
    if make_url(db_url).get_backend_name() != "postgresql":
        store.down = True
        try:
            yield
        finally:
            store.down = False
        return
    name = make_url(db_url).database
    admin = await _pg_admin(request)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        try:
            yield
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    finally:
        await admin.close()


async def test_writer_rides_out_a_database_outage(
    repo: SqlRepository,
    db_url: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FlakyStore(repo)
    path = tmp_path / "calls.journal"
    before = call_patches("n1:before", 0)
    during = interleaved(*(call_patches(f"n1:{i}", 100 * i) for i in range(1, 6)))
    async with running(CallLogWriter(store, Journal(path))) as writer:
        for patch in before:
            writer.submit(patch)
        assert await writer.flush(10)
        with caplog.at_level(logging.WARNING, logger="pbx.services.calllog"):
            async with outage(request, db_url, store):
                attempts = store.attempts
                for patch in during[:8]:
                    writer.submit(patch)
                    await asyncio.sleep(0.05)
                assert not await writer.flush(1.8)  # retrying: 0.5 s, then 1 s
                for patch in during[8:]:
                    writer.submit(patch)
                assert store.attempts >= attempts + 2
                assert writer.backlog > 0
            assert await writer.flush(15)
        assert writer.backlog == 0
    # one line per new problem, not one per retry
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert 1 <= len(warnings) < store.attempts - attempts, warnings
    assert len(set(warnings)) == len(warnings), warnings
    assert all("call log not written" in w for w in warnings)
    assert path.stat().st_size == 0
    await assert_calls(repo, before + during)


async def test_a_crash_during_an_outage_loses_nothing(
    repo: SqlRepository, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = FlakyStore(repo)
    path = tmp_path / "calls.journal"
    patches = interleaved(call_patches("n1:a", 0), call_patches("n1:b", 50))
    async with (
        outage(request, db_url, store),
        running(CallLogWriter(store, Journal(path))) as writer,
    ):
        for patch in patches:
            writer.submit(patch)
        assert not await writer.flush(0.3)
        # the controller dies here, with the database still down
    async with running(CallLogWriter(store, Journal(path))) as restarted:
        assert await restarted.flush(15)
    await assert_calls(repo, patches)


def test_journal_survives_a_missing_directory_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "calls.journal"
    old_umask = os.umask(0)
    try:
        journal = Journal(path)
    finally:
        os.umask(old_umask)
    journal.append(CallPatch("k", {"caller": "x"}))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    journal.clear()
    journal.append(CallPatch("k", {"caller": "y"}))
    assert journal.read() == [CallPatch("k", {"caller": "y"})]
    journal.close()
