"""The keyword-biased second pass and keyphrase search, on the real model and flite speech."""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

import pytest
from pocketsphinx import NGramModel  # type: ignore[import-untyped]

from pbx.core.keywords import DEFAULT_KEYWORDS, match, related_words
from pbx.services import speech
from stt import ModelError, load_wav
from stt.pronounce import CmuDict, pronunciations
from stt.spotting import (
    KEEP_MODELS,
    KeyphraseSpotter,
    Spotter,
    boosted_lm,
    default_lm_path,
    lm_vocabulary,
)
from tests.speech_tools import needs_speech_tools, speech_tools  # noqa: F401

DELTA_30 = math.log(30) / math.log(1.0001)  # a boost of 30 in the model's log units


def telephone(text: str, folder: Path, voice: str) -> Path:
    """`text` spoken by flite, made 8 kHz telephone-band audio through mu-law (16-bit WAV)."""
    raw, band, ulaw, out = (folder / f"{voice}-{n}.wav" for n in ("raw", "band", "ulaw", "tel"))
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(raw)], check=True)
    for args in (
        [raw, "-r", "8000", "-c", "1", "-b", "16", band, "sinc", "300-3400"],
        [band, "-e", "u-law", ulaw],
        [ulaw, "-e", "signed-integer", "-b", "16", out],
    ):
        # -R: sox's dither is random otherwise, and a marginal word would flip between runs
        subprocess.run(["sox", "-R", *map(str, args)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lm")


@pytest.fixture(scope="module")
def spotter(lm_dir: Path) -> Spotter:
    return Spotter(related_words(DEFAULT_KEYWORDS, lm_vocabulary()), cache_dir=lm_dir)


# --- the boosted language model ------------------------------------------------------------


def test_boost_raises_the_chosen_words_only(lm_dir: Path) -> None:
    path = boosted_lm(["heat", "the", "zzzznotaword"], boost=30, cache_dir=lm_dir)
    stock, boosted = NGramModel.readfile(str(default_lm_path())), NGramModel.readfile(str(path))
    # unigram and an explicit bigram ending in "heat": up by the boost (bigrams are quantised)
    assert boosted.prob(["heat"]) - stock.prob(["heat"]) == pytest.approx(DELTA_30, abs=2)
    assert boosted.prob(["the", "heat"]) - stock.prob(["the", "heat"]) == pytest.approx(
        DELTA_30, rel=0.02
    )
    # "the" is too common to boost; other words are untouched
    for ngram in (["the"], ["furnace"], ["the", "house"], ["no", "problem"]):
        assert boosted.prob(ngram) == stock.prob(ngram), ngram


def test_boosted_model_is_cached_by_content(lm_dir: Path) -> None:
    first = boosted_lm(["leak", "leaking"], boost=10, cache_dir=lm_dir)
    mtime = first.stat().st_mtime_ns
    assert boosted_lm(["leaking", "leak", "leak"], boost=10, cache_dir=lm_dir) == first
    assert first.stat().st_mtime_ns == mtime
    assert boosted_lm(["leak", "leaking"], boost=20, cache_dir=lm_dir) != first
    assert first.stat().st_size == default_lm_path().stat().st_size


def test_only_the_newest_models_are_kept(tmp_path: Path) -> None:
    built = []
    for boost in range(2, 2 + KEEP_MODELS + 2):
        built.append(boosted_lm(["leak"], boost=boost, cache_dir=tmp_path))
        os.utime(built[-1], ns=(boost * 10**9, boost * 10**9))  # mtimes in build order
    assert sorted(tmp_path.glob("boosted-*")) == sorted(built[-KEEP_MODELS:])


def test_boost_below_one_is_refused(lm_dir: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        boosted_lm(["leak"], boost=0.5, cache_dir=lm_dir)


def test_not_a_trie_model_is_refused(lm_dir: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.lm.bin"
    bogus.write_bytes(b"Darpa Trigram LM" + bytes(100))
    with pytest.raises(ModelError, match="not a PocketSphinx binary trie model"):
        boosted_lm(["leak"], source=bogus, cache_dir=lm_dir)


def test_related_words_are_inflections_in_the_model() -> None:
    words = set(related_words(["leak", "burst pipe", "no heat"], lm_vocabulary()))
    assert {"leak", "leaks", "leaked", "leaking", "burst", "pipe", "pipes", "heat", "heating"} <= (
        words
    )
    assert not {"no", "leakage", "heater", "pipeline"} & words


# --- the biased pass on speech -------------------------------------------------------------


@needs_speech_tools
@pytest.mark.parametrize("voice", ["rms", "awb"])
def test_biased_pass_hears_the_emergency(spotter: Spotter, tmp_path: Path, voice: str) -> None:
    # the stock model hears "water is sleeping through our kitchen" in both voices
    path = telephone(
        "Water is leaking through our kitchen ceiling, please call me back.", tmp_path, voice
    )
    transcript = spotter.transcribe(load_wav(path))
    assert "leak" in match(transcript.text, DEFAULT_KEYWORDS), transcript.text
    assert transcript.rtf > 0


@needs_speech_tools
def test_biased_pass_does_not_invent_an_emergency(spotter: Spotter, tmp_path: Path) -> None:
    path = telephone(
        "Hello, I would like a quote for a new kitchen faucet. Please call me back next week.",
        tmp_path,
        "rms",
    )
    transcript = spotter.transcribe(load_wav(path))
    assert match(transcript.text, DEFAULT_KEYWORDS) == (), transcript.text


@needs_speech_tools
def test_voicemail_decoding_listens_for_the_keywords(lm_dir: Path, tmp_path: Path) -> None:
    text = "Water is leaking through our kitchen ceiling, please call me back."
    path = str(telephone(text, tmp_path, "awb"))
    keywords = DEFAULT_KEYWORDS
    transcript = speech.decode(path, None, None, keywords, str(lm_dir))
    assert "leak" in match(transcript.text, keywords), transcript.text
    assert isinstance(speech.build_engine(None, None, keywords, lm_dir), Spotter)
    # without keywords, or with Vosk, the stock model
    assert not isinstance(speech.build_engine("pocketsphinx", None, ()), Spotter)
    # one engine per worker: a new keyword set replaces it
    speech.decode(path, None, None, ("leak",), str(lm_dir))
    assert len(speech._engines) == 1


# --- keyphrase search ----------------------------------------------------------------------


@needs_speech_tools
def test_keyphrase_spotter_finds_a_long_phrase(tmp_path: Path) -> None:
    spotter = KeyphraseSpotter({"carbon monoxide": 1.0})
    alarm = load_wav(telephone("Our carbon monoxide alarm is going off.", tmp_path, "rms"))
    assert spotter.spot(alarm) == ("carbon monoxide",)
    detection = spotter.detect(alarm)[0]
    assert 0 <= detection.start < detection.end <= alarm.seconds
    quiet = load_wav(telephone("Please call me back about the invoice.", tmp_path, "slt"))
    assert spotter.spot(quiet) == ()


def test_keyphrase_with_unknown_word_is_refused() -> None:
    with pytest.raises(ModelError, match="zzyzxq"):
        KeyphraseSpotter({"zzyzxq leak": 1.0})


# --- pronunciations ------------------------------------------------------------------------


def test_bundled_dictionary() -> None:
    sounds = pronunciations()
    assert len(sounds) > 100_000
    assert sounds["heat"] == ("HH", "IY", "T")
    assert sounds["he'd"] == ("HH", "IY", "D")
    assert "zzyzxq" not in sounds
    assert pronunciations() is sounds


def test_dictionary_file_format(tmp_path: Path) -> None:
    path = tmp_path / "tiny.dict"
    path.write_text("Read R IY1 D\nread(2) R EH1 D\nlead L IY D\n\nbad\n", encoding="utf-8")
    sounds = CmuDict(path)
    assert dict(sounds) == {"read": ("R", "IY", "D"), "lead": ("L", "IY", "D")}
