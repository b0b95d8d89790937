"""stt.audio on WAV bytes built in memory: parsing, decoding, resampling, the silence check."""

from __future__ import annotations

import struct

import numpy as np
import numpy.typing as npt
import pytest

from stt.audio import Audio, AudioError, check_speech, load_wav, resample

PCM, FLOAT, ALAW, MULAW, GSM, EXTENSIBLE = 1, 3, 6, 7, 49, 0xFFFE


def chunk(name: bytes, body: bytes, size: int | None = None) -> bytes:
    pad = b"\0" if len(body) % 2 else b""
    return name + struct.pack("<I", len(body) if size is None else size) + body + pad


def fmt_body(tag: int = PCM, channels: int = 1, rate: int = 8000, bits: int = 16) -> bytes:
    align = channels * bits // 8
    return struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)


def wav(
    data: bytes,
    *,
    tag: int = PCM,
    channels: int = 1,
    rate: int = 8000,
    bits: int = 16,
    data_size: int | None = None,
    before_data: bytes = b"",
) -> bytes:
    """A WAV file; `data_size` overrides the size the data chunk header declares."""
    body = (
        b"WAVE"
        + chunk(b"fmt ", fmt_body(tag, channels, rate, bits))
        + before_data
        + b"data"
        + struct.pack("<I", len(data) if data_size is None else data_size)
        + data
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def pcm16(values: npt.ArrayLike) -> bytes:
    return np.asarray(values, dtype="<i2").tobytes()


def tone(freq: float, rate: int, seconds: float, amplitude: float = 8000.0) -> Audio:
    t = np.arange(round(rate * seconds)) / rate
    return Audio(pcm16(np.round(amplitude * np.sin(2 * np.pi * freq * t))), rate)


def peak_frequency(audio: Audio) -> float:
    x = audio.array().astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum)) * audio.rate / len(x)


def reason(source: bytes, **kwargs: float) -> str:
    with pytest.raises(AudioError) as caught:
        load_wav(source, **kwargs)
    assert str(caught.value) == caught.value.reason
    return caught.value.reason


# --- broken files ---------------------------------------------------------------------------


def test_empty_file() -> None:
    assert reason(b"") == "empty: the file has no audio"


def test_zero_length_data_chunk() -> None:
    assert reason(wav(b"")) == "empty: the file has no audio"


def test_data_shorter_than_one_frame_is_empty() -> None:
    assert reason(wav(b"\x01", channels=1, bits=16)) == "empty: the file has no audio"


def test_truncated_data_chunk() -> None:
    whole = wav(pcm16(np.zeros(8000)))
    assert len(whole) == 16044
    assert reason(whole[:8044]) == "truncated: the header says 16044 bytes, the file has 8044"


def test_truncated_header() -> None:
    assert reason(wav(pcm16([1, 2, 3]))[:30]).startswith("truncated:")
    assert reason(b"RIFF\x24\0\0\0WAVE") == "truncated: the file ends before the audio data"


def test_not_riff() -> None:
    assert reason(b"ID3\x04\0\0\0\0\0\0 an mp3 file, say") == "not a WAV file"
    assert reason(b"hello") == "not a WAV file"
    assert reason(b"RIFF\x04\0\0\0AVI LIST") == "not a WAV file"


def test_data_before_fmt() -> None:
    body = b"WAVE" + chunk(b"data", pcm16([1, 2])) + chunk(b"fmt ", fmt_body())
    source = b"RIFF" + struct.pack("<I", len(body)) + body
    assert reason(source).startswith("not a WAV file")


