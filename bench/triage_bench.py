"""Spoken triage benchmark: how often a caller's few words are judged right.

After hours, a schedule's spoken triage asks "say in a few words what the problem is";
the answer (at most 6 s) is transcribed offline and matched against the emergency
keywords with the voicemail matcher (`pbx.services.speech.decode`, then
`pbx.core.keywords.match`), exactly as the controller does, while the caller waits.

Corpus: the short answers below (half emergencies, half routine, with near words),
written for this benchmark without looking at the transcripts; each is spoken by flite
in each --voices voice and made telephone audio (8 kHz, 300-3400 Hz, through mu-law),
as in bench/stt_bench.py (cached under --cache).

Printed: per voice and overall, emergencies found (recall), routine answers taken for
emergencies (false alarms), and the decode time per answer (what the caller waits; the
model load is counted once, before). Compare: "press 1" is recognised every time by
construction; the spoken triage is an option for callers who cannot use a keypad.

Run: .venv/bin/python bench/triage_bench.py [--voices kal16,rms,slt,awb] [--show]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from stt_bench import synthesise  # noqa: E402

from pbx.core import keywords  # noqa: E402
from pbx.services.speech import decode  # noqa: E402

EMERGENCIES = (
    "My basement is flooding.",
    "There is water pouring through the ceiling.",
    "A pipe burst in the kitchen.",
    "We have no heat and it is freezing.",
    "The furnace stopped working and the house is cold.",
    "I smell gas in the house.",
    "The water heater is leaking everywhere.",
    "We lost power in half the house.",
    "Sparks are coming out of the outlet.",
    "The toilet is overflowing and will not stop.",
    "Our carbon monoxide alarm is going off.",
    "There is no hot water at all.",
    "The sewer is backing up into the basement.",
    "Smoke is coming from the electrical panel.",
    "The air conditioning died and it is a hundred degrees.",
    "Water is leaking under the sink and the floor is soaked.",
)

ROUTINE = (
    "I would like to schedule a furnace tune up.",
    "I am calling about my bill.",
    "Can I get an estimate for a new water heater?",
    "I want to book a maintenance visit next week.",
    "Just returning your call from earlier.",
    "I have a question about my invoice.",
    "We are thinking about a new bathroom.",
    "Please call me tomorrow about the quote.",
    "I need to reschedule my appointment.",
    "Do you install smoke detectors?",
    "I would like a price for power washing the deck.",
    "Thank you for fixing the leak last week.",
    "Can someone look at the gas line for a new stove next month?",
    "I want to ask about your service plans.",
    "My thermostat needs a new battery, nothing urgent.",
    "I am interested in a heat pump.",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default="kal16,rms,slt,awb")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "pbx-bench" / "triage"))
    parser.add_argument("--show", action="store_true", help="print every transcript")
    args = parser.parse_args()
    voices = [v.strip() for v in args.voices.split(",") if v.strip()]
    cache = Path(args.cache)
    words = keywords.DEFAULT_KEYWORDS
    stt_cache = str(cache / "stt")

    began = time.perf_counter()
    warm = synthesise("Hello.", voices[0], cache, None)
    decode(str(warm), None, None, words, stt_cache)
    print(f"model loaded in {time.perf_counter() - began:.1f} s (once per controller)")

    rows = []
    times: list[float] = []
    for voice in voices:
        found_e = found_r = 0
        for emergency, texts in ((True, EMERGENCIES), (False, ROUTINE)):
            for text in texts:
                path = synthesise(text, voice, cache, None)
                start = time.perf_counter()
                heard = decode(str(path), None, None, words, stt_cache).text
                matched = keywords.match(heard, words)
                times.append(time.perf_counter() - start)
                if matched and emergency:
                    found_e += 1
                elif matched:
                    found_r += 1
                if args.show:
                    verdict = "EMERGENCY" if matched else "-"
                    print(
                        f"  {voice:6} {'E' if emergency else 'R'} {verdict:9} {text!r} -> {heard!r}"
                    )
        rows.append((voice, found_e, found_r))

    total_e = sum(r[1] for r in rows)
    total_r = sum(r[2] for r in rows)
    n_e, n_r = len(EMERGENCIES), len(ROUTINE)
    print(f"\n{'voice':8} {'emergencies found':>20} {'false alarms':>16}")
    for voice, fe, fr in rows:
        print(f"{voice:8} {fe:>10} of {n_e:<7} {fr:>7} of {n_r:<6}")
    print(
        f"{'all':8} {total_e:>10} of {n_e * len(voices):<7} {total_r:>7} of {n_r * len(voices):<6}"
    )
    print(
        f"recall {total_e / (n_e * len(voices)):.0%}, false alarms "
        f"{total_r / (n_r * len(voices)):.0%}; decode per answer: median "
        f"{statistics.median(times):.2f} s, max {max(times):.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
