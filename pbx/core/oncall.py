"""On-call: shifts and their lifecycle, rotation, overrides, the emergency call log, the dashboard.

Pure. A shift covers [start, end) for one technician. Its stored status is
what people did to it (activate, complete, cancel); `status_at` adds what the
clock does: a scheduled shift is active from its start, and any shift that is
not cancelled is completed at its end. The clock only moves a status forward,
so it never undoes a hand change: a shift activated early stays active, one
completed early stays completed (its end is moved to that moment), a cancelled
one stays cancelled.

Two primary (non-backup) shifts may not overlap; a backup shift may overlap
anything but another shift of the same technician. Rotation shifts fill the
roster's periods around the shifts people made; an override splits or
cancels the rotation shifts it covers, so at every instant at most one
primary and one backup are on call.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pbx.core import phone
from pbx.core.choices import choice
from pbx.core.errors import InvalidInput

MAX_SHIFT = timedelta(days=62)  # a monthly rotation period is at most 31 days
MIN_PIECE = timedelta(minutes=1)  # rotation pieces shorter than this are dropped
MAX_PERIODS = 366
NOTES_MAX = 500


class ShiftStatus(StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ShiftSource(StrEnum):
    MANUAL = "manual"  # made by hand (`pbx oncall shift new`)
    ROTATION = "rotation"  # generated from the roster (`pbx oncall rotate`)
    OVERRIDE = "override"  # a one-off change that wins over the rotation


class Cadence(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class Outcome(StrEnum):
    DISPATCHED = "Dispatched"
    RESOLVED = "Resolved"
    NO_ANSWER = "No Answer"
    DECLINED = "Declined"


class Tone(StrEnum):
    WITHIN = "within"
    NEAR = "near"
    BREACHED = "breached"


class Action(StrEnum):
    ACTIVATE = "activate"
    COMPLETE = "complete"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Shift:
    """One technician's coverage from `start` to `end` (aware datetimes)."""

    tech: str
    start: datetime
    end: datetime
    notes: str = ""
    status: ShiftStatus = ShiftStatus.SCHEDULED
    backup: bool = False
    source: ShiftSource = ShiftSource.MANUAL
    id: int | None = None

    def label(self) -> str:
        ident = f"#{self.id} " if self.id is not None else ""
        role = "backup " if self.backup else ""
        return f"{role}shift {ident}({self.tech}, {_stamp(self.start)} to {_stamp(self.end)})"


@dataclass(frozen=True)
class EmergencyCall:
    """One entry of a shift's emergency call log."""

    shift_id: int
    customer_name: str
    phone: str  # E.164 (an automatic entry keeps what the caller ID said when it is not a number)
    received_at: datetime
    issue: str = ""
    outcome: Outcome | None = None  # None: not known yet
    response_minutes: float | None = None
    job_id: int | None = None
    notes: str = ""
    call_key: str | None = None  # the call it was made from (automatic entries)
    message_id: int | None = None  # the voicemail it was made from (automatic entries)
    id: int | None = None


@dataclass(frozen=True)
class OnCallSettings:
    """Account-wide on-call setup (`pbx oncall settings`)."""

    shift_hours: int = 12  # default shift length: prefills a new shift's end
    cadence: Cadence = Cadence.WEEKLY
    roster: tuple[str, ...] = ()  # technicians in rotation order
    handoff: time = time(8, 0)  # local time at which rotation shifts change hands
    timezone: str = "UTC"  # of handoffs, of times typed without an offset, of "this month"
    anchor: date | None = None  # first day of the roster's first period (set by the first rotate)
    emergency_number: str | None = None  # a business number that goes to on-call at any hour
    sla_minutes: int = 30  # response-time target
    auto_notify: bool = True  # alert the on-call technician of inbound emergencies
    business_name: str = ""  # said to the technician: "emergency call for <business>"
    # What the technician's cell asks once the caller is said (spoken by flite; "" is
    # the standard "press 1 to accept this call, or 2 to reject it").
    accept_prompt: str = ""


@dataclass(frozen=True)
class OnCallNow:
    """Who is on call at an instant."""

    primary: Shift | None = None
    backup: Shift | None = None


