"""Prompts callers hear, named by their content (pure: no I/O).

A spoken prompt is the text and the flite voice that says it; a recording is
the converted audio. Each becomes one file in our sounds directory whose name
is a hash of that content, so the same text (or the same recording) always
makes the same file, and an existing file is reused instead of made again:

    pbx/prompts/tts-<20 hex of sha256(voice + "\\n" + text)>
    pbx/prompts/rec-<20 hex of sha256(the converted WAV bytes)>

The names are as Asterisk plays them: relative to the sounds directory,
without the `.wav` extension.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

from pbx.core.errors import InvalidInput

__all__ = [
    "HASH_CHARS",
    "MAX_RECORDING_SECONDS",
    "MAX_TEXT",
    "PROMPTS_DIR",
    "check_sound",
    "check_text",
    "check_voice",
    "recording_sound",
    "text_sound",
]

PROMPTS_DIR: Final = "pbx/prompts"
HASH_CHARS: Final = 20
MAX_TEXT: Final = 1000  # characters, about a minute of speech
MAX_RECORDING_SECONDS: Final = 300.0

_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_VOICE: Final = re.compile(r"[A-Za-z0-9_]{1,40}")
_SOUND: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")


def check_text(text: str, field: str = "prompt") -> str:
    """The text to speak, stripped; InvalidInput naming `field` when it is empty, longer than
    MAX_TEXT characters or holds control characters (new lines and tabs are fine)."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput(field, "is empty: give the words to speak")
    if len(cleaned) > MAX_TEXT:
        raise InvalidInput(
            field, f"is too long: {len(cleaned)} characters (the limit is {MAX_TEXT})"
        )
    if _CONTROL.search(cleaned):
        raise InvalidInput(field, "holds control characters: give plain text")
    return cleaned


def check_voice(voice: str, field: str = "voice") -> str:
    """A flite voice name such as `slt` (letters, digits, `_`): never a file or a URL."""
    cleaned = voice.strip()
    if not _VOICE.fullmatch(cleaned):
        raise InvalidInput(field, f"{voice!r} is not a voice name (e.g. slt, kal, awb, rms)")
    return cleaned


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def text_sound(voice: str, text: str) -> str:
    """The sound name of `text` spoken by `voice` (give both already checked)."""
    content = voice + "\n" + text
    return f"{PROMPTS_DIR}/tts-{_digest(content.encode())}"


def recording_sound(wav: bytes) -> str:
    """The sound name of a recording, from its converted (8 kHz mono) WAV bytes."""
    return f"{PROMPTS_DIR}/rec-{_digest(wav)}"


def check_sound(name: str, field: str = "prompt") -> str:
    """A sound name relative to the sounds directory: no absolute path, no `..`, no extension
    games (letters, digits, `_`, `-`, `.` in `/`-separated parts, none starting with `.`)."""
    if not _SOUND.fullmatch(name):
        raise InvalidInput(field, f"{name!r} is not a sound name")
    return name
