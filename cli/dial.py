"""`pbx dial`: click-to-dial from the command line, through the running controller."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import typer

from cli.common import EXIT_BAD_INPUT, fail, settings
from pbx.runtime.controller import local_address


def dial(
    number: str = typer.Argument(..., help="The number to call (any format)."),
    user: str = typer.Option(..., "--user", help="Whose phone rings first."),
    customer: int | None = typer.Option(None, "--customer", help="Customer id to log it against."),
    job: int | None = typer.Option(None, "--job", help="Job id to log it against."),
) -> None:
    """Ring USER's phone; when they pick up, call NUMBER with the business caller ID."""
    cfg = settings()
    payload: dict[str, object] = {"number": number, "user": user}
    if customer is not None:
        payload["customer"] = customer
    if job is not None:
        payload["job"] = job
    url = f"http://{local_address(cfg.api_bind)}:{cfg.api_port}/api/calls"
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {cfg.api_token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as resp:
            answer = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            message = exc.reason
        fail(message, EXIT_BAD_INPUT if 400 <= exc.code < 500 else 1)
    except OSError as exc:
        fail(f"the controller is not running at {url} (start it: pbx up) ({exc})")
    who = f", customer #{answer['customer_id']}" if answer.get("customer_id") else ""
    typer.echo(
        f"ringing {answer['user']} at extension {answer['extension']}; "
        f"then calling {answer['number']}{who}"
    )
