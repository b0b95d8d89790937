"""On-call core: shift lifecycle and clock, overlaps, who is on call, rotation, overrides,
settings, typed times and the dashboard. Pure: every instant is passed in."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbx.core import oncall as O
from pbx.core.errors import InvalidInput
from pbx.core.oncall import (
    Action,
    Cadence,
    EmergencyCall,
    OnCallSettings,
    Outcome,
    Shift,
    ShiftSource,
    ShiftStatus,
    Tone,
)
from tests.unit.expect import reject

NY = "America/New_York"
LONDON = "Europe/London"
CHICAGO = "America/Chicago"

SCHEDULED = ShiftStatus.SCHEDULED
ACTIVE = ShiftStatus.ACTIVE
COMPLETED = ShiftStatus.COMPLETED
CANCELLED = ShiftStatus.CANCELLED
ROTATION = ShiftSource.ROTATION
MANUAL = ShiftSource.MANUAL
OVERRIDE = ShiftSource.OVERRIDE

USERS = ("Ann", "Bob", "Cat", "Dan")
NUMBERS = ("+13125550100", "+13125550120")


def utc(y: int, mo: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, mo, d, hh, mm, ss, tzinfo=UTC)


def local(tz: str, y: int, mo: int, d: int, hh: int = 0, mm: int = 0, fold: int = 0) -> datetime:
    return datetime(y, mo, d, hh, mm, tzinfo=ZoneInfo(tz), fold=fold)


def hours(shift: Shift) -> float:
    """The real length of a shift (through UTC: same-zone datetimes subtract as wall clocks)."""
    return (shift.end.astimezone(UTC) - shift.start.astimezone(UTC)).total_seconds() / 3600


def span(shift: Shift) -> tuple[datetime, datetime]:
    return shift.start.astimezone(UTC), shift.end.astimezone(UTC)


def rota(*specs: tuple[str, datetime, datetime]) -> list[Shift]:
    return [Shift(tech, a, b, source=ROTATION) for tech, a, b in specs]


def with_ids(shifts: Iterable[Shift], first: int = 1) -> list[Shift]:
    return [replace(s, id=i) for i, s in enumerate(shifts, first)]


def applied(shifts: Sequence[Shift], changes: O.Changes) -> list[Shift]:
    """The stored shifts after `changes`, new ones numbered after the highest id."""
    updated = {s.id: s for s in changes.update}
    gone = {s.id for s in changes.delete}
    kept = [updated.get(s.id, s) for s in shifts if s.id not in gone]
    top = max((s.id or 0 for s in shifts), default=0)
    return kept + with_ids(changes.add, top + 1)


def live_primaries(shifts: Iterable[Shift], now: datetime) -> list[Shift]:
    return [s for s in shifts if not s.backup and O.status_at(s, now) is not CANCELLED]


def assert_no_primary_overlap(shifts: Iterable[Shift], now: datetime) -> None:
    primaries = live_primaries(shifts, now)
    for a, b in itertools.combinations(primaries, 2):
        assert not (a.start < b.end and b.start < a.end), (a.label(), b.label())


# --- lifecycle -----------------------------------------------------------------------

START = utc(2026, 11, 20, 18)
END = utc(2026, 11, 21, 6)
BEFORE = START - timedelta(hours=1)
DURING = START + timedelta(hours=2)
AFTER = END + timedelta(hours=1)
ANN = Shift("Ann", START, END, "boiler callouts", id=1)

# (what the shift is, stored status, the instant): every status the lifecycle can see.
STATUSES = {
    "scheduled": (SCHEDULED, BEFORE, SCHEDULED),
    "active by the clock": (SCHEDULED, DURING, ACTIVE),
    "active by hand, early": (ACTIVE, BEFORE, ACTIVE),
    "active by hand": (ACTIVE, DURING, ACTIVE),
    "completed by the clock": (SCHEDULED, AFTER, COMPLETED),
    "active by hand, then over": (ACTIVE, AFTER, COMPLETED),
    "completed by hand": (COMPLETED, DURING, COMPLETED),
    "cancelled": (CANCELLED, BEFORE, CANCELLED),
    "cancelled, after its end": (CANCELLED, AFTER, CANCELLED),
}


@pytest.mark.parametrize("case", STATUSES)
def test_status_at_moves_the_stored_status_forward_with_the_clock(case: str) -> None:
    stored, now, expected = STATUSES[case]
    shift = replace(ANN, status=stored)
    assert O.status_at(shift, now) is expected
    ticked = O.with_clock(shift, now)
    assert ticked.status is expected
    assert ticked == replace(shift, status=expected)
    if expected is stored:
        assert ticked is shift  # nothing to store


def test_status_at_edges_of_the_shift() -> None:
    tick = timedelta(microseconds=1)
    assert O.status_at(ANN, START - tick) is SCHEDULED
    assert O.status_at(ANN, START) is ACTIVE  # [start, end)
    assert O.status_at(ANN, END - tick) is ACTIVE
    assert O.status_at(ANN, END) is COMPLETED


# (status case, action) -> the status after it, or the words of the refusal.
LIFECYCLE: dict[tuple[str, Action], ShiftStatus | str] = {
    ("scheduled", Action.ACTIVATE): ACTIVE,
    ("scheduled", Action.COMPLETE): (
        "is scheduled: only an active shift can be completed; cancel it instead"
    ),
    ("scheduled", Action.CANCEL): CANCELLED,
    ("active by the clock", Action.ACTIVATE): (
        "is active: only a scheduled shift can be activated"
    ),
    ("active by the clock", Action.COMPLETE): COMPLETED,
    ("active by the clock", Action.CANCEL): CANCELLED,
    ("active by hand", Action.ACTIVATE): "is active: only a scheduled shift can be activated",
    ("active by hand", Action.COMPLETE): COMPLETED,
    ("active by hand", Action.CANCEL): CANCELLED,
    ("completed by the clock", Action.ACTIVATE): (
        "is completed: only a scheduled shift can be activated"
    ),
    ("completed by the clock", Action.COMPLETE): (
        "is completed: only an active shift can be completed"
    ),
    ("completed by the clock", Action.CANCEL): (
        "is completed: only a scheduled or active shift can be cancelled"
    ),
    ("completed by hand", Action.ACTIVATE): (
        "is completed: only a scheduled shift can be activated"
    ),
    ("completed by hand", Action.COMPLETE): "is completed: only an active shift can be completed",
    ("completed by hand", Action.CANCEL): (
        "is completed: only a scheduled or active shift can be cancelled"
    ),
    ("cancelled", Action.ACTIVATE): "is cancelled: only a scheduled shift can be activated",
    ("cancelled", Action.COMPLETE): "is cancelled: only an active shift can be completed",
    ("cancelled", Action.CANCEL): (
        "is cancelled: only a scheduled or active shift can be cancelled"
    ),
}


@pytest.mark.parametrize(("case", "action"), LIFECYCLE)
def test_lifecycle_action_from_every_status(case: str, action: Action) -> None:
    stored, now, _ = STATUSES[case]
    shift = replace(ANN, status=stored)
    expected = LIFECYCLE[case, action]
    if not isinstance(expected, ShiftStatus):  # (a ShiftStatus is a str too)
        error = reject("shift", expected, O.transition, shift, action, now)
        assert "shift #1 (Ann," in error.reason
        if action is Action.COMPLETE and case != "scheduled":
            assert "cancel it instead" not in error.reason
        return
    after = O.transition(shift, action, now)
    assert after.status is expected
    assert O.status_at(after, now) is expected
    # activated before its start, coverage starts then; nothing else moves the start
    start = min(shift.start, now) if action is Action.ACTIVATE else shift.start
    assert (after.tech, after.start, after.notes, after.id) == (
        shift.tech, start, shift.notes, shift.id,
    )  # fmt: skip
    if action is Action.COMPLETE:
        assert after.end == min(shift.end, now)
    else:
        assert after.end == shift.end


def test_the_clock_never_undoes_a_hand_change() -> None:
    early = O.transition(ANN, Action.ACTIVATE, BEFORE)
    assert O.status_at(early, BEFORE) is ACTIVE  # active before its start
    assert O.status_at(early, AFTER) is COMPLETED  # and over at its end
    done = O.transition(ANN, Action.COMPLETE, DURING)
    assert done.end == DURING  # completed early: the end moves to that moment
    assert O.status_at(done, DURING - timedelta(hours=1)) is COMPLETED
    gone = O.transition(ANN, Action.CANCEL, DURING)
    assert O.status_at(gone, DURING) is CANCELLED and O.status_at(gone, AFTER) is CANCELLED
    with pytest.raises(InvalidInput):
        O.transition(gone, Action.ACTIVATE, BEFORE)


def test_completing_an_active_shift_after_its_end_keeps_the_end() -> None:
    # Stored active, still not ticked, but the clock already completed it: refused.
    reject("shift", "is completed", O.transition, replace(ANN, status=ACTIVE), Action.COMPLETE, END)
    # Completed exactly before the end: the end is that moment.
    last = END - timedelta(seconds=1)
    assert O.transition(ANN, Action.COMPLETE, last).end == last


def test_completing_an_early_activated_shift_before_its_start_keeps_it_well_formed() -> None:
    took_over = BEFORE - timedelta(hours=1)
    early = O.transition(ANN, Action.ACTIVATE, took_over)
    assert early.start == took_over  # the technician took over early: coverage from then
    done = O.transition(early, Action.COMPLETE, BEFORE)
    assert done.status is COMPLETED
    assert (done.start, done.end) == (took_over, BEFORE), done.label()
    # activated and completed at the same instant: still a (one-second) shift
    same = O.transition(O.transition(ANN, Action.ACTIVATE, BEFORE), Action.COMPLETE, BEFORE)
    assert same.end - same.start == timedelta(seconds=1)


# --- deletion -------------------------------------------------------------------------


@pytest.mark.parametrize("case", STATUSES)
def test_only_scheduled_or_cancelled_shifts_can_be_deleted(case: str) -> None:
    stored, now, status = STATUSES[case]
    shift = replace(ANN, status=stored)
    if status in (SCHEDULED, CANCELLED):
        O.check_delete(shift, now)
        return
    error = reject("shift", f"is {status} and cannot be deleted", O.check_delete, shift, now)
    assert "only scheduled or cancelled shifts can be" in error.reason
    assert "keep it as coverage history" in error.reason
    if status is ACTIVE:
        assert "use `complete` or `cancel`" in error.reason  # the lifecycle actions
    assert "shift #1 (Ann," in error.reason


# --- time zones and daylight saving ---------------------------------------------------


def daily(
    tz: str,
    roster: tuple[str, ...] = ("Ann", "Bob", "Cat"),
    anchor: date | None = None,
    handoff: time = time(8, 0),
) -> OnCallSettings:
    return OnCallSettings(
        cadence=Cadence.DAILY, roster=roster, timezone=tz, anchor=anchor, handoff=handoff
    )


@pytest.mark.parametrize(
    ("tz", "day", "first_utc", "change_utc", "after_utc", "length"),
    [
        # New York springs forward on Sunday 8 March 2026 (02:00 EST -> 03:00 EDT).
        (NY, date(2026, 3, 7), utc(2026, 3, 7, 13), utc(2026, 3, 8, 12), utc(2026, 3, 9, 12), 23),
        # ... and falls back on Sunday 1 November 2026 (02:00 EDT -> 01:00 EST).
        (NY, date(2026, 10, 31), utc(2026, 10, 31, 12), utc(2026, 11, 1, 13), utc(2026, 11, 2, 13), 25),
        # London springs forward on Sunday 29 March 2026 (01:00 GMT -> 02:00 BST).
        (LONDON, date(2026, 3, 28), utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), utc(2026, 3, 30, 7), 23),
        # ... and falls back on Sunday 25 October 2026 (02:00 BST -> 01:00 GMT).
        (LONDON, date(2026, 10, 24), utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), utc(2026, 10, 26, 8), 25),
    ],
)  # fmt: skip
def test_daily_rotation_across_a_clock_change_hands_over_at_the_local_handoff(
    tz: str,
    day: date,
    first_utc: datetime,
    change_utc: datetime,
    after_utc: datetime,
    length: int,
) -> None:
    first, second = O.rotation_shifts(daily(tz), day, 2)
    assert span(first) == (first_utc, change_utc)
    assert span(second) == (change_utc, after_utc)
    assert (hours(first), hours(second)) == (length, 24)
    for shift in (first, second):
        wall = (shift.start.astimezone(ZoneInfo(tz)), shift.end.astimezone(ZoneInfo(tz)))
        assert [w.time() for w in wall] == [time(8, 0)] * 2  # 08:00 local, both ends
    # The hand-over happens at the local 08:00, not 24 hours after the previous one.
    tick = timedelta(seconds=1)
    shifts = with_ids([first, second])
    assert O.status_at(first, change_utc - tick) is ACTIVE
    assert O.status_at(first, change_utc) is COMPLETED
    assert O.status_at(second, change_utc - tick) is SCHEDULED
    assert O.status_at(second, change_utc) is ACTIVE
    assert O.on_call(shifts, change_utc - tick).primary == shifts[0]
    assert O.on_call(shifts, change_utc).primary == shifts[1]


def test_weekly_rotation_across_spring_forward_lasts_167_hours() -> None:
    week = OnCallSettings(cadence=Cadence.WEEKLY, roster=("Ann", "Bob"), timezone=NY)
    first, second = O.rotation_shifts(week, date(2026, 3, 2), 2)
    assert (hours(first), hours(second)) == (167, 168)
    assert span(first) == (utc(2026, 3, 2, 13), utc(2026, 3, 9, 12))


def test_status_at_with_local_shift_times_and_utc_instants() -> None:
    # A shift typed in New York, judged at instants in UTC and in London.
    shift = Shift("Ann", local(NY, 2026, 11, 1, 0, 30), local(NY, 2026, 11, 1, 3, 0))
    # 00:30 EDT = 04:30 UTC; 03:00 EST = 08:00 UTC: the fall-back night lasts 3.5 hours.
    assert hours(shift) == 3.5
    tick = timedelta(seconds=1)
    assert O.status_at(shift, utc(2026, 11, 1, 4, 30) - tick) is SCHEDULED
    assert O.status_at(shift, utc(2026, 11, 1, 4, 30)) is ACTIVE
    assert O.status_at(shift, local(LONDON, 2026, 11, 1, 7, 59)) is ACTIVE  # 07:59 GMT
    assert O.status_at(shift, utc(2026, 11, 1, 8) - tick) is ACTIVE
    assert O.status_at(shift, utc(2026, 11, 1, 8)) is COMPLETED


def test_local_instant_in_the_gap_and_in_the_repeated_hour() -> None:
    # 02:30 does not exist in New York on 8 March 2026: it lands an hour later (03:30 EDT).
    gap = O.local_instant(date(2026, 3, 8), time(2, 30), NY)
    assert gap.astimezone(UTC) == utc(2026, 3, 8, 7, 30)
    # 01:30 happens twice on 1 November 2026: the first one (EDT) is taken.
    twice = O.local_instant(date(2026, 11, 1), time(1, 30), NY)
    assert twice.astimezone(UTC) == utc(2026, 11, 1, 5, 30)
    # A handoff inside the gap still gives contiguous shifts.
    first, second = O.rotation_shifts(daily(NY, handoff=time(2, 30)), date(2026, 3, 7), 2)
    assert first.end.astimezone(UTC) == second.start.astimezone(UTC) == utc(2026, 3, 8, 7, 30)
    assert (hours(first), hours(second)) == (24, 23)  # 02:30 EST -> 03:30 EDT -> 02:30 EDT


# --- overlaps -------------------------------------------------------------------------

NOW = utc(2026, 11, 1)
EARLY = utc(2025, 12, 1)  # before every shift of the rotation tests: nothing started yet
PRIMARY = Shift("Ann", utc(2026, 11, 20, 18), utc(2026, 11, 21, 6), id=1)


def test_two_primaries_that_overlap_are_refused() -> None:
    bob = Shift("Bob", utc(2026, 11, 21, 5), utc(2026, 11, 21, 17))
    error = reject("start", "it overlaps shift #1 (Ann,", O.check_shift, bob, [PRIMARY], NOW)
    assert "mark one of them as backup (--backup)" in error.reason
    inside = Shift("Bob", utc(2026, 11, 20, 20), utc(2026, 11, 20, 21))
    reject("start", "overlaps", O.check_shift, inside, [PRIMARY], NOW)


def test_shifts_that_only_touch_do_not_overlap() -> None:
    O.check_shift(Shift("Bob", PRIMARY.end, PRIMARY.end + timedelta(hours=12)), [PRIMARY], NOW)
    O.check_shift(Shift("Ann", PRIMARY.end, PRIMARY.end + timedelta(hours=12)), [PRIMARY], NOW)
    O.check_shift(Shift("Bob", PRIMARY.start - timedelta(hours=1), PRIMARY.start), [PRIMARY], NOW)


def test_a_backup_may_overlap_another_technicians_shift() -> None:
    bob = Shift("Bob", PRIMARY.start, PRIMARY.end, backup=True)
    O.check_shift(bob, [PRIMARY], NOW)
    # a primary over someone else's backup, and two backups of different people
    O.check_shift(replace(PRIMARY, tech="Cat", id=None), [replace(bob, id=2)], NOW)
    O.check_shift(replace(bob, tech="Cat"), [replace(bob, id=2)], NOW)


def test_the_same_technician_is_refused_even_as_backup() -> None:
    again = Shift("Ann", utc(2026, 11, 21, 0), utc(2026, 11, 21, 12), backup=True)
    reject("start", "Ann already has shift #1 (Ann,", O.check_shift, again, [PRIMARY], NOW)
    both_backup = [replace(PRIMARY, backup=True)]
    reject("start", "Ann already has backup shift #1", O.check_shift, again, both_backup, NOW)


def test_a_cancelled_shift_never_clashes() -> None:
    cancelled = replace(PRIMARY, status=CANCELLED)
    O.check_shift(Shift("Bob", PRIMARY.start, PRIMARY.end), [cancelled], NOW)
    O.check_shift(Shift("Ann", PRIMARY.start, PRIMARY.end), [cancelled], NOW)


def test_a_completed_shift_still_clashes() -> None:
    completed = replace(PRIMARY, status=COMPLETED)
    reject(
        "start",
        "overlaps",
        O.check_shift,
        Shift("Bob", PRIMARY.start, PRIMARY.end),
        [completed],
        NOW,
    )


def test_editing_a_shift_does_not_clash_with_itself() -> None:
    longer = replace(PRIMARY, end=PRIMARY.end + timedelta(hours=2), notes="stays late")
    O.check_shift(longer, [PRIMARY], NOW)
    # ... but still with the others
    bob = Shift("Bob", PRIMARY.end + timedelta(hours=1), PRIMARY.end + timedelta(hours=8), id=2)
    reject("start", "shift #2 (Bob,", O.check_shift, longer, [PRIMARY, bob], NOW)
    # a new shift (no id) is not taken for one stored without an id
    reject(
        "start",
        "Bob already has",
        O.check_shift,
        replace(bob, id=None),
        [replace(bob, id=None)],
        NOW,
    )


def test_malformed_shifts_are_refused() -> None:
    a, b = PRIMARY.start, PRIMARY.end
    reject("end", "is not after the start", O.check_shift, Shift("Ann", b, a), [], NOW)
    reject("end", "is not after the start", O.check_shift, Shift("Ann", a, a), [], NOW)
    reject(
        "end",
        "at most 62 days",
        O.check_shift,
        Shift("Ann", a, a + timedelta(days=62, seconds=1)),
        [],
        NOW,
    )
    O.check_shift(Shift("Ann", a, a + timedelta(days=62)), [], NOW)
    reject("notes", "at most 500", O.check_shift, Shift("Ann", a, b, "x" * 501), [], NOW)
    O.check_shift(Shift("Ann", a, b, "x" * 500), [], NOW)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        O.check_shift(Shift("Ann", a.replace(tzinfo=None), b), [], NOW)
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        O.check_shift(Shift("Ann", a, b.replace(tzinfo=None)), [], NOW)


def test_overlap_across_time_zones_compares_instants() -> None:
    # 18:00-06:00 UTC vs 20:00-23:00 in New York (01:00-04:00 UTC): overlap.
    ny = Shift("Bob", local(NY, 2026, 11, 20, 20), local(NY, 2026, 11, 20, 23))
    reject("start", "overlaps", O.check_shift, ny, [PRIMARY], NOW)
    # 07:00-09:00 in London is 07:00-09:00 UTC in November: after Ann's shift.
    O.check_shift(
        Shift("Bob", local(LONDON, 2026, 11, 21, 7), local(LONDON, 2026, 11, 21, 9)), [PRIMARY], NOW
    )


# --- who is on call ------------------------------------------------------------------

AT = utc(2026, 11, 20, 22)


def test_on_call_picks_the_active_primary_and_backup() -> None:
    shifts = [
        PRIMARY,
        Shift("Bob", PRIMARY.start, PRIMARY.end, backup=True, id=2),
        Shift("Cat", PRIMARY.end, PRIMARY.end + timedelta(hours=12), id=3),  # later
        Shift("Dan", PRIMARY.start, PRIMARY.end, status=CANCELLED, id=4),
    ]
    now = O.on_call(shifts, AT)
    assert (now.primary, now.backup) == (shifts[0], shifts[1])
    later = O.on_call(shifts, PRIMARY.end)
    assert (later.primary, later.backup) == (shifts[2], None)
    assert O.on_call(shifts, PRIMARY.start - timedelta(seconds=1)) == O.OnCallNow(None, None)
    assert O.on_call([], AT) == O.OnCallNow()


def test_on_call_backup_only_and_backup_of_the_primary_technician() -> None:
    backup = Shift("Bob", PRIMARY.start, PRIMARY.end, backup=True, id=2)
    assert O.on_call([backup], AT) == O.OnCallNow(None, backup)
    own = Shift("Ann", PRIMARY.start, PRIMARY.end, backup=True, id=3)
    assert O.on_call([PRIMARY, own], AT) == O.OnCallNow(PRIMARY, None)
    assert O.on_call([PRIMARY, own, backup], AT) == O.OnCallNow(PRIMARY, backup)
    late = Shift("Cat", AT - timedelta(hours=1), AT + timedelta(hours=1), backup=True, id=4)
    assert O.on_call([PRIMARY, backup, late], AT).backup == late  # the one that started last


def test_on_call_with_several_active_primaries() -> None:
    # Only an early activation by hand gives two: the override wins, then the later start.
    rotation = replace(PRIMARY, source=ROTATION)
    manual = Shift("Bob", PRIMARY.end, PRIMARY.end + timedelta(hours=8), status=ACTIVE, id=2)
    assert O.on_call([rotation, manual], AT).primary == manual
    over = Shift(
        "Cat", PRIMARY.end, PRIMARY.end + timedelta(hours=8), status=ACTIVE, source=OVERRIDE, id=3
    )
    assert O.on_call([rotation, manual, over], AT).primary == over
    later = replace(
        rotation,
        tech="Dan",
        start=PRIMARY.end,
        end=PRIMARY.end + timedelta(hours=1),
        status=ACTIVE,
        id=4,
    )
    assert O.on_call([rotation, later], AT).primary == later


# --- rotation -------------------------------------------------------------------------

ROSTER = ("Ann", "Bob", "Cat")


def techs(shifts: Iterable[Shift]) -> list[str]:
    return [s.tech for s in shifts]


def contiguous(shifts: Sequence[Shift]) -> bool:
    return all(a.end == b.start for a, b in itertools.pairwise(shifts))


def test_daily_rotation_goes_round_the_roster() -> None:
    shifts = O.rotation_shifts(daily("UTC", ROSTER), date(2026, 11, 16), 4)
    assert techs(shifts) == ["Ann", "Bob", "Cat", "Ann"]
    assert [s.start for s in shifts] == [utc(2026, 11, d, 8) for d in (16, 17, 18, 19)]
    assert shifts[-1].end == utc(2026, 11, 20, 8)
    assert contiguous(shifts)
    for shift in shifts:
        assert (shift.status, shift.source, shift.backup, shift.id) == (
            SCHEDULED,
            ROTATION,
            False,
            None,
        )


@pytest.mark.parametrize(("cadence", "days"), [(Cadence.WEEKLY, 7), (Cadence.BIWEEKLY, 14)])
def test_weekly_and_biweekly_rotation(cadence: Cadence, days: int) -> None:
    every = OnCallSettings(cadence=cadence, roster=ROSTER, handoff=time(9, 30))
    shifts = O.rotation_shifts(every, date(2026, 11, 16), 4)
    assert techs(shifts) == ["Ann", "Bob", "Cat", "Ann"]
    start = utc(2026, 11, 16, 9, 30)
    assert [s.start for s in shifts] == [start + timedelta(days=days * k) for k in range(4)]
    assert all(hours(s) == days * 24 for s in shifts) and contiguous(shifts)


@pytest.mark.parametrize(
    ("anchor", "ends"),
    [
        (date(2027, 1, 31), [date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30), date(2027, 5, 31)]),
        (date(2028, 1, 31), [date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30), date(2028, 5, 31)]),
        (date(2026, 11, 15), [date(2026, 12, 15), date(2027, 1, 15), date(2027, 2, 15), date(2027, 3, 15)]),
    ],
)  # fmt: skip
def test_monthly_rotation_from_a_month_end_anchor(anchor: date, ends: list[date]) -> None:
    monthly = OnCallSettings(cadence=Cadence.MONTHLY, roster=ROSTER, anchor=anchor)
    shifts = O.rotation_shifts(monthly, anchor, 4)
    assert [s.start for s in shifts] == [
        O.local_instant(d, time(8), "UTC") for d in [anchor, *ends[:-1]]
    ]
    assert [s.end.date() for s in shifts] == ends
    assert techs(shifts) == ["Ann", "Bob", "Cat", "Ann"] and contiguous(shifts)


def test_monthly_rotation_from_a_later_start_continues_from_the_anchor() -> None:
    monthly = OnCallSettings(cadence=Cadence.MONTHLY, roster=ROSTER, anchor=date(2027, 1, 31))
    # 15 March is in the second period (28 Feb - 31 Mar): Bob's, from the 15th's handoff.
    shifts = O.rotation_shifts(monthly, date(2027, 3, 15), 2)
    assert techs(shifts) == ["Bob", "Cat"]
    assert span(shifts[0]) == (utc(2027, 3, 15, 8), utc(2027, 3, 31, 8))
    assert span(shifts[1]) == (utc(2027, 3, 31, 8), utc(2027, 4, 30, 8))
    # 28 February itself starts that period, 27 February is still Ann's.
    assert techs(O.rotation_shifts(monthly, date(2027, 2, 28), 1)) == ["Bob"]
    first = O.rotation_shifts(monthly, date(2027, 2, 27), 1)
    assert techs(first) == ["Ann"] and span(first[0]) == (utc(2027, 2, 27, 8), utc(2027, 2, 28, 8))


def test_weekly_rotation_from_a_later_start_continues_the_roster_order() -> None:
    weekly = OnCallSettings(roster=ROSTER, anchor=date(2026, 1, 1))  # weekly by default
    shifts = O.rotation_shifts(weekly, date(2026, 1, 20), 3)
    # 20 Jan is in the third week from 1 Jan (15-22 Jan): Cat, then Ann, then Bob.
    assert techs(shifts) == ["Cat", "Ann", "Bob"]
    assert span(shifts[0]) == (utc(2026, 1, 20, 8), utc(2026, 1, 22, 8))
    assert span(shifts[1]) == (utc(2026, 1, 22, 8), utc(2026, 1, 29, 8))
    # Without an anchor the roster starts at `start`.
    assert techs(O.rotation_shifts(replace(weekly, anchor=None), date(2026, 1, 20), 2)) == [
        "Ann",
        "Bob",
    ]


def test_daily_rotation_before_its_anchor_goes_round_backwards() -> None:
    shifts = O.rotation_shifts(daily("UTC", ROSTER, anchor=date(2026, 1, 10)), date(2026, 1, 8), 3)
    assert techs(shifts) == ["Bob", "Cat", "Ann"]


def test_rotation_needs_a_roster_and_a_sane_number_of_periods() -> None:
    reject("roster", "roster is empty", O.rotation_shifts, OnCallSettings(), date(2026, 1, 1), 1)
    for periods in (0, -1, 367):
        reject(
            "periods",
            "must be from 1 to 366",
            O.rotation_shifts,
            daily("UTC"),
            date(2026, 1, 1),
            periods,
        )
    assert len(O.rotation_shifts(daily("UTC"), date(2026, 1, 1), 366)) == 366


def test_rotate_into_an_empty_calendar_adds_the_roster() -> None:
    changes = O.rotate(daily("UTC", ROSTER), date(2026, 11, 16), 3, [], NOW)
    assert changes.update == () and changes.delete == ()
    assert list(changes.add) == O.rotation_shifts(daily("UTC", ROSTER), date(2026, 11, 16), 3)


def test_regenerating_replaces_scheduled_rotation_shifts_and_keeps_the_rest() -> None:
    old = daily("UTC", ("Ann", "Bob"), anchor=date(2026, 11, 16))
    stored = with_ids(O.rotation_shifts(old, date(2026, 11, 16), 4))  # Ann Bob Ann Bob
    eve = Shift("Dan", utc(2026, 11, 18, 12), utc(2026, 11, 18, 18), id=10)  # made by hand
    backup = Shift("Cat", utc(2026, 11, 17, 8), utc(2026, 11, 19, 8), backup=True, id=11)
    gone = Shift("Bob", utc(2026, 11, 19, 8), utc(2026, 11, 19, 20), status=CANCELLED, id=12)
    shifts = [*stored, eve, backup, gone]
    now = utc(2026, 11, 16, 12)  # the first rotation shift is active (by the clock)
    new = replace(old, roster=("Cat", "Dan"))
    changes = O.rotate(new, date(2026, 11, 16), 4, shifts, now)
    assert changes.update == ()
    assert [s.id for s in changes.delete] == [2, 3, 4]  # scheduled rotation shifts only
    added = [(s.tech, *span(s)) for s in changes.add]
    assert added == [
        # 16 Nov is Ann's active shift: kept, nothing added over it
        ("Dan", utc(2026, 11, 17, 8), utc(2026, 11, 18, 8)),
        ("Cat", utc(2026, 11, 18, 8), utc(2026, 11, 18, 12)),  # around Dan's own shift
        ("Cat", utc(2026, 11, 18, 18), utc(2026, 11, 19, 8)),
        ("Dan", utc(2026, 11, 19, 8), utc(2026, 11, 20, 8)),  # a cancelled shift is no hole
    ]
    assert all(s.source is ROTATION and s.status is SCHEDULED for s in changes.add)
    after = applied(shifts, changes)
    assert_no_primary_overlap(after, now)
    assert O.on_call(after, now).primary == stored[0]
    assert O.on_call(after, utc(2026, 11, 18, 13)) == O.OnCallNow(eve, backup)
    assert O.on_call(after, utc(2026, 11, 18, 19)).primary.tech == "Cat"


def test_regenerating_twice_changes_nothing() -> None:
    every = daily("UTC", ROSTER, anchor=date(2026, 11, 16))
    stored = with_ids(O.rotation_shifts(every, date(2026, 11, 16), 3))
    changes = O.rotate(every, date(2026, 11, 16), 3, stored, NOW)
    assert [s.id for s in changes.delete] == [1, 2, 3]
    assert list(changes.add) == [replace(s, id=None) for s in stored]


def test_regenerating_from_mid_period_keeps_the_running_period_whole() -> None:
    weekly = OnCallSettings(roster=ROSTER, anchor=date(2026, 1, 1))
    stored = with_ids(O.rotation_shifts(weekly, date(2026, 1, 1), 3))  # Ann Bob Cat
    changes = O.rotate(
        replace(weekly, roster=("Dan", "Cat", "Bob")), date(2026, 1, 10), 2, stored, EARLY
    )
    # Bob's week (8-15 Jan) began before the 10th: kept whole; Cat's is replaced by Bob's.
    assert [s.id for s in changes.delete] == [3]
    assert [(s.tech, *span(s)) for s in changes.add] == [
        ("Bob", utc(2026, 1, 15, 8), utc(2026, 1, 22, 8))
    ]
    assert_no_primary_overlap(applied(stored, changes), EARLY)


def test_regenerating_a_shorter_span_keeps_the_coverage_after_it() -> None:
    monthly = OnCallSettings(
        cadence=Cadence.MONTHLY, roster=("Ann", "Bob"), anchor=date(2026, 1, 1)
    )
    stored = with_ids(O.rotation_shifts(monthly, date(2026, 1, 1), 2))  # Ann Jan, Bob Feb
    weekly = replace(monthly, cadence=Cadence.WEEKLY)
    changes = O.rotate(weekly, date(2026, 1, 1), 4, stored, EARLY)  # 1-29 January
    after = applied(stored, changes)
    assert_no_primary_overlap(after, EARLY)
    # 30 January was Ann's (monthly): the weekly span does not reach it, so it stays covered.
    assert O.on_call(after, utc(2026, 1, 30, 12)).primary is not None


def test_rotation_fills_around_an_override() -> None:
    every = daily("UTC", ("Ann", "Bob"), anchor=date(2026, 11, 16))
    stored = with_ids(O.rotation_shifts(every, date(2026, 11, 16), 2))
    over = Shift("Cat", utc(2026, 11, 16, 20), utc(2026, 11, 17, 2))
    shifts = applied(stored, O.override(over, stored, NOW))
    changes = O.rotate(every, date(2026, 11, 16), 2, shifts, NOW)
    after = applied(shifts, changes)
    assert_no_primary_overlap(after, NOW)
    cover = [(s.tech, *span(s)) for s in sorted(live_primaries(after, NOW), key=lambda s: s.start)]
    assert cover == [
        ("Ann", utc(2026, 11, 16, 8), utc(2026, 11, 16, 20)),
        ("Cat", utc(2026, 11, 16, 20), utc(2026, 11, 17, 2)),
        ("Ann", utc(2026, 11, 17, 2), utc(2026, 11, 17, 8)),
        ("Bob", utc(2026, 11, 17, 8), utc(2026, 11, 18, 8)),
    ]


def test_rotation_drops_pieces_shorter_than_a_minute() -> None:
    every = daily("UTC", ("Ann",))
    hand = Shift("Bob", utc(2026, 11, 16, 8, 0, 30), utc(2026, 11, 17, 7, 59, 30), id=1)
    (piece,) = O.rotate(every, date(2026, 11, 16), 2, [hand], NOW).add
    assert span(piece) == (utc(2026, 11, 17, 8), utc(2026, 11, 18, 8))


# --- overrides ------------------------------------------------------------------------

DAY = with_ids(rota(
    ("Ann", utc(2026, 11, 16, 8), utc(2026, 11, 17, 8)),
    ("Bob", utc(2026, 11, 17, 8), utc(2026, 11, 18, 8)),
))  # fmt: skip


def test_an_override_splits_a_rotation_shift_into_head_and_tail() -> None:
    over = Shift("Cat", utc(2026, 11, 16, 12), utc(2026, 11, 16, 18), "dentist", backup=True)
    changes = O.override(over, DAY, NOW)
    assert changes.delete == ()
    assert changes.update == (replace(DAY[0], end=utc(2026, 11, 16, 12)),)
    assert changes.add == (
        replace(over, source=OVERRIDE, backup=False),  # an override is always the primary
        replace(DAY[0], id=None, start=utc(2026, 11, 16, 18)),
    )
    after = applied(DAY, changes)
    assert_no_primary_overlap(after, NOW)
    who = [O.on_call(after, utc(2026, 11, 16, h)).primary.tech for h in (11, 12, 17, 18)]
    assert who == ["Ann", "Cat", "Cat", "Ann"]


def test_an_override_over_a_whole_rotation_shift_cancels_it() -> None:
    shifts = [replace(DAY[0], notes="swap with Bob"), DAY[1]]
    over = Shift("Cat", utc(2026, 11, 16, 6), utc(2026, 11, 17, 12))
    changes = O.override(over, shifts, NOW)
    assert changes.update == (
        replace(shifts[0], status=CANCELLED, notes="swap with Bob; replaced by an override"),
        replace(DAY[1], start=utc(2026, 11, 17, 12)),  # the tail of Bob's is all that is left
    )
    assert changes.add == (replace(over, source=OVERRIDE),)
    plain = O.override(replace(over, end=utc(2026, 11, 17, 8)), DAY, NOW)
    assert plain.update[0].notes == "replaced by an override"
    assert_no_primary_overlap(applied(shifts, changes), NOW)


def test_an_override_refuses_to_clash_with_a_hand_made_shift() -> None:
    hand = Shift("Dan", utc(2026, 11, 16, 20), utc(2026, 11, 16, 22), id=9)
    over = Shift("Cat", utc(2026, 11, 16, 12), utc(2026, 11, 16, 21))
    reject("start", "it overlaps shift #9 (Dan,", O.override, over, [*DAY, hand], NOW)
    first = O.override(replace(over, end=utc(2026, 11, 16, 20)), DAY, NOW)
    shifts = applied(DAY, first)
    reject(
        "start",
        "overlaps",
        O.override,
        Shift("Dan", utc(2026, 11, 16, 19), utc(2026, 11, 16, 23)),
        shifts,
        NOW,
    )
    # someone else's backup is no clash; the same technician's is
    backup = Shift("Dan", utc(2026, 11, 16, 0), utc(2026, 11, 17, 0), backup=True, id=9)
    O.override(over, [*DAY, backup], NOW)
    reject(
        "start",
        "Dan already has backup shift #9",
        O.override,
        replace(over, tech="Dan"),
        [*DAY, backup],
        NOW,
    )


def test_an_override_leaves_finished_rotation_shifts_alone() -> None:
    cancelled = [replace(DAY[0], status=CANCELLED), DAY[1]]
    over = Shift("Cat", utc(2026, 11, 16, 12), utc(2026, 11, 16, 18))
    assert O.override(over, cancelled, NOW).update == ()
    # ...and the head of an active one stays active
    now = utc(2026, 11, 16, 10)
    ticked = [O.with_clock(DAY[0], now), DAY[1]]
    changes = O.override(over, ticked, now)
    assert changes.update[0].status is ACTIVE and changes.update[0].end == over.start
    assert changes.add[1].status is SCHEDULED


# --- a property: rotation, hand-made shifts and overrides never give two primaries ----


hour_slots = st.integers(min_value=0, max_value=24 * 6 - 1)


@settings(max_examples=150, deadline=None)
@given(
    cadence=st.sampled_from(list(Cadence)),
    tz=st.sampled_from(["UTC", NY, LONDON]),
    hand=st.lists(st.tuples(hour_slots, st.integers(1, 30)), max_size=4),
    over=st.tuples(hour_slots, st.integers(1, 60)),
    regenerate=st.booleans(),
)
def test_rotation_and_overrides_keep_one_primary_at_a_time(
    cadence: Cadence,
    tz: str,
    hand: list[tuple[int, int]],
    over: tuple[int, int],
    regenerate: bool,
) -> None:
    base = utc(2026, 10, 20)  # around the October/November clock changes
    shifts: list[Shift] = []
    for offset, length in hand:
        new = Shift("Dan", base + timedelta(hours=offset), base + timedelta(hours=offset + length))
        try:
            O.check_shift(new, shifts, EARLY)
        except InvalidInput:
            continue
        shifts = with_ids([*shifts, new])
    every = OnCallSettings(cadence=cadence, roster=ROSTER, timezone=tz, anchor=date(2026, 10, 1))
    shifts = applied(shifts, O.rotate(every, date(2026, 10, 20), 3, shifts, EARLY))
    assert_no_primary_overlap(shifts, EARLY)
    new = Shift("Cat", base + timedelta(hours=over[0]), base + timedelta(hours=sum(over)))
    try:
        shifts = applied(shifts, O.override(new, shifts, EARLY))
    except InvalidInput as exc:
        assert exc.field == "start"  # it hit Dan's hand-made shift
        assert any(s.source is MANUAL and s.start < new.end and new.start < s.end for s in shifts)
    assert_no_primary_overlap(shifts, EARLY)
    if regenerate:
        shifts = applied(shifts, O.rotate(every, date(2026, 10, 20), 3, shifts, EARLY))
        assert_no_primary_overlap(shifts, EARLY)


# --- settings -------------------------------------------------------------------------


def setting(key: str, raw: str) -> object:
    return O.parse_setting(key, raw, "US", USERS, NUMBERS)


@pytest.mark.parametrize(
    ("key", "raw", "value"),
    [
        ("shift_hours", " 8 ", 8),
        ("shift_hours", "1", 1),
        ("shift_hours", "1488", 62 * 24),
        ("sla_minutes", "45", 45),
        ("sla_minutes", "1440", 1440),
        ("cadence", "Daily", Cadence.DAILY),
        ("cadence", "weekly", Cadence.WEEKLY),
        ("cadence", "biweekly", Cadence.BIWEEKLY),
        ("cadence", "every two weeks", Cadence.BIWEEKLY),
        ("cadence", "Every-Two-Weeks", Cadence.BIWEEKLY),
        ("cadence", "fortnightly", Cadence.BIWEEKLY),
        ("cadence", "MONTHLY", Cadence.MONTHLY),
        ("roster", "Ann, Bob ,Cat", ("Ann", "Bob", "Cat")),
        ("roster", "Bob,,Ann,", ("Bob", "Ann")),
        ("roster", "", ()),
        ("handoff", "08:00", time(8, 0)),
        ("handoff", "7:30", time(7, 30)),
        ("handoff", "23:59", time(23, 59)),
        ("timezone", "america/new_york", NY),
        ("timezone", "Europe/London", LONDON),
        ("anchor", "2026-01-31", date(2026, 1, 31)),
        ("anchor", "", None),
        ("emergency_number", "(312) 555-0120", "+13125550120"),
        ("emergency_number", "+1 312 555 0100", "+13125550100"),
        ("emergency_number", " ", None),
        ("auto_notify", "yes", True),
        ("auto_notify", "ON", True),
        ("auto_notify", "1", True),
        ("auto_notify", "false", False),
        ("auto_notify", "No", False),
        ("auto_notify", "0", False),
        ("business_name", "  Acme Heating & Air ", "Acme Heating & Air"),
        ("business_name", "", ""),
    ],
)
def test_parse_setting(key: str, raw: str, value: object) -> None:
    assert setting(key, raw) == value


@pytest.mark.parametrize(
    ("key", "raw", "shown"),
    [
        ("shift_hours", "0", "'0' is not a whole number from 1 to 1488"),
        ("shift_hours", "1489", "from 1 to 1488"),
        ("shift_hours", "12.5", "is not a whole number"),
        ("shift_hours", "-3", "is not a whole number"),
        ("shift_hours", "", "is not a whole number"),
        ("shift_hours", "twelve", "is not a whole number"),
        ("sla_minutes", "0", "from 1 to 1440"),
        ("sla_minutes", "1441", "from 1 to 1440"),
        ("cadence", "hourly", "'hourly' is not one of daily, weekly, biweekly, monthly"),
        ("cadence", "", "is not one of"),
        ("roster", "Ann,Zed", "user 'Zed' does not exist"),
        ("roster", "ann", "user 'ann' does not exist"),
        ("roster", "Ann,Bob,Ann", "a technician is listed twice"),
        ("handoff", "24:00", "'24:00' is not a time of day (HH:MM)"),
        ("handoff", "8", "is not a time of day"),
        ("handoff", "08:60", "is not a time of day"),
        ("handoff", "8am", "is not a time of day"),
        ("timezone", "Mars/Olympus", "unknown time zone"),
        ("timezone", "", "no time zone given"),
        ("anchor", "31/01/2026", "'31/01/2026' is not a date (YYYY-MM-DD)"),
        ("anchor", "2026-02-30", "is not a date"),
        ("emergency_number", "+13125550199", "+13125550199 is not one of our business numbers"),
        ("emergency_number", "12", "is not a valid phone number"),
        ("auto_notify", "maybe", "'maybe' is not true or false"),
        ("business_name", "x" * 81, "at most 80 printable characters"),
        ("business_name", "Acme\nHeating", "at most 80 printable characters"),
    ],
)
def test_bad_setting_values_name_the_key(key: str, raw: str, shown: str) -> None:
    reject(key, shown, setting, key, raw)


def test_an_unknown_setting_is_refused_with_the_list() -> None:
    error = reject("setting", "unknown setting 'colour'", setting, "colour", "red")
    assert ", ".join(O.SETTING_KEYS) in error.reason


@pytest.mark.parametrize("key", ["shift_hours", "sla_minutes"])
def test_integer_settings_refuse_digits_int_cannot_read(key: str) -> None:
    reject(key, "is not a whole number", setting, key, "1²")


def test_apply_settings_sets_each_key() -> None:
    pairs = [
        "shift_hours=10", "cadence=daily", "roster=Bob,Ann", "handoff=07:00",
        "timezone=America/Chicago", "anchor=2026-11-16", "emergency-number=3125550120",
        "sla_minutes=20", "auto_notify=off", "business_name=Acme = Heating",
    ]  # fmt: skip
    result = O.apply_settings(OnCallSettings(), pairs, "US", USERS, NUMBERS)
    assert result == OnCallSettings(
        shift_hours=10,
        cadence=Cadence.DAILY,
        roster=("Bob", "Ann"),
        handoff=time(7, 0),
        timezone=CHICAGO,
        anchor=date(2026, 11, 16),
        emergency_number="+13125550120",
        sla_minutes=20,
        auto_notify=False,
        business_name="Acme = Heating",
    )
    # a key left out keeps its value; an empty value clears an optional one
    cleared = O.apply_settings(result, ["anchor=", "emergency_number="], "US", USERS, NUMBERS)
    assert cleared == replace(result, anchor=None, emergency_number=None)
    assert O.apply_settings(result, [], "US") == result


def test_apply_settings_is_all_or_nothing() -> None:
    before = OnCallSettings(shift_hours=12)
    reject(
        "cadence", "'hourly'", O.apply_settings, before, ["shift_hours=8", "cadence=hourly"], "US"
    )
    reject("set", "'shift_hours' is not key=value", O.apply_settings, before, ["shift_hours"], "US")
    reject("set", "'=8' is not key=value", O.apply_settings, before, ["=8"], "US")
    reject("setting", "unknown setting 'colour'", O.apply_settings, before, ["colour=red"], "US")
    # the users and numbers given are what references are checked against
    reject("roster", "'Ann' does not exist", O.apply_settings, before, ["roster=Ann"], "US")
    reject(
        "emergency_number",
        "not one of our business numbers",
        O.apply_settings,
        before,
        ["emergency_number=+13125550100"],
        "US",
        USERS,
        (),
    )
    assert before == OnCallSettings(shift_hours=12)


def test_settings_text_round_trip() -> None:
    assert O.settings_from_text(O.settings_text(OnCallSettings())) == OnCallSettings()
    custom = OnCallSettings(
        shift_hours=10,
        cadence=Cadence.BIWEEKLY,
        roster=("Cat", "Ann"),
        handoff=time(7, 30),
        timezone=LONDON,
        anchor=date(2027, 1, 31),
        emergency_number="+13125550120",
        sla_minutes=15,
        auto_notify=False,
        business_name="Acme Heating",
        accept_prompt="Press 1 to take this job.",
    )
    text = O.settings_text(custom)
    assert text == {
        "shift_hours": "10", "cadence": "biweekly", "roster": "Cat,Ann", "handoff": "07:30",
        "timezone": LONDON, "anchor": "2027-01-31", "emergency_number": "+13125550120",
        "sla_minutes": "15", "auto_notify": "false", "business_name": "Acme Heating",
        "accept_prompt": "Press 1 to take this job.",
    }  # fmt: skip
    assert set(text) == set(O.SETTING_KEYS)
    assert O.settings_from_text(text) == custom
    # what a settings command stores reads back as what it set
    typed = O.apply_settings(custom, ["roster=Dan,Bob", "handoff=6:05"], "US", USERS, NUMBERS)
    assert O.settings_from_text(O.settings_text(typed)) == typed


def test_stored_settings_that_no_longer_parse_keep_the_default() -> None:
    stored = {
        "shift_hours": "lots", "cadence": "hourly", "timezone": "Mars/Olympus",
        "roster": "Ann, Gone", "emergency_number": "+13125550199", "colour": "red",
        "sla_minutes": "15",
    }  # fmt: skip
    assert O.settings_from_text(stored) == OnCallSettings(
        roster=("Ann", "Gone"), emergency_number="+13125550199", sla_minutes=15
    )


# --- parse_when -----------------------------------------------------------------------

# 21 November 2026, 03:00 UTC: still 20 November in New York.
TYPED_AT = utc(2026, 11, 21, 3)


def when(raw: str, tz: str = NY, now: datetime = TYPED_AT) -> datetime:
    return O.parse_when(raw, tz, "start", now)


@pytest.mark.parametrize(
    ("raw", "instant"),
    [
        ("2026-11-21T18:00:00-05:00", utc(2026, 11, 21, 23)),
        ("2026-11-21T18:00+01:00", utc(2026, 11, 21, 17)),
        ("2026-11-21T18:00Z", utc(2026, 11, 21, 18)),
        ("2026-11-21 18:00:00+00:00", utc(2026, 11, 21, 18)),
        ("2026-11-21 18:00", utc(2026, 11, 21, 23)),  # local: EST
        ("2026-11-21T18:00", utc(2026, 11, 21, 23)),
        ("2026-07-01 18:00", utc(2026, 7, 1, 22)),  # local: EDT
        ("2026-11-21", utc(2026, 11, 21, 5)),  # midnight
        ("18:00", utc(2026, 11, 20, 23)),  # today in New York is the 20th
        ("  06:30 ", utc(2026, 11, 20, 11, 30)),
        ("now", TYPED_AT),
        ("NOW", TYPED_AT),
    ],
)
def test_parse_when(raw: str, instant: datetime) -> None:
    got = when(raw)
    assert got.tzinfo is not None and got == instant


def test_parse_when_reads_a_local_time_in_the_zone() -> None:
    assert when("2026-11-21 18:00") == local(NY, 2026, 11, 21, 18)
    assert when("18:00", LONDON) == local(LONDON, 2026, 11, 21, 18)  # the 21st in London


def test_parse_when_the_repeated_hour_is_its_first_time() -> None:
    # (compared in UTC: == between zones is always False for an ambiguous time, PEP 495)
    assert when("2026-11-01 01:30").astimezone(UTC) == utc(2026, 11, 1, 5, 30)
    assert when("2026-10-25 01:30", LONDON).astimezone(UTC) == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(
    ("raw", "tz", "now"),
    [
        ("2026-03-08 02:30", NY, TYPED_AT),
        ("2026-03-08T02:00", NY, TYPED_AT),
        ("02:30", NY, utc(2026, 3, 8, 12)),  # "today" is the spring-forward day
        ("2026-03-29 01:15", LONDON, TYPED_AT),
    ],
)
def test_parse_when_refuses_a_time_the_clocks_skip(raw: str, tz: str, now: datetime) -> None:
    reject("start", f"does not exist in {tz} (the clocks skip it)", when, raw, tz, now)


def test_parse_when_just_around_the_gap() -> None:
    assert when("2026-03-08 01:59") == utc(2026, 3, 8, 6, 59)
    assert when("2026-03-08 03:00") == utc(2026, 3, 8, 7)


@pytest.mark.parametrize(
    "raw", ["tomorrow", "2026-13-01 10:00", "25:00", "18h00", "2026-11-21 18:00 EST"]
)
def test_parse_when_refuses_what_is_not_a_time(raw: str) -> None:
    reject("start", "is not a time (e.g. '2026-11-21 18:00', '18:00', 'now')", when, raw)


def test_parse_when_refuses_nothing_and_names_the_field() -> None:
    reject("end", "no time given", O.parse_when, "  ", NY, "end", TYPED_AT)


def test_parse_when_a_time_with_a_one_digit_hour() -> None:
    assert when("8:00") == local(NY, 2026, 11, 20, 8)


# --- the emergency call log -----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "outcome"),
    [
        ("Dispatched", Outcome.DISPATCHED),
        ("resolved", Outcome.RESOLVED),
        ("no answer", Outcome.NO_ANSWER),
        ("no-answer", Outcome.NO_ANSWER),
        ("NO_ANSWER", Outcome.NO_ANSWER),
        ("noanswer", Outcome.NO_ANSWER),
        (" Declined ", Outcome.DECLINED),
    ],
)
def test_parse_outcome(raw: str, outcome: Outcome) -> None:
    assert O.parse_outcome(raw) is outcome


def test_parse_outcome_and_check_entry_refuse_bad_values() -> None:
    reject(
        "outcome",
        "'fixed' is not one of Dispatched, Resolved, No Answer, Declined",
        O.parse_outcome,
        "fixed",
    )
    entry = EmergencyCall(1, "Dana", "+13125550177", AT)
    O.check_entry(entry)
    O.check_entry(replace(entry, response_minutes=0))
    O.check_entry(replace(entry, response_minutes=7 * 24 * 60))
    reject(
        "customer", "a customer name is required", O.check_entry, replace(entry, customer_name=" ")
    )
    reject(
        "response", "is not a number of minutes", O.check_entry, replace(entry, response_minutes=-1)
    )
    reject(
        "response",
        "is not a number of minutes",
        O.check_entry,
        replace(entry, response_minutes=7 * 24 * 60 + 1),
    )
    reject("issue", "at most 2000", O.check_entry, replace(entry, issue="x" * 2001))
    reject("notes", "at most 2000", O.check_entry, replace(entry, notes="x" * 2001))


# --- dashboard ------------------------------------------------------------------------


def call(
    received: datetime, outcome: Outcome | None = None, minutes: float | None = None
) -> EmergencyCall:
    return EmergencyCall(
        1, "Dana", "+13125550177", received, outcome=outcome, response_minutes=minutes
    )


@pytest.mark.parametrize(
    ("average", "target", "expected"),
    [
        (None, 30, None),
        (0.0, 30, Tone.WITHIN),
        (24.0, 30, Tone.WITHIN),  # 80% of the target
        (24.1, 30, Tone.NEAR),
        (30.0, 30, Tone.NEAR),
        (30.1, 30, Tone.BREACHED),
        (8.0, 10, Tone.WITHIN),
        (8.1, 10, Tone.NEAR),
        (10.1, 10, Tone.BREACHED),
        (5.6, 7, Tone.WITHIN),  # 0.8 * 7 is 5.6000000000000005 in floats: no surprise
        (0.8, 1, Tone.WITHIN),
        (1.0, 1, Tone.NEAR),
    ],
)
def test_tone_thresholds(average: float | None, target: int, expected: Tone | None) -> None:
    assert O.tone(average, target) is expected


def test_tone_at_exactly_80_percent_is_within_for_every_target() -> None:
    for target in range(1, 24 * 60 + 1):  # every sla_minutes the settings accept
        at_80 = round(target * 8 / 10, 1)  # an average as the dashboard rounds it
        assert O.tone(at_80, target) is Tone.WITHIN, target
        assert O.tone(at_80 + 0.1, target) is Tone.NEAR, target
        assert O.tone(float(target), target) is Tone.NEAR, target
        assert O.tone(target + 0.1, target) is Tone.BREACHED, target


def test_month_start_is_local_midnight_of_the_first() -> None:
    # 1 December 03:00 UTC is still 30 November in New York: November began 04:00 UTC (EDT).
    assert O.month_start(utc(2026, 12, 1, 3), NY) == utc(2026, 11, 1, 4)
    assert O.month_start(utc(2026, 12, 1, 5), NY) == utc(2026, 12, 1, 5)
    assert O.month_start(utc(2026, 4, 15), LONDON) == utc(2026, 3, 31, 23)  # BST
    assert O.month_start(utc(2026, 4, 15), "UTC") == utc(2026, 4, 1)


def test_dashboard_counts_this_months_calls_in_the_settings_time_zone() -> None:
    now = utc(2026, 12, 1, 3)  # 30 November, 22:00 in New York
    calls = [
        call(utc(2026, 11, 1, 3, 59), Outcome.DISPATCHED, 5),  # 31 October in New York
        call(utc(2026, 11, 1, 4), Outcome.DISPATCHED, 10),  # the first instant of November
        call(utc(2026, 11, 15), Outcome.DISPATCHED, 12.5),
        call(utc(2026, 11, 20), Outcome.RESOLVED, 20),
        call(utc(2026, 11, 21), Outcome.NO_ANSWER),
        call(utc(2026, 11, 22), Outcome.DECLINED),
        call(utc(2026, 11, 30), None),  # outcome not known yet
        call(now, Outcome.RESOLVED, 1),  # right now: counted
        call(now + timedelta(seconds=1), Outcome.RESOLVED, 99),  # later: not yet
    ]
    shifts = [
        Shift("Ann", now - timedelta(hours=1), now + timedelta(hours=1)),  # active by the clock
        Shift("Bob", now + timedelta(hours=1), now + timedelta(hours=9)),  # scheduled
        Shift("Cat", now + timedelta(hours=9), now + timedelta(hours=19), status=ACTIVE),  # early
        Shift("Dan", now + timedelta(hours=9), now + timedelta(hours=19), status=CANCELLED),
        Shift("Dan", now - timedelta(hours=9), now - timedelta(hours=1)),  # over
    ]
    board = O.dashboard(shifts, calls, OnCallSettings(timezone=NY, sla_minutes=15), now)
    assert (board.active, board.scheduled, board.calls_this_month) == (2, 1, 7)
    assert board.outcomes == {"Dispatched": 2, "Resolved": 2, "No Answer": 1, "Declined": 1}
    # (10 + 12.5 + 20 + 1) / 4 = 10.875 -> 10.9, within 80% of 15 (12)
    assert board.average_response == 10.9
    assert (board.sla_minutes, board.tone) == (15, Tone.WITHIN)
    # In UTC that instant is already December: only the call received right now counts.
    assert O.dashboard([], calls, OnCallSettings(), now).calls_this_month == 1
    # ... and an hour before midnight UTC, November includes the 1 November 03:59 UTC call.
    november = O.dashboard([], calls, OnCallSettings(), utc(2026, 11, 30, 23))
    assert november.calls_this_month == 7


@pytest.mark.parametrize(
    ("minutes", "average", "tone"),
    [
        ([12, 12, 12], 12.0, Tone.WITHIN),
        ([10, 14.6], 12.3, Tone.NEAR),
        ([11.9, 12.14], 12.0, Tone.WITHIN),  # 12.02 rounds to 12.0: 80% of 15 exactly
        ([13, 14, 15], 14.0, Tone.NEAR),
        ([15, 15], 15.0, Tone.NEAR),
        ([15, 15.2], 15.1, Tone.BREACHED),
        ([1, 2, 2], 1.7, Tone.WITHIN),
    ],
)
def test_dashboard_average_response_and_tone(
    minutes: list[float], average: float, tone: Tone
) -> None:
    now = utc(2026, 11, 20)
    calls = [
        call(now - timedelta(hours=i + 1), Outcome.DISPATCHED, m) for i, m in enumerate(minutes)
    ]
    board = O.dashboard([], calls, OnCallSettings(sla_minutes=15), now)
    assert (board.average_response, board.tone) == (average, tone)


def test_dashboard_without_response_times_has_no_average() -> None:
    now = utc(2026, 11, 20)
    calls = [call(now - timedelta(hours=1), Outcome.NO_ANSWER), call(now - timedelta(hours=2))]
    board = O.dashboard([], calls, OnCallSettings(), now)
    assert (board.calls_this_month, board.average_response, board.tone) == (2, None, None)
    assert board.outcomes == {"Dispatched": 0, "Resolved": 0, "No Answer": 1, "Declined": 0}
    empty = O.dashboard([], [], OnCallSettings(), now)
    assert empty == O.Dashboard(0, 0, 0, {o.value: 0 for o in Outcome}, None, 30, None)


def test_the_accept_question_must_ask_for_1_and_be_short() -> None:
    assert O.parse_setting("accept_prompt", " Press one to go. ", "US") == "Press one to go."
    assert O.parse_setting("accept_prompt", "", "US") == ""  # the standard question
    with pytest.raises(InvalidInput, match="press 1") as bad:
        O.parse_setting("accept_prompt", "Do you want it?", "US")
    assert bad.value.field == "accept_prompt"
    with pytest.raises(InvalidInput, match="300"):
        O.parse_setting("accept_prompt", "press 1 " * 60, "US")
