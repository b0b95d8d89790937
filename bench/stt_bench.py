"""Voicemail speech benchmark: speed, word error rate and emergency-keyword detection.

Corpus: the labelled messages of bench/voicemails.py (set A: tuning; set B: written with A,
read when the keyword rules were widened; set C: held out, only measured; each half emergencies), spoken by flite in rotating voices, then made telephone audio: 8 kHz mono,
300-3400 Hz, through mu-law and back to 16-bit PCM WAV (sox), optionally with white noise.
The audio is cached (not committed) under --cache.

For each engine (PocketSphinx always; Vosk only with --vosk-model): model load time,
real-time factor (median and p90, without and with the model load counted per message) and
word error rate (word-level edit distance over lower-case words), overall and per voice.

Emergency detection, per set, for each lever:
  reference text       the matcher on the known text: the ceiling (keyword coverage only)
  first pass           pbx.core.keywords.match on the engine's transcript
  + sound-alike        match(..., sounds=CMU dictionary)
  kws                  PocketSphinx keyphrase search (threshold 1: the phrase must beat the
                       free phone loop; phrases of 5+ phones); measured, not recommended
  biased pass          match on a second decode with keyword words boosted in the LM
  first|biased         first pass | biased pass, both with sound-alike
  PIPELINE             the biased pass alone, plain match: what the controller runs
                       (pbx.services.speech), one decode per message
with recall, precision and "false escalations: N of M non-emergency messages" (messages about
a past, fixed problem are counted and also shown apart).

Run: .venv/bin/python bench/stt_bench.py [--sets A,B,C] [--voices kal16,rms,slt,awb]
     [--limit N] [--engine pocketsphinx|vosk|all] [--vosk-model DIR] [--jobs 1]
     [--noise-snr DB] [--boost 10] [--no-kws] [--no-biased] [--show]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.voicemails import SETS, Voicemail  # noqa: E402
from pbx.core.keywords import (  # noqa: E402
    DEFAULT_KEYWORDS,
    Pronunciations,
    match,
    related_words,
    stem,
    words,
)
from stt.audio import load_wav  # noqa: E402
from stt.engine import Engine, ModelError, Transcript, make_engine  # noqa: E402
from stt.pronounce import pronunciations  # noqa: E402
from stt.spotting import (  # noqa: E402
    DEFAULT_BOOST,
    Detection,
    KeyphraseSpotter,
    Spotter,
    lm_vocabulary,
)

VOICES = ("kal16", "rms", "slt", "awb")
SET_LABELS = {
    "A": "tuning (rules, keywords and the boost were adjusted on it)",
    "B": "written with A; the keyword rules were widened after reading it",
    "C": "held out (written later without seeing the rules; only measured)",
}
SYNTH_VERSION = "tel-v1"  # change when the synthesis pipeline changes (cache key)
KWS_MIN_PHONES = 5
KWS_THRESHOLD = 1.0
_CONTENT_FREE = {"no", "not", "out", "up", "off", "on", "in", "through", "down"}


# --- corpus -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    set_name: str
    message: Voicemail
    voice: str
    path: Path
    seconds: float


def select(set_name: str, limit: int | None) -> list[Voicemail]:
    """The set's messages; with `limit`, that many, half emergencies and half routine."""
    messages = list(SETS[set_name])
    if limit is None or limit >= len(messages):
        return messages
    urgent = [m for m in messages if m.emergency][: (limit + 1) // 2]
    routine = [m for m in messages if not m.emergency][: limit // 2]
    return urgent + routine


def synthesise(text: str, voice: str, cache: Path, snr_db: float | None) -> Path:
    """Telephone-quality WAV of `text` in flite `voice` (cached)."""
    key = hashlib.sha256(f"{SYNTH_VERSION}|{voice}|{snr_db}|{text}".encode()).hexdigest()[:24]
    final = cache / f"{voice}-{key}.wav"
    if final.exists():
        return final
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        raw, band, ulaw, out = (Path(tmp) / n for n in ("raw.wav", "band.wav", "ul.wav", "o.wav"))
        subprocess.run(
            ["flite", "-voice", voice, "-t", text, "-o", str(raw)], check=True, capture_output=True
        )
        # telephone band and rate, then the G.711 round trip
        subprocess.run(
            [
                "sox",
                str(raw),
                "-r",
                "8000",
                "-c",
                "1",
                "-b",
                "16",
                "-e",
                "signed-integer",
                str(band),
                "sinc",
                "300-3400",
            ],
            check=True,
            capture_output=True,
        )
        if snr_db is not None:
            _add_noise(band, snr_db, seed=int(key[:8], 16))
        subprocess.run(
            ["sox", str(band), "-e", "u-law", str(ulaw)], check=True, capture_output=True
        )
        subprocess.run(
            ["sox", str(ulaw), "-e", "signed-integer", "-b", "16", str(out)],
            check=True,
            capture_output=True,
        )
        os.replace(out, final)
    return final


def _add_noise(path: Path, snr_db: float, seed: int) -> None:
    with wave.open(str(path)) as w:
        params = w.getparams()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    speech = x[np.abs(x) > 0.05 * np.abs(x).max()]
    power = float(np.mean(speech**2)) if len(speech) else 0.0
    noise = np.random.default_rng(seed).standard_normal(len(x)) * np.sqrt(
        power / 10 ** (snr_db / 10)
    )
    y = np.clip(np.round(x + noise), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setparams(params)
        w.writeframes(y.tobytes())


def build_corpus(args: argparse.Namespace) -> list[Item]:
    items: list[Item] = []
    for set_name in args.sets:
        for i, message in enumerate(select(set_name, args.limit)):
            voice = args.voices[i % len(args.voices)]
            path = synthesise(message.text, voice, args.cache, args.noise_snr)
            items.append(Item(set_name, message, voice, path, load_wav(path).seconds))
    return items


# --- decoding ------------------------------------------------------------------------------


@dataclass
class Result:
    first: Transcript
    biased: Transcript | None = None
    kws: tuple[Detection, ...] | None = None
    kws_seconds: float = 0.0


@dataclass
class Runner:
    """Everything loaded once: the engine, the biased spotter, the keyphrase spotter."""

    engine: Engine
    load_seconds: float
    spotter: Spotter | None = None
    spotter_load_seconds: float = 0.0
    kws: KeyphraseSpotter | None = None
    kws_phrases: dict[str, str] = field(default_factory=dict)  # phrase -> keyword

    def run(self, path: str) -> Result:
        audio = load_wav(path)
        result = Result(self.engine.transcribe(audio))
        if self.spotter is not None:
            result.biased = self.spotter.transcribe(audio)
        if self.kws is not None:
            result.kws = self.kws.detect(audio)
            result.kws_seconds = self.kws.last_seconds
        return result


def kws_phrases(keywords: Sequence[str], sounds: Pronunciations) -> dict[str, str]:
    """Keyphrases for kws mode: each keyword in base forms (a prefix of its inflections), both
    orders for two content words, kept when at least KWS_MIN_PHONES phones long."""
    out: dict[str, str] = {}
    for keyword, phrase in _spelled_out(keywords):
        bases = [_base_form(w, sounds) for w in words(phrase)]
        if any(b is None for b in bases):
            continue
        forms = [" ".join(b for b in bases if b)]
        if len(bases) == 2 and not _CONTENT_FREE & {stem(b or "") for b in bases}:
            forms.append(" ".join(b for b in reversed(bases) if b))
        for form in forms:
            if sum(len(sounds[w]) for w in form.split()) >= KWS_MIN_PHONES:
                out.setdefault(form, keyword)
    return out


def _spelled_out(keywords: Sequence[str]) -> list[tuple[str, str]]:
    """(keyword, phrase) for every phrase a keyword with alternatives stands for."""
    return [
        (keyword, " ".join(choice))
        for keyword in keywords
        for choice in itertools.product(*(part.split("|") for part in keyword.split()))
    ]


def _base_form(word: str, sounds: Pronunciations) -> str | None:
    phones = sounds.get(word)
    if phones is None:
        return None
    s = stem(word)
    best = word
    for candidate in (s, s + "e"):
        p = sounds.get(candidate)
        if p and stem(candidate) == s and tuple(phones[: len(p)]) == tuple(p):
            best = min(best, candidate, key=len)
    return best


def make_runner(
    engine_name: str, vosk_model: str | None, boost: float | None, use_kws: bool, cache: str
) -> Runner:
    started = time.perf_counter()
    engine = make_engine(engine_name, vosk_model)
    runner = Runner(engine, time.perf_counter() - started)
    if engine_name == "pocketsphinx" and boost is not None:
        started = time.perf_counter()
        runner.spotter = Spotter(
            related_words(DEFAULT_KEYWORDS, lm_vocabulary()), boost=boost, cache_dir=cache
        )
        runner.spotter_load_seconds = time.perf_counter() - started
    if engine_name == "pocketsphinx" and use_kws:
        runner.kws_phrases = kws_phrases(DEFAULT_KEYWORDS, pronunciations())
        runner.kws = KeyphraseSpotter(dict.fromkeys(runner.kws_phrases, KWS_THRESHOLD))
    return runner


_worker: Runner | None = None


def _worker_init(*config: object) -> None:
    global _worker
    _worker = make_runner(*config)  # type: ignore[arg-type]


def _worker_run(path: str) -> Result:
    assert _worker is not None
    return _worker.run(path)


def decode_all(
    items: list[Item], config: tuple[object, ...], jobs: int, progress: Callable[[int], None]
) -> tuple[Runner | None, list[Result]]:
    if jobs <= 1:
        runner = make_runner(*config)  # type: ignore[arg-type]
        results = []
        for i, item in enumerate(items):
            results.append(runner.run(str(item.path)))
            progress(i + 1)
        return runner, results
    with ProcessPoolExecutor(jobs, initializer=_worker_init, initargs=config) as pool:
        results = list(pool.map(_worker_run, [str(i.path) for i in items]))
    return None, results


# --- measures ------------------------------------------------------------------------------

_TOKEN = re.compile(r"[a-z0-9']+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def wer(pairs: Sequence[tuple[str, str]]) -> float:
    errors = sum(edit_distance(tokens(r), tokens(h)) for r, h in pairs)
    total = sum(len(tokens(r)) for r, _ in pairs)
    return errors / total if total else 0.0


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


@dataclass(frozen=True)
class Lever:
    name: str
    found: Callable[[Item, Result], tuple[str, ...]]


def detection_rows(
    items: list[Item], results: list[Result], levers: list[Lever]
) -> tuple[list[list[object]], list[str]]:
    """One table row per lever, and the lines naming what each lever missed or raised."""
    rows: list[list[object]] = []
    details: list[str] = []
    for lever in levers:
        flagged = [bool(lever.found(i, r)) for i, r in zip(items, results, strict=True)]
        urgent = [f for f, i in zip(flagged, items, strict=True) if i.message.emergency]
        routine = [(f, i) for f, i in zip(flagged, items, strict=True) if not i.message.emergency]
        tp, fp = sum(urgent), sum(f for f, _ in routine)
        past = sum(f for f, i in routine if i.message.past)
        precision = f"{tp / (tp + fp):.0%}" if tp + fp else "-"
        rows.append(
            [
                lever.name,
                f"{tp}/{len(urgent)}",
                f"{tp / len(urgent):.0%}" if urgent else "-",
                precision,
                f"{fp} of {len(routine)}",
                past,
            ]
        )
        missed = [
            i.message.key + "/" + i.voice
            for f, i in zip(flagged, items, strict=True)
            if i.message.emergency and not f
        ]
        false = [i.message.key + "/" + i.voice for f, i in routine if f]
        details.append(
            f"  {lever.name}: missed {' '.join(missed) or '-'}; false {' '.join(false) or '-'}"
        )
    return rows, details


def levers_for(
    runner_has_biased: bool, runner_has_kws: bool, kws_map: dict[str, str], sounds: Pronunciations
) -> list[Lever]:
    kw = DEFAULT_KEYWORDS

    def union(*parts: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k for p in parts for k in p))

    levers = [
        Lever("reference text (ceiling)", lambda i, r: match(i.message.text, kw)),
        Lever("first pass: match", lambda i, r: match(r.first.text, kw)),
        Lever("first pass + sound-alike", lambda i, r: match(r.first.text, kw, sounds)),
    ]
    if runner_has_kws:
        levers.append(
            Lever(
                "kws keyphrase search",
                lambda i, r: union(tuple(kws_map[d.phrase] for d in r.kws or ())),
            )
        )
    if runner_has_biased:
        levers += [
            Lever("biased pass: match", lambda i, r: match(_text(r.biased), kw)),
            Lever("biased pass + sound-alike", lambda i, r: match(_text(r.biased), kw, sounds)),
            Lever(
                "first|biased, sound-alike",
                lambda i, r: union(
                    match(r.first.text, kw, sounds), match(_text(r.biased), kw, sounds)
                ),
            ),
            # what pbx.services.speech and the Transcriber do
            Lever("PIPELINE: biased pass, match", lambda i, r: match(_text(r.biased), kw)),
        ]
    return levers


def _text(t: Transcript | None) -> str:
    return t.text if t is not None else ""


# --- main ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sets", default="A,B,C", help="sets to run: A (tuning), B (read), C (held out)"
    )
    parser.add_argument("--voices", default=",".join(VOICES), help="flite voices, rotated")
    parser.add_argument("--limit", type=int, help="messages per set (half emergencies)")
    parser.add_argument("--engine", default="all", choices=("all", "pocketsphinx", "vosk"))
    parser.add_argument("--vosk-model", help="Vosk model directory (Vosk is skipped without)")
    parser.add_argument("--jobs", type=int, default=1, help="decoding processes (default 1)")
    parser.add_argument(
        "--cache",
        default=os.path.join(tempfile.gettempdir(), "pbx-stt-bench"),
        help="where synthesised audio and the boosted model are kept",
    )
    parser.add_argument("--noise-snr", type=float, help="add white noise at this SNR (dB)")
    parser.add_argument(
        "--boost", type=float, default=DEFAULT_BOOST, help="keyword boost of the biased pass"
    )
    parser.add_argument("--no-biased", action="store_true", help="skip the biased pass")
    parser.add_argument("--no-kws", action="store_true", help="skip keyphrase search")
    parser.add_argument(
        "--show",
        action="store_true",
        help="list missed and falsely escalated messages, and transcripts",
    )
    args = parser.parse_args(argv)
    args.sets = [s.strip().upper() for s in args.sets.split(",") if s.strip()]
    args.voices = [v.strip() for v in args.voices.split(",") if v.strip()]
    args.cache = Path(args.cache)
    unknown = [s for s in args.sets if s not in SETS]
    if unknown or not args.sets:
        parser.error(f"unknown set(s) {unknown}: choose from {', '.join(SETS)}")
    for tool in ("flite", "sox"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed (tools/system-deps.sh installs it)")

    print(
        f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs), "
        f"jobs: {args.jobs}"
    )
    started = time.perf_counter()
    items = build_corpus(args)
    seconds = [i.seconds for i in items]
    print(
        f"corpus: {len(items)} messages ({sum(i.message.emergency for i in items)} "
        f"emergencies), voices {', '.join(args.voices)} in rotation, "
        f"8 kHz mu-law{f', noise SNR {args.noise_snr:g} dB' if args.noise_snr else ''}; "
        f"{sum(seconds):.0f} s of audio, {min(seconds):.1f}-{max(seconds):.1f} s each "
        f"(median {statistics.median(seconds):.1f}); synthesis/cache "
        f"{time.perf_counter() - started:.1f} s"
    )
    print(
        "sets: " + "; ".join(f"{k} = {v}" for k, v in SET_LABELS.items() if k in args.sets),
    )
    print()

    engines = ["pocketsphinx", "vosk"] if args.engine == "all" else [args.engine]
    sounds = pronunciations()
    for engine_name in engines:
        if engine_name == "vosk" and not args.vosk_model:
            print(
                "vosk: skipped (no --vosk-model given; no Vosk model is installed or can be "
                "downloaded here)\n"
            )
            continue
        config = (
            engine_name,
            args.vosk_model,
            None if args.no_biased else args.boost,
            not args.no_kws,
            str(args.cache),
        )
        total = len(items)

        def progress(n: int, total: int = total) -> None:
            print(f"\r  decoding {n}/{total}", end="", file=sys.stderr, flush=True)

        try:
            runner, results = decode_all(items, config, args.jobs, progress)
        except ModelError as exc:
            print(f"{engine_name}: skipped ({exc})\n")
            continue
        print(file=sys.stderr)
        report(engine_name, items, results, runner, args, sounds)
    print(
        f"load average at end: {os.getloadavg()[0]:.2f}; "
        f"wall time {time.perf_counter() - started:.0f} s"
    )
    return 0


def report(
    engine_name: str,
    items: list[Item],
    results: list[Result],
    runner: Runner | None,
    args: argparse.Namespace,
    sounds: Pronunciations,
) -> None:
    load = runner.load_seconds if runner is not None else float("nan")
    print(
        f"== {engine_name} (model load {load:.2f} s"
        + (
            f"; boosted LM build+load {runner.spotter_load_seconds:.2f} s"
            if runner is not None and runner.spotter is not None
            else ""
        )
        + ")"
    )
    first_rtf = [r.first.rtf for r in results]
    cold = [(r.first.decode_seconds + load) / r.first.audio_seconds for r in results]
    rows: list[list[object]] = [
        [
            "first pass (the transcript)",
            f"{pct(first_rtf, 50):.3f}",
            f"{pct(first_rtf, 90):.3f}",
            f"{pct(cold, 50):.3f}",
            f"{pct(cold, 90):.3f}",
        ]
    ]
    if all(r.biased is not None for r in results):
        b = [r.biased.rtf for r in results if r.biased is not None]
        both = [
            (r.first.decode_seconds + r.biased.decode_seconds) / r.first.audio_seconds
            for r in results
            if r.biased is not None
        ]
        lazy = [
            (
                (
                    r.first.decode_seconds
                    + (
                        r.biased.decode_seconds
                        if not match(r.first.text, DEFAULT_KEYWORDS, sounds)
                        else 0.0
                    )
                )
                / r.first.audio_seconds
            )
            for r in results
            if r.biased is not None
        ]
        rows += [
            ["biased pass", f"{pct(b, 50):.3f}", f"{pct(b, 90):.3f}", "", ""],
            ["first + biased (pipeline)", f"{pct(both, 50):.3f}", f"{pct(both, 90):.3f}", "", ""],
            [
                "  biased only if first found none",
                f"{pct(lazy, 50):.3f}",
                f"{pct(lazy, 90):.3f}",
                "",
                "",
            ],
        ]
    if all(r.kws is not None for r in results):
        k = [r.kws_seconds / r.first.audio_seconds for r in results]
        rows.append(["kws keyphrase search", f"{pct(k, 50):.3f}", f"{pct(k, 90):.3f}", "", ""])
    print("real-time factor (decode incl. resampling; 'with load': + model load per message)")
    print(table(["pass", "median", "p90", "with load median", "with load p90"], rows))

    print("\nword error rate")
    wrows: list[list[object]] = []
    for voice in [*args.voices, "all"]:
        chosen = [(i, r) for i, r in zip(items, results, strict=True) if voice in ("all", i.voice)]
        if not chosen:
            continue
        row: list[object] = [voice, len(chosen)]
        for set_name in args.sets:
            part = [(i.message.text, r.first.text) for i, r in chosen if i.set_name == set_name]
            row.append(f"{wer(part):.1%}" if part else "-")
        row.append(f"{wer([(i.message.text, r.first.text) for i, r in chosen]):.1%}")
        if all(r.biased is not None for _, r in chosen):
            row.append(f"{wer([(i.message.text, _text(r.biased)) for i, r in chosen]):.1%}")
        row.append(f"{pct([r.first.rtf for _, r in chosen], 50):.3f}")
        wrows.append(row)
    headers = ["voice", "msgs", *[f"set {s}" for s in args.sets], "all"]
    if all(r.biased is not None for r in results):
        headers.append("biased pass")
    print(table([*headers, "RTF median"], wrows))

    kws_map = runner.kws_phrases if runner is not None else kws_phrases(DEFAULT_KEYWORDS, sounds)
    levers = levers_for(
        all(r.biased is not None for r in results),
        all(r.kws is not None for r in results),
        kws_map,
        sounds,
    )
    for set_name in args.sets:
        part = [(i, r) for i, r in zip(items, results, strict=True) if i.set_name == set_name]
        label = f"{set_name}, {SET_LABELS.get(set_name, '')}"
        print(f"\nemergency detection, set {label}: {len(part)} messages")
        rows, details = detection_rows([i for i, _ in part], [r for _, r in part], levers)
        print(
            table(["lever", "recall", "", "precision", "false escalations", "of them past"], rows)
        )
        if args.show:
            print("\n".join(details))
        final = levers[-1]
        routine = [(i, r) for i, r in part if not i.message.emergency]
        n_false = sum(bool(final.found(i, r)) for i, r in routine)
        print(
            f"{final.name}: false escalations: {n_false} of {len(routine)} non-emergency messages"
        )
        by_voice = []
        for voice in args.voices:
            urgent = [(i, r) for i, r in part if i.message.emergency and i.voice == voice]
            if urgent:
                hit = sum(bool(final.found(i, r)) for i, r in urgent)
                by_voice.append(f"{voice} {hit}/{len(urgent)}")
        print(f"{final.name}: recall per voice: {', '.join(by_voice)}")
    if args.show:
        print("\ntranscripts (first pass | biased pass)")
        for i, r in zip(items, results, strict=True):
            print(
                f"{i.message.key}/{i.voice} {'EMERG' if i.message.emergency else 'routine'}"
                f"\n  ref:    {i.message.text}\n  first:  {r.first.text}"
                f"\n  biased: {_text(r.biased)}"
            )
    print()


if __name__ == "__main__":
    raise SystemExit(main())
