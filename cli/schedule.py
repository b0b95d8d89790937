"""`pbx schedule`: business hours and the after-hours chain."""

from __future__ import annotations

import typer

from cli.common import JsonOption, done, emit_one, emit_rows, with_directory
from pbx.core import present

app = typer.Typer(help="Business hours, holidays and after-hours routing.", no_args_is_help=True)


@app.command("add")
def add(
    name: str,
    tz: str = typer.Option(..., "--tz", help="IANA time zone, e.g. America/Chicago."),
    hours: list[str] = typer.Option(
        ..., "--hours", help="Open hours, e.g. 'mon-fri 08:00-17:00' (repeatable)."
    ),
    holiday: list[str] = typer.Option([], "--holiday", help="Closed date YYYY-MM-DD (repeatable)."),
    after_hours: str | None = typer.Option(
        None,
        "--after-hours",
        help="Chain tried after hours, in order: oncall, a number, voicemail:BOX.",
    ),
) -> None:
    """Add a schedule."""
    sched = with_directory(lambda s: s.add_schedule(name, tz, hours, holiday, after_hours))
    done(f"added schedule '{sched.name}'")


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """List schedules."""
    d = with_directory(lambda s: s.snapshot())
    emit_rows([present.schedule(x) for x in d.schedules], as_json)


@app.command("show")
def show(name: str, as_json: bool = JsonOption) -> None:
    """Show one schedule."""
    emit_one(present.schedule(with_directory(lambda s: s.get_schedule(name))), as_json)


@app.command("remove")
def remove(name: str) -> None:
    """Remove a schedule that no business number uses."""
    with_directory(lambda s: s.remove_schedule(name))
    done(f"removed schedule '{name}'")
