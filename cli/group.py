"""`pbx group`: ring groups."""

from __future__ import annotations

import typer

from cli.common import JsonOption, done, emit_rows, with_directory
from pbx.core import present

app = typer.Typer(help="Ring groups: extensions rung under one strategy.", no_args_is_help=True)

STRATEGIES = "ring-all, sequential, longest-idle, round-robin, fewest-calls or random"


@app.command("add")
def add(
    name: str,
    strategy: str = typer.Option(..., "--strategy", help=STRATEGIES + "."),
    members: str = typer.Option(..., "--members", help="Extensions in order, e.g. 101,102."),
    ring_timeout: int = typer.Option(20, "--ring-timeout", help="Seconds each member rings."),
    timeout: int = typer.Option(60, "--timeout", help="Seconds before the group gives up."),
    ext: str | None = typer.Option(None, "--ext", help="Internal dial code, e.g. 600."),
    fallback_box: str | None = typer.Option(None, "--fallback-box", help="Voicemail box on no answer."),
    record: bool | None = typer.Option(
        None, "--record/--no-record", help="Record calls this group answers (default: yes)."
    ),
) -> None:
    """Add a ring group."""
    group = with_directory(
        lambda s: s.add_group(
            name,
            strategy,
            members,
            ring_timeout=ring_timeout,
            timeout=timeout,
            ext=ext,
            fallback_box=fallback_box,
            record=record,
        )
    )
    done(f"added ring group '{group.name}'")


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """List ring groups."""
    d = with_directory(lambda s: s.snapshot())
    emit_rows([present.group(g) for g in d.groups], as_json)


@app.command("update")
def update(
    name: str,
    new_name: str | None = typer.Option(None, "--name", help="Rename the group."),
    strategy: str | None = typer.Option(None, "--strategy", help=STRATEGIES + "."),
    members: str | None = typer.Option(None, "--members"),
    ring_timeout: int | None = typer.Option(None, "--ring-timeout"),
    timeout: int | None = typer.Option(None, "--timeout"),
    ext: str | None = typer.Option(None, "--ext", help="Dial code, or '' to clear."),
    fallback_box: str | None = typer.Option(None, "--fallback-box", help="A box, or '' to clear."),
    record: bool | None = typer.Option(
        None, "--record/--no-record", help="Record calls this group answers."
    ),
) -> None:
    """Change a ring group."""
    group = with_directory(
        lambda s: s.update_group(
            name,
            new_name=new_name,
            strategy=strategy,
            members=members,
            ring_timeout=ring_timeout,
            timeout=timeout,
            ext=ext,
            fallback_box=fallback_box,
            record=record,
        )
    )
    done(f"updated ring group '{group.name}'")


@app.command("remove")
def remove(name: str) -> None:
    """Remove a ring group that no business number uses."""
    with_directory(lambda s: s.remove_group(name))
    done(f"removed ring group '{name}'")
