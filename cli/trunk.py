"""`pbx trunk`: SIP trunks to telephony providers."""

from __future__ import annotations

import typer

from cli.common import JsonOption, done, emit_rows, with_directory
from pbx.core import present

app = typer.Typer(help="SIP trunks to telephony providers.", no_args_is_help=True)


@app.command("add")
def add(
    name: str,
    host: str = typer.Option(..., "--host", help="Provider's SIP host."),
    username: str = typer.Option(..., "--username"),
    password: str = typer.Option(..., "--password"),
    port: int = typer.Option(5060, "--port"),
    from_domain: str | None = typer.Option(None, "--from-domain"),
) -> None:
    """Add a trunk (outbound registration and inbound identify by host)."""
    trunk = with_directory(lambda s: s.add_trunk(name, host, username, password, port, from_domain))
    done(f"added trunk '{trunk.name}' (load it: pbx config apply)")


@app.command("list")
def list_(
    as_json: bool = JsonOption,
    show_secrets: bool = typer.Option(False, "--show-secrets", help="Include passwords."),
) -> None:
    """List trunks."""
    d = with_directory(lambda s: s.snapshot())
    emit_rows([present.trunk(t, show_secrets) for t in d.trunks], as_json)


@app.command("remove")
def remove(name: str) -> None:
    """Remove a trunk."""
    with_directory(lambda s: s.remove_trunk(name))
    done(f"removed trunk '{name}'")
