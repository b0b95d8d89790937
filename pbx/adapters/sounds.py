"""Sounds we make for Asterisk: uploaded greetings and spoken prompts, as 8 kHz mono WAVs.

Files go into the sounds directory of the Asterisk tree (Asterisk sees the same
tree); they are written to a temporary name and renamed, so Asterisk never
plays half a file. Spoken prompts use flite when it is installed (`make up`
installs it); without it the dialplan falls back to stock prompts.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from stt.audio import AudioError, load_wav, resample

SPEAK_TIMEOUT = 30


def write_sound(sounds_dir: Path, name: str, data: bytes) -> Path:
    """Store WAV bytes as `<sounds_dir>/<name>.wav` (readable by Asterisk), atomically."""
    final = sounds_dir / f"{name}.wav"
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)  # Asterisk may run as another user
    os.replace(tmp, final)
    return final


def telephone_wav(source: Path) -> bytes:
    """`source` as 8 kHz mono 16-bit WAV bytes; raises AudioError when it is unusable."""
    audio = load_wav(source)
    audio = resample(audio, 8000) if audio.rate != 8000 else audio
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(audio.samples)
    return out.getvalue()


def speak(text: str) -> bytes | None:
    """`text` spoken by flite as telephone WAV bytes; None when flite is missing or fails."""
    flite = shutil.which("flite")
    if flite is None or not text.strip():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "prompt.wav"
        try:
            subprocess.run(
                [flite, "-t", text, "-o", str(wav)],
                check=True, capture_output=True, timeout=SPEAK_TIMEOUT,
            )  # fmt: skip
            return telephone_wav(wav)
        except (OSError, subprocess.SubprocessError, AudioError):
            return None
