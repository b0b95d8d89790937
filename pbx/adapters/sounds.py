"""Sounds we make for Asterisk: uploaded greetings and spoken prompts, as 8 kHz mono WAVs.

Files go into the sounds directory of the Asterisk tree (Asterisk sees the same
tree); they are written to a temporary name and renamed, so Asterisk never
plays half a file. Spoken prompts use flite when it is installed (`make up`
installs it); without it the dialplan falls back to stock prompts.

`PromptMaker` makes the files of `Prompt`s (text spoken by flite, or a WAV
recording), named by their content (see `pbx.core.prompts`): a file that
already exists is reused, so the same text is synthesised once.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
import wave
from dataclasses import replace
from pathlib import Path

from pbx.core.errors import InvalidInput
from pbx.core.model import Prompt
from pbx.core.prompts import (
    MAX_RECORDING_SECONDS,
    check_sound,
    check_text,
    check_voice,
    recording_sound,
    text_sound,
)
from stt.audio import AudioError, load_wav, resample

SPEAK_TIMEOUT = 30
# CMU's US English "slt" (a female voice, clustergen, 16 kHz): the clearest of the voices
# Debian's flite package builds in (kal, kal16, awb, rms, slt, awb_time). When a flite
# lacks the chosen voice, flite's own default speaks instead.
DEFAULT_VOICE = "slt"
NO_FLITE = "cannot synthesise speech: flite is not installed (apt install flite)"
_WAV_HEADER = 44  # bytes of a canonical WAV header: a file no longer than that has no audio


def write_sound(sounds_dir: Path, name: str, data: bytes) -> Path:
    """Store WAV bytes as `<sounds_dir>/<name>.wav` (readable by Asterisk), atomically.

    The bytes go to a hidden temporary file of a name of their own first, so two
    writers of the same sound never mix their bytes and a reader never sees half a file.
    """
    final = sounds_dir / f"{name}.wav"
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_bytes(data)
        os.chmod(tmp, 0o644)  # Asterisk may run as another user
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final


def telephone_wav(source: Path, *, max_seconds: float = 600.0) -> bytes:
    """`source` as 8 kHz mono 16-bit WAV bytes; raises AudioError when it is unusable
    (including more than `max_seconds` of audio), OSError when it cannot be read."""
    audio = load_wav(source, max_seconds=max_seconds)
    audio = resample(audio, 8000) if audio.rate != 8000 else audio
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(audio.samples)
    return out.getvalue()


def wav_seconds(data: bytes) -> float:
    """The duration of WAV bytes (as `telephone_wav` makes them), in seconds."""
    with wave.open(io.BytesIO(data), "rb") as w:
        return w.getnframes() / w.getframerate()


def speak(text: str) -> bytes | None:
    """`text` spoken by flite as telephone WAV bytes; None when flite is missing or fails."""
    flite = shutil.which("flite")
    if flite is None or not text.strip():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "prompt.wav"
        try:
            subprocess.run(
                [flite, "-t", text, "-o", str(wav)],
                check=True, capture_output=True, timeout=SPEAK_TIMEOUT,
            )  # fmt: skip
            return telephone_wav(wav)
        except (OSError, subprocess.SubprocessError, AudioError):
            return None


class PromptMaker:
    """Makes the sound files of prompts in `sounds_dir`: text spoken by flite with `voice`,
    or WAV recordings, each converted to 8 kHz mono 16-bit and cached by content.

    The methods block (flite, file I/O): async callers run them in `asyncio.to_thread`.
    Bad input raises `InvalidInput` naming the caller's `field`, with a one-line reason.
    """

    def __init__(self, sounds_dir: Path, voice: str = DEFAULT_VOICE) -> None:
        self.sounds_dir = sounds_dir
        self.voice = check_voice(voice)
        self._voices: frozenset[str] | None = None

    # -- naming -----------------------------------------------------------------------

    def path(self, prompt: Prompt) -> Path:
        """The file of `prompt` (of its `sound`; for text without one, the file it gets)."""
        if prompt.sound is not None:
            return self._file(prompt.sound)
        if prompt.text is not None:
            return self._file(text_sound(self.voice, check_text(prompt.text)))
        raise InvalidInput("prompt", "has neither text nor a recording")

    def _file(self, sound: str, field: str = "prompt") -> Path:
        return self.sounds_dir / f"{check_sound(sound, field)}.wav"

    # -- spoken text ------------------------------------------------------------------

    def from_text(self, text: str, field: str = "prompt") -> Prompt:
        """`text` (stripped; 1..1000 characters) spoken by the voice: its file is made
        with flite unless it exists already (same voice and text: same file)."""
        text = check_text(text, field)
        sound = text_sound(self.voice, text)
        if not _present(self._file(sound)):
            write_sound(self.sounds_dir, sound, self.synthesise(text, field))
        return Prompt(text, sound)

    def voices(self) -> frozenset[str]:
        """The voices the installed flite has (`flite -lv`); empty without flite."""
        if self._voices is None:
            self._voices = _flite_voices()
        return self._voices

    @property
    def speaking_voice(self) -> str | None:
        """The voice flite speaks with: ours, or None (flite's default) when flite lacks it."""
        return self.voice if self.voice in self.voices() else None

    def synthesise(self, text: str, field: str = "prompt") -> bytes:
        """`text` spoken by flite as 8 kHz mono WAV bytes (no cache, nothing stored)."""
        text = check_text(text, field)
        flite = shutil.which("flite")
        if flite is None:
            raise InvalidInput(field, NO_FLITE)
        voice = ["-voice", self.voice] if self.speaking_voice is not None else []
        with tempfile.TemporaryDirectory(prefix="pbx-tts-") as tmp:
            wav = Path(tmp) / "speech.wav"
            try:
                done = subprocess.run(
                    [flite, *voice, "-t", text, "-o", str(wav)],
                    capture_output=True, timeout=SPEAK_TIMEOUT, check=False,
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                raise InvalidInput(
                    field, f"cannot synthesise speech: flite took more than {SPEAK_TIMEOUT} s"
                ) from None
            except OSError as exc:
                raise InvalidInput(
                    field, f"cannot synthesise speech: cannot run flite ({exc.strerror or exc})"
                ) from None
            # flite says "exit status 0" even when it fails: its stderr and file tell
            said = _first_line(done.stderr)
            if done.returncode != 0 or not wav.is_file():
                why = said or f"flite failed (exit status {done.returncode})"
                raise InvalidInput(field, f"cannot synthesise speech: {why}")
            try:
                return telephone_wav(wav)
            except (AudioError, OSError) as exc:
                raise InvalidInput(
                    field, f"cannot synthesise speech: flite made no usable audio ({exc})"
                ) from None

    # -- recordings -------------------------------------------------------------------

    def convert_wav(self, path: Path, field: str = "prompt") -> tuple[str, bytes]:
        """Check the WAV file `path` and convert it: (its sound name, the 8 kHz mono bytes).
        Nothing is stored. A missing, unreadable, non-WAV, empty, broken or over five
        minutes long file: InvalidInput(field, "<path>: <reason>")."""
        try:
            data = telephone_wav(path, max_seconds=MAX_RECORDING_SECONDS)
        except AudioError as exc:
            raise InvalidInput(field, f"{path}: {exc.reason}") from None
        except FileNotFoundError:
            raise InvalidInput(field, f"{path}: does not exist") from None
        except IsADirectoryError:
            raise InvalidInput(field, f"{path}: is a directory, not a WAV file") from None
        except OSError as exc:
            raise InvalidInput(field, f"{path}: cannot read it ({exc.strerror or exc})") from None
        return recording_sound(data), data

    def from_wav(self, path: Path, field: str = "prompt") -> Prompt:
        """The WAV file `path` as a recorded prompt, converted and stored unless the same
        audio is stored already."""
        sound, data = self.convert_wav(path, field)
        if not _present(self._file(sound)):
            write_sound(self.sounds_dir, sound, data)
        return Prompt(None, sound)

    # -- both -------------------------------------------------------------------------

    def make(self, prompt: Prompt, field: str = "prompt") -> Prompt:
        """`prompt` with `sound` set and its file present: a text prompt whose file is
        missing (a new machine, a cleaned directory) is spoken again; a recording whose
        file is missing cannot be, and is refused."""
        if prompt.sound is not None and _present(self._file(prompt.sound, field)):
            return prompt
        if prompt.text is not None:
            made = self.from_text(prompt.text, field)
            return replace(prompt, sound=made.sound)
        if prompt.sound is None:
            raise InvalidInput(field, "has neither text nor a recording")
        raise InvalidInput(
            field,
            f"the recording {prompt.sound} is missing from {self.sounds_dir}: upload it again",
        )


def _present(path: Path) -> bool:
    """Whether `path` is a made sound: a regular file with audio after the header."""
    try:
        st = path.stat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size > _WAV_HEADER


def _first_line(raw: bytes) -> str:
    for line in raw.decode("utf-8", "replace").splitlines():
        if line.strip():
            return line.strip()
    return ""


def _flite_voices() -> frozenset[str]:
    flite = shutil.which("flite")
    if flite is None:
        return frozenset()
    try:
        done = subprocess.run(
            [flite, "-lv"], capture_output=True, timeout=SPEAK_TIMEOUT, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    text = done.stdout.decode("utf-8", "replace")
    _, found, listed = text.partition("Voices available:")
    return frozenset(listed.split()) if found else frozenset()