@dataclass(frozen=True)
class Dashboard:
    active: int
    scheduled: int
    calls_this_month: int
    outcomes: Mapping[str, int] = field(default_factory=dict)
    average_response: float | None = None  # minutes; None when no entry has a response time
    sla_minutes: int = 30
    tone: Tone | None = None


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M %Z").strip()


def _require_aware(when: datetime, field_name: str) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{field_name} must be timezone-aware, got naive {when.isoformat()}")


# -- lifecycle ------------------------------------------------------------------


def status_at(shift: Shift, now: datetime) -> ShiftStatus:
    """The shift's status at `now`: its stored status moved forward by the clock."""
    if shift.status in (ShiftStatus.CANCELLED, ShiftStatus.COMPLETED):
        return shift.status
    if now >= shift.end:
        return ShiftStatus.COMPLETED
    if shift.status is ShiftStatus.ACTIVE or now >= shift.start:
        return ShiftStatus.ACTIVE
    return ShiftStatus.SCHEDULED


def with_clock(shift: Shift, now: datetime) -> Shift:
    """The shift with the status the clock gives it at `now` (what is stored after a tick)."""
    status = status_at(shift, now)
    return shift if status is shift.status else replace(shift, status=status)


def transition(shift: Shift, action: Action, now: datetime) -> Shift:
    """The shift after a hand action at `now`; InvalidInput when the action does not apply."""
    current = status_at(shift, now)
    what = shift.label()
    if action is Action.ACTIVATE:
        if current is not ShiftStatus.SCHEDULED:
            raise InvalidInput(
                "shift", f"{what} is {current}: only a scheduled shift can be activated"
            )
        # activated before its start: the technician took over early, coverage starts now
        return replace(shift, status=ShiftStatus.ACTIVE, start=min(shift.start, now))
    if action is Action.COMPLETE:
        if current is not ShiftStatus.ACTIVE:
            hint = "; cancel it instead" if current is ShiftStatus.SCHEDULED else ""
            raise InvalidInput(
                "shift", f"{what} is {current}: only an active shift can be completed{hint}"
            )
        end = min(shift.end, now)
        if end <= shift.start:  # completed the instant it started: a shift is never empty
            end = shift.start + timedelta(seconds=1)
        return replace(shift, status=ShiftStatus.COMPLETED, end=end)
    if current not in (ShiftStatus.SCHEDULED, ShiftStatus.ACTIVE):
        raise InvalidInput(
            "shift", f"{what} is {current}: only a scheduled or active shift can be cancelled"
        )
    return replace(shift, status=ShiftStatus.CANCELLED)


def check_delete(shift: Shift, now: datetime) -> None:
    """Only scheduled or cancelled shifts can be deleted; the others are coverage history."""
    current = status_at(shift, now)
    if current not in (ShiftStatus.SCHEDULED, ShiftStatus.CANCELLED):
        advice = "use `complete` or `cancel` and " if current is ShiftStatus.ACTIVE else ""
        raise InvalidInput(
            "shift",
            f"{shift.label()} is {current} and cannot be deleted: only scheduled or cancelled "
            f"shifts can be; {advice}keep it as coverage history",
        )


def _overlaps(a: Shift, b: Shift) -> bool:
    return a.start < b.end and b.start < a.end


def _clashes(a: Shift, b: Shift) -> bool:
    return _overlaps(a, b) and (a.tech == b.tech or not (a.backup or b.backup))


def check_shift(new: Shift, others: Iterable[Shift], now: datetime) -> None:
    """Refuse a shift that is malformed or overlaps another of the same slot.

    `others` are the stored shifts (the one being edited, same id, is ignored);
    cancelled ones never clash. Two primary shifts may not overlap; a backup may
    overlap anything except another shift of the same technician.
    """
    _require_aware(new.start, "start")
    _require_aware(new.end, "end")
    if new.end <= new.start:
        raise InvalidInput("end", f"{_stamp(new.end)} is not after the start {_stamp(new.start)}")
    if new.end - new.start > MAX_SHIFT:
        raise InvalidInput("end", f"a shift lasts at most {MAX_SHIFT.days} days")
    if len(new.notes) > NOTES_MAX:
        raise InvalidInput("notes", f"at most {NOTES_MAX} characters")
    for other in others:
        if other.id is not None and other.id == new.id:
            continue
        if status_at(other, now) is ShiftStatus.CANCELLED or not _clashes(new, other):
            continue
        if other.tech == new.tech:
            why = f"{new.tech} already has {other.label()} at that time"
        else:
            why = f"it overlaps {other.label()}; mark one of them as backup (--backup)"
        raise InvalidInput("start", why)


