"""The PocketSphinx engine: the US-English model bundled in the pocketsphinx wheel.

The bundled acoustic model is a 16 kHz one, so telephone audio (8 kHz) is upsampled first; its
upper band stays empty, which the model tolerates (see ASTERISK-NOTES, "Speech").
"""

from __future__ import annotations

import threading
import time
from typing import Any, Final

import pocketsphinx  # type: ignore[import-untyped]

from stt.audio import Audio, resample
from stt.engine import Transcript, clean_words

__all__ = ["DECODER_SETTINGS", "MODEL_RATE", "PocketSphinxEngine"]

MODEL_RATE: Final = 16000

# Everything else is the decoder's default (model en-us, its language model and dictionary).
# maxhmmpf caps the active HMMs per frame (default 30000). Measured on 22 flite voicemails in
# four voices at 8 kHz (most through mu-law): 10000 gave word-for-word the same transcripts as
# the default with 7-14% less decoding CPU; 7000 changed 2 of 22 and 5000 changed 5. Narrower
# beams (1e-40..1e-44) or dropping the fwdflat pass were faster still but raised the word error
# rate (24% -> 25-35%); the default already decodes at about 0.2 of real time here.
DECODER_SETTINGS: Final[dict[str, Any]] = {
    "maxhmmpf": 10000,
    "loglevel": "ERROR",
}


class PocketSphinxEngine:
    """Transcribes with one PocketSphinx decoder, loaded once and reused (calls are serialised)."""

    name = "pocketsphinx"

    def __init__(self, **settings: Any) -> None:
        """Load the bundled model; keyword `settings` override `DECODER_SETTINGS`."""
        self._decoder = pocketsphinx.Decoder(**{**DECODER_SETTINGS, **settings})
        self._lock = threading.Lock()

    def transcribe(self, audio: Audio) -> Transcript:
        """Decode the whole recording as one utterance.

        Confidence is the mean posterior probability of the recognised words, from the word
        lattice; None when no word was recognised.
        """
        started = time.perf_counter()
        pcm = resample(audio, MODEL_RATE).samples
        with self._lock:
            decoder = self._decoder
            # The noise and cepstral-mean estimates otherwise carry over from the previous
            # recording, so a file's transcript would depend on what was decoded before it.
            decoder.reinit_feat()
            decoder.start_utt()
            try:
                # full_utt: the whole recording is here, so cepstral mean normalisation can
                # use all of it instead of a running estimate.
                decoder.process_raw(pcm, no_search=False, full_utt=True)
            finally:
                decoder.end_utt()
            hypothesis = decoder.hyp()
            words: list[str] = []
            posteriors: list[float] = []
            if hypothesis is not None:
                for segment in decoder.seg():
                    word = clean_words([segment.word])
                    if word:
                        words.append(word)
                        posteriors.append(float(segment.prob))
        elapsed = time.perf_counter() - started
        confidence = sum(posteriors) / len(posteriors) if posteriors else None
        if confidence is not None:
            confidence = min(1.0, max(0.0, confidence))
        return Transcript(
            text=" ".join(words),
            confidence=confidence,
            engine=self.name,
            audio_seconds=audio.seconds,
            decode_seconds=elapsed,
        )
