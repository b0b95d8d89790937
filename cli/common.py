"""What every CLI command shares: settings, error reporting, output."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from pbx.core.errors import InvalidInput
from pbx.runtime.settings import Settings, load_settings
from pbx.runtime.wiring import directory_service, notify_controller, prepare_home
from pbx.services.directory import DirectoryService

T = TypeVar("T")
S = TypeVar("S")

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1

JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings() -> Settings:
    """Settings for this command: PBX_HOME, its pbx.toml, then PBX_* variables."""
    try:
        return prepare_home(load_settings())
    except InvalidInput as exc:
        fail(str(exc), EXIT_BAD_INPUT)


def run(coro: Awaitable[T]) -> T:
    """Run a service call; bad input becomes one line on stderr and exit status 2."""
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except InvalidInput as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except (ConnectionError, OSError, RuntimeError) as exc:
        fail(str(exc) or exc.__class__.__name__)


def using(
    open_service: Callable[[Settings], AbstractAsyncContextManager[S]],
    action: Callable[[S], Awaitable[T]],
) -> T:
    """Run `action` against the service `open_service` opens for the current data directory."""
    cfg = settings()

    async def go() -> T:
        async with open_service(cfg) as service:
            return await action(service)

    return run(go())


def with_directory(action: Callable[[DirectoryService], Awaitable[T]]) -> T:
    """Run `action` against the directory service of the current data directory."""
    return using(directory_service, action)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def emit_rows(rows: Sequence[dict[str, Any]], as_json: bool, columns: Iterable[str] | None = None) -> None:
    """Print rows as JSON or as an aligned table."""
    if as_json:
        typer.echo(json.dumps(list(rows), indent=2, sort_keys=False))
        return
    if not rows:
        typer.echo("(none)")
        return
    cols = list(columns) if columns is not None else list(rows[0])
    table = [[c.upper() for c in cols]] + [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(cols))]
    for line in table:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def emit_one(row: dict[str, Any], as_json: bool) -> None:
    """Print one record as JSON or as `key: value` lines."""
    if as_json:
        typer.echo(json.dumps(row, indent=2))
        return
    width = max(len(k) for k in row)
    for key, value in row.items():
        typer.echo(f"{key.ljust(width)}  {_cell(value)}")


def copy_out(source: Path, out: Path) -> None:
    """Copy an audio file the store holds to `out` (a file name), or fail naming `out`."""
    if out.is_dir():
        fail(f"out: {out} is a directory; give a file name", EXIT_BAD_INPUT)
    try:
        shutil.copyfile(source, out)
    except OSError as exc:
        fail(f"out: cannot write {out} ({exc.strerror or exc})", EXIT_BAD_INPUT)


def done(message: str) -> None:
    """Report a change that worked; a running controller is told to look at the directory."""
    typer.echo(message)
    notify_controller(settings())


def warn(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()
