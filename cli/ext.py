"""`pbx ext`: extensions (SIP endpoints)."""

from __future__ import annotations

import typer

from cli.common import JsonOption, done, emit_rows, with_directory
from pbx.core import present

app = typer.Typer(help="Extensions: 3-4 digit SIP endpoints of team members.", no_args_is_help=True)


@app.command("add")
def add(
    number: str,
    user: str = typer.Option(..., "--user", help="The team member it belongs to."),
    ring: str = typer.Option("softphone", "--ring", help="softphone, cell or both."),
    webrtc: bool = typer.Option(
        False, "--webrtc", help="A browser softphone (the /phone page) instead of a SIP phone."
    ),
) -> None:
    """Add an extension with generated SIP credentials and a personal voicemail box."""
    ext = with_directory(lambda s: s.add_extension(number, user, ring, webrtc))
    done(
        f"added extension {ext.number} for '{ext.user}' "
        "(credentials: pbx ext list --show-secrets; load it: pbx config apply)"
    )


@app.command("list")
def list_(
    as_json: bool = JsonOption,
    show_secrets: bool = typer.Option(False, "--show-secrets", help="Include SIP passwords."),
) -> None:
    """List extensions."""
    d = with_directory(lambda s: s.snapshot())
    rows = [present.extension(e, show_secrets) for e in d.extensions]
    emit_rows(rows, as_json)


@app.command("update")
def update(
    number: str,
    user: str | None = typer.Option(None, "--user", help="Give it to another team member."),
    ring: str | None = typer.Option(None, "--ring", help="softphone, cell or both."),
    dnd: bool | None = typer.Option(None, "--dnd/--no-dnd", help="Do not disturb."),
    new_password: bool = typer.Option(
        False, "--new-password", help="Generate new SIP credentials."
    ),
    webrtc: bool | None = typer.Option(
        None, "--webrtc/--no-webrtc", help="A browser softphone, or a SIP phone."
    ),
) -> None:
    """Change an extension."""
    ext = with_directory(
        lambda s: s.update_extension(
            number, user=user, ring=ring, dnd=dnd, new_password=new_password, webrtc=webrtc
        )
    )
    done(f"updated extension {ext.number}")


@app.command("remove")
def remove(number: str) -> None:
    """Remove an extension that no number or ring group uses."""
    with_directory(lambda s: s.remove_extension(number))
    done(f"removed extension {number}")