def on_call(shifts: Iterable[Shift], at: datetime) -> OnCallNow:
    """The primary and the backup technician on call at `at`.

    Several active primaries can only come from a shift activated by hand
    early: the override wins, then the one that started last.
    """
    rank = {ShiftSource.OVERRIDE: 2, ShiftSource.MANUAL: 1, ShiftSource.ROTATION: 0}
    active = [s for s in shifts if status_at(s, at) is ShiftStatus.ACTIVE]
    primaries = [s for s in active if not s.backup]
    primary = max(primaries, key=lambda s: (rank[s.source], s.start), default=None)
    backups = [s for s in active if s.backup and (primary is None or s.tech != primary.tech)]
    backup = max(backups, key=lambda s: s.start, default=None)
    return OnCallNow(primary, backup)


# -- overrides and rotation -----------------------------------------------------------


@dataclass(frozen=True)
class Changes:
    """What an override or a rotation does to the stored shifts, applied together."""

    add: tuple[Shift, ...] = ()
    update: tuple[Shift, ...] = ()  # stored shifts (by id) with new values
    delete: tuple[Shift, ...] = ()


def _carve(
    start: datetime, end: datetime, busy: Iterable[Shift]
) -> list[tuple[datetime, datetime]]:
    """[start, end) without the time `busy` covers; pieces shorter than MIN_PIECE dropped."""
    pieces = [(start, end)]
    for b in sorted(busy, key=lambda s: s.start):
        cut: list[tuple[datetime, datetime]] = []
        for lo, hi in pieces:
            if b.end <= lo or b.start >= hi:
                cut.append((lo, hi))
                continue
            if b.start > lo:
                cut.append((lo, b.start))
            if b.end < hi:
                cut.append((b.end, hi))
        pieces = cut
    return [(lo, hi) for lo, hi in pieces if hi - lo >= MIN_PIECE]


def override(new: Shift, shifts: Sequence[Shift], now: datetime) -> Changes:
    """Put one-off shift `new` in: the rotation shifts it covers are split or cancelled.

    It must not clash with a shift made by hand or another override.
    """
    new = replace(new, source=ShiftSource.OVERRIDE, backup=False)
    rotation = [
        s for s in shifts
        if s.source is ShiftSource.ROTATION and not s.backup and _overlaps(s, new)
        and status_at(s, now) in (ShiftStatus.SCHEDULED, ShiftStatus.ACTIVE)
    ]  # fmt: skip
    check_shift(new, [s for s in shifts if s not in rotation], now)
    update: list[Shift] = []
    add: list[Shift] = [new]
    for old in rotation:
        pieces = _carve(old.start, old.end, [new])
        if not pieces:
            note = _joined(old.notes, "replaced by an override")
            update.append(replace(old, status=ShiftStatus.CANCELLED, notes=note))
            continue
        head, *tail = pieces
        update.append(replace(old, start=head[0], end=head[1]))
        add.extend(
            replace(old, id=None, start=lo, end=hi, status=ShiftStatus.SCHEDULED) for lo, hi in tail
        )
    return Changes(add=tuple(add), update=tuple(update))


def _joined(notes: str, extra: str) -> str:
    return f"{notes}; {extra}" if notes else extra


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _period_index(cadence: Cadence, anchor: date, day: date) -> int:
    """The number of the roster period (from `anchor`, 0) that contains local date `day`."""
    if cadence is Cadence.MONTHLY:
        months = (day.year - anchor.year) * 12 + day.month - anchor.month
        if _add_months(anchor, months) > day:
            months -= 1
        return months
    span = {Cadence.DAILY: 1, Cadence.WEEKLY: 7, Cadence.BIWEEKLY: 14}[cadence]
    return (day - anchor).days // span


