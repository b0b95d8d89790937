"""The spoken triage's ear for real: a caller's short answer spoken by flite, made telephone
audio, transcribed by PocketSphinx in the decoder's worker process and matched against
the emergency keywords (the recordings store stands in for Asterisk's)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pbx.core.keywords import DEFAULT_KEYWORDS
from pbx.services.spoken_triage import SpokenTriage, uses_spoken_triage
from pbx.services.transcription import WorkerDecoder
from tests.integration.test_stt import phone_line, speak
from tests.speech_tools import needs_speech_tools, speech_tools  # noqa: F401


class Stored:
    """Recordings left on Asterisk, by name."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.deleted: list[str] = []

    async def fetch(self, name: str) -> bytes | None:
        return self.files.get(name)

    async def delete(self, name: str) -> None:
        self.deleted.append(name)
        self.files.pop(name, None)


@pytest.fixture
async def ear(tmp_path: Path) -> AsyncIterator[WorkerDecoder]:
    decoder = WorkerDecoder("", "", tmp_path / "stt")
    try:
        yield decoder
    finally:
        decoder.close()


def answer(text: str, folder: Path) -> bytes:
    spoken = speak(text, folder / "spoken.wav")
    return phone_line(spoken, folder / "line.wav").read_bytes()


@needs_speech_tools
async def test_an_emergency_answer_is_heard_and_a_routine_one_is_not(
    ear: WorkerDecoder, tmp_path: Path
) -> None:
    stored = Stored()
    stored.files["pbxtr-1.1"] = answer("My basement is flooding.", tmp_path)
    triage = SpokenTriage(stored, ear)
    text, found = await triage.judge("pbxtr-1.1", DEFAULT_KEYWORDS)
    assert "flooding" in text and found, text
    stored.files["pbxtr-2.1"] = answer("I need to reschedule my appointment.", tmp_path)
    text, found = await triage.judge("pbxtr-2.1", DEFAULT_KEYWORDS)
    assert "reschedule" in text and found == (), text
    assert stored.deleted == ["pbxtr-1.1", "pbxtr-2.1"]  # nothing is left on Asterisk


async def test_a_missing_answer_raises_and_is_still_cleaned_up(ear: WorkerDecoder) -> None:
    stored = Stored()
    with pytest.raises(FileNotFoundError, match="pbxtr-9.9"):
        await SpokenTriage(stored, ear).judge("pbxtr-9.9", DEFAULT_KEYWORDS)
    assert stored.deleted == ["pbxtr-9.9"]


def test_spoken_triage_in_use_is_seen_in_the_directory() -> None:
    from pbx.core.model import AfterHoursKind, AfterHoursStep, Directory, Schedule

    def schedule(spoken: bool) -> Schedule:
        step = AfterHoursStep(AfterHoursKind.TRIAGE, spoken=spoken)
        return Schedule("Night", "UTC", (), after_hours=(step,))

    assert uses_spoken_triage(Directory(schedules=(schedule(True),)))
    assert not uses_spoken_triage(Directory(schedules=(schedule(False),)))


async def test_the_ear_is_warmed_once_a_spoken_triage_is_in_use(
    ear: WorkerDecoder, caplog: pytest.LogCaptureFixture
) -> None:
    from pbx.core.model import AfterHoursKind, AfterHoursStep, Directory, Schedule

    triage = SpokenTriage(Stored(), ear)
    warming = asyncio.create_task(triage.warm())
    await asyncio.sleep(0.1)
    assert not warming.done()  # not needed yet
    step = AfterHoursStep(AfterHoursKind.TRIAGE, spoken=True)
    triage.directory_loaded(Directory(schedules=(Schedule("N", "UTC", (), after_hours=(step,)),)))
    with caplog.at_level(logging.INFO, "pbx.services.spoken_triage"):
        await asyncio.wait_for(warming, 60)
    assert "speech model loaded" in caplog.text, caplog.text
