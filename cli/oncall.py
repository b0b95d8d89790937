"""`pbx oncall`: shifts, rotation, overrides, the emergency call log, settings, dashboard.

Times are typed as `2026-11-21 18:00` (the on-call time zone, see `pbx oncall
settings`), `18:00` (today), `now`, or ISO 8601 with an offset. Writes act as
an admin unless `--as USER` names a user, who then needs the on-call write
permission (`pbx user update U --oncall-write`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import typer

from cli.common import JsonOption, done, emit_one, emit_rows, using
from pbx.core import present
from pbx.core.oncall import Action, OnCallSettings, settings_text
from pbx.runtime.wiring import oncall_service
from pbx.services.oncall import OnCallService

T = TypeVar("T")

app = typer.Typer(help="On-call shifts and emergency dispatch.", no_args_is_help=True)
shift_app = typer.Typer(help="On-call shifts.", no_args_is_help=True)
app.add_typer(shift_app, name="shift")

AsOption = typer.Option(
    None, "--as", help="Act as this user (needs the on-call write permission); default: admin."
)


def _with_zone(action: Callable[[OnCallService], Awaitable[T]]) -> tuple[T, ZoneInfo]:
    """Run `action`, and return its result with the on-call time zone for display."""

    async def go(service: OnCallService) -> tuple[T, ZoneInfo]:
        result = await action(service)
        return result, ZoneInfo((await service.settings()).timezone)

    return using(oncall_service, go)


def _oncall(action: Callable[[OnCallService], Awaitable[T]]) -> T:
    return using(oncall_service, action)


# -- shifts ----------------------------------------------------------------------------


@shift_app.command("new")
def shift_new(
    tech: str = typer.Option(..., "--tech", help="The technician (a user name)."),
    start: str = typer.Option(..., "--start", help="When it starts, e.g. '2026-11-21 18:00'."),
    end: str | None = typer.Option(
        None, "--end", help="When it ends (default: start + the default shift length)."
    ),
    notes: str = typer.Option("", "--notes", help="Coverage notes for the handoff."),
    backup: bool = typer.Option(False, "--backup", help="A backup shift (may overlap a primary)."),
    as_user: str | None = AsOption,
) -> None:
    """Schedule an on-call shift."""
    shift, zone = _with_zone(lambda s: s.new_shift(tech, start, end, notes, backup, as_user))
    row = present.shift(shift, zone)
    done(f"scheduled shift #{shift.id}: {shift.tech}, {row['start']} to {row['end']} ({zone.key})")


@shift_app.command("list")
def shift_list(
    status: str | None = typer.Option(
        None, "--status", help="Only scheduled, active, completed or cancelled shifts."
    ),
    as_json: bool = JsonOption,
) -> None:
    """List shifts by start, with the status they have now."""
    shifts, zone = _with_zone(lambda s: s.shifts(status))
    emit_rows([present.shift(s, zone) for s in shifts], as_json, present.SHIFT_COLUMNS)


@shift_app.command("show")
def shift_show(ident: int = typer.Argument(..., metavar="ID"), as_json: bool = JsonOption) -> None:
    """One shift and its emergency call log."""
    (shift, calls), zone = _with_zone(lambda s: s.shift(ident))
    row = present.shift(shift, zone)
    entries = [present.emergency_call(c, zone) for c in calls]
    if as_json:
        typer.echo(json.dumps({**row, "calls": entries}, indent=2))
        return
    emit_one({k: v for k, v in row.items() if not k.endswith("_utc")}, False)
    typer.echo("")
    emit_rows(entries, False, present.EMERGENCY_CALL_COLUMNS)


@shift_app.command("update")
def shift_update(
    ident: int = typer.Argument(..., metavar="ID"),
    tech: str | None = typer.Option(None, "--tech"),
    start: str | None = typer.Option(None, "--start"),
    end: str | None = typer.Option(None, "--end"),
    notes: str | None = typer.Option(None, "--notes"),
    backup: bool | None = typer.Option(None, "--backup/--primary"),
    as_user: str | None = AsOption,
) -> None:
    """Change a scheduled or active shift."""
    shift = _oncall(
        lambda s: s.update_shift(
            ident, tech=tech, start=start, end=end, notes=notes, backup=backup, as_user=as_user
        )
    )
    done(f"updated {shift.label()}")


def _lifecycle(action: Action, past: str) -> Callable[..., None]:
    def command(
        ident: int = typer.Argument(..., metavar="ID"), as_user: str | None = AsOption
    ) -> None:
        shift = _oncall(lambda s: s.act(ident, action, as_user))
        done(f"{past} {shift.label()}")

    command.__doc__ = f"{action.value.capitalize()} a shift by hand."
    return command


shift_app.command("activate")(_lifecycle(Action.ACTIVATE, "activated"))
shift_app.command("complete")(_lifecycle(Action.COMPLETE, "completed"))
shift_app.command("cancel")(_lifecycle(Action.CANCEL, "cancelled"))


@shift_app.command("delete")
def shift_delete(
    ident: int = typer.Argument(..., metavar="ID"), as_user: str | None = AsOption
) -> None:
    """Delete a scheduled or cancelled shift."""
    shift = _oncall(lambda s: s.delete(ident, as_user))
    done(f"deleted {shift.label()}")


# -- who, rotation, overrides ---------------------------------------------------------------


@app.command("now")
def now(as_json: bool = JsonOption) -> None:
    """Who is on call now, and the backup."""
    current, zone = _with_zone(lambda s: s.now())
    rows: dict[str, Any] = {
        "on_call": present.shift(current.primary, zone) if current.primary else None,
        "backup": present.shift(current.backup, zone) if current.backup else None,
    }
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for role, row in rows.items():
        label = "on call" if role == "on_call" else "backup"
        if row is None:
            typer.echo(f"{label}: nobody")
        else:
            typer.echo(f"{label}: {row['tech']} until {row['end']} (shift #{row['id']})")


@app.command("rotate")
def rotate(
    start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (local)."),
    periods: int = typer.Option(..., "--periods", help="How many periods of the cadence."),
    as_user: str | None = AsOption,
) -> None:
    """Generate shifts from the roster and cadence (pbx oncall settings)."""
    made, zone = _with_zone(lambda s: s.rotate(start, periods, as_user))
    emit_rows([present.shift(s, zone) for s in made], False, present.SHIFT_COLUMNS)
    done(f"generated {len(made)} rotation shift(s)")


@app.command("override")
def override(
    tech: str = typer.Option(..., "--tech"),
    start: str = typer.Option(..., "--start"),
    end: str = typer.Option(..., "--end"),
    notes: str = typer.Option("", "--notes"),
    as_user: str | None = AsOption,
) -> None:
    """A one-off shift that wins over the rotation (the rotation shifts it covers give way)."""
    made, zone = _with_zone(lambda s: s.override(tech, start, end, notes, as_user))
    first = made[0]
    row = present.shift(first, zone)
    done(f"override shift #{first.id}: {first.tech}, {row['start']} to {row['end']}")


# -- emergency call log -------------------------------------------------------------------


@app.command("log-call")
def log_call(
    shift: int = typer.Argument(..., metavar="SHIFT"),
    customer: str = typer.Option(..., "--customer", help="Customer name."),
    phone: str = typer.Option(..., "--phone", help="Customer phone number."),
    issue: str = typer.Option(..., "--issue", help="What the emergency is."),
    outcome: str | None = typer.Option(
        None, "--outcome", help="Dispatched, Resolved, No Answer or Declined."
    ),
    received: str | None = typer.Option(None, "--received", help="When it came in (default: now)."),
    response: str | None = typer.Option(None, "--response", help="Response time in minutes."),
    job: int | None = typer.Option(None, "--job", help="Related job id."),
    notes: str = typer.Option("", "--notes"),
    as_user: str | None = AsOption,
) -> None:
    """Log an emergency call on a shift by hand."""
    entry = _oncall(
        lambda s: s.log_call(
            shift, customer=customer, phone_number=phone, issue=issue, outcome=outcome,
            received=received, response=response, job=job, notes=notes, as_user=as_user,
        )
    )  # fmt: skip
    done(f"logged emergency call #{entry.id} on shift #{shift}")


@app.command("edit-call")
def edit_call(
    ident: int = typer.Argument(..., metavar="ID"),
    customer: str | None = typer.Option(None, "--customer"),
    phone: str | None = typer.Option(None, "--phone"),
    issue: str | None = typer.Option(None, "--issue"),
    outcome: str | None = typer.Option(None, "--outcome"),
    received: str | None = typer.Option(None, "--received"),
    response: str | None = typer.Option(None, "--response"),
    job: int | None = typer.Option(None, "--job", help="Related job id (0: none)."),
    notes: str | None = typer.Option(None, "--notes"),
    as_user: str | None = AsOption,
) -> None:
    """Edit an emergency call log entry."""
    entry = _oncall(
        lambda s: s.update_call(
            ident, customer=customer, phone_number=phone, issue=issue, outcome=outcome,
            received=received, response=response, job=job, notes=notes, as_user=as_user,
        )
    )  # fmt: skip
    done(f"updated emergency call #{entry.id}")


@app.command("calls")
def calls(
    shift: int | None = typer.Option(None, "--shift", help="Only this shift's calls."),
    as_json: bool = JsonOption,
) -> None:
    """The emergency call log, newest first."""
    entries, zone = _with_zone(lambda s: s.calls(shift))
    emit_rows(
        [present.emergency_call(c, zone) for c in entries], as_json, present.EMERGENCY_CALL_COLUMNS
    )


# -- settings and dashboard ----------------------------------------------------------------


@app.command("settings")
def settings_command(
    pairs: list[str] = typer.Option(
        [],
        "--set",
        help="key=value, repeatable: shift_hours, cadence, roster, handoff, timezone, "
        "anchor, emergency_number, sla_minutes, auto_notify, business_name.",
    ),
    as_user: str | None = AsOption,
    as_json: bool = JsonOption,
) -> None:
    """Show the on-call settings, or change them with --set."""

    async def go(service: OnCallService) -> OnCallSettings:
        if pairs:
            return await service.update_settings(pairs, as_user)
        return await service.settings()

    current = _oncall(go)
    emit_one(dict(settings_text(current)), as_json)
    if pairs:
        done("on-call settings saved")


@app.command("dashboard")
def dashboard(as_json: bool = JsonOption) -> None:
    """Shifts, this month's emergency calls and outcomes, response time against the SLA."""
    board = present.dashboard(_oncall(lambda s: s.dashboard()))
    if as_json:
        typer.echo(json.dumps(board, indent=2))
        return
    average = board["average_response_minutes"]
    target = board["sla_target_minutes"]
    typer.echo(f"active shifts:         {board['active_shifts']}")
    typer.echo(f"scheduled shifts:      {board['scheduled_shifts']}")
    typer.echo(f"emergency calls:       {board['emergency_calls_this_month']} this month")
    for outcome, count in board["outcomes"].items():
        typer.echo(f"  {outcome + ':':<20} {count}")
    if average is None:
        typer.echo(f"average response:      - (target {target} min)")
    else:
        typer.echo(
            f"average response:      {average} min (target {target} min: {board['sla_tone']})"
        )
