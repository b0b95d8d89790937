"""stt with real engines on real speech: flite voices, made into telephone audio with sox.

flite's kal16 voice is what PocketSphinx transcribes nearly word for word (ASTERISK-NOTES,
"Speech"), so the assertions are on words it really gets. Vosk has no model on this machine:
its tests cover the checks that make a wrong `vosk_model` setting fail clearly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import stt
from stt import AudioError, Engine, ModelError, Transcript, make_engine, transcribe_file
from stt.vosk_engine import check_vosk_model
from tests.speech_tools import needs_speech_tools, require_speech_tools, speech_tools  # noqa: F401

LEAK = "there is a water leak in the basement please call me back"
BOILER = "good morning the boiler is broken and we have no hot water please call me today"



def sox(*args: str | Path) -> None:
    # -R: sox dithers with a random seed by default, which made each run's audio differ
    subprocess.run(["sox", "-R", *map(str, args)], check=True, capture_output=True)


def speak(text: str, out: Path, voice: str = "kal16") -> Path:
    """`text` spoken by flite, as 8 kHz mono 16-bit PCM: what an Asterisk recording holds."""
    raw = out.with_name(out.stem + ".flite.wav")
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(raw)], check=True)
    sox(raw, "-r", "8000", "-c", "1", "-b", "16", out)
    return out


def phone_line(src: Path, out: Path) -> Path:
    """`src` after a G.711 mu-law round trip, back to 16-bit PCM."""
    ulaw = out.with_name(out.stem + ".ulaw.wav")
    sox(src, "-r", "8000", "-c", "1", "-e", "u-law", ulaw)
    sox(ulaw, "-e", "signed-integer", "-b", "16", out)
    return out


def words(transcript: Transcript) -> set[str]:
    return set(transcript.text.split())


@pytest.fixture(scope="module")
def sphinx() -> Engine:
    """One PocketSphinx engine for the module: loading the model is the slow part."""
    return make_engine("pocketsphinx")


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Voicemails at 8 kHz 16-bit: leak.wav, leak-phone.wav (through mu-law), boiler.wav."""
    require_speech_tools()
    folder = tmp_path_factory.mktemp("speech")
    phone_line(speak(LEAK, folder / "leak.wav"), folder / "leak-phone.wav")
    speak(BOILER, folder / "boiler.wav")
    yield folder


# --- PocketSphinx on speech -----------------------------------------------------------------


@needs_speech_tools
def test_pocketsphinx_transcribes_a_voicemail(sphinx: Engine, speech: Path) -> None:
    transcript = transcribe_file(speech / "leak.wav", sphinx)
    assert {"water", "leak", "basement", "call", "back"} <= words(transcript)
    assert transcript.engine == "pocketsphinx"
    assert transcript.text == transcript.text.lower()
    assert "  " not in transcript.text and not any(c in transcript.text for c in "<>[]()")
    assert transcript.audio_seconds == pytest.approx(3.13, abs=0.05)
    assert transcript.confidence is not None and 0 < transcript.confidence <= 1
    assert transcript.decode_seconds > 0
    assert transcript.rtf == pytest.approx(transcript.decode_seconds / transcript.audio_seconds)


@needs_speech_tools
def test_pocketsphinx_after_a_mulaw_round_trip(sphinx: Engine, speech: Path) -> None:
    transcript = transcribe_file(speech / "leak-phone.wav", sphinx)
    assert {"water", "leak", "basement"} <= words(transcript)


# Words recognised in each of 5 differently dithered renderings of BOILER in that format.
# 8-bit linear PCM is noisy (48 dB at best): little beyond "good morning" survives it reliably;
# its decoding is checked exactly in test_decoding_matches_sox.
FORMATS = {
    "mulaw": (["-e", "u-law"], {"boiler", "broken", "hot", "water", "call"}),
    "alaw": (["-e", "a-law"], {"boiler", "broken", "hot", "water", "call"}),
    "8bit": (["-b", "8", "-e", "unsigned-integer"], {"good", "morning"}),
    "stereo": (["-c", "2"], {"boiler", "broken", "hot", "water", "call"}),
    "16k": (["-r", "16000"], {"boiler", "broken", "hot", "water", "call"}),
    "44k-stereo": (["-r", "44100", "-c", "2"], {"boiler", "broken", "hot", "water", "call"}),
}


