"""Storing voicemail messages, off the call path.

When a call that went to voicemail has ended, `MessageSaver` fetches the
message Asterisk recorded, saves the audio in the recording store, stores the
message (transcript pending) and only then deletes the recording on Asterisk:
until the message is in the database the recording stays where it is, so a
database outage or a crash loses nothing. After a restart, `sweep()` finds
messages left on Asterisk and rebuilds their facts from the call log.
A call whose caller left no message (hung up before the beep, or only
silence shorter than `MIN_SECONDS`) is logged Missed instead of Voicemail.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from pbx.adapters.backoff import Backoff
from pbx.core import callflow
from pbx.core.callflow import SaveMessage
from pbx.core.calls import CallPatch, CallRecord, Disposition
from pbx.core.voicemail import Message
from pbx.services.callcontrol import PatchSink
from pbx.services.recording_fetch import (
    RecordingSaver,
    RecordingSource,
    fetch_complete,
    wav_seconds,
)

log = logging.getLogger(__name__)

MIN_SECONDS = 1.0  # shorter than this is no message (a hang-up at the beep)


class MessageStore(Protocol):
    async def add_message(self, message: Message) -> Message:
        """Store a new message (the stored one when its call left one already)."""
        ...

    async def get_call_by_key(self, key: str) -> CallRecord | None: ...


class MessageSaver:
    """A queue of messages to store; `submit` never blocks, `run` works through it."""

    def __init__(
        self,
        source: RecordingSource,
        store: RecordingSaver,
        messages: MessageStore,
        calls: PatchSink,
        on_stored: Callable[[Message], None] = lambda m: None,
    ) -> None:
        self.source = source
        self.store = store
        self.messages = messages
        self.calls = calls
        self.on_stored = on_stored
        self._queue: asyncio.Queue[SaveMessage] = asyncio.Queue()
        self._pending: set[str] = set()

    def submit(self, message: SaveMessage) -> None:
        if message.name in self._pending:
            return
        self._pending.add(message.name)
        self._queue.put_nowait(message)

    async def run(self) -> None:
        """Store messages one after another, forever."""
        while True:
            job = await self._queue.get()
            try:
                await self._save(job)
            except Exception:
                log.exception("voicemail %s of call %s: storing failed", job.name, job.key)
            finally:
                self._pending.discard(job.name)

    async def sweep(self, node: str, live_channels: set[str]) -> None:
        """Queue messages left on Asterisk by calls that are over (after a restart)."""
        for name in await self.source.names():
            channel = callflow.recording_channel(name, callflow.MESSAGE_PREFIX)
            if channel is None or channel in live_channels or name in self._pending:
                continue
            key = f"{node}:{channel}"
            record = await self._call(key)
            if record is None or record.voicemail_box is None:
                log.warning("voicemail %s: its call %s is not in the call log yet", name, key)
                continue
            self.submit(
                SaveMessage(
                    key, name, record.voicemail_box, record.caller,
                    record.ended_at or record.started_at, record.business_number,
                    record.customer_id, record.job_id,
                )
            )  # fmt: skip

    async def _call(self, key: str) -> CallRecord | None:
        try:
            return await self.messages.get_call_by_key(key)
        except Exception as exc:  # the database is down: the next sweep tries again
            log.warning("voicemail of call %s: cannot read the call log (%s)", key, exc)
            return None

    async def _save(self, job: SaveMessage) -> None:
        try:
            data = await fetch_complete(self.source, job.name, job.key)
        except ConnectionError as exc:  # not "no message": the next sweep stores it
            log.error("voicemail of call %s: %s", job.key, exc)
            return
        seconds = wav_seconds(data) if data is not None else 0.0
        if data is None or seconds < MIN_SECONDS:
            self.calls.submit(
                CallPatch(job.key, {"disposition": Disposition.MISSED, "voicemail_box": None})
            )
            log.info("call %s left no message in %s", job.key, job.box)
            if data is not None:
                await self.source.delete(job.name)
            return
        audio = await asyncio.to_thread(self.store.save, job.name, data, job.received_at)
        message = Message(
            box=job.box,
            caller=job.caller,
            received_at=job.received_at,
            duration=round(seconds, 2),
            audio=audio,
            call_key=job.key,
            business_number=job.business_number,
            customer_id=job.customer_id,
            job_id=job.job_id,
        )
        backoff = Backoff(log)
        while True:
            try:
                stored = await self.messages.add_message(message)
                break
            except Exception as exc:  # keep the recording on Asterisk until it is stored
                await backoff.failed(f"voicemail of call {job.key}: cannot store it ({exc})")
        await self.source.delete(job.name)
        log.info(
            "voicemail %d in %s from %s (%.1f s) stored as %s",
            stored.id or 0, job.box, job.caller or "anonymous", seconds, audio,
        )  # fmt: skip
        self.on_stored(stored)
