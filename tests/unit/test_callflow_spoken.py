"""The spoken after-hours triage in the call flow: the question, the recorded answer, its
transcript's keywords (or a key, or the time running out) and where the call goes."""

from __future__ import annotations

from dataclasses import replace

from pbx.core import callflow as F
from pbx.core.model import AfterHoursKind, AfterHoursStep
from tests.unit.test_callflow_menu import (
    AFTER_HOURS_BOX,
    DIRECTORY,
    NIGHT,
    ONCALL,
    at,
    call,
    closed,
    dials,
    ended,
    final_values,
    of,
    send,
)

SPOKEN = replace(DIRECTORY, schedules=(
    closed("Closed", AfterHoursStep(AfterHoursKind.TRIAGE, spoken=True), ONCALL, AFTER_HOURS_BOX),
))  # fmt: skip
SPEECH = "pbxtr-1700000000.1"


def asked() -> F.CallState:
    """A spoken triage whose question has been played: the answer is being recorded."""
    state, commands = call(NIGHT, SPOKEN)
    (play,) = of(F.PlayPrompts, commands)
    assert play.prompts == (F.TRIAGE_SPOKEN_PROMPT,)
    state, commands = send(state, F.PromptEnded(at(8), play.play), directory=SPOKEN)
    assert of(F.RecordSpeech, commands) == [
        F.RecordSpeech(SPEECH, F.SPEECH_SECONDS, F.SPEECH_SILENCE_SECONDS)
    ]
    (timer,) = of(F.StartTimer, commands)
    assert timer.seconds == F.SPEECH_SECONDS + F.JUDGE_SECONDS
    assert state.listening
    return state


def test_an_answer_with_emergency_keywords_rings_the_on_call_technician() -> None:
    state, commands = send(
        asked(), F.SpeechHeard(at(14), "my basement is flooding", ("flooding",)), directory=SPOKEN
    )
    assert dials(commands) and "PJSIP/103" in dials(commands)[0]  # Cat is on call
    assert of(F.AlertOnCall, commands)
    assert "triage: said 'my basement is flooding' (emergency keywords: flooding)" in " ".join(
        state.route
    )
    _, commands = send(state, ended(20.0, "PJSIP/103"), directory=SPOKEN)
    assert final_values(commands)["triage"] == "said-emergency"


def test_an_answer_without_keywords_goes_to_voicemail_without_ringing() -> None:
    state, commands = send(asked(), F.SpeechHeard(at(14), "i would like a quote"), directory=SPOKEN)
    assert not dials(commands)
    assert of(F.Voicemail, commands)[0].box == "After Hours"
    _, commands = send(state, ended(), directory=SPOKEN)
    values = final_values(commands)
    assert values["triage"] == "said-other" and "oncall_shift" not in values


def test_pressing_1_while_the_answer_is_recorded_decides_and_stops_the_recording() -> None:
    state, commands = send(asked(), F.KeyPressed(at(9), "1"), directory=SPOKEN)
    assert of(F.StopSpeech, commands) == [F.StopSpeech(SPEECH)]
    assert dials(commands)
    assert state.triage is F.Triage.EMERGENCY
    # the transcript arriving afterwards changes nothing
    late, more = send(state, F.SpeechHeard(at(15), "nothing"), directory=SPOKEN)
    assert more == [] and late == state


def test_no_transcript_in_time_or_a_failed_one_goes_to_voicemail() -> None:
    state = asked()
    timer = state.menu.timer if state.menu else 0
    late, commands = send(state, F.TimerFired(at(22), timer), directory=SPOKEN)
    assert of(F.StopSpeech, commands) and of(F.Voicemail, commands) and not dials(commands)
    assert late.triage is F.Triage.NOT_UNDERSTOOD
    failed, commands = send(asked(), F.SpeechHeard(at(14), "", failed=True), directory=SPOKEN)
    assert of(F.Voicemail, commands) and failed.triage is F.Triage.NOT_UNDERSTOOD


def test_speech_for_a_call_that_is_not_listening_is_ignored() -> None:
    state, _ = call(NIGHT, SPOKEN)  # the question still plays
    same, commands = send(state, F.SpeechHeard(at(3), "flood", ("flood",)), directory=SPOKEN)
    assert commands == [] and same == state
