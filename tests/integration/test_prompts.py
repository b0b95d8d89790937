"""Prompts made for real: text spoken by the installed flite, WAV recordings converted, files
in a temporary sounds directory, cached by content; `pbx prompt` and text greetings through
the CLI (a real SQLite PBX_HOME) and the API (real HTTP, real database)."""

from __future__ import annotations

import asyncio
import io
import json
import math
import shutil
import struct
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pbx.adapters.db.repository import open_repository
from pbx.adapters.sounds import DEFAULT_VOICE, NO_FLITE, PromptMaker
from pbx.core.errors import InvalidInput
from pbx.core.model import Prompt
from pbx.core.prompts import recording_sound, text_sound
from pbx.runtime.settings import load_settings
from stt.audio import check_speech, load_wav
from tests.integration.api_client import ApiHarness, api_harness
from tests.integration.cli_runner import ok, pbx, use_home

if shutil.which("flite") is None:  # `make up` and the dev image install it
    pytest.fail("these tests need flite: apt install flite", pytrace=False)

GREETING = "Thanks for calling Acme Plumbing. Please leave a message after the tone."


def tone_wav(seconds: float = 1.5, rate: int = 44100, channels: int = 2) -> bytes:
    """A 440 Hz tone (the same on every channel) as a 16-bit WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = (
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate))) * channels
            for n in range(int(rate * seconds))
        )
        w.writeframes(b"".join(frames))
    return out.getvalue()


def telephone_format(path: Path) -> tuple[int, int, int, float]:
    """(rate, channels, sample width, seconds) of a WAV file."""
    with wave.open(str(path)) as w:
        return (
            w.getframerate(),
            w.getnchannels(),
            w.getsampwidth(),
            w.getnframes() / w.getframerate(),
        )


def assert_speech(path: Path) -> None:
    """`path` is 8 kHz mono 16-bit audio with speech in it (not silence)."""
    rate, channels, width, seconds = telephone_format(path)
    assert (rate, channels, width) == (8000, 1, 2)
    assert seconds > 0.5
    audio = load_wav(path)
    rms = float(np.sqrt(np.mean(audio.array().astype(np.float64) ** 2)))
    assert rms > 300, rms
    check_speech(audio)  # raises on silence, hiss or a steady tone


@pytest.fixture
def sounds(tmp_path: Path) -> Path:
    return tmp_path / "sounds"


@pytest.fixture
def maker(sounds: Path) -> PromptMaker:
    return PromptMaker(sounds)


def made_files(sounds: Path) -> list[Path]:
    return sorted(sounds.rglob("*")) if sounds.exists() else []


# -- text --------------------------------------------------------------------------------


def test_the_default_voice_is_one_debian_flite_has(maker: PromptMaker) -> None:
    assert DEFAULT_VOICE in maker.voices()
    assert maker.speaking_voice == DEFAULT_VOICE


def test_text_is_synthesised_once_and_then_reused(maker: PromptMaker, sounds: Path) -> None:
    first = maker.from_text(f"  {GREETING}\n")
    assert first == Prompt(GREETING, text_sound(DEFAULT_VOICE, GREETING))
    path = maker.path(first)
    assert path == sounds / f"{first.sound}.wav" and path.is_file()
    assert_speech(path)
    assert path.stat().st_mode & 0o644 == 0o644  # Asterisk may run as another user
    before = path.stat()

    again = maker.from_text(GREETING)
    after = path.stat()
    assert again == first
    # not rewritten: a new synthesis would have replaced the file (a new inode, a new mtime)
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )
    assert PromptMaker(sounds).from_text(GREETING) == first  # another maker, same cache
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert made_files(sounds) == [sounds / "pbx", sounds / "pbx/prompts", path]  # no temp files


def test_other_words_or_another_voice_make_another_file(maker: PromptMaker, sounds: Path) -> None:
    slt = maker.from_text("Our office is closed.")
    kal = PromptMaker(sounds, "kal").from_text("Our office is closed.")
    other = maker.from_text("Our office is open.")
    assert len({slt.sound, kal.sound, other.sound}) == 3
    for prompt in (slt, kal, other):
        assert_speech(maker.path(prompt))
    assert maker.path(slt).read_bytes() != PromptMaker(sounds, "kal").path(kal).read_bytes()


def test_a_voice_flite_lacks_falls_back_to_its_default(sounds: Path) -> None:
    maker = PromptMaker(sounds, "nosuchvoice")
    assert maker.speaking_voice is None
    prompt = maker.from_text("Hello there.")
    assert prompt.sound == text_sound("nosuchvoice", "Hello there.")
    assert_speech(maker.path(prompt))


@pytest.mark.parametrize(
    ("text", "reason"), [("", "empty"), (" \n ", "empty"), ("x" * 1001, "too long")]
)
def test_bad_text_is_refused_naming_the_field(
    maker: PromptMaker, sounds: Path, text: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        maker.from_text(text, "menu.prompt")
    assert info.value.field == "menu.prompt" and reason in info.value.reason
    assert made_files(sounds) == []


def test_a_voice_that_is_not_a_name_is_refused(sounds: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        PromptMaker(sounds, "http://example.com/evil.flitevox")
    assert info.value.field == "voice"


def test_without_flite_cached_text_still_works_and_new_text_is_refused(
    maker: PromptMaker, sounds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = maker.from_text(GREETING)
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # flite cannot be found, so it cannot run
    bare = PromptMaker(sounds)
    assert bare.from_text(GREETING) == cached  # from the cache: flite is not needed
    with pytest.raises(InvalidInput) as info:
        bare.from_text("Something never said before.", "text")
    assert info.value.field == "text"
    assert str(info.value) == f"text: {NO_FLITE}"
    assert "apt install flite" in str(info.value) and "\n" not in str(info.value)


# -- recordings --------------------------------------------------------------------------


def test_a_cd_quality_stereo_wav_is_converted_for_phones(
    maker: PromptMaker, sounds: Path, tmp_path: Path
) -> None:
    source = tmp_path / "hello.wav"
    source.write_bytes(tone_wav(1.5, 44100, 2))
    prompt = maker.from_wav(source)
    assert prompt.text is None and prompt.sound is not None
    assert prompt.sound.startswith("pbx/prompts/rec-")
    path = maker.path(prompt)
    assert path.parent == sounds / "pbx" / "prompts"
    rate, channels, width, seconds = telephone_format(path)
    assert (rate, channels, width) == (8000, 1, 2) and abs(seconds - 1.5) < 0.01
    assert prompt.sound == recording_sound(path.read_bytes())  # named by the converted audio
    samples = load_wav(path).array()
    assert 7000 < int(np.abs(samples).max()) < 8500  # the tone survived, at its level

    sound, data = maker.convert_wav(source)
    assert (sound, data) == (prompt.sound, path.read_bytes())
    before = path.stat()
    copy = tmp_path / "copy.wav"
    copy.write_bytes(source.read_bytes())
    assert maker.from_wav(copy) == prompt  # the same audio: the same file, not rewritten
    assert path.stat().st_mtime_ns == before.st_mtime_ns


def broken_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Files that are no usable WAV: name -> (path, what the reason says)."""
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(tone_wav(1.0)[:5000])
    header = tmp_path / "header.wav"
    header.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    return {
        "text": (text, "not a WAV file"),
        "empty": (empty, "empty"),
        "truncated": (truncated, "truncated"),
        "header": (header, "truncated"),
        "missing": (tmp_path / "none.wav", "does not exist"),
        "directory": (tmp_path, "is a directory"),
    }


