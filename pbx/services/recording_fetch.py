"""Moving call recordings from Asterisk into the recording store, off the call path.

Asterisk writes an answered call's recording (MixMonitor) into its spool;
when the call has ended, `RecordingFetcher` fetches the file, saves it in the
recording store, links it to the call record (a call-log patch), then deletes
it on Asterisk. A file is only taken once it is complete (its WAV header says
how long it is; MixMonitor finishes it when the answering leg hangs up).
Recordings left on Asterisk by a controller that stopped are picked up by
`sweep()`.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from datetime import UTC, datetime
from typing import Protocol

from pbx.core.callflow import recording_channel
from pbx.core.calls import CallPatch
from pbx.services.callcontrol import PatchSink

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.5
MAX_WAITS = 20  # incomplete or missing file: give up after about 10 s
MAX_OUTAGE_SECONDS = 3600.0  # Asterisk unreachable: keep trying this long


class RecordingSource(Protocol):
    """Recordings stored on Asterisk."""

    async def names(self) -> list[str]: ...

    async def fetch(self, name: str) -> bytes | None:
        """The file, or None when Asterisk has no recording of that name."""
        ...

    async def delete(self, name: str) -> None: ...


class RecordingSaver(Protocol):
    def save(self, name: str, data: bytes, when: datetime) -> str:
        """Store the file; returns its path inside the store."""
        ...


def wav_complete(data: bytes) -> bool:
    """True when a RIFF/WAVE file is as long as its header says (the writer closed it)."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return False
    (riff_size,) = struct.unpack_from("<I", data, 4)
    return bool(riff_size + 8 == len(data))


class RecordingFetcher:
    """A queue of recordings to fetch; `submit` never blocks, `run` works through it."""

    def __init__(self, source: RecordingSource, store: RecordingSaver, calls: PatchSink) -> None:
        self.source = source
        self.store = store
        self.calls = calls
        self._queue: asyncio.Queue[tuple[str, str, datetime]] = asyncio.Queue()
        self._pending: set[str] = set()

    def submit(self, key: str, name: str, when: datetime) -> None:
        if name in self._pending:
            return
        self._pending.add(name)
        self._queue.put_nowait((key, name, when))

    async def run(self) -> None:
        """Fetch recordings one after another, forever."""
        while True:
            key, name, when = await self._queue.get()
            try:
                await self._fetch(key, name, when)
            except Exception:
                log.exception("recording %s of call %s: fetching failed", name, key)
            finally:
                self._pending.discard(name)

    async def sweep(self, node: str, live_channels: set[str]) -> None:
        """Queue our recordings still on Asterisk whose call is over (after a restart)."""
        for name in await self.source.names():
            channel = recording_channel(name)
            if channel is not None and channel not in live_channels:
                self.submit(f"{node}:{channel}", name, datetime.now(UTC))

    async def _fetch(self, key: str, name: str, when: datetime) -> None:
        data = await fetch_complete(self.source, name, key)
        if data is None:
            return
        path = await asyncio.to_thread(self.store.save, name, data, when)
        self.calls.submit(CallPatch(key, {"recording": path}))
        await self.source.delete(name)
        log.info("recording of call %s stored as %s (%d bytes)", key, path, len(data))


async def fetch_complete(source: RecordingSource, name: str, key: str) -> bytes | None:
    """Asterisk's recording `name` once its file is complete; None when there is none.

    Waits (about 10 s) for a file still being written; rides out Asterisk
    being unreachable for up to an hour, then raises ConnectionError (the
    file is left on Asterisk for the next sweep).
    """
    waits = 0
    outage = 0.0
    while True:
        try:
            data = await source.fetch(name)
        except ConnectionError as exc:
            if outage >= MAX_OUTAGE_SECONDS:
                raise ConnectionError(f"Asterisk unreachable; {name} is left there") from exc
            if outage == 0:
                log.warning("recording %s: %s; retrying", name, exc)
            outage += RETRY_SECONDS * 4
            await asyncio.sleep(RETRY_SECONDS * 4)
            continue
        if data is not None and wav_complete(data):
            return data
        waits += 1
        if waits >= MAX_WAITS:
            if data is None:
                log.warning("recording %s of call %s: Asterisk has no such file", name, key)
                return None
            log.warning("recording %s of call %s: header never completed; storing as is", name, key)
            return data
        await asyncio.sleep(RETRY_SECONDS)


def wav_seconds(data: bytes) -> float:
    """Seconds of audio in a RIFF/WAVE file (0 when it is not one or has no audio)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return 0.0
    pos, byte_rate = 12, 0
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if chunk == b"fmt " and size >= 16:
            byte_rate = struct.unpack_from("<I", data, pos + 16)[0]  # after format, channels, rate
        elif chunk == b"data":
            available = min(size, len(data) - pos - 8)
            return available / byte_rate if byte_rate else 0.0
        pos += 8 + size + (size & 1)
    return 0.0
