"""`pbx asterisk`: the embedded Asterisk."""

from __future__ import annotations

import json

import typer

from cli.common import JsonOption, done, fail, settings

app = typer.Typer(help="The Asterisk that carries SIP and media.", no_args_is_help=True)


def _process():  # type: ignore[no-untyped-def]
    from pbx.adapters import asterisk_process

    return asterisk_process


@app.command("bootstrap")
def bootstrap() -> None:
    """Use the host's Asterisk, or build and cache a root holding one (once)."""
    proc = _process()
    try:
        host = proc.bootstrap(settings())
    except proc.AsteriskError as exc:
        fail(str(exc))
    done(f"asterisk ready: {host.describe()}")


@app.command("start")
def start() -> None:
    """Render the configuration and start Asterisk on it; returns once it is fully booted."""
    from cli.config import render

    render(check=False)
    proc = _process()
    try:
        pid = proc.start(settings())
    except proc.AsteriskError as exc:
        fail(str(exc))
    done(f"asterisk started (pid {pid})")


@app.command("stop")
def stop() -> None:
    """Stop Asterisk."""
    proc = _process()
    try:
        proc.stop(settings())
    except proc.AsteriskError as exc:
        fail(str(exc))
    done("asterisk stopped")


@app.command("status")
def status(as_json: bool = JsonOption) -> None:
    """Whether Asterisk is running, its pid and version."""
    proc = _process()
    info = proc.status(settings())
    if as_json:
        typer.echo(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            typer.echo(f"{key}: {value}")
    if not info.get("running"):
        raise typer.Exit(1)
