"""Storing voicemail messages: what Asterisk recorded becomes a stored message, nothing
is lost when Asterisk or the database is away, and a caller who said nothing leaves none."""

from __future__ import annotations

import io
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pbx.adapters.recordings import RecordingStore
from pbx.core.callflow import SaveMessage
from pbx.core.calls import CallPatch, CallRecord, Disposition
from pbx.core.voicemail import Message
from pbx.services import recording_fetch
from pbx.services.message_save import MessageSaver

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
JOB = SaveMessage("node:1.5", "pbxvm-1.5", "After Hours", "+13125550166", T0, "+13125550100")


def wav(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x10\x00" * int(8000 * seconds))
    return out.getvalue()


class Asterisk:
    """Stored recordings on Asterisk (our RecordingSource port), reachable or not."""

    def __init__(self, files: dict[str, bytes], reachable: bool = True) -> None:
        self.files = files
        self.reachable = reachable

    async def names(self) -> list[str]:
        return list(self.files)

    async def fetch(self, name: str) -> bytes | None:
        if not self.reachable:
            raise ConnectionError("ARI: cannot reach Asterisk")
        return self.files.get(name)

    async def delete(self, name: str) -> None:
        self.files.pop(name, None)


class Messages:
    def __init__(self, failures: int = 0) -> None:
        self.stored: list[Message] = []
        self.failures = failures

    async def add_message(self, message: Message) -> Message:
        if self.failures:
            self.failures -= 1
            raise OSError("database is down")
        self.stored.append(message)
        return message

    async def get_call_by_key(self, key: str) -> CallRecord | None:
        return None


class Patches:
    def __init__(self) -> None:
        self.patches: list[CallPatch] = []

    def submit(self, patch: CallPatch) -> None:
        self.patches.append(patch)


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recording_fetch, "RETRY_SECONDS", 0.001)
    monkeypatch.setattr(recording_fetch, "MAX_WAITS", 2)
    monkeypatch.setattr(recording_fetch, "MAX_OUTAGE_SECONDS", 0.01)


def saver(asterisk: Asterisk, messages: Messages, tmp_path: Path) -> tuple[MessageSaver, Patches]:
    patches = Patches()
    return MessageSaver(asterisk, RecordingStore(tmp_path), messages, patches), patches


async def test_a_message_is_stored_then_deleted_on_asterisk(tmp_path: Path) -> None:
    asterisk, messages = Asterisk({"pbxvm-1.5": wav(3.0)}), Messages(failures=1)
    save, patches = saver(asterisk, messages, tmp_path)
    await save._save(JOB)  # the first insert fails: retried, the recording kept meanwhile
    [stored] = messages.stored
    assert (stored.box, stored.caller, stored.duration) == ("After Hours", "+13125550166", 3.0)
    assert (tmp_path / stored.audio).read_bytes()[:4] == b"RIFF"
    assert asterisk.files == {} and patches.patches == []


async def test_no_recording_or_a_hang_up_at_the_beep_is_a_missed_call(tmp_path: Path) -> None:
    for files in ({}, {"pbxvm-1.5": wav(0.3)}):
        asterisk, messages = Asterisk(dict(files)), Messages()
        save, patches = saver(asterisk, messages, tmp_path)
        await save._save(JOB)
        assert messages.stored == [] and asterisk.files == {}
        assert [p.values["disposition"] for p in patches.patches] == [Disposition.MISSED]


async def test_asterisk_unreachable_leaves_the_message_there_and_the_call_as_it_is(
    tmp_path: Path,
) -> None:
    asterisk, messages = Asterisk({"pbxvm-1.5": wav(3.0)}, reachable=False), Messages()
    save, patches = saver(asterisk, messages, tmp_path)
    await save._save(JOB)
    assert messages.stored == [] and patches.patches == []  # not called Missed
    assert "pbxvm-1.5" in asterisk.files  # for the next sweep
