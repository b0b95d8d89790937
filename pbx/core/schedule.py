"""Business hours: parse and print weekly hours, and tell open from closed at an instant.

Hours are a wall-clock rule in the schedule's own time zone: "mon-fri
08:00-17:00" means 08:00 to 17:00 as the local clocks show it, whatever the UTC
offset is that day. On a daylight-saving change the missing hour simply never
happens (a range inside it is never open) and the repeated hour happens twice.
A holiday closes the whole local date, including the after-midnight part of an
overnight range that started the day before.

Canonical hours (what `build_hours` returns) are sorted, non-overlapping, and
adjacent ranges on the same weekday are merged ("08:00-12:00" + "12:00-17:00"
is "08:00-17:00"). Stored ranges never cross midnight: "fri 22:00-06:00" is
stored as fri 22:00-24:00 and sat 00:00-06:00 (and printed back as one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pbx.core import phone
from pbx.core.errors import InvalidInput
from pbx.core.model import AfterHoursKind, AfterHoursStep, OpenRange, Schedule
from pbx.core.validate import name as valid_name

__all__ = [
    "build_hours",
    "format_hours",
    "format_range",
    "is_open",
    "next_change",
    "parse_after_hours",
    "parse_holiday",
    "parse_hours",
    "parse_timezone",
]

DAY = 24 * 60
SEARCH_DAYS = 14
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_DAY_WORDS: dict[str, tuple[int, ...]] = {
    "daily": tuple(range(7)),
    "weekdays": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
    "weekend": (5, 6),
}
_DAY_ALIASES: dict[str, int] = {
    **{day: i for i, day in enumerate(DAY_NAMES)},
    "monday": 0,
    "tues": 1,
    "tuesday": 1,
    "wednesday": 2,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_HOURS_EXAMPLE = "is not DAYS HH:MM-HH:MM (e.g. 'mon-fri 08:00-17:00')"
_DAYS_HELP = "use mon..sun, full day names, daily, weekdays or weekends"
_INTERVAL_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ZONE_DENY = frozenset({"localtime", "Factory", "posixrules"})


# --- hours: parsing ---------------------------------------------------------------


def _day(token: str, spec: str) -> int:
    day = _DAY_ALIASES.get(token)
    if day is None:
        raise InvalidInput("hours", f"unknown day {token!r} in {spec!r} ({_DAYS_HELP})")
    return day


def _days(text: str, spec: str) -> list[int]:
    """Days named by "mon-fri", "mon,wed,fri", "sun-tue" (wrapping), "daily"..., in order."""
    compact = re.sub(r"\s*([,-])\s*", r"\1", text.strip().lower())
    days: list[int] = []
    for token in re.split(r"[,\s]+", compact):
        if token in _DAY_WORDS:
            chosen: Iterable[int] = _DAY_WORDS[token]
        elif "-" in token:
            first_text, _, last_text = token.partition("-")
            first, last = _day(first_text, spec), _day(last_text, spec)
            if first == last:
                raise InvalidInput(
                    "hours",
                    f"{token!r} in {spec!r} is ambiguous; write {DAY_NAMES[first]!r} or 'daily'",
                )
            chosen = ((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            chosen = (_day(token, spec),)
        days.extend(day for day in chosen if day not in days)
    return days


def _minutes(hh: str, mm: str, spec: str, is_end: bool) -> int:
    hours, minutes = int(hh), int(mm)
    text = f"{hh}:{mm}"
    if minutes > 59 or hours > 24 or (hours == 24 and minutes != 0):
        raise InvalidInput("hours", f"{text!r} in {spec!r} is not a time of day (00:00 to 24:00)")
    if hours == 24 and not is_end:
        raise InvalidInput("hours", f"{text!r} in {spec!r} can only end a range")
    return hours * 60 + minutes


def parse_hours(spec: str) -> tuple[OpenRange, ...]:
    """Parse one hours spec, "DAYS HH:MM-HH:MM[,HH:MM-HH:MM...]", into open ranges.

    DAYS is a comma-separated list of days (mon..sun or full names, any case),
    day ranges ("mon-fri"; "sun-tue" wraps around the week), or the words daily,
    weekdays and weekends. Times are 24-hour; "24:00" (or "00:00") may end a
    range. A range whose end is before its start runs overnight and is split at
    midnight ("sun 22:00-06:00" is sun 22:00-24:00 plus mon 00:00-06:00).
    A range whose start equals its end is an error.

    Ranges are returned in spec order and are not checked against each other;
    `build_hours` sorts, merges and rejects overlaps.
    """
    text = spec.strip()
    digit = re.search(r"[0-9]", text)
    if digit is None or digit.start() == 0:
        raise InvalidInput("hours", f"{spec!r} {_HOURS_EXAMPLE}")
    days = _days(text[: digit.start()], spec)
    ranges: list[OpenRange] = []
    for piece in re.sub(r"\s+", "", text[digit.start() :]).split(","):
        match = _INTERVAL_RE.fullmatch(piece)
        if match is None:
            raise InvalidInput("hours", f"{spec!r} {_HOURS_EXAMPLE}")
        start = _minutes(match.group(1), match.group(2), spec, is_end=False)
        end = _minutes(match.group(3), match.group(4), spec, is_end=True)
        if start == end:
            raise InvalidInput("hours", f"{piece!r} in {spec!r} is empty: it starts when it ends")
        if end == 0:
            end = DAY
        for day in days:
            if start < end:
                ranges.append(OpenRange(day, start, end))
            else:
                ranges.append(OpenRange(day, start, DAY))
                ranges.append(OpenRange((day + 1) % 7, 0, end))
    return tuple(ranges)


def format_range(r: OpenRange) -> str:
    """One range as "mon 08:00-17:00"."""
    return f"{DAY_NAMES[r.weekday]} {_hhmm(r.start)}-{_hhmm(r.end)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _merged(ranges: Iterable[OpenRange]) -> list[OpenRange]:
    """Sort, and join ranges of one weekday that touch or overlap."""
    out: list[OpenRange] = []
    for r in sorted(ranges):
        last = out[-1] if out else None
        if last is not None and last.weekday == r.weekday and r.start <= last.end:
            out[-1] = OpenRange(r.weekday, last.start, max(last.end, r.end))
        else:
            out.append(r)
    return out


def build_hours(specs: Sequence[str]) -> tuple[OpenRange, ...]:
    """Parse several hours specs (one per --hours option) into canonical hours.

    Overlapping ranges are an error naming both; ranges that only touch are
    merged. No specs give no hours: a schedule that is never open.
    """
    ranges = sorted(r for spec in specs for r in parse_hours(spec))
    for earlier, later in pairwise(ranges):
        if earlier.weekday == later.weekday and later.start < earlier.end:
            raise InvalidInput("hours", f"{format_range(later)} overlaps {format_range(earlier)}")
    return tuple(_merged(ranges))


def _day_expression(days: Sequence[int]) -> str:
    """Shortest-ish spelling of a set of weekdays: "daily", "mon-fri", "sat-mon", "mon,wed"."""
    chosen = set(days)
    if len(chosen) == 7:
        return "daily"
    # Start at the beginning of the run holding the earliest weekday, so that a
    # run over the week's end stays whole ("sat-mon,wed").
    first = min(chosen)
    while (first - 1) % 7 in chosen:
        first = (first - 1) % 7
    parts: list[str] = []
    run: list[int] = []
    for offset in range(8):
        day = (first + offset) % 7
        if day in chosen and offset < 7:
            run.append(day)
            continue
        if run:
            if len(run) == 1:
                parts.append(DAY_NAMES[run[0]])
            else:
                parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
            run = []
    return ",".join(parts)


def _overnight(ranges: list[OpenRange]) -> dict[int, list[tuple[int, int]]]:
    """Times per weekday, rejoining "X-24:00" + next day "00:00-Y" as "X-Y" when Y < X."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for r in ranges:
        by_day.setdefault(r.weekday, []).append((r.start, r.end))
    for day in sorted(by_day):
        times, following = by_day[day], by_day.get((day + 1) % 7, [])
        if not times or not following:
            continue
        last, head = times[-1], following[0]
        if last[1] != DAY or last[0] == 0 or head[0] != 0 or head[1] == DAY:
            continue
        if head[1] < last[0]:
            times[-1] = (last[0], head[1])
            following.pop(0)
    return {day: times for day, times in by_day.items() if times}


