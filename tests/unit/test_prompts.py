"""Prompt names from content (stable, distinct by voice and text) and the checks of the
text, voice and sound names (errors name the caller's field)."""

from __future__ import annotations

import hashlib
import re

import pytest

from pbx.core.errors import InvalidInput
from pbx.core.prompts import MAX_TEXT, check_sound, check_text, check_voice
from pbx.core.prompts import recording_sound as rec
from pbx.core.prompts import text_sound as tts
from tests.unit.expect import reject

# --- names ------------------------------------------------------------------------------


def test_a_text_name_is_the_hash_of_voice_and_text() -> None:
    expected = hashlib.sha256(b"slt\nThanks for calling.").hexdigest()[:20]
    assert tts("slt", "Thanks for calling.") == f"pbx/prompts/tts-{expected}"
    # stable: known value, so files made by an earlier version are still found
    assert (
        tts("slt", "hello") == "pbx/prompts/tts-" + hashlib.sha256(b"slt\nhello").hexdigest()[:20]
    )


def test_text_names_differ_by_voice_and_by_text() -> None:
    names = {
        tts("slt", "Thanks for calling."),
        tts("kal", "Thanks for calling."),
        tts("slt", "Thanks for calling!"),
        tts("slt", "thanks for calling."),
        tts("sl", "t\nThanks for calling."),  # the separator keeps voice and text apart
    }
    assert len(names) == 5
    assert tts("slt", "Thanks for calling.") == tts("slt", "Thanks for calling.")


def test_names_are_sound_names_asterisk_can_play() -> None:
    for name in (tts("slt", "Hello"), rec(b"RIFF....")):
        assert re.fullmatch(r"pbx/prompts/(tts|rec)-[0-9a-f]{20}", name)
        assert check_sound(name) == name


def test_a_recording_name_is_the_hash_of_its_bytes() -> None:
    assert rec(b"abc") == "pbx/prompts/rec-" + hashlib.sha256(b"abc").hexdigest()[:20]
    assert rec(b"abc") != rec(b"abd")
    assert rec(b"slt\nhello") != tts("slt", "hello")  # different prefixes: never the same file


# --- text -------------------------------------------------------------------------------


def test_text_is_stripped() -> None:
    assert check_text("  Thanks for calling.\n") == "Thanks for calling."
    assert check_text("Line one.\nLine two.\tTab.") == "Line one.\nLine two.\tTab."
    assert check_text("x" * MAX_TEXT) == "x" * MAX_TEXT
    assert check_text("  " + "x" * MAX_TEXT + "  ") == "x" * MAX_TEXT  # counted after stripping


@pytest.mark.parametrize("field", ["prompt", "text", "menu.prompt"])
def test_empty_text_is_refused_naming_the_field(field: str) -> None:
    for text in ("", "   ", "\n\t "):
        reject(field, "empty", check_text, text, field)


def test_long_text_is_refused_naming_the_field() -> None:
    error = reject("text", "too long", check_text, "x" * (MAX_TEXT + 1), "text")
    assert f"{MAX_TEXT + 1}" in error.reason and f"{MAX_TEXT}" in error.reason
    reject("prompt", "too long", check_text, "x" * (MAX_TEXT + 1))  # the default field


@pytest.mark.parametrize("text", ["bad\x00byte", "bell\x07", "escape\x1b[31m"])
def test_control_characters_are_refused(text: str) -> None:
    reject("text", "control characters", check_text, text, "text")


def test_errors_are_one_line() -> None:
    for call, arg in ((check_text, ""), (check_text, "x" * 2000), (check_voice, "a\nb")):
        with pytest.raises(InvalidInput) as info:
            call(arg)
        assert "\n" not in str(info.value)


# --- voices and sound names ---------------------------------------------------------------


@pytest.mark.parametrize("voice", ["slt", "kal16", "awb_time", " rms "])
def test_voice_names_are_accepted(voice: str) -> None:
    assert check_voice(voice) == voice.strip()


@pytest.mark.parametrize(
    "voice", ["", "../slt", "/usr/share/x.flitevox", "http://example.com/v", "-t", "s lt"]
)
def test_voices_that_are_not_names_are_refused(voice: str) -> None:
    reject("voice", "not a voice name", check_voice, voice)


@pytest.mark.parametrize(
    "name", ["", "/etc/passwd", "../secret", "pbx/../../x", "pbx/.hidden", "pbx//x", "pbx/x/"]
)
def test_sound_names_outside_the_directory_are_refused(name: str) -> None:
    reject("menu", "not a sound name", check_sound, name, "menu")
