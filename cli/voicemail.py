"""`pbx voicemail`: voicemail boxes."""

from __future__ import annotations

import typer

from cli.common import JsonOption, done, emit_rows, with_directory
from pbx.core import present

app = typer.Typer(help="Voicemail.", no_args_is_help=True)
box_app = typer.Typer(help="Voicemail boxes (personal ones come with each extension).", no_args_is_help=True)
app.add_typer(box_app, name="box")


@box_app.command("add")
def add(
    name: str,
    members: str | None = typer.Option(None, "--members", help="Users notified, e.g. ann,bob."),
) -> None:
    """Add a shared voicemail box."""
    box = with_directory(lambda s: s.add_box(name, members))
    done(f"added voicemail box '{box.name}'")


@box_app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """List voicemail boxes."""
    d = with_directory(lambda s: s.snapshot())
    emit_rows([present.box(b) for b in d.boxes], as_json)


@box_app.command("remove")
def remove(name: str) -> None:
    """Remove a shared voicemail box that nothing routes to."""
    with_directory(lambda s: s.remove_box(name))
    done(f"removed voicemail box '{name}'")
