"""The `pbx` command: one sub-command per noun, each a thin call into a pbx service."""

from __future__ import annotations

import json

import typer

from cli import (
    asterisk,
    calls,
    config,
    customer,
    dial,
    ext,
    group,
    menu,
    number,
    oncall,
    prompt,
    schedule,
    simulate,
    token,
    trunk,
    user,
    voicemail,
)
from cli.common import JsonOption, done, run, settings

app = typer.Typer(
    help="pbx: a self-hosted phone system for small businesses, on Asterisk.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(asterisk.app, name="asterisk")
app.add_typer(config.app, name="config")
app.add_typer(user.app, name="user")
app.add_typer(ext.app, name="ext")
app.add_typer(number.app, name="number")
app.add_typer(group.app, name="group")
app.add_typer(menu.app, name="menu")
app.add_typer(schedule.app, name="schedule")
app.add_typer(voicemail.app, name="voicemail")
app.add_typer(customer.app, name="customer")
app.add_typer(customer.job_app, name="job")
app.add_typer(trunk.app, name="trunk")
app.add_typer(calls.app, name="calls")
app.add_typer(oncall.app, name="oncall")
app.add_typer(token.app, name="token")
app.add_typer(prompt.app, name="prompt")
app.command("simulate")(simulate.simulate)
app.command("dial")(dial.dial)


@app.command("init")
def init() -> None:
    """Create the data directory (PBX_HOME): settings with fresh secrets, and the database."""
    from pbx.runtime.wiring import repository

    cfg = settings()

    async def go() -> None:
        async with repository(cfg):
            pass

    run(go())
    done(f"initialised {cfg.home} (settings: {cfg.config_file}, database ready)")


@app.command("serve")
def serve() -> None:
    """Run the controller (ARI + AMI + API) against an Asterisk that is already running."""
    from pbx.runtime.controller import configure_logging, freeze_imports
    from pbx.runtime.controller import serve as run_serve

    cfg = settings()
    configure_logging(cfg.log_level)
    freeze_imports()
    run(run_serve(cfg))


@app.command("up")
def up() -> None:
    """Init if needed, bootstrap and start Asterisk on the rendered config, run the controller;
    Ctrl-C or SIGTERM stops everything."""
    from pbx.runtime.controller import configure_logging, freeze_imports
    from pbx.runtime.up import up as run_up

    cfg = settings()
    configure_logging(cfg.log_level)
    freeze_imports()
    run(run_up(cfg))


@app.command("status")
def status(as_json: bool = JsonOption) -> None:
    """Whether Asterisk and the controller are reachable, and every extension's registration."""
    from pbx.services.status import collect_status, format_status

    report = run(collect_status(settings()))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        typer.echo(format_status(report))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