def _period_start(cadence: Cadence, anchor: date, k: int) -> date:
    if cadence is Cadence.MONTHLY:
        return _add_months(anchor, k)
    span = {Cadence.DAILY: 1, Cadence.WEEKLY: 7, Cadence.BIWEEKLY: 14}[cadence]
    return anchor + timedelta(days=span * k)


def local_instant(day: date, at: time, tz: str) -> datetime:
    """`day` at wall-clock time `at` in `tz`, as an aware datetime.

    A time that does not exist that day (the spring-forward gap) lands after
    the gap, by its length; a repeated one (fall back) is its first occurrence.
    """
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def rotation_shifts(settings: OnCallSettings, start: date, periods: int) -> list[Shift]:
    """The roster's shifts for `periods` periods from local date `start` (not yet carved).

    Periods follow the cadence from the anchor (`start` when none is set), change
    hands at the handoff time in the settings' time zone, and go round the
    roster in order; the first one starts at `start`'s handoff even if its period
    began earlier.
    """
    if not settings.roster:
        raise InvalidInput(
            "roster", "the rotation roster is empty (pbx oncall settings --set roster=Ann,Bob)"
        )
    if not 1 <= periods <= MAX_PERIODS:
        raise InvalidInput("periods", f"must be from 1 to {MAX_PERIODS}, got {periods}")
    anchor = settings.anchor or start
    first = _period_index(settings.cadence, anchor, start)
    roster = settings.roster
    found: list[Shift] = []
    for k in range(first, first + periods):
        day = max(_period_start(settings.cadence, anchor, k), start)
        lo = local_instant(day, settings.handoff, settings.timezone)
        hi = local_instant(
            _period_start(settings.cadence, anchor, k + 1), settings.handoff, settings.timezone
        )
        tech = roster[k % len(roster)]
        found.append(Shift(tech, lo, hi, status=ShiftStatus.SCHEDULED, source=ShiftSource.ROTATION))
    return found


def rotate(
    settings: OnCallSettings, start: date, periods: int, shifts: Sequence[Shift], now: datetime
) -> Changes:
    """Generate the rotation for `periods` periods from `start`.

    Scheduled rotation shifts in that time are replaced (so a changed roster
    takes effect); every other primary shift (made by hand, overrides, active
    or completed rotation shifts) is kept and the rotation fills around it.
    """
    wanted = rotation_shifts(settings, start, periods)
    lo, hi = wanted[0].start, wanted[-1].end
    span = Shift("", lo, hi)
    replaced = [
        s for s in shifts
        if s.source is ShiftSource.ROTATION and _overlaps(s, span)
        and status_at(s, now) is ShiftStatus.SCHEDULED and s.start >= lo
    ]  # fmt: skip
    # A replaced shift that runs past the span (the cadence changed) keeps its tail.
    tails = tuple(replace(s, start=hi) for s in replaced if s.end > hi)
    stale = tuple(s for s in replaced if s.end <= hi)
    kept = [
        s for s in shifts
        if s not in replaced and not s.backup and status_at(s, now) is not ShiftStatus.CANCELLED
    ]  # fmt: skip
    add = [
        replace(shift, start=a, end=b)
        for shift in wanted
        for a, b in _carve(shift.start, shift.end, [*kept, *tails])
    ]
    return Changes(add=tuple(add), update=tails, delete=stale)


# -- settings ------------------------------------------------------------------------

_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_CADENCE_ALIASES = {
    "every-two-weeks": Cadence.BIWEEKLY,
    "every two weeks": Cadence.BIWEEKLY,
    "fortnightly": Cadence.BIWEEKLY,
    "two-weeks": Cadence.BIWEEKLY,
}
SETTING_KEYS = (
    "shift_hours", "cadence", "roster", "handoff", "timezone", "anchor",
    "emergency_number", "sla_minutes", "auto_notify", "business_name", "accept_prompt",
)  # fmt: skip


