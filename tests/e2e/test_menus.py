"""Auto attendant menus and the after-hours emergency triage end to end: the real Asterisk
and controller, SIPp phones, and SIPp callers from the trunk that press keys (SIP INFO
application/dtmf-relay) and hear the prompts (their RTP is received here)."""

from __future__ import annotations

import subprocess
import wave
from contextlib import ExitStack
from pathlib import Path

from pbx.adapters.sounds import DEFAULT_VOICE
from pbx.core.callflow import TRIAGE_SPOKEN_PROMPT
from pbx.core.model import Prompt
from pbx.core.prompts import text_sound
from tests.e2e.phones import Carrier, RtpSink
from tests.e2e.system import System, wait_for
from tests.e2e.test_calls import base, inbound, mulaw_tone, phones

MAIN = "+13125550120"  # answered by the main menu
NIGHT = "+13125550121"  # always closed: the after-hours chain starts with the triage
TRUNK_HOST = "127.0.0.2"  # where callers from the trunk call from, and receive audio


def test_menu_keys_reach_their_phones_and_misses_reach_the_default(system: System) -> None:
    with Carrier(system.work) as carrier:
        base(system, carrier)
        system.provision(
            "voicemail box add Main --members Ann",
            "menu add Main --prompt 'Thank you for calling Acme Plumbing. For service, press 1. "
            "For billing, press 2.' --option 1=ext:101 --option 2=ext:102 "
            "--option 0=voicemail:Main --default ext:103 --timeout 2 --retries 1 "
            "--invalid-prompt 'Sorry, that is not one of the choices.'",
            f"number add {MAIN} --label Main --dest menu:Main",
        )
        plan = system.run("simulate", "--number", MAIN).stdout
        assert "menu Main" in plan and "1 -> extension 101" in plan, plan
        plan = system.run("simulate", "--number", MAIN, "--keys", "2").stdout
        assert "keys: menu Main: pressed 2 -> extension 102" in plan, plan
        bad = system.run("simulate", "--number", MAIN, "--keys", "x", check=False)
        assert bad.returncode == 2 and bad.stderr.startswith("error: keys: "), bad.stderr
        system.start()
        with ExitStack() as stack:
            ph = phones(stack, system, answer=("101", "102", "103"))
            # 2 during the prompt: extension 102, and the caller heard the prompt until then
            with RtpSink(TRUNK_HOST) as heard:
                pressed = inbound(system, to=MAIN, keys=[(2.0, "2")], hold=2.0, listen=heard.port)
            assert pressed.answered, pressed.describe()
            wait_for("102 answered", lambda: ph["102"].answered_calls == 1)
            # 7 is no choice (the prompt plays again), then silence: the default, 103
            missed = inbound(system, to=MAIN, keys=[(1.0, "7")], hold=25.0, timeout=60)
            assert missed.answered, missed.describe()
            wait_for("103 answered", lambda: ph["103"].answered_calls == 1, timeout=40)
            records = system.wait_calls(2, timeout=40)
    assert heard.loud_seconds() > 0.5, f"{len(heard.payload)} bytes of audio received"
    by_key, by_default = records
    assert by_key["handled_by_ext"] == "102" and by_key["disposition"] == "Answered"
    assert any("menu Main: pressed 2 -> ext:102" in line for line in by_key["route"])
    assert by_default["handled_by_ext"] == "103", by_default["route"]
    assert any("menu Main: default -> ext:103" in line for line in by_default["route"])
    assert ph["101"].answered_calls == 0


