"""Auto attendants and the after-hours triage in routing and in the call flow: the prompt,
the caller's key, where it leads, and what the call log gets."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pbx.core import callflow as F
from pbx.core.calls import Disposition
from pbx.core.model import (
    AfterHoursKind,
    AfterHoursStep,
    BusinessNumber,
    Destination,
    DestKind,
    Directory,
    Extension,
    Menu,
    MenuTarget,
    OpenRange,
    OptionKind,
    Prompt,
    RingGroup,
    Schedule,
    Strategy,
    Trunk,
    User,
    VoicemailBox,
)
from pbx.core.oncall import OnCallSettings, Shift
from pbx.core.ringing import DeviceState, Presence, RingStats
from pbx.core.routing import (
    NO_TRUNK,
    UNROUTABLE,
    CallFacts,
    CallKind,
    NoAnswer,
    Plan,
    RoutingIndex,
    RoutingOptions,
    Step,
    StepKind,
    TargetKind,
    route,
    target_steps,
)

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # a Wednesday
KEY = "node:1700000000.1"
MESSAGE = "pbxvm-1700000000.1"
REC = "cU(pbx-answered^pbx-1700000000.1)"
CALLER = "+13125550166"
OUTSIDE = "+13125550188"

MENU_NUMBER = "+13125550100"  # destination menu:main
SERVICE_NUMBER = "+13125550110"  # destination menu:service, then a forwarding number
DIRECT = "+13125550120"  # destination ext 101
NIGHT = "+13125550140"  # closed: triage, oncall, voicemail:After Hours
BARE = "+13125550150"  # closed: triage, voicemail:After Hours (nothing to ring)
NO_MENU = "+13125550160"  # destination menu:nope, which does not exist

MAIN_PROMPT = Prompt("Thanks for calling. For sales press 1, for service press 2.")
SERVICE_PROMPT = Prompt("Service: for the dispatcher press 1.")
INVALID = Prompt("That is not a choice.")
MAIN = Menu(
    "main",
    MAIN_PROMPT,
    (
        ("0", MenuTarget(OptionKind.NUMBER, OUTSIDE)),
        ("1", MenuTarget(OptionKind.GROUP, "Sales")),
        ("2", MenuTarget(OptionKind.EXTENSION, "103")),
        ("3", MenuTarget(OptionKind.USER, "Ann")),
        ("4", MenuTarget(OptionKind.MENU, "service")),
        ("8", MenuTarget(OptionKind.VOICEMAIL, "Main")),
        ("9", MenuTarget(OptionKind.REPEAT)),
    ),
    default=MenuTarget(OptionKind.VOICEMAIL, "Main"),
    timeout=5,
    retries=1,
    invalid_prompt=INVALID,
)
SERVICE = Menu(
    "service", SERVICE_PROMPT, (("1", MenuTarget(OptionKind.EXTENSION, "102")),), retries=0
)

CAT_SHIFT = Shift("Cat", T0 - timedelta(hours=12), T0 + timedelta(hours=12), id=5)


def closed(name: str, *chain: AfterHoursStep) -> Schedule:
    return Schedule(name, "UTC", (OpenRange(0, 0, 1),), after_hours=chain)  # Mondays 00:00 only


TRIAGE = AfterHoursStep(AfterHoursKind.TRIAGE)
ONCALL = AfterHoursStep(AfterHoursKind.ONCALL)
AFTER_HOURS_BOX = AfterHoursStep(AfterHoursKind.VOICEMAIL, "After Hours")

DIRECTORY = Directory(
    users=(
        User("Ann", "ann@example.com"),
        User("Bob", "bob@example.com"),
        User("Cat", "cat@example.com"),
        User("Dan", "dan@example.com", active=False),
    ),
    extensions=(
        Extension("101", "Ann", "pw", voicemail_box="Ann"),
        Extension("102", "Bob", "pw"),
        Extension("103", "Cat", "pw"),
        Extension("104", "Dan", "pw"),
    ),
    groups=(
        RingGroup(
            "Sales", Strategy.RING_ALL, ("101", "102"), ring_timeout=20, fallback_box="Sales"
        ),
        RingGroup("Empty", Strategy.RING_ALL, ()),
    ),
    numbers=(
        BusinessNumber(MENU_NUMBER, "Main", destination=Destination(DestKind.MENU, "main")),
        BusinessNumber(
            SERVICE_NUMBER,
            "Service",
            destination=Destination(DestKind.MENU, "service"),
            forward=OUTSIDE,
        ),  # fmt: skip
        BusinessNumber(DIRECT, "Ann", destination=Destination(DestKind.EXTENSION, "101")),
        BusinessNumber(
            NIGHT, "Night", destination=Destination(DestKind.EXTENSION, "101"), schedule="Closed"
        ),
        BusinessNumber(
            BARE, "Bare", destination=Destination(DestKind.EXTENSION, "101"), schedule="Bare"
        ),
        BusinessNumber(NO_MENU, "Broken", destination=Destination(DestKind.MENU, "nope")),
    ),
    schedules=(
        closed("Closed", TRIAGE, ONCALL, AFTER_HOURS_BOX),
        closed("Bare", TRIAGE, AFTER_HOURS_BOX),
    ),
    boxes=(
        VoicemailBox("Main"),
        VoicemailBox("After Hours"),
        VoicemailBox("Sales"),
        VoicemailBox("Ann"),
    ),
    trunks=(Trunk("carrier", "127.0.0.2", "acct", "pw"),),
    shifts=(CAT_SHIFT,),
    menus=(MAIN, SERVICE),
)
ALL_FREE = Presence({e: DeviceState.NOT_INUSE for e in ("101", "102", "103", "104")})
CLOSED = "after hours: schedule 'Closed' (UTC) is closed at Wed 15:00"


def index_of(directory: Directory = DIRECTORY) -> RoutingIndex:
    return RoutingIndex.build(directory, RoutingOptions())


def ctx(directory: Directory = DIRECTORY) -> F.Context:
    return F.Context(index_of(directory), ALL_FREE, RingStats(), random.Random(1))


def plan_of(number: str, directory: Directory = DIRECTORY, at: datetime = T0) -> Plan:
    return route(CallFacts(CallKind.INBOUND, number, CALLER), index_of(directory), at)


def call(
    number: str, directory: Directory = DIRECTORY, at: datetime = T0
) -> tuple[F.CallState, list[F.Command]]:
    return F.begin(KEY, plan_of(number, directory, at), at, ctx(directory))


def send(
    state: F.CallState, *events: F.Event, directory: Directory = DIRECTORY
) -> tuple[F.CallState, list[F.Command]]:
    """Every event in turn: the last state and the commands of the last event."""
    commands: list[F.Command] = []
    for event in events:
        state, commands = F.step(state, event, ctx(directory))
    return state, commands


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def dials(commands: list[F.Command]) -> list[str]:
    return [c.args for c in commands if isinstance(c, F.Dial)]


def of(kind: type, commands: list[F.Command]) -> list[Any]:
    return [c for c in commands if isinstance(c, kind)]


def final_values(commands: list[F.Command]) -> dict[str, Any]:
    writes = of(F.Write, commands)
    return dict(writes[0].patch.values)


def ended(answered_after: float | None = None, peer: str = "") -> F.CallEnded:
    if answered_after is None:
        return F.CallEnded(at(120), "", cause=16)
    ms = int((120 - answered_after) * 1000)
    return F.CallEnded(at(120), "ANSWER", peer, answered_ms=ms, cause=16)


# -- routing ------------------------------------------------------------------------------


def test_a_number_whose_destination_is_a_menu_plans_the_menu() -> None:
    plan = plan_of(MENU_NUMBER)
    assert plan.steps == (Step(StepKind.MENU, "number destination", name="main"),)
    assert plan.describe()[0] == "1. menu main — number destination"


def test_a_menu_that_does_not_exist_is_skipped() -> None:
    assert plan_of(NO_MENU).steps == (
        Step(StepKind.MENU, "number destination", name="nope", skip="menu nope does not exist"),
        Step(
            StepKind.ANNOUNCE,
            "every step is skipped: nothing can take the call",
            name=UNROUTABLE,
        ),
    )


def test_after_hours_the_triage_comes_before_the_on_call_technician() -> None:
    assert plan_of(NIGHT).steps == (
        Step(StepKind.TRIAGE, CLOSED),
        Step(StepKind.RING, CLOSED, TargetKind.ONCALL, "Cat", on_no_answer=NoAnswer.NEXT, shift=5),
        Step(StepKind.VOICEMAIL, CLOSED, name="After Hours"),
    )


def test_a_triage_with_nothing_to_ring_after_it_is_skipped() -> None:
    reason = CLOSED.replace("Closed", "Bare")
    steps = plan_of(BARE).steps
    assert steps[0] == Step(StepKind.TRIAGE, reason, skip="no step after it rings anybody")
    assert steps[1:] == (Step(StepKind.VOICEMAIL, reason, name="After Hours"),)


def test_a_triage_before_an_on_call_step_with_nobody_on_call_is_skipped() -> None:
    nobody = replace(DIRECTORY, shifts=())
    steps = plan_of(NIGHT, nobody).steps
    assert steps[0].kind is StepKind.TRIAGE
    assert steps[0].skip == "no step after it rings anybody"
    assert steps[1].skip == "nobody is on call now"


def test_a_triage_before_an_outside_number_is_kept() -> None:
    number = AfterHoursStep(AfterHoursKind.NUMBER, OUTSIDE)
    directory = replace(DIRECTORY, schedules=(closed("Bare", TRIAGE, number, AFTER_HOURS_BOX),))
    assert plan_of(BARE, directory).steps[0] == Step(
        StepKind.TRIAGE, CLOSED.replace("Closed", "Bare")
    )


def test_an_after_hours_menu_step_plans_the_menu() -> None:
    menu = AfterHoursStep(AfterHoursKind.MENU, "main")
    directory = replace(DIRECTORY, schedules=(closed("Bare", menu, AFTER_HOURS_BOX),))
    reason = CLOSED.replace("Closed", "Bare")
    assert plan_of(BARE, directory).steps == (
        Step(StepKind.MENU, reason, name="main"),
        Step(StepKind.VOICEMAIL, reason, name="After Hours"),
    )


R = "menu main: pressed 1"


@pytest.mark.parametrize(
    ("target", "steps"),
    [
        (
            MenuTarget(OptionKind.EXTENSION, "101"),
            [Step(StepKind.RING, R, TargetKind.EXTENSION, "101", box="Ann")],
        ),
        (
            MenuTarget(OptionKind.EXTENSION, "999"),
            [
                Step(
                    StepKind.RING,
                    R,
                    TargetKind.EXTENSION,
                    "999",
                    skip="extension 999 does not exist",
                )
            ],
        ),  # fmt: skip
        (
            MenuTarget(OptionKind.EXTENSION, "104"),
            [Step(StepKind.RING, R, TargetKind.EXTENSION, "104", skip="user Dan is deactivated")],
        ),
        (
            MenuTarget(OptionKind.GROUP, "Sales"),
            [Step(StepKind.RING, R, TargetKind.GROUP, "Sales", box="Sales")],
        ),
        (
            MenuTarget(OptionKind.GROUP, "Empty"),
            [
                Step(
                    StepKind.RING,
                    R,
                    TargetKind.GROUP,
                    "Empty",
                    skip="ring group Empty has no members",
                )
            ],
        ),
        (
            MenuTarget(OptionKind.GROUP, "Nope"),
            [
                Step(
                    StepKind.RING,
                    R,
                    TargetKind.GROUP,
                    "Nope",
                    skip="ring group Nope does not exist",
                )
            ],
        ),
        (
            MenuTarget(OptionKind.USER, "Ann"),
            [Step(StepKind.RING, R, TargetKind.USER, "Ann", box="Ann")],
        ),
        (
            MenuTarget(OptionKind.USER, "Dan"),
            [Step(StepKind.RING, R, TargetKind.USER, "Dan", skip="user Dan is deactivated")],
        ),
        (MenuTarget(OptionKind.MENU, "service"), [Step(StepKind.MENU, R, name="service")]),
        (
            MenuTarget(OptionKind.MENU, "nope"),
            [Step(StepKind.MENU, R, name="nope", skip="menu nope does not exist")],
        ),
        (
            MenuTarget(OptionKind.NUMBER, OUTSIDE),
            [Step(StepKind.RING, R, TargetKind.NUMBER, OUTSIDE, on_no_answer=NoAnswer.NEXT)],
        ),
        (
            MenuTarget(OptionKind.ONCALL),
            [Step(StepKind.RING, R, TargetKind.ONCALL, "Cat", on_no_answer=NoAnswer.NEXT, shift=5)],
        ),
        (MenuTarget(OptionKind.VOICEMAIL, "Main"), [Step(StepKind.VOICEMAIL, R, name="Main")]),
        (
            MenuTarget(OptionKind.VOICEMAIL, "Nope"),
            [Step(StepKind.VOICEMAIL, R, name="Nope", skip="voicemail box 'Nope' does not exist")],
        ),
        (MenuTarget(OptionKind.REPEAT), []),
    ],
    ids=str,
)
def test_target_steps(target: MenuTarget, steps: list[Step]) -> None:
    assert target_steps(target, R, index_of(), T0) == steps


def test_every_option_kind_has_target_steps() -> None:
    covered = {OptionKind(kind) for kind in OptionKind}
    for kind in covered - {OptionKind.REPEAT}:
        assert target_steps(MenuTarget(kind, "x"), R, index_of(), T0), kind


def test_target_steps_of_a_number_without_a_trunk_or_on_call_with_nobody() -> None:
    bare = index_of(replace(DIRECTORY, trunks=(), shifts=()))
    assert target_steps(MenuTarget(OptionKind.NUMBER, OUTSIDE), R, bare, T0) == [
        Step(
            StepKind.RING, R, TargetKind.NUMBER, OUTSIDE, on_no_answer=NoAnswer.NEXT, skip=NO_TRUNK
        )
    ]
    assert target_steps(MenuTarget(OptionKind.ONCALL), R, bare, T0) == [
        Step(
            StepKind.RING, R, TargetKind.ONCALL, on_no_answer=NoAnswer.NEXT,
            skip="nobody is on call now",
        )
    ]  # fmt: skip


# -- a menu in the call flow ------------------------------------------------------------------


def test_a_call_to_a_menu_answers_with_the_prompt() -> None:
    state, commands = call(MENU_NUMBER)
    assert commands[1:] == [F.PlayPrompts((MAIN_PROMPT,), 1)]
    assert isinstance(commands[0], F.Write)
    assert (state.phase, state.answered) == (F.Phase.MENU, True)
    assert state.menu is not None and state.menu.menu == MAIN


@pytest.mark.parametrize(
    ("key", "args", "note"),
    [
        ("1", f"PJSIP/101&PJSIP/102,20,rI{REC}", "group:Sales"),
        ("2", f"PJSIP/103,30,rI{REC}", "ext:103"),
        ("3", f"PJSIP/101,30,rI{REC}", "user:Ann"),
        ("0", f"PJSIP/{OUTSIDE}@carrier,30,rI{REC}", f"number:{OUTSIDE}"),
    ],
)
def test_an_option_key_rings_its_target_with_ringback(key: str, args: str, note: str) -> None:
    state, _ = call(MENU_NUMBER)
    state, commands = send(state, F.KeyPressed(at(3), key))
    assert commands[0] == F.StopPrompts(1)
    assert dials(commands) == [args]
    assert state.phase is F.Phase.RINGING and state.menu is None
    assert f"menu main: pressed {key} -> {note}" in state.route


def test_a_key_after_the_prompt_rings_without_stopping_anything() -> None:
    state, _ = call(MENU_NUMBER)
    state, commands = send(state, F.PromptEnded(at(8), 1))
    assert commands == [F.StartTimer(5, 1)]
    state, commands = send(state, F.KeyPressed(at(10), "2"))
    assert not of(F.StopPrompts, commands)
    assert dials(commands) == [f"PJSIP/103,30,rI{REC}"]


def test_a_call_without_a_menu_rings_without_ringback() -> None:
    _, commands = call(DIRECT)
    assert dials(commands) == [f"PJSIP/101,30,{REC}"]


def test_the_chosen_target_unanswered_goes_to_its_box() -> None:
    state, _ = call(MENU_NUMBER)
    state, _ = send(state, F.KeyPressed(at(3), "1"))
    state, commands = send(state, F.DialEnded(at(63), "NOANSWER"))
    # ring-all: the group rings wave after wave until its timeout, then its fallback box
    while dials(commands):
        state, commands = send(state, F.DialEnded(at(63), "NOANSWER"))
    assert commands == [F.Voicemail("Sales", MESSAGE, None)]


def test_silence_runs_out_to_the_default_box() -> None:
    state, _ = call(MENU_NUMBER)
    state, commands = send(state, F.PromptEnded(at(8), 1))
    assert commands == [F.StartTimer(5, 1)]
    state, commands = send(state, F.TimerFired(at(13), 1))
    assert commands == [F.PlayPrompts((MAIN_PROMPT,), 2)]  # retries = 1: one replay
    state, commands = send(state, F.PromptEnded(at(21), 2), F.TimerFired(at(26), 2))
    assert commands == [F.Voicemail("Main", MESSAGE, None)]
    assert state.phase is F.Phase.VOICEMAIL
    assert "menu main: default -> voicemail:Main" in state.route
    state, commands = send(state, F.MessageRecorded(at(60)), ended())
    values = final_values(commands)
    assert values["disposition"] is Disposition.VOICEMAIL
    assert values["voicemail_box"] == "Main"
    assert "triage" not in values
    assert of(F.SaveMessage, commands)[0].box == "Main"


def test_invalid_keys_run_out_to_the_default_box() -> None:
    state, _ = call(MENU_NUMBER)
    state, commands = send(state, F.KeyPressed(at(3), "7"))
    assert commands == [F.StopPrompts(1), F.PlayPrompts((INVALID, MAIN_PROMPT), 2)]
    state, commands = send(state, F.KeyPressed(at(5), "#"))
    assert commands == [F.StopPrompts(2), F.Voicemail("Main", MESSAGE, None)]


def test_a_late_menu_event_while_ringing_is_ignored() -> None:
    state, _ = call(MENU_NUMBER)
    state, _ = send(state, F.KeyPressed(at(3), "2"))
    for event in (F.PromptEnded(at(4), 1), F.TimerFired(at(9), 1), F.KeyPressed(at(9), "1")):
        assert F.step(state, event, ctx()) == (state, [])


def test_a_key_on_a_call_without_a_menu_is_ignored() -> None:
    state, _ = call(DIRECT)
    assert F.step(state, F.KeyPressed(at(3), "1"), ctx()) == (state, [])


def test_an_option_to_another_menu_starts_that_menu() -> None:
    state, _ = call(MENU_NUMBER)
    state, commands = send(state, F.KeyPressed(at(3), "4"))
    assert commands[0] == F.StopPrompts(1)
    assert [c.prompts for c in of(F.PlayPrompts, commands)] == [(SERVICE_PROMPT,)]
    assert not dials(commands)
    assert state.phase is F.Phase.MENU
    assert state.menu is not None and state.menu.menu == SERVICE
    assert "menu main: pressed 4 -> menu:service" in state.route
    state, commands = send(state, F.KeyPressed(at(6), "1"))
    assert dials(commands) == [f"PJSIP/102,30,rI{REC}"]
    assert "menu service: pressed 1 -> ext:102" in state.route


def test_the_end_of_the_first_menus_stopped_prompt_does_not_start_the_second_menus_timer() -> None:
    state, _ = call(MENU_NUMBER)
    state, commands = send(state, F.KeyPressed(at(3), "4"))
    assert commands[0] == F.StopPrompts(1)
    # the stopped playback reports its end (PromptEnded: "finished or was stopped")
    state, commands = send(state, F.PromptEnded(at(3), 1))
    assert commands == []  # the second menu's prompt is still playing


def test_a_menu_without_a_default_goes_on_with_the_plan() -> None:
    state, commands = call(SERVICE_NUMBER)
    assert commands[1:] == [F.PlayPrompts((SERVICE_PROMPT,), 1)]
    state, commands = send(state, F.PromptEnded(at(5), 1), F.TimerFired(at(10), 1))
    assert dials(commands) == [f"PJSIP/{OUTSIDE}@carrier,30,rI{REC}"]  # the forwarding number
    assert "menu service: pressed nothing, and it has no default: next step" in state.route


# -- the after-hours triage ---------------------------------------------------------------------


def test_the_triage_asks_the_standard_question() -> None:
    state, commands = call(NIGHT)
    assert commands[1:] == [F.PlayPrompts((F.TRIAGE_PROMPT,), 1)]
    assert state.phase is F.Phase.MENU and state.triage is None


def test_the_triage_asks_a_schedules_own_question() -> None:
    own = Prompt("Press 1 for an emergency.")
    chain = (AfterHoursStep(AfterHoursKind.TRIAGE, prompt=own), ONCALL, AFTER_HOURS_BOX)
    directory = replace(DIRECTORY, schedules=(closed("Closed", *chain),))
    _, commands = call(NIGHT, directory)
    assert commands[1:] == [F.PlayPrompts((own,), 1)]


def emergency(directory: Directory = DIRECTORY) -> tuple[F.CallState, list[F.Command]]:
    state, _ = call(NIGHT, directory)
    return send(state, F.KeyPressed(at(4), "1"), directory=directory)


def test_triage_1_rings_the_on_call_technician_and_alerts_them() -> None:
    state, commands = emergency()
    assert commands[0] == F.StopPrompts(1)
    assert dials(commands) == [f"PJSIP/103,30,rI{REC}"]
    assert of(F.AlertOnCall, commands) == [F.AlertOnCall(KEY, "Cat", CALLER, None, NIGHT, at(4))]
    assert state.triage is F.Triage.EMERGENCY
    assert state.oncall_shifts == (5,)
    assert "triage: pressed 1: an emergency" in state.route


def test_triage_1_without_auto_notify_rings_without_an_alert() -> None:
    quiet = replace(DIRECTORY, oncall=OnCallSettings(auto_notify=False))
    _, commands = emergency(quiet)
    assert dials(commands) == [f"PJSIP/103,30,rI{REC}"]
    assert of(F.AlertOnCall, commands) == []


def test_an_emergency_the_technician_misses_goes_on_to_the_box() -> None:
    state, _ = emergency()
    state, commands = send(state, F.DialEnded(at(34), "NOANSWER"))
    assert commands == [F.Voicemail("After Hours", MESSAGE, None)]


def test_an_answered_emergency_records_the_triage_and_the_shift() -> None:
    state, _ = emergency()
    state, commands = send(state, ended(answered_after=10, peer="103"))
    values = final_values(commands)
    assert values["triage"] == "emergency"
    assert (values["oncall_shift"], values["oncall_outcome"], values["response_seconds"]) == (
        5, "Dispatched", 10.0,
    )  # fmt: skip
    assert values["disposition"] is Disposition.ANSWERED


def no_key() -> tuple[F.CallState, list[F.Command]]:
    state, _ = call(NIGHT)
    state, commands = send(state, F.PromptEnded(at(9), 1))
    assert commands == [F.StartTimer(6, 1)]
    return send(state, F.TimerFired(at(15), 1))


def test_triage_without_a_key_goes_straight_to_voicemail() -> None:
    state, commands = no_key()
    assert commands == [F.Voicemail("After Hours", MESSAGE, None)]  # no ringing, no alert
    assert state.triage is F.Triage.NO_KEY
    assert "triage: pressed nothing: not an emergency, no ringing" in state.route
    assert state.plan.steps[1].skip == "not an emergency"


def test_triage_with_another_key_goes_straight_to_voicemail() -> None:
    state, _ = call(NIGHT)
    state, commands = send(state, F.KeyPressed(at(4), "5"))
    assert commands == [F.StopPrompts(1), F.Voicemail("After Hours", MESSAGE, None)]
    assert state.triage is F.Triage.OTHER_KEY
    assert "triage: pressed 5: not an emergency, no ringing" in state.route


def test_a_skipped_triage_goes_straight_to_voicemail_without_asking() -> None:
    state, commands = call(BARE)
    assert commands[1:] == [F.Voicemail("After Hours", MESSAGE, None)]
    assert state.triage is None
    state, commands = send(state, F.MessageRecorded(at(60)), ended())
    values = final_values(commands)
    assert "triage" not in values and values["voicemail_box"] == "After Hours"


@pytest.mark.parametrize(
    ("events", "triage"),
    [
        ([F.PromptEnded(at(9), 1), F.TimerFired(at(15), 1)], "no-key"),
        ([F.KeyPressed(at(4), "5")], "other-key"),
    ],
)
def test_a_non_emergency_records_how_the_caller_answered(
    events: list[F.Event], triage: str
) -> None:
    state, _ = call(NIGHT)
    state, _ = send(state, *events)
    state, commands = send(state, F.MessageRecorded(at(60)), ended())
    values = final_values(commands)
    assert values["triage"] == triage
    assert values["disposition"] is Disposition.VOICEMAIL


def test_a_non_emergency_is_not_counted_against_the_on_call_shift() -> None:
    state, _ = no_key()
    assert state.oncall_shifts == ()