def _integer(key: str, raw: str, lo: int, hi: int) -> int:
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not lo <= int(text) <= hi:
        raise InvalidInput(key, f"{raw!r} is not a whole number from {lo} to {hi}")
    return int(text)


def parse_setting(
    key: str, raw: str, region: str, users: Iterable[str] = (), numbers: Iterable[str] = ()
) -> object:
    """The typed value of setting `key` from what an admin typed; InvalidInput names the key.

    `users` are the known user names (roster) and `numbers` the business numbers
    (emergency_number); an empty value clears the optional ones.
    """
    text = raw.strip()
    if key == "shift_hours":
        return _integer(key, text, 1, MAX_SHIFT.days * 24)
    if key == "sla_minutes":
        return _integer(key, text, 1, 24 * 60)
    if key == "cadence":
        alias = _CADENCE_ALIASES.get(text.lower())
        return alias or choice(key, raw, Cadence)
    if key == "roster":
        names = tuple(n.strip() for n in text.split(",") if n.strip())
        known = set(users)
        for name in names:
            if name not in known:
                raise InvalidInput(key, f"user {name!r} does not exist")
        if len(set(names)) != len(names):
            raise InvalidInput(key, "a technician is listed twice")
        return names
    if key == "handoff":
        match = _HHMM.fullmatch(text)
        if match is None:
            raise InvalidInput(key, f"{raw!r} is not a time of day (HH:MM)")
        return time(int(match.group(1)), int(match.group(2)))
    if key == "timezone":
        from pbx.core.schedule import parse_timezone  # schedule imports the model, which imports us

        return parse_timezone(text)
    if key == "anchor":
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(key, f"{raw!r} is not a date (YYYY-MM-DD)") from None
    if key == "emergency_number":
        if not text:
            return None
        e164 = phone.normalize(text, region, key)
        if e164 not in set(numbers):
            raise InvalidInput(key, f"{e164} is not one of our business numbers")
        return e164
    if key == "auto_notify":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise InvalidInput(key, f"{raw!r} is not true or false")
    if key == "business_name":
        if len(text) > 80 or any(not ch.isprintable() for ch in text):
            raise InvalidInput(key, "at most 80 printable characters")
        return text
    if key == "accept_prompt":
        if len(text) > 300 or any(not ch.isprintable() for ch in text):
            raise InvalidInput(key, "at most 300 printable characters")
        if text and "1" not in text and "one" not in text.lower():
            raise InvalidInput(key, "must tell the technician to press 1 to accept")
        return text
    raise InvalidInput("setting", f"unknown setting {key!r} (one of {', '.join(SETTING_KEYS)})")


def apply_settings(
    settings: OnCallSettings,
    pairs: Sequence[str],
    region: str,
    users: Iterable[str] = (),
    numbers: Iterable[str] = (),
) -> OnCallSettings:
    """`settings` with each `key=value` of `pairs` applied (all or nothing)."""
    users, numbers = tuple(users), tuple(numbers)
    changed: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise InvalidInput("set", f"{pair!r} is not key=value")
        changed[key] = parse_setting(key, value, region, users, numbers)
    return replace(settings, **changed)  # type: ignore[arg-type]


def settings_text(settings: OnCallSettings) -> dict[str, str]:
    """Each setting as text, the way `parse_setting` reads it back."""
    return {
        "shift_hours": str(settings.shift_hours),
        "cadence": settings.cadence.value,
        "roster": ",".join(settings.roster),
        "handoff": settings.handoff.strftime("%H:%M"),
        "timezone": settings.timezone,
        "anchor": settings.anchor.isoformat() if settings.anchor else "",
        "emergency_number": settings.emergency_number or "",
        "sla_minutes": str(settings.sla_minutes),
        "auto_notify": "true" if settings.auto_notify else "false",
        "business_name": settings.business_name,
        "accept_prompt": settings.accept_prompt,
    }


