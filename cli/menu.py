"""`pbx menu`: auto attendants ("press 1 for dispatch, 2 for billing")."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.common import JsonOption, done, emit_one, emit_rows, settings, with_directory
from pbx.core import present
from pbx.core.model import Menu
from pbx.runtime.wiring import notify_controller

app = typer.Typer(
    help="Auto attendants: a prompt, then a key per destination.", no_args_is_help=True
)

TARGETS = (
    "group:NAME, ext:NUM, user:NAME, voicemail:BOX, menu:NAME, number:PHONE (or a phone "
    "number), oncall"
)
OPTION_HELP = (
    f"KEY=TARGET, e.g. 1=group:Dispatch (repeatable); KEY is 0-9, * or #; TARGET: {TARGETS} "
    "or repeat."
)
DEFAULT_HELP = (
    f"Where callers go when they press nothing or wrong keys too often: {TARGETS} "
    "(default: on with the call's routing)."
)
PROMPT_HELP = "The words callers hear (spoken offline by flite)."
PROMPT_FILE_HELP = "A WAV recording callers hear instead (converted to 8 kHz mono)."
INVALID_HELP = "Said before the menu is replayed after a wrong key."
DIRECT_HELP = "Callers may also key an extension's number."


@app.command("add")
def add(
    name: str,
    prompt: str | None = typer.Option(None, "--prompt", help=PROMPT_HELP),
    prompt_file: Path | None = typer.Option(None, "--prompt-file", help=PROMPT_FILE_HELP),
    option: list[str] = typer.Option([], "--option", help=OPTION_HELP),
    default: str | None = typer.Option(None, "--default", help=DEFAULT_HELP),
    timeout: int = typer.Option(5, "--timeout", help="Seconds to wait for a key (1-60)."),
    retries: int = typer.Option(2, "--retries", help="Replays after a miss (0-9)."),
    invalid_prompt: str | None = typer.Option(None, "--invalid-prompt", help=INVALID_HELP),
    invalid_prompt_file: Path | None = typer.Option(
        None, "--invalid-prompt-file", help="A WAV recording for --invalid-prompt."
    ),
    direct_dial: bool = typer.Option(False, "--direct-dial/--no-direct-dial", help=DIRECT_HELP),
    as_json: bool = JsonOption,
) -> None:
    """Add a menu: `pbx menu add Main --prompt "For dispatch press 1..." --option 1=group:Dispatch`."""
    menu = with_directory(
        lambda s: s.add_menu(
            name,
            prompt=prompt,
            prompt_file=prompt_file,
            options=option,
            default=default,
            timeout=timeout,
            retries=retries,
            invalid_prompt=invalid_prompt,
            invalid_prompt_file=invalid_prompt_file,
            direct_dial=direct_dial,
        )
    )
    _changed(menu, as_json, f"added menu '{menu.name}'")


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """List menus."""
    menus = with_directory(lambda s: s.menus())
    if as_json:
        emit_rows([present.menu(m) for m in menus], True)
        return
    emit_rows([present.menu_row(m) for m in menus], False)


@app.command("show")
def show(name: str, as_json: bool = JsonOption) -> None:
    """Show one menu: its prompts, keys and where they go."""
    menu = with_directory(lambda s: s.menu(name))
    view = present.menu(menu)
    if as_json:
        emit_one(view, True)
        return
    options = view.pop("options")
    emit_one(view, False)
    typer.echo("options:")
    for key, target in options.items():
        typer.echo(f"  {key}  {target}")
    if not options:
        typer.echo("  (none)")


@app.command("update")
def update(
    name: str,
    new_name: str | None = typer.Option(None, "--name", help="Rename the menu."),
    prompt: str | None = typer.Option(None, "--prompt", help=PROMPT_HELP),
    prompt_file: Path | None = typer.Option(None, "--prompt-file", help=PROMPT_FILE_HELP),
    option: list[str] = typer.Option(
        [], "--option", help="KEY=TARGET: adds the key or replaces its target (repeatable)."
    ),
    remove_option: list[str] = typer.Option(
        [], "--remove-option", help="A key to remove (repeatable)."
    ),
    clear_options: bool = typer.Option(
        False, "--clear-options", help="Remove every key first (then --option adds)."
    ),
    default: str | None = typer.Option(
        None, "--default", help="Where callers go after the misses, or '' for none."
    ),
    timeout: int | None = typer.Option(None, "--timeout", help="Seconds to wait for a key."),
    retries: int | None = typer.Option(None, "--retries", help="Replays after a miss."),
    invalid_prompt: str | None = typer.Option(
        None, "--invalid-prompt", help=INVALID_HELP + " '' removes it."
    ),
    invalid_prompt_file: Path | None = typer.Option(
        None, "--invalid-prompt-file", help="A WAV recording for --invalid-prompt."
    ),
    direct_dial: bool | None = typer.Option(
        None, "--direct-dial/--no-direct-dial", help=DIRECT_HELP
    ),
    as_json: bool = JsonOption,
) -> None:
    """Change a menu."""
    menu = with_directory(
        lambda s: s.update_menu(
            name,
            new_name=new_name,
            prompt=prompt,
            prompt_file=prompt_file,
            options=option,
            remove_options=remove_option,
            clear_options=clear_options,
            default=default,
            timeout=timeout,
            retries=retries,
            invalid_prompt=invalid_prompt,
            invalid_prompt_file=invalid_prompt_file,
            direct_dial=direct_dial,
        )
    )
    _changed(menu, as_json, f"updated menu '{menu.name}'")


@app.command("remove")
def remove(name: str) -> None:
    """Remove a menu that no number, after-hours chain or other menu uses."""
    with_directory(lambda s: s.remove_menu(name))
    done(f"removed menu '{name}'")


def _changed(menu: Menu, as_json: bool, message: str) -> None:
    """Report a stored menu (as JSON: the menu itself); the running controller is told."""
    if not as_json:
        done(message)
        return
    emit_one(present.menu(menu), True)
    notify_controller(settings())
