"""Reading, checking and resampling voicemail audio.

`load_wav` parses RIFF/WAVE itself (the stdlib `wave` module reads neither mu-law nor A-law) and
turns every accepted encoding into 16-bit signed little-endian mono PCM. Anything it cannot use
raises `AudioError`, whose `reason` is one line meant for a person.
"""

from __future__ import annotations

import io
import math
import os
import struct
from dataclasses import dataclass
from typing import BinaryIO, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAX_RATE",
    "MIN_RATE",
    "Audio",
    "AudioError",
    "check_speech",
    "load_wav",
    "resample",
]

MIN_RATE: Final = 8000
MAX_RATE: Final = 48000

_FORMAT_PCM: Final = 1
_FORMAT_FLOAT: Final = 3
_FORMAT_ALAW: Final = 6
_FORMAT_MULAW: Final = 7
_FORMAT_EXTENSIBLE: Final = 0xFFFE
_FORMAT_NAMES: Final = {
    2: "Microsoft ADPCM",
    17: "IMA ADPCM",
    49: "GSM 6.10",
    64: "G.721 ADPCM",
    85: "MP3",
}


class AudioError(ValueError):
    """Audio that cannot be transcribed; `reason` (also `str(exc)`) says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Audio:
    """Mono audio: 16-bit signed little-endian PCM samples at `rate` Hz."""

    samples: bytes
    rate: int

    @property
    def seconds(self) -> float:
        """Duration in seconds."""
        return len(self.samples) // 2 / self.rate

    def array(self) -> npt.NDArray[np.int16]:
        """The samples as a read-only numpy array (no copy)."""
        return np.frombuffer(self.samples, dtype="<i2")


# --- WAV parsing -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Format:
    tag: int
    channels: int
    rate: int
    block_align: int
    bits: int


def load_wav(source: str | os.PathLike[str] | bytes, *, max_seconds: float = 600.0) -> Audio:
    """Read a WAV file (a path, or the file's bytes) into 16-bit mono `Audio`.

    Accepts PCM 16-bit, PCM 8-bit unsigned, mu-law and A-law, mono or multi-channel (mixed down),
    at 8000..48000 Hz. Raises `AudioError` for anything else: not a WAV file, an unsupported
    format or rate, no audio, a data chunk cut short, or more than `max_seconds` of audio.
    The length is checked from the header, before the samples are read.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return _load(io.BytesIO(bytes(source)), len(source), max_seconds)
    with open(source, "rb") as stream:
        return _load(stream, os.fstat(stream.fileno()).st_size, max_seconds)


def _load(stream: BinaryIO, size: int, max_seconds: float) -> Audio:
    if size == 0:
        raise AudioError("empty: the file has no audio")
    head = stream.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        if head[:4] in (b"RIFX", b"RF64"):
            raise AudioError(f"unsupported format: {head[:4].decode()} container")
        raise AudioError("not a WAV file")

    fmt: _Format | None = None
    data_offset = data_size = -1
    offset = 12
    while offset + 8 <= size:
        stream.seek(offset)
        chunk_id, chunk_size = struct.unpack("<4sI", stream.read(8))
        body = offset + 8
        if chunk_id == b"fmt ":
            if body + chunk_size > size:
                raise AudioError("truncated: the file ends inside the WAV header")
            fmt = _parse_fmt(stream.read(min(chunk_size, 40)))
        elif chunk_id == b"data":
            data_offset, data_size = body, chunk_size
            break
        offset = body + chunk_size + (chunk_size & 1)  # chunks are padded to even length

    if data_offset < 0:
        raise AudioError("truncated: the file ends before the audio data")
    if fmt is None:
        raise AudioError("not a WAV file: no fmt chunk before the audio data")
    _check_format(fmt)

    if data_size == 0xFFFFFFFF:  # a streaming writer that never went back to fill in the size
        data_size = size - data_offset
    if data_size == 0:
        raise AudioError("empty: the file has no audio")
    if data_offset + data_size > size:
        raise AudioError(
            f"truncated: the header says {data_offset + data_size} bytes, the file has {size}"
        )

    frames = data_size // fmt.block_align
    if frames == 0:
        raise AudioError("empty: the file has no audio")
    seconds = frames / fmt.rate
    if seconds > max_seconds:
        shown = f"{seconds:.0f}" if round(seconds) > max_seconds else f"{seconds:.1f}"
        raise AudioError(f"too long: {shown} s (the limit is {max_seconds:g} s)")

    stream.seek(data_offset)
    raw = stream.read(frames * fmt.block_align)
    return Audio(_decode(raw, fmt), fmt.rate)


def _parse_fmt(body: bytes) -> _Format:
    if len(body) < 16:
        raise AudioError("not a WAV file: the fmt chunk is too short")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == _FORMAT_EXTENSIBLE and len(body) >= 26:
        # WAVEFORMATEXTENSIBLE: the real format tag is the first two bytes of the sub-format GUID
        (tag,) = struct.unpack("<H", body[24:26])
    return _Format(tag, channels, rate, block_align, bits)


def _check_format(fmt: _Format) -> None:
    if fmt.tag == _FORMAT_PCM:
        if fmt.bits not in (8, 16):
            raise AudioError(f"unsupported format: {fmt.bits}-bit")
    elif fmt.tag in (_FORMAT_MULAW, _FORMAT_ALAW):
        if fmt.bits != 8:
            law = "mu-law" if fmt.tag == _FORMAT_MULAW else "A-law"
            raise AudioError(f"unsupported format: {fmt.bits}-bit {law}")
    elif fmt.tag == _FORMAT_FLOAT:
        raise AudioError(f"unsupported format: {fmt.bits}-bit float")
    else:
        name = _FORMAT_NAMES.get(fmt.tag, "compressed")
        raise AudioError(f"unsupported format: {name} (WAV format {fmt.tag})")
    if fmt.channels < 1:
        raise AudioError("not a WAV file: the header says 0 channels")
    if not MIN_RATE <= fmt.rate <= MAX_RATE:
        raise AudioError(f"unsupported sample rate {fmt.rate} Hz")
    if fmt.block_align != fmt.channels * fmt.bits // 8:
        raise AudioError(
            f"not a WAV file: block size {fmt.block_align} does not match "
            f"{fmt.channels} channel(s) of {fmt.bits} bits"
        )


def _decode(raw: bytes, fmt: _Format) -> bytes:
    pcm: npt.NDArray[np.int16]
    if fmt.tag == _FORMAT_PCM and fmt.bits == 16:
        pcm = np.frombuffer(raw, dtype="<i2")
    else:
        codes = np.frombuffer(raw, dtype=np.uint8)
        if fmt.tag == _FORMAT_MULAW:
            pcm = _MULAW[codes]
        elif fmt.tag == _FORMAT_ALAW:
            pcm = _ALAW[codes]
        else:
            pcm = ((codes.astype(np.int16) - 128) << 8).astype(np.int16)
    if fmt.channels > 1:
        mixed = pcm.reshape(-1, fmt.channels).astype(np.int32).sum(axis=1) / fmt.channels
        pcm = np.round(mixed).astype(np.int16)
    return pcm.astype("<i2", copy=False).tobytes()


def _mulaw_table() -> npt.NDArray[np.int16]:
    """ITU-T G.711 mu-law expansion of all 256 codes, on the 16-bit scale."""
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(code & 0x80, -magnitude, magnitude).astype(np.int16)


def _alaw_table() -> npt.NDArray[np.int16]:
    """ITU-T G.711 A-law expansion of all 256 codes, on the 16-bit scale."""
    code = np.arange(256, dtype=np.int32) ^ 0x55
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = np.where(
        exponent == 0,
        (mantissa << 4) + 8,
        ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0),
    )
    # In A-law a set sign bit means a positive sample.
    return np.where(code & 0x80, magnitude, -magnitude).astype(np.int16)