def test_after_hours_triage_sends_emergencies_to_on_call_and_the_rest_to_voicemail(
    system: System,
) -> None:
    with Carrier(system.work) as carrier:
        base(system, carrier)
        system.provision(
            "voicemail box add 'After Hours' --members Ann",
            "schedule add Closed --tz UTC --hours 'mon 00:00-00:01' "
            "--after-hours 'triage,oncall,voicemail:After Hours'",
            f"number add {NIGHT} --label Night --dest ext:102 --schedule Closed",
            "oncall shift new --tech Ann --start now",
        )
        plan = system.run("simulate", "--number", NIGHT).stdout
        assert "emergency triage (press 1)" in plan, plan
        system.start()
        with ExitStack() as stack:
            ph = phones(stack, system, answer=("101", "102"))
            # 1: an emergency, the on-call technician's phone (101) rings and answers
            emergency = inbound(system, to=NIGHT, keys=[(2.0, "1")], hold=2.0, timeout=60)
            assert emergency.answered, emergency.describe()
            wait_for("on-call answered", lambda: ph["101"].answered_calls == 1)
            # no key: nobody rings; the caller hears the question (about 10 s), then 6 s
            # of silence, the greeting and the beep, and leaves a message (a tone)
            tone = mulaw_tone(system.work / "tone.ul", seconds=10.0)
            with RtpSink(TRUNK_HOST) as heard:
                quiet = inbound(
                    system, to=NIGHT, hold=50.0, timeout=90, audio=tone, audio_delay=16.0,
                    listen=heard.port,
                )  # fmt: skip
            assert quiet.answered, quiet.describe()
            records = system.wait_calls(2, timeout=40)
            log = system.json("oncall", "calls")
    first, second = records
    assert first["triage"] == "emergency", first["route"]
    assert first["handled_by_user"] == "Ann"
    assert any("triage: pressed 1: an emergency" in line for line in first["route"])
    assert [(e["source"], e["outcome"], e["phone"]) for e in log] == [
        ("call", "Dispatched", first["caller"])
    ], log
    assert second["triage"] == "no-key" and second["disposition"] == "Voicemail", second["route"]
    assert second["voicemail_box"] == "After Hours"
    assert ph["101"].answered_calls == 1 and ph["102"].answered_calls == 0
    assert heard.loud_seconds() > 2.0, f"{len(heard.payload)} bytes of audio received"
    made = list(system.home.rglob("pbx/prompts/tts-*.wav"))
    assert made, "the triage question was not synthesised into the sounds directory"


def test_spoken_triage_hears_an_emergency_and_rings_on_call(system: System) -> None:
    with Carrier(system.work) as carrier:
        base(system, carrier)
        system.provision(
            "voicemail box add 'After Hours' --members Ann",
            "schedule add Closed --tz UTC --hours 'mon 00:00-00:01' "
            "--after-hours 'triage:spoken,oncall,voicemail:After Hours'",
            f"number add {NIGHT} --label Night --dest ext:102 --schedule Closed",
            "oncall shift new --tech Ann --start now",
        )
        system.start()
        question = wait_for("the spoken question made", lambda: _made(system, TRIAGE_SPOKEN_PROMPT))
        # the caller answers once the question is over (recording starts then)
        answer = speech(system.work / "answer.ul", "My basement is flooding.")
        with ExitStack() as stack:
            ph = phones(stack, system, answer=("101",))
            said = inbound(
                system, to=NIGHT, hold=25.0, timeout=60, audio=answer,
                audio_delay=seconds_of(question) + 1.0,
            )  # fmt: skip
            assert said.answered, said.describe()
            wait_for("on-call answered", lambda: ph["101"].answered_calls == 1, timeout=30)
            (record,) = system.wait_calls(1, timeout=40)
    assert record["triage"] == "said-emergency", record["route"]
    assert record["handled_by_user"] == "Ann"
    assert any("flood" in line for line in record["route"]), record["route"]


def _made(system: System, prompt: Prompt) -> Path | None:
    path = (
        system.home / "asterisk" / "sounds" / f"{text_sound(DEFAULT_VOICE, prompt.text or '')}.wav"
    )
    return path if path.exists() else None


def seconds_of(wav: Path) -> float:
    with wave.open(str(wav)) as w:
        return w.getnframes() / w.getframerate()


def speech(path: Path, text: str) -> Path:
    """`text` spoken by flite (kal16), as the headerless mu-law SIPp streams."""
    raw = path.with_suffix(".wav")
    subprocess.run(["flite", "-voice", "kal16", "-t", text, "-o", str(raw)], check=True)
    subprocess.run(
        ["sox", "-R", str(raw), "-r", "8000", "-c", "1", "-t", "ul", str(path)], check=True
    )
    return path
