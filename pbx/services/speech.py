"""Voicemail decoding: the configured engine, listening for the emergency keywords.

With PocketSphinx, a message is decoded with a copy of the stock language model in
which the words of the emergency keywords (every inflection of their content words)
are made likelier (`stt.spotting.Spotter`). On bench/stt_bench.py it finds more
emergencies than the stock model, with a word error rate within a point or two and the
same speed, so it is the only pass. Vosk decodes with its own model unchanged.

`decode` runs in a worker process (`WorkerDecoder` in pbx.services.transcription):
engines are built once per process and kept while the keyword set stays the same.
"""

from __future__ import annotations

import os

from pbx.core.keywords import related_words
from stt.engine import (
    Engine,
    Transcript,
    engine_name,
    make_engine,
    transcribe_file,
    transcribe_path,
)

__all__ = ["build_engine", "decode"]

_engines: dict[tuple[tuple[str, ...], str | None], Engine] = {}
"""The keyword-biased engine of this worker process, by (keywords, cache_dir)."""


def build_engine(
    engine: str | None,
    vosk_model: str | None,
    keywords: tuple[str, ...] = (),
    cache_dir: str | os.PathLike[str] | None = None,
) -> Engine:
    """The engine for voicemail (slow: loads a model, and builds a biased model once).

    `keywords` are the emergency keywords to listen for (the union of every list in
    use); without them, or with Vosk, the stock model. Raises as `make_engine` does.
    """
    if engine_name(engine, vosk_model) != "pocketsphinx" or not keywords:
        return make_engine(engine, vosk_model)
    from stt.spotting import Spotter, lm_vocabulary

    return Spotter(related_words(keywords, lm_vocabulary()), cache_dir=cache_dir)


def decode(
    path: str,
    engine: str | None,
    vosk_model: str | None,
    keywords: tuple[str, ...],
    cache_dir: str | None,
) -> Transcript:
    """Transcribe one recording in a worker process (plain arguments: it pickles).

    Raises AudioError for unusable audio, OSError when the file cannot be read, and
    ValueError (ModelError) for a bad engine setting.
    """
    if engine_name(engine, vosk_model) != "pocketsphinx" or not keywords:
        return transcribe_path(path, engine, vosk_model)  # the stock engine, cached by stt
    key = (keywords, cache_dir)
    built = _engines.get(key)
    if built is None:
        _engines.clear()  # each engine holds a model in memory: keep only the current one
        built = _engines[key] = build_engine(engine, vosk_model, keywords, cache_dir)
    return transcribe_file(path, built)
