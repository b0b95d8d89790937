"""Offline speech-to-text for voicemail transcripts (engines: PocketSphinx, Vosk).

Independent of `pbx`, which calls it through a port. `load_wav` reads a recording (8 kHz
telephone audio is the normal input), `make_engine` loads an engine once, and
`transcribe_file` turns one WAV file into a `Transcript`. Broken or empty recordings raise
`AudioError`; an unusable model raises `ModelError`; both carry a one-line reason.

Decoding is blocking and CPU-bound: run it off the event loop, for example in a
`ProcessPoolExecutor(initializer=worker_init)` calling `transcribe_path`.
"""

from stt.audio import Audio, AudioError, check_speech, load_wav, resample
from stt.engine import (
    ENGINES,
    Engine,
    ModelError,
    Transcript,
    make_engine,
    transcribe_file,
    transcribe_path,
    worker_init,
)

__all__ = [
    "ENGINES",
    "Audio",
    "AudioError",
    "Engine",
    "ModelError",
    "Transcript",
    "check_speech",
    "load_wav",
    "make_engine",
    "resample",
    "transcribe_file",
    "transcribe_path",
    "worker_init",
]
