"""Decoding biased towards emergency keywords, for spotting them in voicemail.

The bundled PocketSphinx model often hears a rare word as a common one that sounds alike
("leaking" as "sleeping", "gas" as "half"). `Spotter` decodes with a copy of the stock
language model in which chosen words are made more likely: their unigram probability and
every bigram and trigram probability ending in them are multiplied by `boost`. It is a
per-word bonus; the model is otherwise unchanged (same vocabulary, n-grams, back-off
weights), so ordinary speech still decodes as ordinary speech.

The boosted model is written once per word set and boost into a cache directory (27 MB,
about 1 s to build) and reused. Only words rarer than 10**MAX_LOG10_PROB in the stock model
are boosted: making "go", "work" or "back" ten times likelier would bend every transcript.

The caller decides which words to boost (all inflections of its keywords' content words:
pbx.core.keywords.related_words over `lm_vocabulary()`) and matches its keywords in the
transcript itself; this module does not know about keywords. Use it as a second pass next
to the stock engine (one more decode, same speed) or as the only pass.

Also here, for measurement: `KeyphraseSpotter`, PocketSphinx keyphrase search (kws mode)
with a threshold per phrase. On flite speech over 8 kHz mu-law it separated true from false
detections badly (see bench/stt_bench.py), so it is not part of the recommended pipeline.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pocketsphinx  # type: ignore[import-untyped]

from stt.audio import Audio, resample
from stt.engine import ModelError, Transcript
from stt.sphinx import DECODER_SETTINGS, MODEL_RATE, PocketSphinxEngine

__all__ = [
    "DEFAULT_BOOST",
    "MAX_LOG10_PROB",
    "Detection",
    "KeyphraseSpotter",
    "Spotter",
    "boosted_lm",
    "default_lm_path",
    "lm_vocabulary",
]

# Chosen on bench/stt_bench.py set A (tuning): 10 found 17 of 22 emergencies with no false
# escalation, 30 found 16 with one (it hears "leak" in "thanks for ... last week").
DEFAULT_BOOST: Final = 10.0
MAX_LOG10_PROB: Final = -3.8
KEEP_MODELS: Final = 4
"""Boosted models kept in the cache directory (27 MB each); older ones are removed."""

_TRIE_HEADER: Final = b"Trie Language Model"
_QUANT_BITS: Final = 16  # every probability and back-off is a 16-bit code into a table
_BINS: Final = 1 << _QUANT_BITS
# PocketSphinx keeps log probabilities in base 1.0001.
_LOG10_TO_LM: Final = math.log(10) / math.log(1.0001)


def default_lm_path() -> Path:
    """The stock US-English language model shipped in the pocketsphinx wheel."""
    return Path(pocketsphinx.get_model_path()) / "en-us" / "en-us.lm.bin"


def _bits(value: int) -> int:
    return int(value).bit_length()


@dataclass
class _TrieLM:
    """The parts of a PocketSphinx binary trie language model that boosting touches.

    Layout: header, order (1 byte), n-gram counts (uint32 each), a 4-byte quantiser tag,
    the quantiser tables (for each middle order a probability and a back-off table, then
    the highest order's probability table; 65536 float32 each), the unigrams
    (float32 prob, float32 back-off, uint32 first child; one extra sentinel), the
    bit-packed n-gram levels, and the words (NUL-terminated, preceded by their byte count).
    A middle entry is [word id][16-bit back-off code][16-bit prob code][child index]; a
    highest-order entry is [word id][16-bit prob code]. Bits run little-endian.
    """

    data: bytearray
    counts: tuple[int, ...]
    tables_offset: int
    unigrams_offset: int
    levels: list[tuple[int, int, int]]  # (byte offset, bits per entry, prob field bit offset)
    words: list[str]

    @classmethod
    def parse(cls, data: bytearray) -> _TrieLM:
        if not data.startswith(_TRIE_HEADER):
            raise ModelError("language model: not a PocketSphinx binary trie model")
        pos = len(_TRIE_HEADER)
        order = data[pos]
        pos += 1
        if order < 2:
            raise ModelError(f"language model: order {order}, need at least 2")
        counts = struct.unpack_from(f"<{order}I", data, pos)
        pos += 4 * order + 4
        tables_offset = pos
        pos += ((order - 2) * 2 + 1) * _BINS * 4
        unigrams_offset = pos
        pos += (counts[0] + 1) * 12
        word_bits = _bits(counts[0])
        levels = []
        for n in range(2, order + 1):
            entries = counts[n - 1]
            if n < order:
                total = word_bits + 2 * _QUANT_BITS + _bits(counts[n])
                prob_field = word_bits + _QUANT_BITS
            else:
                total = word_bits + _QUANT_BITS
                prob_field = word_bits
            levels.append((pos, total, prob_field))
            pos += ((1 + entries) * total + 7) // 8 + 8
        (size,) = struct.unpack_from("<i", data, pos)
        pos += 4
        if pos + size != len(data):
            raise ModelError("language model: unexpected layout (not the trie format this reads)")
        words = bytes(data[pos : pos + size]).decode("utf-8", "replace").split("\0")[:-1]
        if len(words) != counts[0]:
            raise ModelError("language model: word list does not match the unigram count")
        return cls(data, counts, tables_offset, unigrams_offset, levels, words)

    def unigrams(self) -> npt.NDArray[np.void]:
        dtype = np.dtype([("prob", "<f4"), ("bo", "<f4"), ("next", "<u4")])
        return np.frombuffer(
            self.data, dtype=dtype, count=self.counts[0] + 1, offset=self.unigrams_offset
        )

    def prob_table(self, n: int) -> npt.NDArray[np.float32]:
        order = len(self.counts)
        index = 2 * (n - 2) if n < order else 2 * (order - 2)
        return np.frombuffer(
            self.data, dtype="<f4", count=_BINS, offset=self.tables_offset + index * _BINS * 4
        )

    def _fields(
        self, level: int, field: int, width: int
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
        offset, total, _ = self.levels[level]
        count = self.counts[level + 1]
        bits = np.arange(count, dtype=np.int64) * total + field
        raw = np.frombuffer(self.data, dtype=np.uint8)
        gathered = raw[(offset + (bits >> 3))[:, None] + np.arange(8)]
        values = np.ascontiguousarray(gathered).view("<u8").ravel().astype(np.uint64)
        shifted = np.right_shift(values, (bits & 7).astype(np.uint64))
        return np.bitwise_and(shifted, np.uint64((1 << width) - 1)), bits

    def boost(self, ids: npt.NDArray[np.int64], delta: float) -> tuple[int, ...]:
        """Add `delta` (log base 1.0001) to every probability of a word in `ids`."""
        unigrams = self.unigrams().copy()
        unigrams["prob"][ids] = np.minimum(unigrams["prob"][ids] + delta, 0.0)
        self.data[self.unigrams_offset : self.unigrams_offset + unigrams.nbytes] = (
            unigrams.tobytes()
        )
        changed = [len(ids)]
        word_bits = _bits(self.counts[0])
        for level, (offset, _total, prob_field) in enumerate(self.levels):
            word, _ = self._fields(level, 0, word_bits)
            hit = np.nonzero(np.isin(word, ids.astype(np.uint64)))[0]
            codes, bits = self._fields(level, prob_field, _QUANT_BITS)
            table = self.prob_table(level + 2)
            new = table[codes[hit].astype(np.int64)] + delta
            # nearest bin (the tables are sorted ascending)
            upper = np.clip(np.searchsorted(table, new), 1, _BINS - 1)
            lower = upper - 1
            nearest = np.where(new - table[lower] < table[upper] - new, lower, upper)
            for bit, code in zip(bits[hit].tolist(), nearest.tolist(), strict=True):
                at = offset + (bit >> 3)
                shift = bit & 7
                (word32,) = struct.unpack_from("<I", self.data, at)
                word32 = (word32 & ~(0xFFFF << shift) & 0xFFFFFFFF) | (int(code) << shift)
                struct.pack_into("<I", self.data, at, word32)
            changed.append(len(hit))
        return tuple(changed)


@lru_cache(maxsize=2)
def _vocabulary(path: str) -> tuple[tuple[str, ...], npt.NDArray[np.float32]]:
    lm = _TrieLM.parse(bytearray(Path(path).read_bytes()))
    log10 = np.asarray(lm.unigrams()["prob"][: lm.counts[0]], dtype=np.float32) / _LOG10_TO_LM
    return tuple(lm.words), log10


def lm_vocabulary(source: str | os.PathLike[str] | None = None) -> tuple[str, ...]:
    """The words of the language model (default: the stock one), to pick words to boost."""
    return _vocabulary(os.fspath(source or default_lm_path()))[0]


def _cache_dir(cache_dir: str | os.PathLike[str] | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(tempfile.gettempdir())
    return Path(base) / "pbx-stt"


def boosted_lm(
    words: Iterable[str],
    *,
    boost: float = DEFAULT_BOOST,
    max_log10_prob: float = MAX_LOG10_PROB,
    source: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Path of a copy of `source` with `words` made `boost` times likelier; built if missing.

    Words not in the model, and words at least as common as 10**max_log10_prob, are left
    alone. The file is named after a hash of the boosted words, the boost and the source,
    written atomically, and reused across processes. Raises ModelError for a source that
    is not a PocketSphinx trie model.
    """
    if boost < 1.0:
        raise ValueError(f"boost must be at least 1, not {boost}")
    src = Path(source or default_lm_path())
    vocabulary, log10 = _vocabulary(os.fspath(src))
    index = {w: i for i, w in enumerate(vocabulary)}
    chosen = sorted({w for w in words if w in index and log10[index[w]] < max_log10_prob})
    stat = src.stat()
    key = hashlib.sha256(
        "\n".join(
            [os.fspath(src), str(stat.st_size), str(stat.st_mtime_ns), repr(boost), *chosen]
        ).encode()
    ).hexdigest()[:20]
    target = _cache_dir(cache_dir) / f"boosted-{key}.lm.bin"
    if target.exists():
        return target
    lm = _TrieLM.parse(bytearray(src.read_bytes()))
    ids = np.array([index[w] for w in chosen], dtype=np.int64)
    if len(ids):
        lm.boost(ids, math.log(boost) / math.log(1.0001))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".boosted-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(lm.data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _prune(target.parent, keep=KEEP_MODELS)
    return target


def _prune(directory: Path, keep: int) -> None:
    """Remove all but the `keep` newest boosted models (each keyword change makes one)."""
    models = sorted(
        directory.glob("boosted-*.lm.bin"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in models[keep:]:
        old.unlink(missing_ok=True)


class Spotter:
    """PocketSphinx with a language model that favours some words (an `Engine`).

    `words` are the words to favour, or a predicate applied to every word of the model
    (e.g. "its stem is one of my keywords' stems"; pbx.core.keywords.related_words gives
    them). Building loads the model (about a second once the boosted file is cached):
    build once and reuse; calls are serialised like the stock engine's. With several keyword
    lists (per box, per number), build one Spotter from their union: matching still uses
    each message's own list.

    It can run as a second pass (match keywords in its transcript as well as in the stock
    engine's) or as the only pass: its transcripts have a slightly higher word error rate and
    hear keywords a little more eagerly (see bench/stt_bench.py).
    """

    name = "pocketsphinx"

    def __init__(
        self,
        words: Collection[str] | Callable[[str], bool],
        *,
        boost: float = DEFAULT_BOOST,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        chosen = [w for w in lm_vocabulary() if words(w)] if callable(words) else list(words)
        self.lm_path = boosted_lm(chosen, boost=boost, cache_dir=cache_dir)
        self.boost = boost
        self._engine = PocketSphinxEngine(lm=os.fspath(self.lm_path))

    def transcribe(self, audio: Audio) -> Transcript:
        """Decode `audio` (any accepted rate) with the biased model."""
        return self._engine.transcribe(audio)


# --- keyphrase search (measured, not recommended) ----------------------------------------


@dataclass(frozen=True)
class Detection:
    """A keyphrase heard: its text, where (seconds) and its score (higher is surer)."""

    phrase: str
    start: float
    end: float
    score: float


# kws scores are (keyphrase path - best phone-loop path) in the decoder's shifted log units,
# minus a constant; the search only reports scores above the phrase's threshold.
_KWS_MAX: Final = 1500
_FRAME_RATE: Final = 100


class KeyphraseSpotter:
    """PocketSphinx keyphrase search (kws mode) over a whole recording.

    `thresholds` maps each phrase (words of the model's dictionary) to its threshold, a
    probability like 1e-20 as in a kws list file: lower finds more and errs more. Phrases
    with words missing from the dictionary raise ModelError.
    """

    def __init__(self, thresholds: Mapping[str, float]) -> None:
        self._decoder = pocketsphinx.Decoder(
            **{**DECODER_SETTINGS, "maxhmmpf": -1}, lm=None, beam=1e-80
        )
        missing = sorted(
            {w for p in thresholds for w in p.split() if self._decoder.lookup_word(w) is None}
        )
        if missing:
            raise ModelError(f"keyphrases: not in the dictionary: {', '.join(missing)}")
        fd, path = tempfile.mkstemp(suffix=".kws", text=True)
        with os.fdopen(fd, "w") as listing:
            listing.writelines(f"{p} /{t:.0e}/\n" for p, t in thresholds.items())
        try:
            self._decoder.add_kws("spot", path)
        finally:
            os.unlink(path)
        self._decoder.activate_search("spot")
        self._lock = threading.Lock()
        self.last_seconds = 0.0

    def detect(self, audio: Audio) -> tuple[Detection, ...]:
        """Every detection in `audio`, in time order (`last_seconds`: the decoding time)."""
        started = time.perf_counter()
        pcm = resample(audio, MODEL_RATE).samples
        out: list[Detection] = []
        with self._lock:
            self._decoder.start_utt()
            try:
                self._decoder.process_raw(pcm, no_search=False, full_utt=True)
            finally:
                self._decoder.end_utt()
            for seg in self._decoder.seg() or ():
                score = math.log(seg.prob) / math.log(1.0001) + _KWS_MAX if seg.prob > 0 else -1e9
                out.append(
                    Detection(
                        seg.word.strip(),
                        seg.start_frame / _FRAME_RATE,
                        seg.end_frame / _FRAME_RATE,
                        score,
                    )
                )
        self.last_seconds = time.perf_counter() - started
        return tuple(out)

    def spot(self, audio: Audio) -> tuple[str, ...]:
        """The phrases detected at least once, in first-detection order."""
        return tuple(dict.fromkeys(d.phrase for d in self.detect(audio)))
