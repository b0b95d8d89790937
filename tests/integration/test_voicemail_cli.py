"""`pbx voicemail` (inbox, greetings, keywords, transcribe) and `pbx user --notify`, against a
real SQLite PBX_HOME; messages are stored through the repository as the controller stores them.
Bad input: one line on stderr, `error: FIELD: reason`, exit status 2, nothing changed."""

from __future__ import annotations

import asyncio
import io
import json
import math
import struct
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pbx.adapters.db.repository import open_repository
from pbx.adapters.recordings import RecordingStore
from pbx.core.keywords import DEFAULT_KEYWORDS
from pbx.core.voicemail import Message, TranscriptStatus
from pbx.runtime.settings import load_settings
from tests.integration.cli_runner import ok, pbx, use_home

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def tone_wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = (int(8000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(int(rate * seconds)))
        w.writeframes(b"".join(struct.pack("<h", f) for f in frames))
    return out.getvalue()


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = use_home(tmp_path / "pbx-home", monkeypatch)
    ok("user", "add", "ann", "--email", "ann@example.com")
    ok("user", "add", "bob", "--email", "bob@example.com")
    ok("voicemail", "box", "add", "After Hours", "--members", "ann")
    ok("number", "add", "+13125550100", "--label", "Main")
    return home


def store(home: Path, **kw: object) -> int:
    settings = load_settings(home)
    audio = RecordingStore(settings.recordings_dir).save("pbxvm-1.5", tone_wav(), T0)

    async def go() -> int:
        repo = await open_repository(settings.effective_database_url)
        try:
            values: dict[str, object] = {
                "box": "After Hours", "caller": "+13125550166", "received_at": T0,
                "duration": 1.0, "audio": audio, "call_key": "node:1.5",
                "transcript": "the pipe is leaking", "transcript_status": TranscriptStatus.DONE,
                "keywords": ("leak",),
            }  # fmt: skip
            m = await repo.add_message(Message(**{**values, **kw}))  # type: ignore[arg-type]
            assert m.id is not None
            return m.id
        finally:
            await repo.close()

    return asyncio.run(go())


def refused(*args: str) -> str:
    code, out, err = pbx(*args)
    assert code == 2, (code, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err.strip()


def test_the_inbox(home: Path, tmp_path: Path) -> None:
    ident = store(home)
    rows = json.loads(ok("voicemail", "list", "--json"))
    assert [(r["id"], r["emergency"], r["read"]) for r in rows] == [(ident, True, False)]
    table = ok("voicemail", "list")
    assert "leak" in table and "+13125550166" in table
    assert json.loads(ok("voicemail", "list", "--box", "After Hours", "--unread", "--json"))
    ok("voicemail", "read", str(ident))
    assert json.loads(ok("voicemail", "list", "--unread", "--json")) == []
    ok("voicemail", "unread", str(ident))
    assert len(json.loads(ok("voicemail", "list", "--unread", "--json"))) == 1
    ok("voicemail", "assign", str(ident), "--user", "bob")
    shown = json.loads(ok("voicemail", "show", str(ident), "--json"))
    assert shown["assigned_to"] == "bob" and shown["transcript"] == "the pipe is leaking"
    assert shown["escalation"] == [] and shown["notifications"] == []
    out = tmp_path / "copy.wav"
    ok("voicemail", "export", str(ident), "--out", str(out))
    assert out.read_bytes()[:4] == b"RIFF"


def test_inbox_bad_input(home: Path, tmp_path: Path) -> None:
    ident = store(home)
    assert refused("voicemail", "show", "99") == "error: message: no such voicemail message 99"
    assert "user" in refused("voicemail", "assign", str(ident), "--user", "zed")
    assert "box" in refused("voicemail", "list", "--box", "Nope")
    assert "limit" in refused("voicemail", "list", "--limit", "0")
    assert "directory" in refused("voicemail", "export", str(ident), "--out", str(tmp_path))
    assert json.loads(ok("voicemail", "show", str(ident), "--json"))["assigned_to"] is None


def test_keywords_of_boxes_and_numbers(home: Path) -> None:
    listed = ok("voicemail", "keywords", "--box", "After Hours", "--json")
    assert tuple(json.loads(listed)) == DEFAULT_KEYWORDS
    added = json.loads(
        ok("voicemail", "keywords", "--box", "After Hours", "--add", "Mold", "--remove", "smoke",
           "--json")
    )  # fmt: skip
    assert "mold" in added and "smoke" not in added
    assert json.loads(ok("voicemail", "keywords", "--number", "+13125550100", "--none", "--json")) == []
    assert "remove" in refused("voicemail", "keywords", "--box", "After Hours", "--remove", "zzz")
    assert "keyword" in refused("voicemail", "keywords", "--box", "After Hours", "--add", "!!")
    assert "number" in refused("voicemail", "keywords", "--number", "+13125550199")
    reset = json.loads(ok("voicemail", "keywords", "--box", "After Hours", "--reset", "--json"))
    assert tuple(reset) == DEFAULT_KEYWORDS


def test_greetings_are_checked_and_converted(home: Path, tmp_path: Path) -> None:
    good = tmp_path / "greeting.wav"
    good.write_bytes(tone_wav(2.0, 16000))
    ok("voicemail", "greeting", "After Hours", str(good))
    made = load_settings(home).asterisk_dir / "sounds" / "pbx" / "greeting-after-hours.wav"
    with wave.open(str(made)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF....WAVEjunk")
    assert refused("voicemail", "greeting", "After Hours", str(broken)).startswith("error: file: ")
    assert "file" in refused("voicemail", "greeting", "After Hours", str(tmp_path / "none.wav"))
    boxes = json.loads(ok("voicemail", "box", "list", "--json"))
    assert boxes[0]["name"] == "After Hours"
    ok("voicemail", "greeting", "After Hours", "--default")


def test_notification_preferences(home: Path) -> None:
    ok("user", "update", "ann", "--notify", "email,sms")
    assert json.loads(ok("user", "show", "ann", "--json"))["notify"] == ["email", "sms"]
    assert "notify" in refused("user", "update", "ann", "--notify", "fax")
    assert json.loads(ok("user", "show", "ann", "--json"))["notify"] == ["email", "sms"]


def test_transcribe_refuses_what_it_cannot_read(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert refused("voicemail", "transcribe", str(empty)).startswith("error: file: ")
    assert "vosk_model" in refused("voicemail", "transcribe", str(empty), "--engine", "vosk")
    assert "stt_engine" in refused("voicemail", "transcribe", str(empty), "--engine", "whisper")
