"""`pbx config`: render the directory into Asterisk's configuration."""

from __future__ import annotations

import typer

from cli.common import done, run, settings

app = typer.Typer(help="Generated Asterisk configuration.", no_args_is_help=True)


@app.command("render")
def render(
    check: bool = typer.Option(False, "--check", help="Print the diff and write nothing."),
) -> None:
    """Render the Asterisk config directory (PBX_HOME/asterisk/etc)."""
    from pbx.runtime.wiring import config_service

    cfg = settings()

    async def go() -> tuple[str, list[str]]:
        async with config_service(cfg) as service:
            if check:
                return await service.check(), []
            return "", await service.write()

    text, changed = run(go())
    if check:
        typer.echo(text, nl=False)
        if not text:
            done("configuration is up to date")
        return
    etc = cfg.asterisk_dir / "etc"
    done(f"rendered {etc}: " + (", ".join(changed) + " changed" if changed else "no changes"))


@app.command("apply")
def apply() -> None:
    """Render and reload the running Asterisk over AMI."""
    from pbx.runtime.wiring import ami_connection, config_service

    cfg = settings()

    async def go() -> list[str]:
        async with config_service(cfg) as service, ami_connection(cfg) as ami:
            return await service.apply(ami)

    changed = run(go())
    done("applied: " + (", ".join(changed) + " changed; Asterisk reloaded" if changed else "no changes; Asterisk reloaded"))
