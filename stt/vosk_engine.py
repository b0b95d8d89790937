"""The Vosk engine: a Kaldi model directory given by the `vosk_model` setting.

The directory is checked against the layouts Vosk itself loads (see `check_vosk_model`) before
the vosk package is even imported, so a wrong setting fails fast with a message that says what
is missing, instead of a Kaldi log and "Failed to create a model".
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any, Final

from stt.audio import Audio, resample
from stt.engine import ModelError, Transcript, clean_words

__all__ = ["VoskEngine", "check_vosk_model"]

_DEFAULT_RATE: Final = 16000  # Kaldi's default --sample-frequency
_CHUNK_BYTES: Final = 8000  # 0.25 s at 16 kHz: the streaming unit fed to the recogniser
_RATE_OPTION: Final = re.compile(r"^\s*--sample-frequency\s*=\s*([0-9.]+)\s*$", re.MULTILINE)


def check_vosk_model(directory: str | os.PathLike[str]) -> int:
    """Check that `directory` holds a loadable Vosk model; return the model's sample rate.

    Two layouts exist. The current one (every model since 2020) has am/final.mdl,
    conf/model.conf, conf/mfcc.conf and a decoding graph in graph/: either HCLG.fst, or
    HCLr.fst with Gr.fst and disambig_tid.int (the "lookahead" models). The original one has
    final.mdl, mfcc.conf and the graph files at the top level. Raises ModelError naming
    `vosk_model` and saying what is wrong.
    """
    path = Path(directory).expanduser()
    shown = os.fspath(directory)
    if not path.exists():
        raise ModelError(f"vosk_model: {shown} does not exist")
    if not path.is_dir():
        raise ModelError(
            f"vosk_model: {shown} is a file, not a model directory (unpack the model archive)"
        )
    if (path / "am" / "final.mdl").is_file():
        required, graph = ["conf/model.conf", "conf/mfcc.conf"], "graph/"
    elif (path / "final.mdl").is_file():
        required, graph = ["mfcc.conf"], ""
    else:
        # a common slip: pointing at the folder the model archive was unpacked into
        try:
            nested = sorted(c for c in path.iterdir() if (c / "am" / "final.mdl").is_file())
        except OSError:
            nested = []
        hint = f" (did you mean {nested[0]}?)" if nested else ""
        raise ModelError(
            f"vosk_model: {shown} is not a Vosk model (no am/final.mdl or conf/model.conf){hint}"
        )
    missing = [name for name in required if not (path / name).is_file()]
    lookahead = [f"{graph}HCLr.fst", f"{graph}Gr.fst", f"{graph}disambig_tid.int"]
    if not (path / f"{graph}HCLG.fst").is_file():
        absent = [name for name in lookahead if not (path / name).is_file()]
        if absent:
            missing.append(f"{graph}HCLG.fst (or {' + '.join(lookahead)})")
    if missing:
        raise ModelError(
            f"vosk_model: {shown} is not a complete Vosk model (missing {', '.join(missing)})"
        )
    mfcc = path / ("conf/mfcc.conf" if graph else "mfcc.conf")
    try:
        match = _RATE_OPTION.search(mfcc.read_text(encoding="utf-8", errors="replace"))
    except OSError as error:
        raise ModelError(f"vosk_model: cannot read {mfcc}: {error.strerror}") from None
    return round(float(match.group(1))) if match else _DEFAULT_RATE


class VoskEngine:
    """Transcribes with a Vosk model, loaded once; each call gets its own recogniser."""

    name = "vosk"

    def __init__(self, model_dir: str | os.PathLike[str]) -> None:
        """Check and load the model in `model_dir` (raises ModelError)."""
        self.rate = check_vosk_model(model_dir)
        try:
            import vosk  # type: ignore[import-untyped]
        except ImportError:
            raise ModelError(
                "vosk_model: the vosk package is not installed (pip install vosk)"
            ) from None
        self._vosk: Any = vosk
        vosk.SetLogLevel(-1)
        path = os.fspath(Path(model_dir).expanduser())
        try:
            self._model = vosk.Model(model_path=path)
        except Exception as error:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelError(
                f"vosk_model: {os.fspath(model_dir)} could not be loaded, its files are damaged "
                f"or from an incompatible Kaldi version ({error})"
            ) from None
        # The model is shared and read-only; the lock only keeps concurrent decodes from
        # competing for the same cores.
        self._lock = threading.Lock()

    def transcribe(self, audio: Audio) -> Transcript:
        """Decode the whole recording; confidence is the mean of Vosk's word confidences."""
        started = time.perf_counter()
        pcm = resample(audio, self.rate).samples
        results: list[dict[str, Any]] = []
        with self._lock:
            recognizer = self._vosk.KaldiRecognizer(self._model, float(self.rate))
            recognizer.SetWords(True)
            for start in range(0, len(pcm), _CHUNK_BYTES):
                # True at each end of utterance Vosk's endpointer finds: collect that part
                if recognizer.AcceptWaveform(pcm[start : start + _CHUNK_BYTES]):
                    results.append(json.loads(recognizer.Result()))
            results.append(json.loads(recognizer.FinalResult()))
        words: list[str] = []
        confidences: list[float] = []
        for result in results:
            for item in result.get("result", []):
                word = clean_words([str(item.get("word", ""))])
                if word:
                    words.append(word)
                    if "conf" in item:
                        confidences.append(float(item["conf"]))
            if "result" not in result:  # no word details: fall back to the plain text
                words.extend(filter(None, [clean_words(str(result.get("text", "")))]))
        elapsed = time.perf_counter() - started
        return Transcript(
            text=" ".join(words),
            confidence=sum(confidences) / len(confidences) if confidences else None,
            engine=self.name,
            audio_seconds=audio.seconds,
            decode_seconds=elapsed,
        )