@pytest.mark.parametrize(
    ("tag", "bits", "expected"),
    [
        (PCM, 24, "unsupported format: 24-bit"),
        (PCM, 32, "unsupported format: 32-bit"),
        (FLOAT, 32, "unsupported format: 32-bit float"),
        (MULAW, 16, "unsupported format: 16-bit mu-law"),
        (GSM, 8, "unsupported format: GSM 6.10 (WAV format 49)"),
    ],
)
def test_unsupported_formats(tag: int, bits: int, expected: str) -> None:
    assert reason(wav(bytes(bits // 8 * 800), tag=tag, bits=bits)) == expected


@pytest.mark.parametrize("rate", [4000, 7999, 48001, 96000])
def test_unsupported_rate(rate: int) -> None:
    assert reason(wav(pcm16(np.zeros(100)), rate=rate)) == f"unsupported sample rate {rate} Hz"


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 44100, 48000])
def test_supported_rates(rate: int) -> None:
    assert load_wav(wav(pcm16([1, 2]), rate=rate)).rate == rate


def test_too_long() -> None:
    assert reason(wav(pcm16(np.zeros(24000))), max_seconds=2.0) == (
        "too long: 3 s (the limit is 2 s)"
    )


def test_too_long_default_limit_is_600_seconds() -> None:
    # mu-law: one byte per sample keeps 601 s small
    long = wav(bytes(8000 * 601), tag=MULAW, bits=8)
    assert reason(long) == "too long: 601 s (the limit is 600 s)"
    assert load_wav(wav(bytes(8000 * 599), tag=MULAW, bits=8)).seconds == 599


def test_audio_error_is_a_value_error() -> None:
    assert issubclass(AudioError, ValueError)
    assert AudioError("x").reason == "x"


# --- well-formed files ----------------------------------------------------------------------


def test_pcm16_mono() -> None:
    audio = load_wav(wav(pcm16([0, 1, -1, 32767, -32768]), rate=8000))
    assert audio.array().tolist() == [0, 1, -1, 32767, -32768]
    assert audio.rate == 8000
    assert audio.seconds == pytest.approx(5 / 8000)


def test_other_chunks_odd_sizes_and_extensible_header() -> None:
    listing = chunk(b"LIST", b"INFOISFT\x03\0\0\0ab\0")  # odd size, padded
    data = pcm16([5, -5, 7])
    assert load_wav(wav(data, before_data=listing)).array().tolist() == [5, -5, 7]

    subformat = struct.pack("<H", PCM) + b"\0\0\0\0\x10\0\x80\0\0\xaa\0\x38\x9b\x71"
    extensible = fmt_body(EXTENSIBLE) + struct.pack("<HHI", 22, 16, 4) + subformat
    body = b"WAVE" + chunk(b"fmt ", extensible) + chunk(b"data", data)
    assert load_wav(b"RIFF" + struct.pack("<I", len(body)) + body).array().tolist() == [5, -5, 7]


def test_unknown_data_size_reads_to_end() -> None:
    assert load_wav(wav(pcm16([3, 4]), data_size=0xFFFFFFFF)).array().tolist() == [3, 4]


def test_trailing_half_sample_is_dropped() -> None:
    assert load_wav(wav(pcm16([9, 8]) + b"\x01")).array().tolist() == [9, 8]


def test_mulaw_known_codes() -> None:
    codes = bytes([0xFF, 0x7F, 0xFE, 0x7E, 0xEF, 0x80, 0x00])
    audio = load_wav(wav(codes, tag=MULAW, bits=8))
    assert audio.array().tolist() == [0, 0, 8, -8, 132, 32124, -32124]


def test_mulaw_is_monotonic_and_symmetric() -> None:
    positive = load_wav(wav(bytes(range(0xFF, 0x7F, -1)), tag=MULAW, bits=8)).array()
    negative = load_wav(wav(bytes(range(0x7F, -1, -1)), tag=MULAW, bits=8)).array()
    assert np.all(np.diff(positive.astype(np.int32)) > 0)
    assert negative.tolist() == (-positive).tolist()


def test_alaw_known_codes() -> None:
    codes = bytes([0xD5, 0x55, 0xD4, 0xC5, 0xAA, 0x2A])
    audio = load_wav(wav(codes, tag=ALAW, bits=8))
    assert audio.array().tolist() == [8, -8, 24, 264, 32256, -32256]


def test_alaw_is_monotonic_and_symmetric() -> None:
    # A-law codes in order of value are the codes 0x80..0xFF after removing the 0x55 mask
    positive = load_wav(wav(bytes(c ^ 0x55 for c in range(0x80, 0x100)), tag=ALAW, bits=8))
    negative = load_wav(wav(bytes(c ^ 0x55 for c in range(0x00, 0x80)), tag=ALAW, bits=8))
    assert np.all(np.diff(positive.array().astype(np.int32)) > 0)
    assert negative.array().tolist() == (-positive.array()).tolist()


def test_unsigned_8_bit() -> None:
    audio = load_wav(wav(bytes([0, 128, 255, 129]), bits=8))
    assert audio.array().tolist() == [-32768, 0, 32512, 256]


def test_stereo_is_mixed_to_mono() -> None:
    frames = pcm16([1000, 3000, -400, 400, 32767, 32767, -32768, -32768])
    audio = load_wav(wav(frames, channels=2, rate=16000))
    assert audio.array().tolist() == [2000, 0, 32767, -32768]
    assert audio.rate == 16000
    stereo_mulaw = load_wav(wav(bytes([0x80, 0xFF]), tag=MULAW, channels=2, bits=8))
    assert stereo_mulaw.array().tolist() == [16062]


def test_block_align_must_match() -> None:
    source = bytearray(wav(pcm16([1, 2])))
    source[32:34] = struct.pack("<H", 4)  # block align of a mono 16-bit file must be 2
    assert reason(bytes(source)).startswith("not a WAV file")


# --- resampling -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "dst", "n_in", "n_out"),
    [
        (8000, 16000, 8000, 16000),
        (16000, 8000, 801, 400),
        (8000, 11025, 1000, 1378),
        (44100, 16000, 44100, 16000),
        (8000, 8000, 77, 77),
    ],
)
def test_resample_length(src: int, dst: int, n_in: int, n_out: int) -> None:
    out = resample(Audio(pcm16(np.zeros(n_in)), src), dst)
    assert out.rate == dst
    assert len(out.samples) == 2 * n_out