@needs_speech_tools
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_pocketsphinx_reads_what_asterisk_can_write(
    sphinx: Engine, speech: Path, tmp_path: Path, fmt: str
) -> None:
    sox_output, expected = FORMATS[fmt]
    converted = tmp_path / "converted.wav"
    sox(speech / "boiler.wav", *sox_output, converted)
    assert expected <= words(transcribe_file(converted, sphinx))


@needs_speech_tools
@pytest.mark.parametrize(
    "encoding",
    [["-e", "u-law"], ["-e", "a-law"], ["-b", "8", "-e", "unsigned-integer"]],
    ids=["mulaw", "alaw", "8bit"],
)
def test_decoding_matches_sox(speech: Path, tmp_path: Path, encoding: list[str]) -> None:
    coded, decoded = tmp_path / "coded.wav", tmp_path / "decoded.wav"
    sox(speech / "leak.wav", *encoding, coded)
    sox(coded, "-e", "signed-integer", "-b", "16", decoded)
    ours = stt.load_wav(coded).array()
    assert np.array_equal(ours, stt.load_wav(decoded).array())


@needs_speech_tools
def test_same_file_same_transcript_whatever_came_before(
    sphinx: Engine, speech: Path, tmp_path: Path
) -> None:
    other = speak(BOILER, tmp_path / "boiler.wav", voice="slt")
    first = transcribe_file(speech / "leak-phone.wav", sphinx)
    transcribe_file(other, sphinx)
    assert transcribe_file(speech / "leak-phone.wav", sphinx).text == first.text


@needs_speech_tools
def test_quiet_speech_is_transcribed_not_rejected(
    sphinx: Engine, speech: Path, tmp_path: Path
) -> None:
    """30 dB down through mu-law: about -58 dBFS RMS, quieter than any real voicemail."""
    quiet = tmp_path / "quiet.wav"
    sox(speech / "boiler.wav", "-e", "u-law", quiet, "vol", "-30", "dB")
    assert {"morning", "hot", "water", "call"} <= words(transcribe_file(quiet, sphinx))


@needs_speech_tools
def test_process_pool_worker(speech: Path, tmp_path: Path) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    leak = str(speech / "leak.wav")
    with ProcessPoolExecutor(max_workers=1, initializer=stt.worker_init) as pool:
        niceness = pool.submit(os.nice, 0).result()
        policy = pool.submit(os.sched_getscheduler, 0).result()
        first = pool.submit(stt.transcribe_path, leak, None, None).result()
        again = pool.submit(stt.transcribe_path, leak, "pocketsphinx", None).result()
        loaded = pool.submit(_worker_engine_count).result()
        broken = pool.submit(stt.transcribe_path, str(tmp_path / "empty.wav"), None, None)
        with pytest.raises(AudioError) as caught:
            broken.result()
    assert niceness == min(os.nice(0) + 10, 19)
    assert policy == os.SCHED_IDLE  # runs only on CPU time nothing else wants
    assert {"water", "leak"} <= words(first)
    assert again.text == first.text
    assert loaded == 1  # None and "pocketsphinx" are the same engine: loaded once
    assert caught.value.reason == "empty: the file has no audio"  # survives pickling


def _worker_engine_count() -> int:
    from stt import engine

    return len(engine._worker_engines)


# --- broken recordings ----------------------------------------------------------------------


def reason_for(path: Path, engine: Engine) -> str:
    with pytest.raises(AudioError) as caught:
        transcribe_file(path, engine)
    return caught.value.reason


def test_empty_file(sphinx: Engine, tmp_path: Path) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    assert reason_for(tmp_path / "empty.wav", sphinx) == "empty: the file has no audio"


