"""`pbx token`: API tokens for the CRM, scripts and the browser softphone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import typer

from cli.common import JsonOption, emit_one, emit_rows, using
from pbx.core import present
from pbx.core.access import ApiToken
from pbx.runtime.settings import Settings
from pbx.runtime.wiring import repository
from pbx.services.tokens import TokenService

T = TypeVar("T")

app = typer.Typer(
    help="API tokens: each acts as one user, with that user's role.", no_args_is_help=True
)


@asynccontextmanager
async def token_service(cfg: Settings) -> AsyncIterator[TokenService]:
    async with repository(cfg) as repo:
        yield TokenService(repo, repo)


def with_tokens(action: Callable[[TokenService], Awaitable[T]]) -> T:
    return using(token_service, action)


def _row(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.id,
        "user": t.user,
        "name": t.name,
        "all_calls": t.all_calls,
        "created": present.iso_time(t.created_at) if t.created_at else None,
        "last_used": present.iso_time(t.last_used_at) if t.last_used_at else None,
        "revoked": present.iso_time(t.revoked_at) if t.revoked_at else None,
    }


@app.command("create")
def create(
    user: str = typer.Option(..., "--user", help="The user the token acts as."),
    name: str = typer.Option("", "--name", help="A label, e.g. 'crm' or 'ann laptop'."),
    all_calls: bool = typer.Option(
        False, "--all-calls", help="A technician's token that sees every call and voicemail."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a token; the secret is printed once (only its hash is stored)."""
    token, secret = with_tokens(lambda s: s.create(user, name, all_calls))
    if as_json:
        emit_one({**_row(token), "token": secret}, True)
        return
    typer.echo(f"created token {token.id} for {token.user} (shown once; keep it safe):", err=True)
    typer.echo(secret)


@app.command("list")
def list_(
    user: str | None = typer.Option(None, "--user", help="Only this user's tokens."),
    as_json: bool = JsonOption,
) -> None:
    """List tokens (never their secrets)."""
    emit_rows([_row(t) for t in with_tokens(lambda s: s.list(user))], as_json)


@app.command("revoke")
def revoke(ident: int = typer.Argument(..., metavar="ID")) -> None:
    """Revoke a token: it stops working within seconds."""
    token = with_tokens(lambda s: s.revoke(ident))
    typer.echo(f"revoked token {token.id} of {token.user}")
