"""Transcribing voicemail messages, off the call path and off the event loop.

`Transcriber` works through the messages whose transcript is pending (they
are in the database, so work resumes after a restart). Each decode runs in a
worker process of lower priority (speech recognition is CPU-bound; calls must
not notice it). A message whose audio is broken is not lost: its transcript
is marked failed with the reason. The transcript is matched against the
emergency keywords of the message's box and business number, copied to the
call record, and the finished message is handed on (notifications,
escalation).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol

from pbx.adapters.backoff import Backoff
from pbx.core import keywords
from pbx.core.calls import CallPatch
from pbx.core.voicemail import Message, TranscriptStatus, keyword_lists
from pbx.services.callcontrol import DirectoryView, PatchSink
from pbx.services.speech import decode
from stt.audio import AudioError
from stt.engine import Transcript, worker_init

log = logging.getLogger(__name__)

DECODE_TIMEOUT = 600.0  # seconds; a decode that takes longer is abandoned
POLL_SECONDS = 30.0  # look for pending messages this often even without a wake
BATCH = 10

Decode = Callable[[str, tuple[str, ...]], Awaitable[Transcript]]
"""(path of the audio, the emergency keywords to listen for) -> the transcript."""


class TranscriptStore(Protocol):
    async def list_messages(
        self, *, status: TranscriptStatus | None, oldest_first: bool, limit: int
    ) -> list[Message]: ...

    async def update_message(self, ident: int, **values: Any) -> Message: ...


class WorkerDecoder:
    """Decodes in one worker process (started on first use, restarted if it dies).

    `cache_dir` keeps the keyword-biased language models (pbx.services.speech).
    """

    def __init__(self, engine: str, vosk_model: str, cache_dir: Path | None = None) -> None:
        self.engine = engine or None
        self.vosk_model = vosk_model or None
        self.cache_dir = str(cache_dir) if cache_dir is not None else None
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fork of the controller would copy its threads and open sockets
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=worker_init,
            )
        return self._pool

    async def __call__(self, path: str, keywords: tuple[str, ...]) -> Transcript:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            self._executor(), decode, path, self.engine, self.vosk_model, keywords, self.cache_dir
        )
        try:
            return await asyncio.wait_for(future, DECODE_TIMEOUT)
        except (BrokenProcessPool, TimeoutError):
            self.close()  # a crashed or stuck worker: the next message gets a new one
            raise

    def close(self) -> None:
        if self._pool is not None:
            # the worker processes, taken before shutdown() forgets them
            processes = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.kill()
            self._pool = None


class Transcriber:
    """Transcribes pending messages one at a time; `wake()` when a new one is stored."""

    def __init__(
        self,
        store: TranscriptStore,
        audio_path: Callable[[str], Path],
        decode: Decode,
        directory: DirectoryView,
        calls: PatchSink,
        on_done: Callable[[Message], Awaitable[None]],
    ) -> None:
        self.store = store
        self.audio_path = audio_path
        self.decode = decode
        self.directory = directory
        self.calls = calls
        self.on_done = on_done
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Forever: transcribe what is pending, then wait for a wake (or the poll)."""
        backoff = Backoff(log)
        while True:
            self._wake.clear()
            try:
                pending = await self.store.list_messages(
                    status=TranscriptStatus.PENDING, oldest_first=True, limit=BATCH
                )
            except Exception as exc:
                await backoff.failed(f"transcription: cannot read pending messages ({exc})")
                continue
            for message in pending:
                await self.transcribe(message)
            if len(pending) == BATCH:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)

    async def transcribe(self, message: Message) -> Message:
        """Transcribe one message, store the outcome and hand it on; returns the message."""
        assert message.id is not None
        values: dict[str, Any]
        try:
            path = self.audio_path(message.audio)
            result = await self.decode(str(path), self._listen_for())
        except AudioError as exc:
            values = _failed(str(exc))
        except BrokenProcessPool:
            values = _failed("the speech engine crashed on this recording")
        except TimeoutError:
            values = _failed(f"transcription took longer than {DECODE_TIMEOUT:.0f} s")
        except Exception as exc:  # a bad model, a missing file: say so on the message
            log.exception("voicemail %d: transcription failed", message.id)
            values = _failed(str(exc) or type(exc).__name__)
        else:
            found = keywords.match(result.text, self._keywords(message))
            values = {
                "transcript": result.text,
                "transcript_status": TranscriptStatus.DONE,
                "transcript_error": None,
                "engine": result.engine,
                "confidence": result.confidence,
                "keywords": found,
            }
            log.info(
                "voicemail %d transcribed by %s (real-time factor %.2f)%s",
                message.id, result.engine, result.rtf,
                f"; emergency keywords: {', '.join(found)}" if found else "",
            )  # fmt: skip
        backoff = Backoff(log)
        while True:
            try:
                done = await self.store.update_message(message.id, **values)
                break
            except Exception as exc:
                await backoff.failed(f"voicemail {message.id}: cannot store its transcript ({exc})")
        if done.call_key is not None and done.transcript:
            self.calls.submit(CallPatch(done.call_key, {"transcript": done.transcript}))
        try:
            await self.on_done(done)
        except Exception:
            log.exception("voicemail %d: handing on the transcribed message failed", done.id)
        return done

    def _listen_for(self) -> tuple[str, ...]:
        """Every keyword in use (defaults, boxes, numbers): one biased model serves all."""
        index = self.directory.index
        lists = [keywords.DEFAULT_KEYWORDS]
        if index is not None:
            lists += [b.keywords for b in index.boxes.values() if b.keywords is not None]
            lists += [n.keywords for n in index.numbers.values() if n.keywords is not None]
        return tuple(sorted({k for found in lists for k in found}))

    def _keywords(self, message: Message) -> tuple[str, ...]:
        index = self.directory.index
        box = index.boxes.get(message.box) if index is not None else None
        number = index.numbers.get(message.business_number or "") if index is not None else None
        return keyword_lists(
            box.keywords if box is not None else None,
            number.keywords if number is not None else None,
            keywords.DEFAULT_KEYWORDS,
            has_number=message.business_number is not None,
        )


def _failed(reason: str) -> dict[str, Any]:
    log.info("transcription failed: %s", reason)
    return {
        "transcript_status": TranscriptStatus.FAILED,
        "transcript_error": reason,
        "keywords": (),
    }