def format_hours(ranges: Iterable[OpenRange]) -> list[str]:
    """Print hours compactly, one spec per line, e.g. ["mon-fri 08:00-17:00", "sat 09:00-12:00"].

    Days with the same times share a line, and the two halves of an overnight
    range are shown as one ("fri 22:00-06:00"). `build_hours(format_hours(h))`
    gives back `h` for any canonical hours (and the canonical form of any hours
    without overlaps).
    """
    by_times: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for day, times in sorted(_overnight(_merged(ranges)).items()):
        by_times.setdefault(tuple(times), []).append(day)
    lines = sorted((min(days), days, times) for times, days in by_times.items())
    return [
        f"{_day_expression(days)} " + ",".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in times)
        for _, days, times in lines
    ]


# --- time zones, holidays, after-hours --------------------------------------------


@lru_cache(maxsize=1)
def _zone_keys() -> dict[str, str]:
    return {key.lower(): key for key in available_timezones() if key not in _ZONE_DENY}


def parse_timezone(s: str) -> str:
    """Return the IANA time zone key for `s` ("America/New_York"), matched case-insensitively.

    Host-dependent or meaningless keys ("localtime", "Factory") are refused.
    """
    text = s.strip()
    if not text:
        raise InvalidInput("timezone", "no time zone given (e.g. 'America/New_York')")
    key = _zone_keys().get(text.lower())
    if key is None:
        raise InvalidInput("timezone", f"unknown time zone {text!r} (e.g. 'America/New_York')")
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput("timezone", f"unknown time zone {text!r}") from None
    return key