def settings_from_text(stored: Mapping[str, str], region: str = "US") -> OnCallSettings:
    """Settings as stored (text per key); a stored value that no longer parses keeps the default.

    References (roster users, the emergency number) are not checked here: a
    renamed or removed user just never comes up in the rotation.
    """
    base = OnCallSettings()
    values: dict[str, object] = {}
    for key, raw in stored.items():
        if key not in SETTING_KEYS:
            continue
        try:
            if key == "roster":
                values[key] = tuple(n.strip() for n in raw.split(",") if n.strip())
            elif key == "emergency_number":
                values[key] = raw.strip() or None
            else:
                values[key] = parse_setting(key, raw, region)
        except InvalidInput:
            continue
    return replace(base, **values)  # type: ignore[arg-type]


# -- input ---------------------------------------------------------------------------

_WHEN = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?")


def parse_when(raw: str, tz: str, field_name: str, now: datetime) -> datetime:
    """An instant typed by an admin: ISO with an offset, or a local date and time in `tz`.

    Accepted: `2026-11-21 18:00`, `2026-11-21T18:00`, `2026-11-21` (midnight),
    `18:00` (today), `now`, and any ISO 8601 time with an offset or `Z`. A local
    time that does not exist (the daylight-saving gap) is refused.
    """
    text = raw.strip()
    if not text:
        raise InvalidInput(field_name, "no time given (e.g. '2026-11-21 18:00')")
    if text.lower() == "now":
        return now
    zone = ZoneInfo(tz)
    if hhmm := _HHMM.fullmatch(text):
        today = now.astimezone(zone).date().isoformat()
        text = f"{today} {int(hhmm.group(1)):02d}:{hhmm.group(2)}"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            field_name, f"{raw!r} is not a time (e.g. '2026-11-21 18:00', '18:00', 'now')"
        ) from None
    if parsed.tzinfo is not None:
        return parsed
    local = parsed.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != parsed:
        raise InvalidInput(field_name, f"{text} does not exist in {tz} (the clocks skip it)")
    return local.astimezone(UTC)


def parse_outcome(raw: str, field_name: str = "outcome") -> Outcome:
    return choice(field_name, raw, Outcome)


def check_entry(entry: EmergencyCall) -> None:
    """Refuse an emergency call log entry with impossible values."""
    if not entry.customer_name.strip():
        raise InvalidInput("customer", "a customer name is required")
    if entry.response_minutes is not None and not 0 <= entry.response_minutes <= 7 * 24 * 60:
        raise InvalidInput("response", f"{entry.response_minutes} is not a number of minutes")
    for name, text in (("issue", entry.issue), ("notes", entry.notes)):
        if len(text) > 2000:
            raise InvalidInput(name, "at most 2000 characters")


# -- dashboard -----------------------------------------------------------------------


def tone(average: float | None, target: int) -> Tone | None:
    """Within: at most 80% of the target; near: up to the target; breached: over it."""
    if average is None:
        return None
    if average <= 0.8 * target:
        return Tone.WITHIN
    if average <= target:
        return Tone.NEAR
    return Tone.BREACHED


def month_start(now: datetime, tz: str) -> datetime:
    """The first instant of `now`'s month in `tz`."""
    local = now.astimezone(ZoneInfo(tz))
    return local_instant(date(local.year, local.month, 1), time(0, 0), tz)


def dashboard(
    shifts: Iterable[Shift], calls: Iterable[EmergencyCall], settings: OnCallSettings, now: datetime
) -> Dashboard:
    """Active and scheduled shifts now; this month's emergency calls, outcomes, response time."""
    statuses = [status_at(s, now) for s in shifts]
    since = month_start(now, settings.timezone)
    month = [c for c in calls if since <= c.received_at <= now]
    outcomes = {o.value: 0 for o in Outcome}
    for c in month:
        if c.outcome is not None:
            outcomes[c.outcome.value] += 1
    times = [c.response_minutes for c in month if c.response_minutes is not None]
    average = round(sum(times) / len(times), 1) if times else None
    return Dashboard(
        active=statuses.count(ShiftStatus.ACTIVE),
        scheduled=statuses.count(ShiftStatus.SCHEDULED),
        calls_this_month=len(month),
        outcomes=outcomes,
        average_response=average,
        sla_minutes=settings.sla_minutes,
        tone=tone(average, settings.sla_minutes),
    )
