"""`pbx voicemail`: boxes, the message inbox, greetings, keywords and transcription."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import typer

from cli.common import (
    EXIT_BAD_INPUT,
    JsonOption,
    copy_out,
    done,
    emit_one,
    emit_rows,
    fail,
    settings,
    using,
    with_directory,
)
from pbx.adapters.recordings import RecordingStore
from pbx.core import present
from pbx.core.voicemail import Message
from pbx.runtime.settings import Settings
from pbx.runtime.wiring import notify_controller, repository
from pbx.services.voicemail import VoicemailService

T = TypeVar("T")

app = typer.Typer(help="Voicemail: boxes, messages, greetings, keywords.", no_args_is_help=True)
box_app = typer.Typer(
    help="Voicemail boxes (personal ones come with each extension).", no_args_is_help=True
)
app.add_typer(box_app, name="box")

COLUMNS = [
    "id", "received", "box", "from", "customer", "duration", "new", "emergency", "assigned",
    "transcript",
]  # fmt: skip


@box_app.command("add")
def add(
    name: str,
    members: str | None = typer.Option(None, "--members", help="Users notified, e.g. ann,bob."),
) -> None:
    """Add a shared voicemail box."""
    box = with_directory(lambda s: s.add_box(name, members))
    done(f"added voicemail box '{box.name}'")


@box_app.command("list")
def box_list(as_json: bool = JsonOption) -> None:
    """List voicemail boxes."""
    d = with_directory(lambda s: s.snapshot())
    emit_rows([present.box(b) for b in d.boxes], as_json)


@box_app.command("remove")
def remove(name: str) -> None:
    """Remove a shared voicemail box that nothing routes to."""
    with_directory(lambda s: s.remove_box(name))
    done(f"removed voicemail box '{name}'")


@asynccontextmanager
async def voicemail_service(cfg: Settings) -> AsyncIterator[VoicemailService]:
    async with repository(cfg) as repo:
        yield VoicemailService(
            repo, repo, RecordingStore(cfg.recordings_dir), cfg.asterisk_dir / "sounds"
        )


def with_voicemail(action: Callable[[VoicemailService], Awaitable[T]]) -> T:
    """Run `action` against the voicemail of the current data directory."""
    return using(voicemail_service, action)


IdArgument = typer.Argument(..., metavar="ID", help="The message id (see `pbx voicemail list`).")


@app.command("list")
def list_(
    box: str | None = typer.Option(None, "--box", help="Only this box."),
    unread: bool = typer.Option(False, "--unread", help="Only messages not read yet."),
    limit: int = typer.Option(50, "--limit", help="At most this many (newest first)."),
    as_json: bool = JsonOption,
) -> None:
    """List voicemail messages, newest first."""
    found, d = with_voicemail(lambda s: s.list(box=box, unread=unread, limit=limit))

    def customer(m: Message) -> str | None:
        c = d.customer(m.customer_id) if m.customer_id is not None else None
        return c.name if c is not None else None

    if as_json:
        typer.echo(json.dumps([present.message(m, customer(m)) for m in found], indent=2))
        return
    emit_rows([present.message_row(m, customer(m)) for m in found], False, COLUMNS)


@app.command("show")
def show(ident: int = IdArgument, as_json: bool = JsonOption) -> None:
    """Show one message: transcript, emergency keywords, notifications and escalation."""
    detail = with_voicemail(lambda s: s.show(ident))
    row = present.message(detail.message, detail.customer)
    escalation = [
        f"{present.iso_time(e.at)} {e.action}"
        + (f" {e.user}" if e.user else "")
        + (f": {e.detail}" if e.detail else "")
        for e in detail.escalations
    ]
    notices = [
        f"{n.channel.value} to {n.user} ({n.address}): {n.status.value}"
        + (f", {n.attempts} attempt(s)" if n.attempts else "")
        + (f", last error: {n.last_error}" if n.last_error else "")
        for n in detail.notices
    ]
    if as_json:
        emit_one({**row, "escalation": escalation, "notifications": notices}, True)
        return
    emit_one(row, False)
    for title, lines in (("escalation", escalation), ("notifications", notices)):
        typer.echo(f"{title}:")
        for line in lines or ["(none)"]:
            typer.echo(f"  {line}")


@app.command("read")
def read(ident: int = IdArgument) -> None:
    """Mark a message read (its box's message-waiting lamps follow)."""
    with_voicemail(lambda s: s.mark(ident, read=True))
    done(f"message {ident} marked read")


@app.command("unread")
def unread(ident: int = IdArgument) -> None:
    """Mark a message unread again."""
    with_voicemail(lambda s: s.mark(ident, read=False))
    done(f"message {ident} marked unread")


@app.command("assign")
def assign(
    ident: int = IdArgument,
    user: str | None = typer.Option(None, "--user", help="The team member; omit to unassign."),
) -> None:
    """Assign a message to a team member to handle."""
    m = with_voicemail(lambda s: s.assign(ident, user))
    typer.echo(
        f"message {ident} assigned to {m.assigned_to}" if user else f"message {ident} unassigned"
    )


@app.command("export")
def export(
    ident: int = IdArgument,
    out: Path = typer.Option(..., "--out", help="Where to write the WAV file."),
) -> None:
    """Copy a message's audio (WAV) to a file."""
    source = with_voicemail(lambda s: s.audio_file(ident))
    copy_out(source, out)
    typer.echo(f"wrote {out}")


@app.command("greeting")
def greeting(
    box: str = typer.Argument(..., help="The voicemail box."),
    file: Path | None = typer.Argument(None, help="A WAV file; omit with --text or --default."),
    text: str | None = typer.Option(
        None,
        "--text",
        help="Words to speak as the greeting (flite, offline; up to 1000 characters).",
    ),
    default: bool = typer.Option(False, "--default", help="Go back to the standard greeting."),
) -> None:
    """Set the greeting callers hear before the beep: a WAV file (converted for phones),
    words spoken by the offline voice (--text), or the standard one (--default)."""
    if (file is not None) + (text is not None) + default != 1:
        fail("file: give exactly one of a WAV file, --text or --default", EXIT_BAD_INPUT)
    if text is not None:
        spoken = text
        name = with_voicemail(lambda s: s.set_greeting_text(box, spoken))
        done(f"voicemail box '{box}' greets with the spoken text ({name})")
        return
    with_voicemail(lambda s: s.set_greeting(box, file))
    done(f"voicemail box '{box}' greets with " + ("the default greeting" if default else str(file)))


@app.command("keywords")
def keywords(
    box: str | None = typer.Option(None, "--box", help="The voicemail box."),
    number: str | None = typer.Option(None, "--number", help="The business number (E.164)."),
    add: list[str] = typer.Option([], "--add", help="A keyword or phrase to add (repeatable)."),
    remove: list[str] = typer.Option([], "--remove", help="One to remove (repeatable)."),
    reset: bool = typer.Option(False, "--reset", help="Back to the trade defaults."),
    clear: bool = typer.Option(False, "--none", help="No keywords: nothing escalates."),
    as_json: bool = JsonOption,
) -> None:
    """Show or change the emergency keywords of a box or a business number."""
    words = with_voicemail(
        lambda s: s.set_keywords(
            box=box, number=number, add=tuple(add), remove=tuple(remove), reset=reset, clear=clear
        )
    )
    if (add or remove or reset or clear) and not as_json:
        done(f"{len(words)} emergency keyword(s)")
    elif add or remove or reset or clear:
        notify_controller(settings())
    if as_json:
        typer.echo(json.dumps(list(words)))
    else:
        typer.echo(", ".join(words) if words else "(none: nothing escalates)")


@app.command("transcribe")
def transcribe(
    file: Path = typer.Argument(..., help="A WAV file (8 kHz telephone audio or better)."),
    engine: str | None = typer.Option(
        None, "--engine", help="pocketsphinx or vosk (default: vosk when vosk_model is set)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Transcribe a WAV file and print the transcript and the real-time factor.

    It decodes as voicemail is decoded: with PocketSphinx, listening for the default
    emergency keywords.
    """
    from pbx.core.keywords import DEFAULT_KEYWORDS
    from pbx.runtime.settings import default_cache
    from pbx.services.speech import build_engine
    from stt.audio import AudioError
    from stt.engine import transcribe_file

    cfg = settings()
    if not file.is_file():
        fail(f"file: {file} does not exist", EXIT_BAD_INPUT)
    try:
        decoder = build_engine(
            engine, cfg.vosk_model or None, DEFAULT_KEYWORDS, default_cache() / "stt"
        )
        result = transcribe_file(str(file), decoder)
    except AudioError as exc:
        fail(f"file: {file.name}: {exc}", EXIT_BAD_INPUT)
    except ValueError as exc:  # unknown engine, missing or invalid model
        fail(str(exc), EXIT_BAD_INPUT)
    if as_json:
        emit_one(
            {
                "transcript": result.text,
                "engine": result.engine,
                "confidence": result.confidence,
                "audio_seconds": round(result.audio_seconds, 2),
                "real_time_factor": round(result.rtf, 3),
            },
            True,
        )
        return
    typer.echo(result.text or "(nothing recognised)")
    typer.echo(
        f"engine {result.engine}, {result.audio_seconds:.1f} s of audio, "
        f"real-time factor {result.rtf:.2f}",
        err=True,
    )