def _zone(key: str) -> ZoneInfo:
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput("timezone", f"unknown time zone {key!r}") from None


def parse_holiday(s: str) -> date:
    """Parse a closed date in ISO form, YYYY-MM-DD."""
    text = s.strip()
    bad = InvalidInput("holiday", f"{s!r} is not a date (YYYY-MM-DD)")
    if not _DATE_RE.fullmatch(text):
        raise bad
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise bad from None


def parse_after_hours(spec: str, region: str) -> tuple[AfterHoursStep, ...]:
    """Parse the after-hours chain, e.g. "triage, oncall, +14155550100, voicemail:After Hours".

    Steps are tried in order: `triage` (the caller is asked whether it is an
    emergency, by pressing 1; `triage:spoken`: by saying the problem; anything
    else skips the ringing steps after it), `oncall` (the technician of the
    active on-call shift), a phone number (normalised to E.164 in `region`),
    `voicemail:BOX` and `menu:NAME` (names are checked for shape only; whether
    they exist is checked elsewhere). A chain has at least one step and no step
    twice; triage comes at most once, first, and not alone; voicemail always
    answers and a menu decides the rest, so at most one of them, and it must be last.
    """
    field = "after_hours"
    items = [item.strip() for item in spec.split(",")]
    if not spec.strip():
        raise InvalidInput(field, "no steps given (e.g. 'oncall,voicemail:After Hours')")
    if any(not item for item in items):
        raise InvalidInput(field, f"{spec!r} has an empty step")
    steps: list[AfterHoursStep] = []
    for item in items:
        last = steps[-1] if steps else None
        if last is not None and last.kind is AfterHoursKind.VOICEMAIL:
            raise InvalidInput(
                field, f"{item!r} comes after {last}, which always answers; put voicemail last"
            )
        if last is not None and last.kind is AfterHoursKind.MENU:
            raise InvalidInput(
                field, f"{item!r} comes after {last}, which decides the rest; put the menu last"
            )
        step = _after_hours_step(item, region)
        if step.kind is AfterHoursKind.TRIAGE and steps:
            twice = any(s.kind is AfterHoursKind.TRIAGE for s in steps)
            where = "twice" if twice else f"after {steps[-1]}"
            raise InvalidInput(
                field,
                f"{item!r} comes {where} in {spec!r}: triage is asked once, first "
                "(e.g. 'triage,oncall,voicemail:After Hours')",
            )
        if step in steps:
            raise InvalidInput(field, f"{str(step)!r} appears twice in {spec!r}")
        steps.append(step)
    if len(steps) == 1 and steps[0].kind is AfterHoursKind.TRIAGE:
        raise InvalidInput(
            field,
            f"{spec!r} is only triage: give the steps it leads to "
            "(e.g. 'triage,oncall,voicemail:After Hours')",
        )
    return tuple(steps)


