"""Business hours: parsing, printing, time zones, holidays, after-hours chains, open/closed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbx.core import schedule as S
from pbx.core.model import AfterHoursKind, AfterHoursStep, OpenRange, Schedule
from tests.unit.expect import reject

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def h(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def rng(day: int, start: str, end: str) -> OpenRange:
    return OpenRange(day, h(start), h(end))


def sched(tz: str, *specs: str, holidays: tuple[date, ...] = ()) -> Schedule:
    return Schedule("main", tz, S.build_hours(specs), holidays)


def utc(y: int, mo: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, mo, d, hh, mm, ss, tzinfo=UTC)


def local(
    tz: str, y: int, mo: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, fold: int = 0
) -> datetime:
    """A wall-clock time in `tz`; fold=1 picks the second of a repeated time."""
    return datetime(y, mo, d, hh, mm, ss, tzinfo=ZoneInfo(tz), fold=fold)


# --- parse_hours ----------------------------------------------------------------------


def test_parse_weekday_range() -> None:
    assert S.parse_hours("mon-fri 08:00-17:00") == tuple(
        rng(d, "08:00", "17:00") for d in (MON, TUE, WED, THU, FRI)
    )


def test_parse_several_times() -> None:
    assert S.parse_hours("sat 09:00-12:00,13:00-15:00") == (
        rng(SAT, "09:00", "12:00"),
        rng(SAT, "13:00", "15:00"),
    )


def test_parse_day_list() -> None:
    assert S.parse_hours("mon,wed,fri 07:30-16:00") == (
        rng(MON, "07:30", "16:00"),
        rng(WED, "07:30", "16:00"),
        rng(FRI, "07:30", "16:00"),
    )


def test_parse_daily_whole_day() -> None:
    assert S.parse_hours("daily 00:00-24:00") == tuple(OpenRange(d, 0, 1440) for d in range(7))


def test_parse_wrapping_day_range() -> None:
    assert [r.weekday for r in S.parse_hours("sun-tue 10:00-11:00")] == [SUN, MON, TUE]
    assert [r.weekday for r in S.parse_hours("fri-mon 10:00-11:00")] == [FRI, SAT, SUN, MON]


@pytest.mark.parametrize(
    "spec",
    [
        "Monday-Friday 08:00-17:00",
        "MON-FRI 08:00-17:00",
        "weekdays 08:00-17:00",
        "mon - fri  8:00 - 17:00",
        "tues-thurs,mon,friday 08:00-17:00",
        "  mon-fri 08:00-17:00  ",
        "mon-wed,wed-fri 08:00-17:00",
    ],
)
def test_parse_lenient_spellings(spec: str) -> None:
    assert sorted(S.parse_hours(spec)) == list(S.parse_hours("mon-fri 08:00-17:00"))


def test_parse_weekends_and_day_lists_with_spaces() -> None:
    assert S.parse_hours("weekends 10:00-14:00") == (
        rng(SAT, "10:00", "14:00"),
        rng(SUN, "10:00", "14:00"),
    )
    assert S.parse_hours("mon wed 10:00-14:00") == (
        rng(MON, "10:00", "14:00"),
        rng(WED, "10:00", "14:00"),
    )


def test_parse_overnight_splits_at_midnight() -> None:
    assert S.parse_hours("fri 22:00-06:00") == (
        rng(FRI, "22:00", "24:00"),
        rng(SAT, "00:00", "06:00"),
    )


def test_parse_overnight_sunday_wraps_to_monday() -> None:
    assert S.parse_hours("sun 22:00-06:00") == (
        rng(SUN, "22:00", "24:00"),
        rng(MON, "00:00", "06:00"),
    )


def test_parse_midnight_end() -> None:
    assert S.parse_hours("fri 22:00-24:00") == (rng(FRI, "22:00", "24:00"),)
    assert S.parse_hours("fri 22:00-00:00") == (rng(FRI, "22:00", "24:00"),)


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ("mon-fri 8-17", "'mon-fri 8-17' is not DAYS HH:MM-HH:MM (e.g. 'mon-fri 08:00-17:00')"),
        ("08:00-17:00", "'08:00-17:00' is not DAYS"),
        ("mon-fri", "'mon-fri' is not DAYS"),
        ("", "'' is not DAYS"),
        ("mon 08:00", "'mon 08:00' is not DAYS"),
        ("mon 08:00-17:00-18:00", "is not DAYS"),
        ("mon 0800-1700", "is not DAYS"),
        ("mon 08:00-17:00,", "is not DAYS"),
        ("mnday 08:00-17:00", "unknown day 'mnday'"),
        ("mon-fry 08:00-17:00", "unknown day 'fry'"),
        ("mon-mon 08:00-17:00", "'mon-mon'"),
        ("mon 25:00-26:00", "'25:00'"),
        ("mon 08:60-17:00", "'08:60'"),
        ("mon 08:00-24:30", "'24:30'"),
        ("mon 24:00-02:00", "'24:00'"),
        ("mon 08:00-08:00", "'08:00-08:00'"),
        ("mon 00:00-00:00", "'00:00-00:00'"),
    ],
)
def test_parse_rejects(spec: str, shown: str) -> None:
    reject("hours", shown, S.parse_hours, spec)


# --- build_hours / format_hours ---------------------------------------------------------


def test_build_sorts_and_merges_adjacent() -> None:
    hours = S.build_hours(["sat 09:00-12:00", "mon-fri 12:00-17:00", "mon-fri 08:00-12:00"])
    assert hours == tuple(rng(d, "08:00", "17:00") for d in range(5)) + (
        rng(SAT, "09:00", "12:00"),
    )


def test_build_rejects_overlap() -> None:
    error = reject(
        "hours",
        "mon 12:00-13:00 overlaps mon 08:00-17:00",
        S.build_hours,
        ["mon-fri 08:00-17:00", "mon 12:00-13:00"],
    )
    assert error.reason == "mon 12:00-13:00 overlaps mon 08:00-17:00"


def test_build_rejects_overlap_with_overnight_tail() -> None:
    reject(
        "hours", "overlaps mon 00:00-06:00", S.build_hours, ["sun 22:00-06:00", "mon 05:00-09:00"]
    )


def test_build_rejects_overlap_inside_one_spec() -> None:
    reject("hours", "overlaps", S.build_hours, ["mon 08:00-12:00,11:00-13:00"])


def test_build_nothing_is_never_open() -> None:
    assert S.build_hours([]) == ()


@pytest.mark.parametrize(
    ("specs", "lines"),
    [
        (["mon-fri 08:00-17:00"], ["mon-fri 08:00-17:00"]),
        (["mon-fri 08:00-17:00", "sat 09:00-12:00"], ["mon-fri 08:00-17:00", "sat 09:00-12:00"]),
        (["daily 00:00-24:00"], ["daily 00:00-24:00"]),
        (["mon,wed,fri 07:30-16:00"], ["mon,wed,fri 07:30-16:00"]),
        (["sun-tue 10:00-11:00"], ["sun-tue 10:00-11:00"]),
        (["sat,sun,mon,wed 10:00-11:00"], ["sat-mon,wed 10:00-11:00"]),
        (["sat 09:00-12:00,13:00-15:00"], ["sat 09:00-12:00,13:00-15:00"]),
        (["sun 22:00-06:00"], ["sun 22:00-06:00"]),
        (["mon-fri 22:00-06:00"], ["mon-fri 22:00-06:00"]),
        (["daily 22:00-06:00"], ["daily 22:00-06:00"]),
        (["mon 10:00-24:00", "tue 00:00-12:00"], ["mon 10:00-24:00", "tue 00:00-12:00"]),
        (
            ["mon-fri 08:00-17:00", "fri 22:00-02:00"],
            ["mon-thu 08:00-17:00", "fri 08:00-17:00,22:00-02:00"],
        ),
        (["mon-fri 08:00-12:00", "mon-fri 12:00-17:00"], ["mon-fri 08:00-17:00"]),
    ],
)
def test_format_hours(specs: list[str], lines: list[str]) -> None:
    hours = S.build_hours(specs)
    assert S.format_hours(hours) == lines
    assert S.build_hours(S.format_hours(hours)) == hours


def test_format_nothing() -> None:
    assert S.format_hours(()) == []


def test_format_range() -> None:
    assert S.format_range(rng(WED, "07:05", "24:00")) == "wed 07:05-24:00"


# --- time zones and holidays ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "key"),
    [
        ("America/New_York", "America/New_York"),
        (" europe/london ", "Europe/London"),
        ("UTC", "UTC"),
        ("Australia/Sydney", "Australia/Sydney"),
        ("EST5EDT", "EST5EDT"),
    ],
)
def test_parse_timezone(s: str, key: str) -> None:
    assert S.parse_timezone(s) == key


@pytest.mark.parametrize(
    ("s", "shown"),
    [
        ("Mars/Base", "unknown time zone 'Mars/Base'"),
        ("", "no time zone"),
        ("/etc/passwd", "'/etc/passwd'"),
        ("America/../etc/passwd", "'America/../etc/passwd'"),
        ("localtime", "'localtime'"),
        ("New York", "'New York'"),
    ],
)
def test_parse_timezone_rejects(s: str, shown: str) -> None:
    reject("timezone", shown, S.parse_timezone, s)


def test_parse_holiday() -> None:
    assert S.parse_holiday("2026-12-25") == date(2026, 12, 25)
    assert S.parse_holiday(" 2028-02-29 ") == date(2028, 2, 29)


@pytest.mark.parametrize(
    "s",
    ["2026-13-01", "2026-02-30", "2027-02-29", "26-12-25", "20261225", "2026-W52-5", "", "xmas"],
)
def test_parse_holiday_rejects(s: str) -> None:
    reject("holiday", f"{s!r} is not a date (YYYY-MM-DD)", S.parse_holiday, s)


# --- after-hours chain -------------------------------------------------------------------------


def test_parse_after_hours_full_chain() -> None:
    assert S.parse_after_hours("oncall, (415) 555-0100, voicemail:After Hours", "US") == (
        AfterHoursStep(AfterHoursKind.ONCALL),
        AfterHoursStep(AfterHoursKind.NUMBER, "+14155550100"),
        AfterHoursStep(AfterHoursKind.VOICEMAIL, "After Hours"),
    )


def test_parse_after_hours_single_steps() -> None:
    assert S.parse_after_hours("OnCall", "US") == (AfterHoursStep(AfterHoursKind.ONCALL),)
    assert S.parse_after_hours("voicemail: main ", "US") == (
        AfterHoursStep(AfterHoursKind.VOICEMAIL, "main"),
    )
    assert S.parse_after_hours("020 7946 0958", "GB") == (
        AfterHoursStep(AfterHoursKind.NUMBER, "+442079460958"),
    )


def test_parse_after_hours_round_trips_through_str() -> None:
    steps = S.parse_after_hours("oncall,+14155550100,+12125550199,voicemail:Main", "US")
    assert S.parse_after_hours(",".join(str(s) for s in steps), "US") == steps


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ("", "no steps"),
        ("oncall,oncall", "'oncall' appears twice"),
        ("+14155550100, 415-555-0100", "'+14155550100' appears twice"),
        ("oncall,,voicemail:Main", "'oncall,,voicemail:Main' has an empty step"),
        ("voicemail:Main,oncall", "'oncall' comes after voicemail:Main"),
        ("voicemail:A,voicemail:B", "'voicemail:B' comes after voicemail:A"),
        ("voicemail", "'voicemail' names no box"),
        ("voicemail:  ", "names no box"),
        ("oncal", "'oncal' is not oncall, a phone number or voicemail:BOX"),
        ("+1555", "'+1555' is not a valid phone number"),
        ("+15551234567", "'+15551234567'"),
    ],
)
def test_parse_after_hours_rejects(spec: str, shown: str) -> None:
    reject("after_hours", shown, S.parse_after_hours, spec, "US")


# --- is_open ---------------------------------------------------------------------------------------

NY = "America/New_York"
LONDON = "Europe/London"
SYDNEY = "Australia/Sydney"


def test_is_open_business_hours() -> None:
    s = sched(NY, "mon-fri 08:00-17:00")
    assert S.is_open(s, local(NY, 2026, 6, 10, 8, 0))  # Wednesday
    assert S.is_open(s, local(NY, 2026, 6, 10, 16, 59, 59))
    assert not S.is_open(s, local(NY, 2026, 6, 10, 17, 0))
    assert not S.is_open(s, local(NY, 2026, 6, 10, 7, 59, 59))
    assert not S.is_open(s, local(NY, 2026, 6, 13, 12, 0))  # Saturday


def test_is_open_converts_to_schedule_zone() -> None:
    s = sched(NY, "mon-fri 08:00-17:00")
    # 12:30 UTC is 08:30 EDT in June and 07:30 EST in January.
    assert S.is_open(s, utc(2026, 6, 10, 12, 30))
    assert not S.is_open(s, utc(2026, 1, 14, 12, 30))
    assert S.is_open(s, utc(2026, 1, 14, 13, 30))
    # An instant given in another zone means the same thing.
    assert S.is_open(s, local(LONDON, 2026, 6, 10, 13, 30))


def test_is_open_requires_aware_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        S.is_open(sched(NY, "daily 00:00-24:00"), datetime(2026, 6, 10, 12, 0))


def test_empty_schedule_is_always_closed() -> None:
    assert not S.is_open(Schedule("never", NY, ()), utc(2026, 6, 10, 12, 0))


def test_holiday_closes_whole_local_day() -> None:
    s = sched(NY, "daily 00:00-24:00", holidays=(date(2026, 7, 3),))
    assert S.is_open(s, local(NY, 2026, 7, 2, 23, 59))
    assert not S.is_open(s, local(NY, 2026, 7, 3, 0, 0))
    assert not S.is_open(s, local(NY, 2026, 7, 3, 23, 59, 59))
    assert S.is_open(s, local(NY, 2026, 7, 4, 0, 0))
    # 2026-07-03 02:00 UTC is still July 2nd in New York: open.
    assert S.is_open(s, utc(2026, 7, 3, 2, 0))
    # 2026-07-04 03:00 UTC is still July 3rd in New York: closed.
    assert not S.is_open(s, utc(2026, 7, 4, 3, 0))


def test_holiday_closes_after_midnight_part_of_overnight_range() -> None:
    s = sched(NY, "fri 22:00-02:00", holidays=(date(2026, 7, 4),))  # Saturday
    assert S.is_open(s, local(NY, 2026, 7, 3, 23, 0))
    assert not S.is_open(s, local(NY, 2026, 7, 4, 1, 0))
    assert S.is_open(s, local(NY, 2026, 7, 11, 1, 0))


def test_overnight_range_is_open_across_midnight() -> None:
    s = sched(NY, "sun 22:00-06:00")
    assert S.is_open(s, local(NY, 2026, 6, 14, 22, 0))  # Sunday
    assert S.is_open(s, local(NY, 2026, 6, 15, 5, 59))  # Monday
    assert not S.is_open(s, local(NY, 2026, 6, 15, 6, 0))
    assert not S.is_open(s, local(NY, 2026, 6, 14, 5, 0))  # Sunday morning: not Saturday's range


def test_ny_spring_forward_missing_hour_is_never_open() -> None:
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC); 02:00-02:59 does not exist.
    s = sched(NY, "sun 02:00-02:30")
    day_start = utc(2026, 3, 8, 5, 0)  # 00:00 EST
    assert not any(S.is_open(s, day_start + timedelta(minutes=m)) for m in range(0, 24 * 60, 1))
    assert S.next_change(s, day_start) == utc(2026, 3, 15, 6, 0)  # next Sunday 02:00 EDT


def test_ny_spring_forward_range_ends_at_the_jump() -> None:
    s = sched(NY, "sun 01:00-03:00")
    assert S.is_open(s, utc(2026, 3, 8, 6, 59))  # 01:59 EST
    assert not S.is_open(s, utc(2026, 3, 8, 7, 0))  # 03:00 EDT
    assert S.next_change(s, utc(2026, 3, 8, 6, 30)) == utc(2026, 3, 8, 7, 0)


def test_ny_spring_forward_wall_clock_rule() -> None:
    s = sched(NY, "mon-fri 08:00-17:00")
    # Same UTC instant, 13:00 UTC: 08:00 EST on Friday, 09:00 EDT on Monday.
    assert S.is_open(s, utc(2026, 3, 6, 13, 0))
    assert S.is_open(s, utc(2026, 3, 9, 13, 0))
    # 12:30 UTC: 07:30 EST (closed) on Friday, 08:30 EDT (open) on Monday.
    assert not S.is_open(s, utc(2026, 3, 6, 12, 30))
    assert S.is_open(s, utc(2026, 3, 9, 12, 30))


def test_ny_fall_back_repeated_hour_is_open_twice() -> None:
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST (06:00 UTC); 01:00-01:59 happens twice.
    s = sched(NY, "sun 01:00-02:00")
    assert S.is_open(s, local(NY, 2026, 11, 1, 1, 30, fold=0))
    assert S.is_open(s, local(NY, 2026, 11, 1, 1, 30, fold=1))
    assert S.next_change(s, utc(2026, 11, 1, 4, 0)) == utc(2026, 11, 1, 5, 0)  # 01:00 EDT
    assert S.next_change(s, utc(2026, 11, 1, 5, 0)) == utc(2026, 11, 1, 7, 0)  # 02:00 EST


def test_ny_fall_back_range_inside_repeated_hour_reopens() -> None:
    s = sched(NY, "sun 01:30-03:00")
    changes = []
    at: datetime | None = utc(2026, 11, 1, 5, 0)
    for _ in range(4):
        assert at is not None
        at = S.next_change(s, at)
        changes.append(at)
    assert changes == [
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT: opens
        utc(2026, 11, 1, 6, 0),  # back to 01:00 EST: closes
        utc(2026, 11, 1, 6, 30),  # 01:30 EST: opens again
        utc(2026, 11, 1, 8, 0),  # 03:00 EST: closes
    ]


def test_london_dst() -> None:
    # 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT.
    s = sched(LONDON, "sun 01:00-01:30")
    assert not S.is_open(s, utc(2026, 3, 29, 0, 59))
    assert not S.is_open(s, utc(2026, 3, 29, 1, 0))  # 02:00 BST
    assert S.next_change(s, utc(2026, 3, 28, 0, 0)) == utc(2026, 4, 5, 0, 0)  # 01:00 BST
    autumn = sched(LONDON, "sun 01:00-02:00")
    assert S.is_open(autumn, utc(2026, 10, 25, 0, 0))  # 01:00 BST
    assert S.is_open(autumn, utc(2026, 10, 25, 1, 59))  # 01:59 GMT
    assert S.next_change(autumn, utc(2026, 10, 25, 0, 0)) == utc(2026, 10, 25, 2, 0)
    office = sched(LONDON, "mon-fri 09:00-17:30")
    assert S.is_open(office, utc(2026, 3, 27, 9, 0))  # 09:00 GMT
    assert not S.is_open(office, utc(2026, 3, 30, 17, 0))  # 18:00 BST


def test_sydney_dst() -> None:
    # 2026-04-05 03:00 AEDT -> 02:00 AEST (16:00 UTC the day before).
    s = sched(SYDNEY, "sun 02:00-03:00")
    assert S.next_change(s, utc(2026, 4, 4, 14, 0)) == utc(2026, 4, 4, 15, 0)  # 02:00 AEDT
    assert S.next_change(s, utc(2026, 4, 4, 15, 0)) == utc(2026, 4, 4, 17, 0)  # 03:00 AEST
    # 2026-10-04 02:00 AEST -> 03:00 AEDT: the 02:00-03:00 hour does not exist.
    assert not any(
        S.is_open(s, utc(2026, 10, 3, 13, 0) + timedelta(minutes=m)) for m in range(24 * 60)
    )


# --- next_change -------------------------------------------------------------------------------------


def test_next_change_weekday_hours() -> None:
    s = sched(NY, "mon-fri 08:00-17:00")
    assert S.next_change(s, local(NY, 2026, 6, 10, 12, 0)) == local(NY, 2026, 6, 10, 17, 0)
    assert S.next_change(s, local(NY, 2026, 6, 10, 17, 0)) == local(NY, 2026, 6, 11, 8, 0)
    assert S.next_change(s, local(NY, 2026, 6, 12, 18, 0)) == local(NY, 2026, 6, 15, 8, 0)


def test_next_change_returns_utc() -> None:
    s = sched(NY, "mon-fri 08:00-17:00")
    result = S.next_change(s, local(NY, 2026, 6, 10, 12, 0))
    assert result is not None
    assert result.tzinfo is UTC
    assert result == utc(2026, 6, 10, 21, 0)


def test_next_change_skips_holidays() -> None:
    s = sched(NY, "mon-fri 08:00-17:00", holidays=(date(2026, 7, 3),))
    assert S.next_change(s, local(NY, 2026, 7, 2, 17, 0)) == local(NY, 2026, 7, 6, 8, 0)
    # Open across midnight into a holiday: closes at midnight.
    always = sched(NY, "daily 00:00-24:00", holidays=(date(2026, 7, 3),))
    assert S.next_change(always, local(NY, 2026, 7, 2, 12, 0)) == local(NY, 2026, 7, 3, 0, 0)
    assert S.next_change(always, local(NY, 2026, 7, 3, 0, 0)) == local(NY, 2026, 7, 4, 0, 0)


def test_next_change_none_when_state_never_changes() -> None:
    assert S.next_change(sched(NY, "daily 00:00-24:00"), utc(2026, 6, 10)) is None
    assert S.next_change(Schedule("never", NY, ()), utc(2026, 6, 10)) is None


def test_next_change_none_beyond_fourteen_days() -> None:
    closed_fortnight = tuple(date(2026, 6, 1) + timedelta(days=i) for i in range(20))
    s = sched(NY, "mon-fri 08:00-17:00", holidays=closed_fortnight)
    assert S.next_change(s, local(NY, 2026, 6, 1, 0, 0)) is None


def test_next_change_overnight_across_midnight() -> None:
    s = sched(NY, "fri 22:00-02:00")
    assert S.next_change(s, local(NY, 2026, 6, 12, 23, 0)) == local(NY, 2026, 6, 13, 2, 0)


def test_next_change_requires_aware_instant() -> None:
    with pytest.raises(ValueError):
        S.next_change(sched(NY, "daily 00:00-24:00"), datetime(2026, 6, 10))


def brute_next_change(s: Schedule, instant: datetime, limit_minutes: int) -> datetime | None:
    """Reference: step whole UTC minutes (every offset used here is whole minutes)."""
    state = S.is_open(s, instant)
    start = instant.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for m in range(limit_minutes):
        at = start + timedelta(minutes=m)
        if S.is_open(s, at) != state:
            return at
    return None


@pytest.mark.parametrize(
    ("tz", "instant"),
    [
        (NY, utc(2026, 3, 7, 12, 0)),
        (NY, utc(2026, 10, 31, 12, 0)),
        (SYDNEY, utc(2026, 4, 3, 12, 0)),
        (SYDNEY, utc(2026, 10, 2, 12, 0)),
        ("Australia/Lord_Howe", utc(2026, 4, 3, 12, 0)),  # 30-minute DST shift
        ("Asia/Kathmandu", utc(2026, 4, 3, 12, 0)),  # +05:45
    ],
)
def test_next_change_matches_brute_force_around_dst(tz: str, instant: datetime) -> None:
    s = sched(
        tz,
        "sat-sun 01:00-01:45,02:15-02:30",
        "sun 22:00-01:00",
        "mon-fri 08:00-12:00,13:00-17:00",
        holidays=(date(2026, 10, 5),),
    )
    at: datetime | None = instant
    for _ in range(12):
        assert at is not None
        expected = brute_next_change(s, at, 3 * 24 * 60)
        got = S.next_change(s, at)
        assert got == expected, (at, got, expected)
        at = got


# --- properties ----------------------------------------------------------------------------------


@st.composite
def canonical_hours(draw: st.DrawFn) -> tuple[OpenRange, ...]:
    """Sorted, non-overlapping, non-adjacent ranges on a 15-minute grid."""
    ranges: list[OpenRange] = []
    for day in range(7):
        marks = draw(st.sets(st.integers(0, 96), max_size=6))
        points = sorted(marks)
        if len(points) % 2:
            points = points[:-1]
        ranges.extend(
            OpenRange(day, points[i] * 15, points[i + 1] * 15) for i in range(0, len(points), 2)
        )
    return tuple(ranges)


@given(canonical_hours())
def test_format_then_build_round_trips(hours: tuple[OpenRange, ...]) -> None:
    lines = S.format_hours(hours)
    assert S.build_hours(lines) == hours
    assert len(lines) <= 7


@given(canonical_hours())
def test_build_is_idempotent(hours: tuple[OpenRange, ...]) -> None:
    again = S.build_hours(S.format_hours(hours))
    assert S.build_hours(S.format_hours(again)) == again


@given(
    st.sampled_from(S.DAY_NAMES),
    st.integers(0, 95),
    st.integers(1, 96),
)
def test_parse_one_range_covers_exactly_its_minutes(day: str, a: int, b: int) -> None:
    start, end = a * 15, b * 15
    if start == end:
        return
    spec = f"{day} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    ranges = S.build_hours([spec])
    covered = sum(r.end - r.start for r in ranges)
    assert covered == ((end - start) % (24 * 60) or 24 * 60)


@settings(max_examples=25, deadline=None)
@given(
    canonical_hours(),
    st.sampled_from([NY, LONDON, SYDNEY]),
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    st.lists(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 1, 31)), max_size=30),
)
def test_next_change_agrees_with_brute_force(
    hours: tuple[OpenRange, ...], tz: str, instant: datetime, holidays: list[date]
) -> None:
    s = Schedule("p", tz, hours, tuple(holidays))
    got = S.next_change(s, instant)
    expected = brute_next_change(s, instant, S.SEARCH_DAYS * 24 * 60)
    if got is None:
        assert expected is None or expected > instant + timedelta(days=S.SEARCH_DAYS)
    else:
        assert got == expected
        assert got <= instant + timedelta(days=S.SEARCH_DAYS)
