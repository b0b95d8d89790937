"""The engine interface, the engine factory, and the file-level entry points.

`make_engine` picks and builds an engine (loading a model takes a while: build one and reuse
it). `transcribe_file` is what callers use on a recording; `transcribe_path` and `worker_init`
are the same thing shaped for a `concurrent.futures.ProcessPoolExecutor`.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from typing import Protocol

from stt.audio import Audio, check_speech, load_wav

__all__ = [
    "ENGINES",
    "Engine",
    "ModelError",
    "Transcript",
    "clean_words",
    "engine_name",
    "make_engine",
    "transcribe_file",
    "transcribe_path",
    "worker_init",
]

ENGINES = ("pocketsphinx", "vosk")


class ModelError(ValueError):
    """A speech model that cannot be used; the one-line message names the setting at fault."""


@dataclass(frozen=True)
class Transcript:
    """The words an engine heard in one recording.

    `text` is lower-case words separated by single spaces, with no filler tokens. `confidence` is
    in 0..1 (None when the engine gives none); it is a rough guide, not a calibrated probability.
    `decode_seconds` is the wall time of decoding, resampling included, model load excluded.
    """

    text: str
    confidence: float | None
    engine: str
    audio_seconds: float
    decode_seconds: float

    @property
    def rtf(self) -> float:
        """Real-time factor: decoding time divided by audio duration (below 1 is faster)."""
        return self.decode_seconds / self.audio_seconds if self.audio_seconds > 0 else 0.0


class Engine(Protocol):
    """A speech-to-text engine with its model loaded; `transcribe` may be called repeatedly."""

    name: str

    def transcribe(self, audio: Audio) -> Transcript:
        """Decode the whole of `audio` (any accepted rate) into a transcript."""
        ...


# Engine output that is not a word: <s>, </s>, <sil>, <unk>, [noise], [unk], ++breath++.
_FILLER = re.compile(r"^(<.*>|\[.*\]|\+\+.*\+\+)$")
# Pronunciation variants in PocketSphinx dictionaries: "and(2)".
_VARIANT = re.compile(r"\(\d+\)$")


def clean_words(words: list[str] | str) -> str:
    """Normalise engine output: lower case, single spaces, filler tokens and variant marks gone."""
    if isinstance(words, str):
        words = words.split()
    kept = (_VARIANT.sub("", word.lower()) for word in words if not _FILLER.match(word))
    return " ".join(word for word in kept if word)


def engine_name(name: str | None, model: str | None) -> str:
    """The engine `make_engine` builds for these settings ("pocketsphinx" or "vosk")."""
    return (name or "").strip().lower() or ("vosk" if model else "pocketsphinx")


def make_engine(
    name: str | None = None, vosk_model: str | os.PathLike[str] | None = None
) -> Engine:
    """Build a transcription engine (slow: it loads the model).

    `name` is "pocketsphinx" or "vosk"; when empty it is "vosk" if `vosk_model` is given, else
    "pocketsphinx". Raises ValueError for an unknown name and ModelError when the Vosk model
    directory is missing, invalid or cannot be loaded, or the vosk package is not installed.
    """
    model = os.fspath(vosk_model) if vosk_model is not None else ""
    chosen = engine_name(name, model)
    if chosen == "pocketsphinx":
        from stt.sphinx import PocketSphinxEngine

        return PocketSphinxEngine()
    if chosen == "vosk":
        if not model:
            raise ModelError("vosk_model: not set (the vosk engine needs a model directory)")
        from stt.vosk_engine import VoskEngine

        return VoskEngine(model)
    raise ValueError(f"stt_engine: unknown engine {name!r} (pocketsphinx or vosk)")


def transcribe_file(
    path: str | os.PathLike[str], engine: Engine, *, max_seconds: float = 600.0
) -> Transcript:
    """Transcribe one WAV file with `engine`.

    Raises AudioError when the file is not usable audio (broken, unsupported, too long, or
    holding no speech) and OSError when it cannot be read.
    """
    audio = load_wav(path, max_seconds=max_seconds)
    check_speech(audio)
    return engine.transcribe(audio)


_worker_engines: dict[tuple[str, str | None], Engine] = {}


def transcribe_path(path: str, engine: str | None, vosk_model: str | None) -> Transcript:
    """`transcribe_file` for a process-pool worker: the engine is built once per process.

    A top-level function with plain arguments, so that it pickles; engines are cached in the
    worker keyed by (engine name, vosk_model), names resolved as `make_engine` does.
    """
    chosen = engine_name(engine, vosk_model)
    key = (chosen, (vosk_model or None) if chosen == "vosk" else None)
    built = _worker_engines.get(key)
    if built is None:
        built = _worker_engines[key] = make_engine(engine, vosk_model)
    return transcribe_file(path, built)


def worker_init() -> None:
    """Process-pool initializer: lower this worker's CPU priority so calls are not disturbed.

    Linux's SCHED_IDLE runs it only on CPU time nothing else wants; nice 10 alone still let
    a decode take about a tenth of a busy core from Asterisk, which at 100 calls/s failed 12%
    of calls (bench/call_bench.py --transcribing 1). Elsewhere, nice 10.
    """
    with contextlib.suppress(OSError):  # not fatal: it still works at normal priority
        os.nice(10)
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