_MULAW: Final = _mulaw_table()
_ALAW: Final = _alaw_table()


# --- Resampling ----------------------------------------------------------------------------

_ZERO_CROSSINGS: Final = 16  # of the sinc kernel on each side, at the pass-band edge
_KAISER_BETA: Final = 8.0  # about 80 dB stop-band attenuation
_PASSBAND: Final = 0.95  # cut-off as a fraction of the lower Nyquist frequency, for a roll-off
_BLOCK: Final = 1 << 15  # output samples computed at a time, to bound memory
_MAX_TABLE_PHASES: Final = 4096


def resample(audio: Audio, rate: int) -> Audio:
    """Convert `audio` to `rate` Hz with a windowed-sinc (Kaiser) band-limited interpolator.

    Works for any ratio; when the rate goes down the kernel is widened so that it low-passes
    below the new Nyquist frequency (no aliasing). The output has round(n * rate / audio.rate)
    samples.
    """
    if rate <= 0:
        raise ValueError(f"resample: rate must be positive, not {rate}")
    if rate == audio.rate or not audio.samples:
        return Audio(audio.samples, rate)
    common = math.gcd(audio.rate, rate)
    up, down = rate // common, audio.rate // common
    x = audio.array()
    n_out = round(len(x) * up / down)

    cutoff = _PASSBAND * min(1.0, up / down)  # as a fraction of the input Nyquist frequency
    half = math.ceil(_ZERO_CROSSINGS / cutoff)  # kernel half-width in input samples
    taps = np.arange(-half + 1, half + 1, dtype=np.float64)  # offsets from floor(t)
    # float32 halves the memory of long recordings; its 24-bit mantissa is plenty for 16-bit audio
    padded = np.zeros(len(x) + 2 * half + 1, dtype=np.float32)
    padded[half : half + len(x)] = x

    def kernel(frac: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        # weights for output times floor(t) + frac, frac in [0, 1), over the 2*half taps
        distance = frac[:, None] - taps[None, :]
        weights = np.sinc(cutoff * distance) * _kaiser(distance / half)
        # normalising each row makes the DC gain exactly 1 whatever the phase
        weights /= weights.sum(axis=1, keepdims=True)
        return weights

    table = kernel(np.arange(up) / up).astype(np.float32) if up <= _MAX_TABLE_PHASES else None
    out = np.empty(n_out, dtype=np.float32)
    offsets = np.arange(2 * half)
    for start in range(0, n_out, _BLOCK):
        n = np.arange(start, min(start + _BLOCK, n_out), dtype=np.int64)
        base = (n * down) // up
        phase = (n * down) % up
        weights = table[phase] if table is not None else kernel(phase / up).astype(np.float32)
        # padded[base + half] is x[base]; the taps start half - 1 samples before it
        window = padded[(base + 1)[:, None] + offsets[None, :]]
        out[start : start + len(n)] = np.einsum("ij,ij->i", window, weights)
    pcm = np.clip(np.round(out), -32768, 32767).astype("<i2")
    return Audio(pcm.tobytes(), rate)


def _kaiser(position: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Kaiser window evaluated at `position` in [-1, 1] (zero outside)."""
    inside = np.clip(1.0 - position * position, 0.0, None)
    return np.i0(_KAISER_BETA * np.sqrt(inside)) / np.i0(_KAISER_BETA)


# --- Speech check --------------------------------------------------------------------------

_FRAME_SECONDS: Final = 0.02
# Frame RMS on the 16-bit scale. 50 is about -56 dBFS: above the idle-channel noise of a
# mu-law/A-law line (steps of 8) and far below even quiet telephone speech (around -40 dBFS).
_MIN_SPEECH_RMS: Final = 50.0
# A frame counts as speech only if it is this many times louder than the recording's noise floor
# (its 10th-percentile frame): steady hiss, hum or a tone never is.
_ABOVE_FLOOR: Final = 2.0
_MIN_SPEECH_SECONDS: Final = 0.1


def check_speech(audio: Audio) -> None:
    """Raise `AudioError` ("silence: ...") when the recording holds no speech energy.

    The test is deliberately lenient, to never reject real speech however quiet: it asks for at
    least 0.1 s of 20 ms frames that are above -56 dBFS and twice as loud as the recording's own
    noise floor. Digital silence, idle-line noise, steady hiss and steady tones fail it.
    """
    frame = max(1, round(audio.rate * _FRAME_SECONDS))
    x = audio.array().astype(np.float32)
    count = len(x) // frame
    if count == 0:
        frames = x[None, :] if len(x) else np.zeros((1, 1), np.float32)
    else:
        frames = x[: count * frame].reshape(count, frame)
    frames = frames - frames.mean(axis=1, keepdims=True)  # ignore DC offset
    rms = np.sqrt((frames * frames).mean(axis=1))
    floor = float(np.percentile(rms, 10))
    loud = rms >= max(_MIN_SPEECH_RMS, _ABOVE_FLOOR * floor)
    if int(loud.sum()) * frame < _MIN_SPEECH_SECONDS * audio.rate:
        raise AudioError("silence: no speech in the recording")
