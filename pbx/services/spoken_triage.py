"""The spoken triage's ear: the caller's short answer, fetched from Asterisk, transcribed
offline and matched against the emergency keywords with the same matcher as voicemail.

It has its own decoder (worker process), so a caller waiting on the line never queues
behind voicemail transcription.
"""

from __future__ import annotations

import asyncio
import logging
import math
import struct
import tempfile
import wave
from pathlib import Path
from typing import Protocol

from pbx.core import keywords
from pbx.core.model import AfterHoursKind, Directory
from stt.engine import Transcript

log = logging.getLogger(__name__)


class Recordings(Protocol):
    async def fetch(self, name: str) -> bytes | None:
        """The stored recording's WAV bytes (None: it is not there)."""
        ...

    async def delete(self, name: str) -> None: ...


class Decoder(Protocol):
    async def __call__(self, path: str, keywords: tuple[str, ...]) -> Transcript: ...


def uses_spoken_triage(directory: Directory) -> bool:
    return any(
        step.kind is AfterHoursKind.TRIAGE and step.spoken
        for schedule in directory.schedules
        for step in schedule.after_hours
    )


class SpokenTriage:
    """Judges spoken triage answers (implements call control's `SpeechJudge`)."""

    def __init__(self, recordings: Recordings, decoder: Decoder) -> None:
        self.recordings = recordings
        self.decoder = decoder
        self._needed = asyncio.Event()

    def directory_loaded(self, directory: Directory) -> None:
        """Told each directory load: the decoder is warmed once a spoken triage is in use."""
        if uses_spoken_triage(directory):
            self._needed.set()

    async def warm(self) -> None:
        """Once needed, load the speech model (seconds) before the first caller answers."""
        await self._needed.wait()
        with tempfile.TemporaryDirectory(prefix="pbx-triage-") as tmp:
            path = Path(tmp) / "silence.wav"
            # a beep after a pause: silence or a steady tone is refused before the model
            # is even loaded
            tone = bytes(4000) + b"".join(
                struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * n / 8000)))
                for n in range(4000)
            )
            with wave.open(str(path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(8000)
                w.writeframes(tone)
            try:
                await self.decoder(str(path), keywords.DEFAULT_KEYWORDS)
                log.info("spoken triage: speech model loaded")
            except Exception as exc:
                log.warning("spoken triage: the speech engine does not work: %s", exc)

    async def judge(self, name: str, listen_for: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        """The transcript of recording `name` and the keywords of `listen_for` found in it.

        Raises when the recording is missing or cannot be transcribed."""
        try:
            audio = await self.recordings.fetch(name)
            if audio is None:
                raise FileNotFoundError(f"recording {name} is not on Asterisk")
            with tempfile.TemporaryDirectory(prefix="pbx-triage-") as tmp:
                path = Path(tmp) / f"{name}.wav"
                path.write_bytes(audio)
                result = await self.decoder(str(path), listen_for)
        finally:
            try:
                await self.recordings.delete(name)
            except Exception as exc:  # left on Asterisk: a few seconds of audio, harmless
                log.debug("spoken triage %s not deleted: %s", name, exc)
        found = keywords.match(result.text, listen_for)
        log.info("spoken triage %s: %r%s", name, result.text, f" -> {found}" if found else "")
        return result.text, found
