"""`pbx calls`: the call log (who called, what answered, recordings)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import typer

from cli.common import JsonOption, copy_out, emit_one, emit_rows, using
from pbx.adapters.recordings import RecordingStore
from pbx.core import present
from pbx.runtime.settings import Settings
from pbx.runtime.wiring import repository
from pbx.services.calls import CallsService

T = TypeVar("T")

app = typer.Typer(help="The call log: calls, who handled them, recordings.", no_args_is_help=True)

COLUMNS = [
    "id",
    "started",
    "direction",
    "from",
    "to",
    "number",
    "handled_by",
    "customer",
    "job",
    "disposition",
    "duration",
]
WHEN = "YYYY-MM-DD, 'YYYY-MM-DD HH:MM' (local time), or an age: 90m, 24h, 7d."


@asynccontextmanager
async def calls_service(cfg: Settings) -> AsyncIterator[CallsService]:
    async with repository(cfg) as repo:
        yield CallsService(repo, repo, RecordingStore(cfg.recordings_dir))


def with_calls(action: Callable[[CallsService], Awaitable[T]]) -> T:
    """Run `action` against the call log of the current data directory."""
    return using(calls_service, action)


@app.command("list")
def list_(
    since: str | None = typer.Option(None, "--since", help="Calls that started after: " + WHEN),
    until: str | None = typer.Option(None, "--until", help="Calls that started before: " + WHEN),
    customer: str | None = typer.Option(None, "--customer", help="Customer id or exact name."),
    limit: int = typer.Option(50, "--limit", help="At most this many calls (newest first)."),
    as_json: bool = JsonOption,
) -> None:
    """List calls, newest first."""
    page = with_calls(lambda s: s.list(since=since, until=until, customer=customer, limit=limit))
    if as_json:
        rows = [present.call(c, page.customer(c), page.job(c)) for c in page.calls]
        typer.echo(json.dumps(rows, indent=2))
        return
    emit_rows(
        [present.call_row(c, page.customer(c), page.job(c)) for c in page.calls], False, COLUMNS
    )


@app.command("show")
def show(ident: int = typer.Argument(..., metavar="ID"), as_json: bool = JsonOption) -> None:
    """Show one call: everything recorded, the legs that rang, and the routing decisions."""
    page = with_calls(lambda s: s.show(ident))
    c = page.calls[0]
    if as_json:
        emit_one(present.call(c, page.customer(c), page.job(c)), True)
        return
    detail = present.call_detail(c, page.customer(c), page.job(c))
    legs, route = detail.pop("legs"), detail.pop("route")
    if detail.get("triage") is None:
        detail.pop("triage", None)  # shown only for calls asked the after-hours triage
    emit_one(detail, False)
    for title, lines in (("legs", legs), ("route", route)):
        typer.echo(f"{title}:")
        for number, line in enumerate(lines, start=1):
            typer.echo(f"  {number}. {line}")
        if not lines:
            typer.echo("  (none)")


@app.command("recording")
def recording(
    ident: int = typer.Argument(..., metavar="ID"),
    out: Path = typer.Option(..., "--out", help="Where to write the WAV file."),
) -> None:
    """Copy a call's recording (WAV) to a file."""
    source = with_calls(lambda s: s.recording(ident))
    copy_out(source, out)
    typer.echo(f"wrote the recording of call {ident} to {out} ({out.stat().st_size} bytes)")
