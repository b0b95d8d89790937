"""`pbx schedule`: business hours and the after-hours chain."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.common import EXIT_BAD_INPUT, JsonOption, done, emit_one, emit_rows, fail, with_directory
from pbx.core import present

app = typer.Typer(help="Business hours, holidays and after-hours routing.", no_args_is_help=True)

AFTER_HOURS = (
    "Chain tried after hours, in order: triage (or triage:spoken) first, oncall, a number, "
    "then voicemail:BOX or menu:NAME last; e.g. 'triage,oncall,voicemail:After Hours'."
)
TRIAGE_PROMPT = (
    "The triage question (spoken offline by flite); default: 'Our office is closed. If this "
    "is an emergency ... press 1 now.'"
)
TRIAGE_PROMPT_FILE = "A WAV recording of the triage question instead."


@app.command("add")
def add(
    name: str,
    tz: str = typer.Option(..., "--tz", help="IANA time zone, e.g. America/Chicago."),
    hours: list[str] = typer.Option(
        ..., "--hours", help="Open hours, e.g. 'mon-fri 08:00-17:00' (repeatable)."
    ),
    holiday: list[str] = typer.Option([], "--holiday", help="Closed date YYYY-MM-DD (repeatable)."),
    after_hours: str | None = typer.Option(None, "--after-hours", help=AFTER_HOURS),
    triage_prompt: str | None = typer.Option(None, "--triage-prompt", help=TRIAGE_PROMPT),
    triage_prompt_file: Path | None = typer.Option(
        None, "--triage-prompt-file", help=TRIAGE_PROMPT_FILE
    ),
) -> None:
    """Add a schedule."""
    sched = with_directory(
        lambda s: s.add_schedule(
            name,
            tz,
            hours,
            holiday,
            after_hours,
            triage_prompt=triage_prompt,
            triage_prompt_file=triage_prompt_file,
        )
    )
    done(f"added schedule '{sched.name}'")


@app.command("update")
def update(
    name: str,
    new_name: str | None = typer.Option(None, "--name", help="Rename the schedule."),
    tz: str | None = typer.Option(None, "--tz", help="IANA time zone."),
    hours: list[str] = typer.Option(
        [], "--hours", help="Open hours (repeatable); replace the stored hours."
    ),
    closed: bool = typer.Option(False, "--closed", help="No open hours at all (always closed)."),
    holiday: list[str] = typer.Option(
        [], "--holiday", help="Closed date YYYY-MM-DD (repeatable); replace the stored ones."
    ),
    no_holidays: bool = typer.Option(False, "--no-holidays", help="Remove every holiday."),
    after_hours: str | None = typer.Option(
        None, "--after-hours", help=AFTER_HOURS + " '' removes the chain."
    ),
    triage_prompt: str | None = typer.Option(
        None, "--triage-prompt", help=TRIAGE_PROMPT + " '' goes back to the default."
    ),
    triage_prompt_file: Path | None = typer.Option(
        None, "--triage-prompt-file", help=TRIAGE_PROMPT_FILE
    ),
) -> None:
    """Change a schedule; what is not given stays as it is (the triage question too)."""
    if hours and closed:
        fail("hours: give --hours or --closed, not both", EXIT_BAD_INPUT)
    if holiday and no_holidays:
        fail("holidays: give --holiday or --no-holidays, not both", EXIT_BAD_INPUT)
    sched = with_directory(
        lambda s: s.update_schedule(
            name,
            new_name=new_name,
            tz=tz,
            hours=[] if closed else hours or None,
            holidays=[] if no_holidays else holiday or None,
            after_hours=after_hours,
            triage_prompt=triage_prompt,
            triage_prompt_file=triage_prompt_file,
        )
    )
    done(f"updated schedule '{sched.name}'")


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
