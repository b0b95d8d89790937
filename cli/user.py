"""`pbx user`: team members."""

from __future__ import annotations

import typer

from cli.common import JsonOption, done, emit_one, emit_rows, with_directory
from pbx.core import present, rules
from pbx.core.model import Directory, User
from pbx.services.directory import DirectoryService

app = typer.Typer(help="Team members.", no_args_is_help=True)


@app.command("add")
def add(
    name: str,
    email: str = typer.Option(..., "--email", help="Email address."),
    mobile: str | None = typer.Option(None, "--mobile", help="Mobile number (rung for 'cell' targets)."),
    role: str = typer.Option("technician", "--role", help="admin, dispatcher or technician."),
    oncall_write: bool = typer.Option(False, "--oncall-write", help="May edit on-call shifts."),
) -> None:
    """Add a team member."""
    user = with_directory(lambda s: s.add_user(name, email, mobile, role, oncall_write))
    done(f"added user '{user.name}'")


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """List team members."""
    d = with_directory(lambda s: s.snapshot())
    emit_rows([present.user(u) for u in d.users], as_json)


@app.command("show")
def show(name: str, as_json: bool = JsonOption) -> None:
    """Show one team member, with their extensions and direct number."""
    async def load(service: DirectoryService) -> tuple[Directory, User]:
        d = await service.snapshot()
        return d, rules.require_user(d, name)

    d, user = with_directory(load)
    row = present.user(user)
    row["extensions"] = [e.number for e in d.extensions_of(user.name)]
    row["direct_number"] = next((n.e164 for n in d.numbers if n.assigned_user == user.name), None)
    emit_one(row, as_json)


@app.command("update")
def update(
    name: str,
    new_name: str | None = typer.Option(None, "--name", help="Rename the user."),
    email: str | None = typer.Option(None, "--email"),
    mobile: str | None = typer.Option(None, "--mobile", help="New mobile; '' clears it."),
    role: str | None = typer.Option(None, "--role"),
    oncall_write: bool | None = typer.Option(None, "--oncall-write/--no-oncall-write"),
    active: bool | None = typer.Option(None, "--active/--inactive"),
    notify: str | None = typer.Option(
        None, "--notify", help="Voicemail notifications: email,sms,push (or none)."
    ),
) -> None:
    """Change a team member."""
    user = with_directory(
        lambda s: s.update_user(
            name,
            new_name=new_name,
            email=email,
            mobile=mobile,
            role=role,
            oncall_write=oncall_write,
            active=active,
            notify=notify,
        )
    )
    done(f"updated user '{user.name}'")


@app.command("remove")
def remove(name: str) -> None:
    """Remove a team member who owns no extension and no direct number."""
    with_directory(lambda s: s.remove_user(name))
    done(f"removed user '{name}'")