@needs_speech_tools
def test_header_only(sphinx: Engine, tmp_path: Path) -> None:
    sox("-n", "-r", "8000", "-c", "1", "-b", "16", tmp_path / "header.wav", "trim", "0", "0")
    assert reason_for(tmp_path / "header.wav", sphinx) == "empty: the file has no audio"


@needs_speech_tools
def test_truncated_file(sphinx: Engine, speech: Path, tmp_path: Path) -> None:
    whole = (speech / "leak.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(whole[: len(whole) // 2])
    assert reason_for(tmp_path / "cut.wav", sphinx) == (
        f"truncated: the header says {len(whole)} bytes, the file has {len(whole) // 2}"
    )


@needs_speech_tools
@pytest.mark.parametrize("encoding", [["-b", "16"], ["-e", "u-law"]], ids=["pcm", "mulaw"])
def test_silence(sphinx: Engine, tmp_path: Path, encoding: list[str]) -> None:
    silent = tmp_path / "silent.wav"
    sox("-n", "-r", "8000", "-c", "1", *encoding, silent, "trim", "0", "5")
    assert reason_for(silent, sphinx) == "silence: no speech in the recording"


@needs_speech_tools
def test_wrong_sample_rate(sphinx: Engine, tmp_path: Path) -> None:
    sox("-n", "-r", "4000", "-c", "1", "-b", "16", tmp_path / "4k.wav", "synth", "2", "sine", "440")
    assert reason_for(tmp_path / "4k.wav", sphinx) == "unsupported sample rate 4000 Hz"


@needs_speech_tools
def test_too_long(sphinx: Engine, tmp_path: Path) -> None:
    ten = tmp_path / "ten.wav"
    sox("-n", "-r", "8000", "-c", "1", "-b", "16", ten, "synth", "10", "sine", "440", "whitenoise")
    sox(ten, tmp_path / "long.wav", "repeat", "69")  # 700 s, without synthesising 700 s
    assert reason_for(tmp_path / "long.wav", sphinx) == "too long: 700 s (the limit is 600 s)"


@needs_speech_tools
@pytest.mark.parametrize(
    ("sox_output", "expected"),
    [
        (["-b", "24"], "unsupported format: 24-bit"),
        (["-e", "floating-point"], "unsupported format: 32-bit float"),
        (["-e", "gsm-full-rate"], "unsupported format: GSM 6.10 (WAV format 49)"),
    ],
)
def test_unsupported_encodings(
    sphinx: Engine, speech: Path, tmp_path: Path, sox_output: list[str], expected: str
) -> None:
    out = tmp_path / "odd.wav"
    sox(speech / "leak.wav", *sox_output, out)
    assert reason_for(out, sphinx) == expected


def test_not_a_wav_file(sphinx: Engine, tmp_path: Path) -> None:
    (tmp_path / "message.wav").write_bytes(b"ID3\x04\0\0\0\0\0\x10" + bytes(200))
    assert reason_for(tmp_path / "message.wav", sphinx) == "not a WAV file"


def test_missing_file_is_not_an_audio_error(sphinx: Engine, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        transcribe_file(tmp_path / "nowhere.wav", sphinx)


# --- engine selection and Vosk model checks -------------------------------------------------


def fake_vosk_model(root: Path, rate: int = 8000) -> Path:
    """The file layout of a current Vosk model, with junk in the model files."""
    for name in ["am/final.mdl", "graph/HCLG.fst", "graph/words.txt", "ivector/final.ie"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(os.urandom(64))
    (root / "conf").mkdir()
    (root / "conf/model.conf").write_text("--min-active=200\n--beam=13.0\n")
    (root / "conf/mfcc.conf").write_text(f"--sample-frequency={rate}\n--use-energy=false\n")
    return root


def model_error(name: str | None, model: str | Path | None) -> str:
    with pytest.raises(ModelError) as caught:
        make_engine(name, model)
    message = str(caught.value)
    assert message.startswith("vosk_model: ") and "\n" not in message
    return message


def test_unknown_engine() -> None:
    with pytest.raises(ValueError, match="^stt_engine: unknown engine 'whisper'") as caught:
        make_engine("whisper")
    assert str(caught.value) == "stt_engine: unknown engine 'whisper' (pocketsphinx or vosk)"
    assert not isinstance(caught.value, ModelError)


def test_default_engine_is_pocketsphinx() -> None:
    assert make_engine().name == "pocketsphinx"
    assert make_engine("").name == "pocketsphinx"


def test_vosk_without_a_model() -> None:
    message = model_error("vosk", None)
    assert "not set" in message


def test_vosk_model_missing(tmp_path: Path) -> None:
    missing = tmp_path / "vosk-model-small-en-us-0.15"
    assert model_error("vosk", missing) == f"vosk_model: {missing} does not exist"
    # a model setting without an engine name means vosk
    assert model_error(None, str(missing)) == f"vosk_model: {missing} does not exist"


def test_vosk_model_empty_directory(tmp_path: Path) -> None:
    assert model_error("vosk", tmp_path) == (
        f"vosk_model: {tmp_path} is not a Vosk model (no am/final.mdl or conf/model.conf)"
    )


def test_vosk_model_directory_of_random_files(tmp_path: Path) -> None:
    for name in ["README", "model.bin", "final.txt"]:
        (tmp_path / name).write_bytes(os.urandom(100))
    assert "is not a Vosk model" in model_error("vosk", tmp_path)


def test_vosk_model_archive_instead_of_directory(tmp_path: Path) -> None:
    archive = tmp_path / "vosk-model-small-en-us-0.15.zip"
    archive.write_bytes(b"PK\x03\x04")
    assert "is a file, not a model directory" in model_error("vosk", archive)


def test_vosk_model_one_level_too_high(tmp_path: Path) -> None:
    fake_vosk_model(tmp_path / "vosk-model-en-us-0.22")
    message = model_error("vosk", tmp_path)
    assert "is not a Vosk model" in message
    assert f"did you mean {tmp_path / 'vosk-model-en-us-0.22'}?" in message


def test_vosk_model_incomplete(tmp_path: Path) -> None:
    (tmp_path / "am").mkdir()
    (tmp_path / "am/final.mdl").write_bytes(b"x")
    message = model_error("vosk", tmp_path)
    assert "is not a complete Vosk model (missing conf/model.conf, conf/mfcc.conf" in message
    assert "graph/HCLG.fst (or graph/HCLr.fst + graph/Gr.fst + graph/disambig_tid.int)" in message


def test_vosk_model_layouts_and_rate(tmp_path: Path) -> None:
    assert check_vosk_model(fake_vosk_model(tmp_path / "a", rate=8000)) == 8000
    lookahead = fake_vosk_model(tmp_path / "b", rate=16000)
    (lookahead / "graph/HCLG.fst").unlink()
    for name in ["HCLr.fst", "Gr.fst", "disambig_tid.int"]:
        (lookahead / "graph" / name).write_bytes(b"x")
    assert check_vosk_model(lookahead) == 16000
    (lookahead / "conf/mfcc.conf").write_text("--use-energy=false\n")
    assert check_vosk_model(lookahead) == 16000  # Kaldi's default
    old = tmp_path / "c"
    old.mkdir()
    for name in ["final.mdl", "mfcc.conf", "HCLG.fst"]:
        (old / name).write_bytes(b"x")
    assert check_vosk_model(old) == 16000


def test_vosk_model_with_damaged_files(tmp_path: Path) -> None:
    """The layout is right but Kaldi cannot read the files: still a one-line ModelError."""
    import vosk  # noqa: F401  (a dev dependency: the damaged files must reach Kaldi)
    model = fake_vosk_model(tmp_path / "model")
    message = model_error("vosk", model)
    assert message.startswith(f"vosk_model: {model} could not be loaded")


def test_vosk_package_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vosk", None)  # makes `import vosk` raise ImportError
    message = model_error("vosk", fake_vosk_model(tmp_path / "model"))
    assert message == "vosk_model: the vosk package is not installed (pip install vosk)"


def test_model_error_is_a_value_error() -> None:
    assert issubclass(ModelError, ValueError)