def _after_hours_step(item: str, region: str) -> AfterHoursStep:
    field = "after_hours"
    head, sep, rest = item.partition(":")
    word, head = item.lower(), head.strip().lower()
    if word in ("oncall", "on-call"):
        return AfterHoursStep(AfterHoursKind.ONCALL)
    if word == "triage":
        return AfterHoursStep(AfterHoursKind.TRIAGE)
    if sep and head == "triage":
        if rest.strip().lower() != "spoken":
            raise InvalidInput(field, f"{item!r} is not triage or triage:spoken")
        return AfterHoursStep(AfterHoursKind.TRIAGE, spoken=True)
    if head in ("voicemail", "menu"):
        kind = AfterHoursKind(head)
        noun = "box" if kind is AfterHoursKind.VOICEMAIL else "menu"
        if not sep or not rest.strip():
            raise InvalidInput(field, f"{item!r} names no {noun} ({head}:{noun.upper()})")
        return AfterHoursStep(kind, valid_name(field, rest.strip()))
    if any(ch.isdigit() for ch in item):
        return AfterHoursStep(AfterHoursKind.NUMBER, phone.normalize(item, region, field))
    raise InvalidInput(
        field,
        f"{item!r} is not oncall, a phone number or voicemail:BOX (nor triage or menu:NAME; "
        "e.g. 'triage,oncall,voicemail:After Hours')",
    )


# --- open or closed ---------------------------------------------------------------


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"instant must be timezone-aware, got naive {instant.isoformat()}")


def _open_local(schedule: Schedule, local: datetime) -> bool:
    if local.date() in schedule.holidays:
        return False
    minute = local.hour * 60 + local.minute
    weekday = local.weekday()
    return any(r.weekday == weekday and r.start <= minute < r.end for r in schedule.hours)


def is_open(schedule: Schedule, instant: datetime) -> bool:
    """Whether `schedule` is open at `instant` (a timezone-aware datetime).

    The instant is converted to the schedule's zone; it is closed all day on a
    holiday (local date) and otherwise open iff the local time of day lies in
    a range of the local weekday. Raises ValueError for a naive datetime.
    """
    _require_aware(instant)
    return _open_local(schedule, instant.astimezone(_zone(schedule.tz)))


def _offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC instants in (start, end] at which the zone's UTC offset changes, to the second."""

    def offset(ts: int) -> timedelta | None:
        return datetime.fromtimestamp(ts, zone).utcoffset()

    found: list[datetime] = []
    lo = int(start.timestamp())
    stop = int(end.timestamp()) + 1
    step = 3600
    while lo < stop:
        hi = min(lo + step, stop)
        if offset(lo) != offset(hi):
            a, b = lo, hi
            while b - a > 1:
                mid = (a + b) // 2
                if offset(mid) == offset(a):
                    a = mid
                else:
                    b = mid
            found.append(datetime.fromtimestamp(b, UTC))
        lo = hi
    return found


def next_change(schedule: Schedule, instant: datetime) -> datetime | None:
    """The first instant after `instant` at which is_open changes, in UTC; None within 14 days.

    The state can only change when the local clock reaches a range boundary or
    midnight (for holidays), or when the clock jumps at a UTC-offset change;
    those candidate instants are checked in order.
    """
    _require_aware(instant)
    zone = _zone(schedule.tz)
    limit = instant + timedelta(days=SEARCH_DAYS)
    bounds: dict[int, set[int]] = {day: {0} for day in range(7)}
    for r in schedule.hours:
        bounds[r.weekday].update(m for m in (r.start, r.end) if m < DAY)
    candidates: set[datetime] = set(_offset_changes(zone, instant, limit))
    first_day = instant.astimezone(zone).date() - timedelta(days=1)
    for offset in range(SEARCH_DAYS + 3):
        day = first_day + timedelta(days=offset)
        for minute in bounds[day.weekday()]:
            wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
            for fold in (0, 1):
                at = wall.replace(fold=fold).astimezone(UTC)
                if instant < at <= limit:
                    candidates.add(at)
    state = is_open(schedule, instant)
    for at in sorted(candidates):
        if is_open(schedule, at) != state:
            return at
    return None
