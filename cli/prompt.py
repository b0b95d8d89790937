"""`pbx prompt`: what callers hear, as words spoken offline by flite or as WAV recordings.

Made prompts are 8 kHz mono WAVs in the sounds directory, named by their content
(`pbx/prompts/tts-<hash>` for text, `pbx/prompts/rec-<hash>` for recordings): the
same words are synthesised once and then reused.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from cli.common import EXIT_BAD_INPUT, JsonOption, copy_out, emit_one, fail, run, settings, warn
from pbx.adapters.sounds import DEFAULT_VOICE, PromptMaker, wav_seconds
from pbx.core.errors import InvalidInput

app = typer.Typer(
    help="Prompts callers hear: text spoken offline (flite) or WAV recordings.",
    no_args_is_help=True,
)


def _maker(voice: str = DEFAULT_VOICE) -> PromptMaker:
    """A prompt maker for the sounds directory of the current data directory."""
    cfg = settings()
    try:
        return PromptMaker(cfg.asterisk_dir / "sounds", voice)
    except InvalidInput as exc:
        fail(str(exc), EXIT_BAD_INPUT)


@app.command("say")
def say(
    text: str = typer.Argument(..., help="The words to speak (up to 1000 characters)."),
    out: Path = typer.Option(..., "--out", help="Where to write the WAV file (8 kHz mono)."),
    voice: str = typer.Option(
        DEFAULT_VOICE, "--voice", help="The flite voice (`flite -lv` lists them)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Speak TEXT into a WAV file, to hear a prompt before using it (it is also cached)."""
    maker = _maker(voice)
    if out.is_dir():
        fail(f"out: {out} is a directory; give a file name", EXIT_BAD_INPUT)
    if maker.voices() and maker.speaking_voice is None:
        warn(f"flite has no voice '{maker.voice}'; its default voice speaks instead")
    prompt = run(asyncio.to_thread(maker.from_text, text, "text"))
    copy_out(maker.path(prompt), out)
    seconds = wav_seconds(out.read_bytes())
    if as_json:
        emit_one({"file": str(out), "seconds": round(seconds, 2), "sound": prompt.sound}, True)
        return
    typer.echo(f"wrote {out}: {seconds:.1f} s of speech")


@app.command("check")
def check(
    file: Path = typer.Argument(..., help="A WAV file (PCM, mu-law or A-law; 8-48 kHz)."),
    as_json: bool = JsonOption,
) -> None:
    """Check that FILE can be a prompt: its duration and the sound name it would get.

    The file is read and converted to 8 kHz mono as a prompt would be; nothing is stored.
    """
    maker = _maker()
    sound, data = run(asyncio.to_thread(maker.convert_wav, file, "file"))
    seconds = wav_seconds(data)
    if as_json:
        emit_one({"file": str(file), "seconds": round(seconds, 2), "sound": sound}, True)
        return
    typer.echo(f"{file}: {seconds:.1f} s, usable as sound {sound}")