@pytest.mark.parametrize(
    ("src", "dst", "freq"),
    [
        (8000, 16000, 1000),
        (8000, 16000, 3000),
        (16000, 8000, 440),
        (48000, 8000, 1000),
        (8000, 44100, 1000),
        (11025, 16000, 2500),
    ],
)
def test_resample_keeps_a_tone(src: int, dst: int, freq: float) -> None:
    out = resample(tone(freq, src, 1.0), dst)
    assert peak_frequency(out) == pytest.approx(freq, abs=2)
    # amplitude kept (away from the edges): RMS of a sine of amplitude 8000
    middle = out.array()[dst // 10 : -dst // 10].astype(np.float64)
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(8000 / np.sqrt(2), rel=0.01)


def test_resample_down_removes_what_the_new_rate_cannot_hold() -> None:
    out = resample(tone(6000, 16000, 1.0), 8000)  # above the 4 kHz Nyquist of 8 kHz
    assert np.sqrt(np.mean(out.array().astype(np.float64) ** 2)) < 8000 / np.sqrt(2) / 100


def test_resample_edge_cases() -> None:
    assert resample(Audio(b"", 8000), 16000) == Audio(b"", 16000)
    same = Audio(pcm16([1, 2, 3]), 8000)
    assert resample(same, 8000).samples == same.samples
    with pytest.raises(ValueError):
        resample(same, 0)


def test_resample_clips_overshoot_instead_of_wrapping() -> None:
    t = np.arange(8000) / 8000
    square = np.where(np.sin(2 * np.pi * 500 * t) >= 0, 32767, -32768)
    out = resample(Audio(pcm16(square), 8000), 16000).array()
    assert out.max() == 32767 and out.min() == -32768  # the ringing overshoot, clipped
    ideal = np.where(np.sin(2 * np.pi * 500 * np.arange(16000) / 16000 + 0.1) >= 0, 1, -1)
    steady = np.abs(np.sin(2 * np.pi * 500 * np.arange(16000) / 16000)) > 0.5
    assert np.all(np.sign(out[steady]) == ideal[steady])


# --- silence check --------------------------------------------------------------------------


def noise(rms: float, seconds: float, rate: int = 8000, seed: int = 1) -> npt.NDArray[np.float64]:
    return np.random.default_rng(seed).normal(0.0, rms, round(rate * seconds))


def speechlike(level_rms: float, floor_rms: float, seconds: float = 3.0) -> Audio:
    """Noise bursts at a syllable rate (4 Hz) over a steady noise floor: speech's envelope."""
    rate = 8000
    t = np.arange(round(rate * seconds)) / rate
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2
    x = noise(floor_rms, seconds, seed=2) + noise(level_rms * 1.6, seconds, seed=3) * envelope
    return Audio(pcm16(np.clip(np.round(x), -32768, 32767)), rate)


def silent(audio: Audio) -> bool:
    try:
        check_speech(audio)
    except AudioError as error:
        assert error.reason == "silence: no speech in the recording"
        return True
    return False


def test_digital_silence() -> None:
    assert silent(Audio(pcm16(np.zeros(8000 * 5)), 8000))
    assert silent(Audio(pcm16(np.full(8000 * 5, 300)), 8000))  # a DC offset is not sound


def test_idle_telephone_line() -> None:
    steps = np.random.default_rng(0).choice([-16, -8, 0, 0, 8, 16], 8000 * 5)
    assert silent(Audio(pcm16(steps), 8000))


def test_steady_hiss_and_tone_are_not_speech() -> None:
    assert silent(Audio(pcm16(np.round(noise(800, 5))), 8000))
    assert silent(tone(1000, 8000, 5.0, amplitude=5000))


def test_very_short_audio() -> None:
    assert silent(Audio(pcm16(noise(3000, 0.05)), 8000))
    assert silent(Audio(b"", 8000))


def test_speech_passes() -> None:
    assert not silent(speechlike(level_rms=3000, floor_rms=30))


def test_quiet_telephone_speech_passes() -> None:
    # about -45 dBFS speech over a -65 dBFS line: quieter than any real voicemail
    assert not silent(speechlike(level_rms=180, floor_rms=20))


def test_speech_over_background_noise_passes() -> None:
    assert not silent(speechlike(level_rms=1500, floor_rms=400))
