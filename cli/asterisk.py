"""`pbx asterisk`: the embedded Asterisk."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import typer

from cli.common import JsonOption, done, fail, settings
from pbx.adapters import asterisk_process
from pbx.runtime.settings import Settings

T = TypeVar("T")

app = typer.Typer(help="The Asterisk that carries SIP and media.", no_args_is_help=True)


def _do(action: Callable[[Settings], T]) -> T:
    """Run an Asterisk process action; its errors become one line and exit status 1."""
    try:
        return action(settings())
    except asterisk_process.AsteriskError as exc:
        fail(str(exc))


@app.command("bootstrap")
def bootstrap() -> None:
    """Use the host's Asterisk, or build and cache a root holding one (once)."""
    host = _do(asterisk_process.bootstrap)
    done(f"asterisk ready: {host.describe()}")


@app.command("start")
def start() -> None:
    """Render the configuration and start Asterisk on it; returns once it is fully booted."""
    from cli.config import render

    render(check=False)
    pid = _do(asterisk_process.start)
    done(f"asterisk started (pid {pid})")


@app.command("stop")
def stop() -> None:
    """Stop Asterisk."""
    _do(asterisk_process.stop)
    done("asterisk stopped")


@app.command("status")
def status(as_json: bool = JsonOption) -> None:
    """Whether Asterisk is running, its pid and version."""
    info = asterisk_process.status(settings())
    if as_json:
        typer.echo(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            typer.echo(f"{key}: {value}")
    if not info.get("running"):
        raise typer.Exit(1)
