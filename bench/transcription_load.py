"""Voicemail transcription running in the background, as the controller runs it.

`TranscriptionLoad` starts worker processes that, like the controller's transcription
worker (pbx.services.transcription.WorkerDecoder), lower their priority with
`stt.engine.worker_init` and decode with `pbx.services.speech.decode` (PocketSphinx,
listening for the default emergency keywords), one voicemail after another, until stopped.
bench/call_bench.py --transcribing runs a call ladder with and without it.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.voicemails import SETS

__all__ = ["LoadFigures", "TranscriptionLoad"]


@dataclass(frozen=True)
class LoadFigures:
    """What the background decoding did: decodes finished and their real-time factors."""

    decodes: int
    audio_seconds: float
    rtf_median: float

    def describe(self) -> str:
        return (
            f"{self.decodes} voicemails transcribed in the background "
            f"({self.audio_seconds:.0f} s of audio, real-time factor median {self.rtf_median:.3f})"
        )


def _work(paths: list[str], cache_dir: str, stop: Event, results: Any) -> None:
    from pbx.core.keywords import DEFAULT_KEYWORDS
    from pbx.services.speech import decode
    from stt.engine import worker_init

    worker_init()
    i = 0
    while not stop.is_set():
        t = decode(paths[i % len(paths)], None, None, DEFAULT_KEYWORDS, cache_dir)
        results.put((t.audio_seconds, t.rtf))
        i += 1


class TranscriptionLoad:
    """`workers` processes transcribing voicemails while the `with` block runs."""

    def __init__(self, workers: int, cache: Path) -> None:
        from bench.stt_bench import synthesise  # flite + sox: telephone audio

        messages = [m for m in SETS["A"] if m.emergency][:4]
        self.paths = [
            str(synthesise(m.text, voice, cache, None))
            for m, voice in zip(messages, ("kal16", "rms", "slt", "awb"), strict=True)
        ]
        self.workers = workers
        self.cache = str(cache)
        self._ctx = multiprocessing.get_context("spawn")
        self._stop = self._ctx.Event()
        self._results = self._ctx.Queue()
        self._procs: list[Any] = []
        self.figures: LoadFigures | None = None

    def warm(self) -> None:
        """Build the biased model once before timing anything (about a second)."""
        from pbx.core.keywords import DEFAULT_KEYWORDS
        from pbx.services.speech import build_engine

        build_engine(None, None, DEFAULT_KEYWORDS, self.cache)

    def __enter__(self) -> TranscriptionLoad:
        self._stop.clear()
        self._procs = [
            self._ctx.Process(
                target=_work, args=(self.paths, self.cache, self._stop, self._results)
            )
            for _ in range(self.workers)
        ]
        for p in self._procs:
            p.start()
        time.sleep(3.0)  # the model is loaded before the calls start
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        for p in self._procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
        done: list[tuple[float, float]] = []
        while not self._results.empty():
            done.append(self._results.get())
        self.figures = LoadFigures(
            len(done),
            sum(a for a, _ in done),
            statistics.median(r for _, r in done) if done else float("nan"),
        )
