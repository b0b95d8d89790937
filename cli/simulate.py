"""`pbx simulate`: where would a call go? Routing on the live directory, without a call."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

import typer

from cli.common import EXIT_BAD_INPUT, fail, settings, with_directory
from pbx.core import phone
from pbx.core.calls import Direction
from pbx.core.errors import InvalidInput
from pbx.core.model import MENU_KEYS
from pbx.core.routing import (
    CallFacts,
    CallKind,
    Plan,
    RoutingIndex,
    RoutingOptions,
    StepKind,
    TargetKind,
    follow,
    route,
)

AT_FORMS = "YYYY-MM-DD HH:MM, or ISO 8601 with an offset such as 2026-11-21T23:10-06:00"


def parse_at(raw: str | None, zone: tzinfo | None) -> datetime:
    """The instant `raw` names: with an offset as given, else wall-clock time in `zone`
    (the machine's local zone when None); now when `raw` is None."""
    if raw is None:
        return datetime.now(UTC)
    text = raw.strip()
    if not text:
        raise InvalidInput("at", f"no date and time given ({AT_FORMS})")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("at", f"{raw!r} is not a date and time ({AT_FORMS})") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=zone) if zone is not None else value.astimezone()
    return value


def _zone_of(number: str, index: RoutingIndex) -> tzinfo | None:
    """The time zone of the schedule of business number `number`, if it has one."""
    e164 = number.strip()
    if e164 not in index.numbers:
        try:
            e164 = phone.normalize(e164, index.options.default_region, "number")
        except InvalidInput:
            return None
    found = index.numbers.get(e164)
    schedule = index.schedules.get(found.schedule) if found and found.schedule else None
    if schedule is None:
        return None
    try:
        return ZoneInfo(schedule.tz)
    except (KeyError, ValueError, OSError):
        return None


def _header(plan: Plan, at: datetime, index: RoutingIndex) -> str:
    when = f"{at:%a %Y-%m-%d %H:%M} {at.tzname() or at.strftime('%z')}"
    caller = plan.caller or "an unknown caller"
    if plan.direction is Direction.INBOUND:
        number = index.numbers.get(plan.called)
        label = f" ({number.label})" if number is not None else ""
        return f"inbound call from {caller} to {plan.called}{label} at {when}:"
    return f"{plan.direction.value} call from extension {caller} to {plan.called} at {when}:"


def _group_details(plan: Plan, index: RoutingIndex) -> list[str]:
    lines = []
    for step in plan.steps:
        if step.kind is not StepKind.RING or step.target is not TargetKind.GROUP:
            continue
        group = index.groups.get(step.name)
        if group is not None:
            members = ", ".join(group.members) or "no members"
            lines.append(
                f"group {group.name}: {group.strategy.value}, members {members}, "
                f"{group.ring_timeout} s per ring, {group.timeout} s in all"
            )
    return lines


def _keys(raw: str) -> list[str]:
    """`2,1,-` as the keys pressed in turn ("" for none); InvalidInput names `keys`."""
    found = []
    for part in raw.split(","):
        key = part.strip()
        if key in ("-", ""):
            found.append("")
        elif len(key) == 1 and key in MENU_KEYS or key.isascii() and key.isdigit():
            found.append(key)
        else:
            raise InvalidInput("keys", f"{part!r} is not a key (0-9, * or #), a number or -")
    return found


def simulate(
    number: str = typer.Option(
        ..., "--number", help="The business number called (or, with --internal, what was dialled)."
    ),
    caller: str = typer.Option(
        "", "--from", help="The caller ID (or, with --internal, the calling extension)."
    ),
    at: str | None = typer.Option(
        None,
        "--at",
        help="When: 'YYYY-MM-DD HH:MM' in the number's schedule time zone (or local time), "
        "or ISO 8601 with an offset. Default: now.",
    ),
    internal: bool = typer.Option(
        False, "--internal", help="The call is placed by extension --from dialling --number."
    ),
    keys: str | None = typer.Option(
        None,
        "--keys",
        help="What the caller presses at each menu and triage, in turn, comma-separated "
        "('-' for nothing), e.g. 2,1: the plan then shows where those keys lead.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """Show where a call would go right now (or --at a given time), step by step, and why."""
    cfg = settings()
    directory = with_directory(lambda s: s.snapshot())
    options = RoutingOptions(
        default_region=cfg.default_region,
        allow_international=cfg.allow_international,
        main_number=cfg.main_number,
    )
    try:
        index = RoutingIndex.build(directory, options)
        zone = None if internal else _zone_of(number, index)
        instant = parse_at(at, zone)
        kind = CallKind.INTERNAL if internal else CallKind.INBOUND
        plan = route(CallFacts(kind, number, caller), index, instant)
        answers: list[str] = []
        if keys is not None:
            plan, answers = follow(plan, _keys(keys), index, instant)
    except InvalidInput as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    if as_json:
        body = {"at": instant.isoformat(), **asdict(plan), "failed": plan.failed}
        body["describe"] = plan.describe()
        body["keys"] = answers
        typer.echo(json.dumps(body, indent=2))
        return
    typer.echo(_header(plan, instant, index))
    for line in answers:
        typer.echo(f"keys: {line}")
    for line in plan.describe():
        typer.echo(line)
    for line in _group_details(plan, index):
        typer.echo(f"note: {line}")