@pytest.mark.parametrize("kind", ["text", "empty", "truncated", "header", "missing", "directory"])
def test_what_is_not_a_usable_wav_is_refused_in_one_line(
    maker: PromptMaker, sounds: Path, tmp_path: Path, kind: str
) -> None:
    path, reason = broken_files(tmp_path)[kind]
    with pytest.raises(InvalidInput) as info:
        maker.from_wav(path, "greeting")
    assert info.value.field == "greeting"
    assert info.value.reason.startswith(f"{path}: ") and reason in info.value.reason
    assert "\n" not in str(info.value)
    assert made_files(sounds) == []


def test_more_than_five_minutes_is_refused(maker: PromptMaker, tmp_path: Path) -> None:
    long = tmp_path / "long.wav"
    with wave.open(str(long), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(2 * 8000 * 301))
    with pytest.raises(InvalidInput) as info:
        maker.from_wav(long)
    assert info.value.field == "prompt" and "too long" in info.value.reason


# -- make --------------------------------------------------------------------------------


def test_make_speaks_a_lost_text_prompt_again(maker: PromptMaker, sounds: Path) -> None:
    made = maker.from_text(GREETING)
    path = maker.path(made)
    path.unlink()  # e.g. moved to a new machine without the sounds directory
    assert maker.make(made) == made
    assert_speech(path)
    assert maker.make(made) == made  # present: nothing to do
    assert maker.make(Prompt(GREETING)) == made  # no sound yet: it gets one


