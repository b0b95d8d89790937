"""`pbx number`: business numbers."""

from __future__ import annotations

import typer

from cli.common import JsonOption, done, emit_one, emit_rows, with_directory
from pbx.core import present

app = typer.Typer(help="Business numbers (E.164) that callers dial.", no_args_is_help=True)


@app.command("add")
def add(
    e164: str,
    label: str = typer.Option(..., "--label", help="A name for the number, e.g. 'Main line'."),
    provider: str | None = typer.Option(None, "--provider", help="Telephony provider."),
    provider_ref: str | None = typer.Option(None, "--provider-ref", help="The provider's id."),
    assign: str | None = typer.Option(None, "--assign", help="Direct number of this user."),
    dest: str | None = typer.Option(None, "--dest", help="ext:101, group:NAME or menu:NAME."),
    forward: str | None = typer.Option(None, "--forward", help="Forwarding number."),
    schedule: str | None = typer.Option(None, "--schedule", help="Business-hours schedule."),
    record: bool | None = typer.Option(
        None, "--record/--no-record", help="Record answered calls to this number (default: yes)."
    ),
) -> None:
    """Add a business number."""
    num = with_directory(
        lambda s: s.add_number(
            e164,
            label,
            provider=provider,
            provider_ref=provider_ref,
            assign=assign,
            dest=dest,
            forward=forward,
            schedule_name=schedule,
            record=record,
        )
    )
    done(f"added number {num.e164}")


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """List business numbers."""
    d = with_directory(lambda s: s.snapshot())
    emit_rows([present.number(n) for n in d.numbers], as_json)


@app.command("show")
def show(e164: str, as_json: bool = JsonOption) -> None:
    """Show one business number."""
    emit_one(present.number(with_directory(lambda s: s.get_number(e164))), as_json)


@app.command("update")
def update(
    e164: str,
    label: str | None = typer.Option(None, "--label"),
    provider: str | None = typer.Option(None, "--provider"),
    provider_ref: str | None = typer.Option(None, "--provider-ref"),
    dest: str | None = typer.Option(
        None, "--dest", help="ext:101, group:NAME, menu:NAME, or '' to clear."
    ),
    forward: str | None = typer.Option(None, "--forward", help="A number, or '' to clear."),
    schedule: str | None = typer.Option(None, "--schedule", help="A schedule, or '' to clear."),
    force: bool = typer.Option(False, "--force", help="Allow changing provider fields."),
    record: bool | None = typer.Option(
        None, "--record/--no-record", help="Record answered calls to this number."
    ),
) -> None:
    """Change a business number."""
    num = with_directory(
        lambda s: s.update_number(
            e164,
            label=label,
            provider=provider,
            provider_ref=provider_ref,
            dest=dest,
            forward=forward,
            schedule_name=schedule,
            force=force,
            record=record,
        )
    )
    done(f"updated number {num.e164}")


@app.command("assign")
def assign(e164: str, user: str) -> None:
    """Make the number USER's direct number (one user per number, one number per user)."""
    num = with_directory(lambda s: s.assign_number(e164, user))
    done(f"{num.e164} is now assigned to '{user}'")


@app.command("unassign")
def unassign(e164: str) -> None:
    """Take the number away from its user."""
    num = with_directory(lambda s: s.unassign_number(e164))
    done(f"{num.e164} is no longer assigned")


@app.command("disable")
def disable(e164: str) -> None:
    """Stop routing calls to the number; its call history stays."""
    num = with_directory(lambda s: s.set_number_active(e164, False))
    done(f"{num.e164} disabled")


@app.command("enable")
def enable(e164: str) -> None:
    """Route calls to the number again."""
    num = with_directory(lambda s: s.set_number_active(e164, True))
    done(f"{num.e164} enabled")