def test_make_refuses_a_lost_recording_and_an_empty_prompt(
    maker: PromptMaker, tmp_path: Path
) -> None:
    source = tmp_path / "hello.wav"
    source.write_bytes(tone_wav())
    recording = maker.from_wav(source)
    assert maker.make(recording) == recording
    maker.path(recording).unlink()
    with pytest.raises(InvalidInput) as info:
        maker.make(recording, "menu.prompt")
    assert info.value.field == "menu.prompt" and "missing" in info.value.reason
    with pytest.raises(InvalidInput) as info:
        maker.make(Prompt(), "menu.prompt")
    assert info.value.field == "menu.prompt"


# -- the CLI -----------------------------------------------------------------------------


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = use_home(tmp_path / "pbx-home", monkeypatch)
    ok("user", "add", "ann", "--email", "ann@example.com")
    ok("voicemail", "box", "add", "After Hours", "--members", "ann")
    return home


def refused(*args: str) -> str:
    """Run `pbx ARGS`, which must fail with status 2 and one line on stderr; that line."""
    code, out, err = pbx(*args)
    assert code == 2, (code, out, err)
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    return err.strip()


def test_prompt_say_writes_a_preview_and_fills_the_cache(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "preview.wav"
    printed = ok("prompt", "say", GREETING, "--out", str(out))
    assert len(printed.strip().splitlines()) == 1
    _, _, _, seconds = telephone_format(out)
    assert printed.strip() == f"wrote {out}: {seconds:.1f} s of speech"
    assert_speech(out)
    cached = load_settings(home).asterisk_dir / "sounds" / f"{text_sound('slt', GREETING)}.wav"
    assert cached.read_bytes() == out.read_bytes()

    made = json.loads(ok("prompt", "say", GREETING, "--out", str(out), "--voice", "kal", "--json"))
    assert made["sound"] == text_sound("kal", GREETING) and made["seconds"] > 1
    assert refused("prompt", "say", "  ", "--out", str(out)).startswith("error: text: ")
    assert refused("prompt", "say", "x" * 1001, "--out", str(out)).startswith("error: text: ")
    assert refused("prompt", "say", "hi", "--out", str(tmp_path)).startswith("error: out: ")
    assert refused("prompt", "say", "hi", "--out", str(out), "--voice", "../x").startswith(
        "error: voice: "
    )


def test_prompt_check_prints_the_duration_and_the_name(home: Path, tmp_path: Path) -> None:
    source = tmp_path / "hello.wav"
    source.write_bytes(tone_wav(2.0, 44100, 2))
    sound, _ = PromptMaker(tmp_path / "elsewhere").convert_wav(source)
    assert ok("prompt", "check", str(source)).strip() == f"{source}: 2.0 s, usable as sound {sound}"
    shown = json.loads(ok("prompt", "check", str(source), "--json"))
    assert shown == {"file": str(source), "seconds": 2.0, "sound": sound}
    assert not (load_settings(home).asterisk_dir / "sounds" / f"{sound}.wav").exists()
    for path, reason in broken_files(tmp_path).values():
        error = refused("prompt", "check", str(path))
        assert error.startswith(f"error: file: {path}: ") and reason in error, error


def greeting_of(home: Path, box: str) -> str | None:
    """The greeting the database holds for `box`."""

    async def go() -> str | None:
        repo = await open_repository(load_settings(home).effective_database_url)
        try:
            found = (await repo.snapshot()).box(box)
            assert found is not None
            return found.greeting
        finally:
            await repo.close()

    return asyncio.run(go())


def test_a_voicemail_greeting_from_text(home: Path, tmp_path: Path) -> None:
    printed = ok("voicemail", "greeting", "After Hours", "--text", GREETING)
    sound = text_sound(DEFAULT_VOICE, GREETING)
    assert sound in printed
    assert greeting_of(home, "After Hours") == sound
    assert_speech(load_settings(home).asterisk_dir / "sounds" / f"{sound}.wav")

    wav = tmp_path / "greeting.wav"
    wav.write_bytes(tone_wav(2.0))
    assert "exactly one" in refused("voicemail", "greeting", "After Hours", str(wav), "--text", "x")
    assert "exactly one" in refused(
        "voicemail", "greeting", "After Hours", "--text", "x", "--default"
    )
    assert "exactly one" in refused("voicemail", "greeting", "After Hours")
    assert refused("voicemail", "greeting", "After Hours", "--text", " ").startswith(
        "error: text: "
    )
    assert refused("voicemail", "greeting", "Nope", "--text", "Hi").startswith("error: box: ")
    assert greeting_of(home, "After Hours") == sound  # the refusals changed nothing
    ok("voicemail", "greeting", "After Hours", "--default")
    assert greeting_of(home, "After Hours") is None


# -- the API -----------------------------------------------------------------------------


@pytest.fixture
async def h(db_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    async with api_harness(db_url, tmp_path / "home") as harness:
        await harness.user("ann")
        await harness.backend.directory().add_box("After Hours", "ann")
        yield harness


async def test_the_api_sets_a_greeting_from_json_text(h: ApiHarness) -> None:
    path = "/api/voicemail/boxes/After Hours/greeting"
    box = await h.call("PUT", path, json={"text": f" {GREETING} "}, status=200)
    sound = text_sound(DEFAULT_VOICE, GREETING)
    assert box["greeting"] == sound
    assert_speech(h.backend.settings.asterisk_dir / "sounds" / f"{sound}.wav")
    assert (await h.get("/api/voicemail/boxes/After Hours"))["greeting"] == sound

    async def refused_as(data: Any, field: str, kind: str = "application/json") -> str:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        headers = {**h.headers("system"), "Content-Type": kind}
        resp = await h.client.put(path, data=raw, headers=headers)
        answer = await resp.json()
        assert (resp.status, answer["field"]) == (400, field), answer
        return str(answer["error"])

    assert "empty" in await refused_as({"text": "  "}, "text")
    assert "too long" in await refused_as({"text": "x" * 1001}, "text")
    assert "required" in await refused_as({}, "text")
    await refused_as({"text": 5}, "text")
    await refused_as({"text": "Hi", "voice": "kal"}, "voice")  # not a field of this body
    await refused_as(b"{not json", "body")
    assert "audio/wav" in await refused_as(tone_wav(), "Content-Type")  # a WAV sent as JSON
    await h.call("PUT", path, "ann", json={"text": "Hi"}, status=403)
    await h.call("PUT", "/api/voicemail/boxes/Nope/greeting", json={"text": "Hi"}, status=404)
    assert (await h.get("/api/voicemail/boxes/After Hours"))["greeting"] == sound  # unchanged

    # a WAV upload still works next to the JSON form
    resp = await h.client.put(
        path, data=tone_wav(2.0), headers={**h.headers("system"), "Content-Type": "audio/wav"}
    )
    assert resp.status == 200 and (await resp.json())["greeting"] == "pbx/greeting-after-hours"
    doc = await h.get("/api/openapi.json")
    put = doc["paths"]["/api/voicemail/boxes/{name}/greeting"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"]["required"] == ["text"]
