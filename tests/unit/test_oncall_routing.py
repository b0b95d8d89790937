"""On-call in routing and in the call flow: the after-hours chain's on-call step, the backup,
the emergency contact number, confirmed cell legs, and what the call log gets."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pbx.core import callflow as F
from pbx.core import routing as R
from pbx.core import schedule as S
from pbx.core.calls import Disposition, LegKind, LegOutcome
from pbx.core.model import (
    BusinessNumber,
    Customer,
    Destination,
    DestKind,
    Directory,
    Extension,
    RingTarget,
    Schedule,
    Trunk,
    User,
    VoicemailBox,
)
from pbx.core.oncall import OnCallSettings, Outcome, Shift, ShiftSource, ShiftStatus
from pbx.core.ringing import DeviceState, Presence, RingStats
from pbx.core.routing import (
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
)
from tests.unit.test_callflow import record_of

KEY = "node:1700000000.1"
REC = "cU(pbx-answered^pbx-1700000000.1)"
MAIN = "+13125550100"  # schedule Office, destination ext 103
EMERGENCY = "+13125550120"  # the emergency contact number; schedule Office, destination ext 103
CALLER = "+13125550166"
AFTER_HOURS_NUMBER = "+13125550199"
ANN_CELL = "+13125550101"
BOB_CELL = "+13125550102"

# Tue 17 Nov 2026 21:00 in Chicago (closed) and Wed 18 Nov 2026 10:00 (open).
NIGHT = datetime(2026, 11, 18, 3, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 18, 16, 0, tzinfo=UTC)
CLOSED = "after hours: schedule 'Office' (America/Chicago) is closed at Tue 21:00"
ANY_HOUR = "emergency contact number: the on-call chain at any hour"

SHIFT_START = datetime(2026, 11, 17, 12, 0, tzinfo=UTC)
SHIFT_END = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
ANN_SHIFT = Shift("Ann", SHIFT_START, SHIFT_END, source=ShiftSource.ROTATION, id=5)
BOB_BACKUP = Shift("Bob", SHIFT_START, SHIFT_END, backup=True, id=6)

OFFICE = Schedule(
    "Office",
    "America/Chicago",
    S.build_hours(["mon-fri 08:00-17:00"]),
    after_hours=S.parse_after_hours(f"oncall,{AFTER_HOURS_NUMBER},voicemail:After Hours", "US"),
)

DIRECTORY = Directory(
    users=(
        User("Ann", "ann@example.com", mobile=ANN_CELL),
        User("Bob", "bob@example.com", mobile=BOB_CELL),
        User("Cat", "cat@example.com"),
        User("Dan", "dan@example.com", mobile="+13125550104", active=False),
        User("Eve", "eve@example.com", mobile="+13125550105"),
    ),
    extensions=(
        Extension("101", "Ann", "pw", RingTarget.BOTH, voicemail_box="ext-101"),
        Extension("102", "Bob", "pw", RingTarget.CELL),
        Extension("103", "Cat", "pw"),
        Extension("104", "Dan", "pw"),
    ),
    numbers=(
        BusinessNumber(
            MAIN, "Main", destination=Destination(DestKind.EXTENSION, "103"), schedule="Office"
        ),
        BusinessNumber(
            EMERGENCY,
            "Emergency",
            destination=Destination(DestKind.EXTENSION, "103"),
            schedule="Office",
        ),  # fmt: skip
    ),
    schedules=(OFFICE,),
    boxes=(VoicemailBox("After Hours"), VoicemailBox("ext-101")),
    trunks=(Trunk("carrier", "127.0.0.2", "acct", "pw"),),
    shifts=(ANN_SHIFT, BOB_BACKUP),
    oncall=OnCallSettings(emergency_number=EMERGENCY, business_name="Acme Heating"),
)
ALL_FREE = Presence({e: DeviceState.NOT_INUSE for e in ("101", "102", "103", "104")})


def index_of(directory: Directory = DIRECTORY) -> RoutingIndex:
    return RoutingIndex.build(directory, RoutingOptions())


def plan_of(
    number: str, at: datetime = NIGHT, directory: Directory = DIRECTORY, caller: str = CALLER
) -> Plan:
    return route(CallFacts(CallKind.INBOUND, number, caller), index_of(directory), at)


def oncall_step(
    reason: str, tech: str = "", shift: int | None = None, backup: bool = False,
    skip: str | None = None,
) -> Step:  # fmt: skip
    return Step(
        StepKind.RING, reason, TargetKind.ONCALL, tech,
        on_no_answer=NoAnswer.NEXT, skip=skip, shift=shift, backup=backup,
    )  # fmt: skip


def rest_of_chain(reason: str) -> tuple[Step, ...]:
    return (
        Step(
            StepKind.RING, reason, TargetKind.NUMBER, AFTER_HOURS_NUMBER, on_no_answer=NoAnswer.NEXT
        ),
        Step(StepKind.VOICEMAIL, reason, name="After Hours"),
    )


def with_shifts(*shifts: Shift, **settings: Any) -> Directory:
    return replace(DIRECTORY, shifts=shifts, oncall=replace(DIRECTORY.oncall, **settings))


# --- routing ---------------------------------------------------------------------------


def test_after_hours_rings_the_on_call_technician_then_the_backup_then_the_chain() -> None:
    plan = plan_of(MAIN)
    assert plan.steps == (
        oncall_step(CLOSED, "Ann", 5),
        oncall_step(CLOSED, "Bob", 6, backup=True),
        *rest_of_chain(CLOSED),
    )
    lines = plan.describe()
    assert (
        lines[0]
        == f"1. ring the on-call technician Ann (shift #5) — {CLOSED}; no answer: next step"
    )
    assert (
        lines[1] == f"2. ring the backup technician Bob (shift #6) — {CLOSED}; no answer: next step"
    )
    assert plan.steps[0].action() == "ring the on-call technician Ann (shift #5)"
    assert plan.steps[1].action() == "ring the backup technician Bob (shift #6)"


def test_only_a_backup_on_call() -> None:
    plan = plan_of(MAIN, directory=with_shifts(BOB_BACKUP))
    assert plan.steps == (oncall_step(CLOSED, "Bob", 6, backup=True), *rest_of_chain(CLOSED))


def test_a_shift_not_yet_stored_has_no_number_in_the_plan() -> None:
    plan = plan_of(MAIN, directory=with_shifts(replace(ANN_SHIFT, id=None)))
    assert plan.steps[0] == oncall_step(CLOSED, "Ann")
    assert plan.steps[0].action() == "ring the on-call technician Ann"


def test_nobody_on_call_is_a_skipped_step() -> None:
    for shifts in (
        (),
        (replace(ANN_SHIFT, status=ShiftStatus.CANCELLED),),
        (replace(ANN_SHIFT, start=NIGHT + timedelta(minutes=1)),),  # not started yet
        (replace(ANN_SHIFT, end=NIGHT),),  # just over
        (replace(ANN_SHIFT, status=ShiftStatus.COMPLETED),),
    ):
        plan = plan_of(MAIN, directory=with_shifts(*shifts))
        nobody = oncall_step(CLOSED, skip="nobody is on call now")
        assert plan.steps == (nobody, *rest_of_chain(CLOSED))
        assert plan.describe()[0] == (
            f"1. ring the on-call technician — {CLOSED} (skipped: nobody is on call now)"
        )


def test_a_shift_activated_early_is_on_call() -> None:
    early = replace(ANN_SHIFT, start=NIGHT + timedelta(hours=1), status=ShiftStatus.ACTIVE)
    assert plan_of(MAIN, directory=with_shifts(early)).steps[0] == oncall_step(CLOSED, "Ann", 5)


def test_a_deactivated_or_unreachable_technician_is_skipped() -> None:
    dan = replace(ANN_SHIFT, tech="Dan")
    plan = plan_of(MAIN, directory=with_shifts(dan, BOB_BACKUP))
    assert plan.steps[:2] == (
        oncall_step(CLOSED, "Dan", 5, skip="user Dan is deactivated"),
        oncall_step(CLOSED, "Bob", 6, backup=True),
    )
    eve = replace(ANN_SHIFT, tech="Eve")
    plan = plan_of(MAIN, directory=with_shifts(eve))
    assert plan.steps[0] == oncall_step(CLOSED, "Eve", 5, skip="Eve has no extension")
    gone = replace(ANN_SHIFT, tech="Zed")
    plan = plan_of(MAIN, directory=with_shifts(gone))
    assert plan.steps[0] == oncall_step(CLOSED, "Zed", 5, skip="user Zed does not exist")


def test_only_the_on_call_step_when_nobody_can_take_it_ends_with_an_announcement() -> None:
    only = replace(OFFICE, after_hours=S.parse_after_hours("oncall", "US"))
    directory = replace(with_shifts(replace(ANN_SHIFT, tech="Dan")), schedules=(only,))
    plan = plan_of(MAIN, directory=directory)
    assert [s.kind for s in plan.steps] == [StepKind.RING, StepKind.ANNOUNCE]
    assert plan.steps[-1].name == R.UNROUTABLE


def test_business_hours_do_not_go_to_on_call() -> None:
    plan = plan_of(MAIN, at=DAY)
    assert [(s.target, s.name) for s in plan.steps] == [(TargetKind.EXTENSION, "103")]


def test_the_emergency_number_goes_to_the_on_call_chain_in_business_hours() -> None:
    plan = plan_of(EMERGENCY, at=DAY)
    assert plan.steps == (
        oncall_step(ANY_HOUR, "Ann", 5),
        oncall_step(ANY_HOUR, "Bob", 6, backup=True),
        *rest_of_chain(ANY_HOUR),
    )
    assert plan.business_number == EMERGENCY
    # ...and after hours too, with the same reason
    assert plan_of(EMERGENCY, at=NIGHT).steps == plan.steps
    # the emergency number as the trunk may send it (national form)
    assert plan_of("3125550120", at=DAY).steps == plan.steps


def test_the_emergency_number_without_a_chain_rings_on_call_then_its_destination() -> None:
    number = replace(DIRECTORY.numbers[1], schedule=None)
    directory = replace(DIRECTORY, numbers=(DIRECTORY.numbers[0], number))
    plan = plan_of(EMERGENCY, at=DAY, directory=directory)
    assert plan.steps == (
        oncall_step(ANY_HOUR, "Ann", 5),
        oncall_step(ANY_HOUR, "Bob", 6, backup=True),
        Step(StepKind.RING, "number destination", TargetKind.EXTENSION, "103"),
    )
    # nobody on call and no destination: the on-call step is skipped, nothing else
    bare = replace(number, destination=None)
    directory = replace(DIRECTORY, numbers=(bare,), shifts=())
    plan = plan_of(EMERGENCY, at=DAY, directory=directory)
    assert plan.steps == (
        oncall_step(ANY_HOUR, skip="nobody is on call now"),
        Step(
            StepKind.ANNOUNCE, "every step is skipped: nothing can take the call", name=R.UNROUTABLE
        ),
    )


def test_no_emergency_number_set_routes_as_usual() -> None:
    directory = with_shifts(ANN_SHIFT, BOB_BACKUP, emergency_number=None)
    plan = plan_of(EMERGENCY, at=DAY, directory=directory)
    assert [(s.target, s.name) for s in plan.steps] == [(TargetKind.EXTENSION, "103")]


# --- the call flow ---------------------------------------------------------------------


def ctx(directory: Directory = DIRECTORY, presence: Presence = ALL_FREE) -> F.Context:
    return F.Context(index_of(directory), presence, RingStats(), random.Random(1))


def start(
    number: str = MAIN, at: datetime = NIGHT, directory: Directory = DIRECTORY
) -> tuple[F.CallState, list[F.Command]]:
    return F.begin(KEY, plan_of(number, at, directory), at, ctx(directory))


def dials(commands: list[F.Command]) -> list[str]:
    return [c.args for c in commands if isinstance(c, F.Dial)]


def alerts(commands: list[F.Command]) -> list[F.AlertOnCall]:
    return [c for c in commands if isinstance(c, F.AlertOnCall)]


def final_values(commands: list[F.Command]) -> dict[str, Any]:
    writes = [c for c in commands if isinstance(c, F.Write)]
    return dict(writes[0].patch.values)


def test_the_on_call_cell_leg_rings_through_pbx_oncall_with_the_longer_timeout() -> None:
    state, commands = start()
    seconds = F.EXTENSION_RING_SECONDS + F.ONCALL_CONFIRM_SECONDS
    assert seconds == 55
    assert dials(commands) == [f"PJSIP/101&Local/{ANN_CELL}@pbx-oncall,{seconds},{REC}"]
    assert [(leg.kind, leg.target, leg.peer) for leg in state.wave] == [
        (LegKind.SOFTPHONE, "101", "101"),
        (LegKind.CELL, ANN_CELL, f"{ANN_CELL}@pbx-oncall"),
    ]
    assert state.oncall_shifts == (5,)
    assert alerts(commands) == [F.AlertOnCall(KEY, "Ann", CALLER, None, MAIN, NIGHT)]


def test_confirmed_changes_only_cell_legs() -> None:
    state, _ = start()
    soft, cell = state.wave
    assert F.confirmed(soft) is soft
    assert (
        F.confirmed(replace(cell, dial=f"PJSIP/{ANN_CELL}@carrier", peer=f"{ANN_CELL}@carrier"))
        == cell
    )


def test_an_on_call_technician_with_a_softphone_only_rings_for_the_usual_time() -> None:
    cat = replace(ANN_SHIFT, tech="Cat")
    state, commands = start(directory=with_shifts(cat))
    assert dials(commands) == [f"PJSIP/103,30,{REC}"]


def test_a_wave_unanswered_on_the_primary_rings_the_backup() -> None:
    state, first = start()
    at = NIGHT + timedelta(seconds=55)
    state, second = F.step(state, F.DialEnded(at, "NOANSWER"), ctx())
    assert dials(second) == [f"Local/{BOB_CELL}@pbx-oncall,55,{REC}"]
    assert alerts(second) == [F.AlertOnCall(KEY, "Bob", CALLER, None, MAIN, at)]
    assert state.oncall_shifts == (5, 6)
    # the backup does not answer either: the rest of the chain
    later = at + timedelta(seconds=55)
    state, third = F.step(state, F.DialEnded(later, "NOANSWER"), ctx())
    assert dials(third) == [f"PJSIP/{AFTER_HOURS_NUMBER}@carrier,30,{REC}"]
    assert alerts(third) == []


def test_an_answered_on_call_leg_is_dispatched_with_its_response_time() -> None:
    state, first = start()
    end = NIGHT + timedelta(minutes=5)
    answered = F.CallEnded(
        end, "ANSWER", f"{ANN_CELL}@pbx-oncall", answered_ms=(5 * 60 - 25) * 1000
    )
    state, last = F.step(
        state, F.Confirmation(NIGHT + timedelta(seconds=25), ANN_CELL, "accepted"), ctx()
    )
    assert last == [] and state.route[-1] == f"on-call leg {ANN_CELL}: accepted (pressed 1)"
    state, last = F.step(state, answered, ctx())
    values = final_values(last)
    assert values["oncall_shift"] == 5
    assert values["oncall_outcome"] == Outcome.DISPATCHED.value == "Dispatched"
    assert values["response_seconds"] == 25.0
    record = record_of(first, last)
    assert record.disposition is Disposition.ANSWERED
    assert record.answered_at == NIGHT + timedelta(seconds=25)
    assert (record.handled_by_user, record.handled_by_ext) == ("Ann", "101")
    assert [(leg.target, leg.outcome) for leg in record.legs] == [
        ("101", LegOutcome.ANSWERED_ELSEWHERE),
        (ANN_CELL, LegOutcome.ANSWERED),
    ]
    assert (record.oncall_shift, record.oncall_outcome, record.response_seconds) == (
        5,
        "Dispatched",
        25.0,
    )


def test_the_response_time_runs_from_the_call_start_through_the_primary_to_the_backup() -> None:
    state, first = start()
    state, second = F.step(state, F.DialEnded(NIGHT + timedelta(seconds=55), "NOANSWER"), ctx())
    end = NIGHT + timedelta(seconds=200)
    answered = F.CallEnded(end, "ANSWER", f"{BOB_CELL}@pbx-oncall", answered_ms=120_000)
    state, last = F.step(state, answered, ctx())
    values = final_values(last)
    assert (values["oncall_shift"], values["oncall_outcome"]) == (6, "Dispatched")
    assert values["response_seconds"] == 80.0  # answered 80 s after the call arrived
    assert values["handled_by_user"] == "Bob"


def test_a_declined_on_call_leg_makes_the_outcome_declined() -> None:
    state, first = start()
    state, none = F.step(
        state, F.Confirmation(NIGHT + timedelta(seconds=20), ANN_CELL, "declined"), ctx()
    )
    assert none == [] and state.declined
    assert state.route[-1] == f"on-call leg {ANN_CELL}: declined (pressed 2)"
    batches = [first]
    for seconds, status in ((21, "NOANSWER"), (76, "NOANSWER"), (106, "NOANSWER")):
        state, commands = F.step(
            state, F.DialEnded(NIGHT + timedelta(seconds=seconds), status), ctx()
        )
        batches.append(commands)
    assert state.phase is F.Phase.VOICEMAIL and state.voicemail_box == "After Hours"
    state, last = F.step(state, F.CallEnded(NIGHT + timedelta(seconds=140), cause=16), ctx())
    values = final_values(last)
    assert (values["oncall_shift"], values["oncall_outcome"], values["response_seconds"]) == (
        5, "Declined", None,
    )  # fmt: skip
    assert record_of(*batches, last).disposition is Disposition.VOICEMAIL


def test_declined_by_the_primary_then_answered_by_the_backup_is_dispatched() -> None:
    state, _ = start()
    state, _ = F.step(
        state, F.Confirmation(NIGHT + timedelta(seconds=20), ANN_CELL, "declined"), ctx()
    )
    state, _ = F.step(state, F.DialEnded(NIGHT + timedelta(seconds=21), "NOANSWER"), ctx())
    answered = F.CallEnded(
        NIGHT + timedelta(seconds=90), "ANSWER", f"{BOB_CELL}@pbx-oncall", 60_000
    )
    state, last = F.step(state, answered, ctx())
    values = final_values(last)
    assert (values["oncall_shift"], values["oncall_outcome"], values["response_seconds"]) == (
        6, "Dispatched", 30.0,
    )  # fmt: skip


def test_an_unconfirmed_answer_is_noted_and_not_an_answer() -> None:
    state, first = start()
    state, _ = F.step(
        state, F.Confirmation(NIGHT + timedelta(seconds=20), ANN_CELL, "unconfirmed"), ctx()
    )
    assert not state.declined
    assert state.route[-1] == (
        f"on-call leg {ANN_CELL}: answered but did not press 1: not counted as an answer"
    )
    state, last = F.step(state, F.CallEnded(NIGHT + timedelta(seconds=30), "CANCEL"), ctx())
    values = final_values(last)
    assert (values["oncall_shift"], values["oncall_outcome"], values["response_seconds"]) == (
        5, "No Answer", None,
    )  # fmt: skip
    assert values["disposition"] is Disposition.MISSED


def test_answered_by_a_later_step_of_the_chain_is_no_answer_for_on_call() -> None:
    state, _ = start()
    state, _ = F.step(state, F.DialEnded(NIGHT + timedelta(seconds=55), "NOANSWER"), ctx())
    state, _ = F.step(state, F.DialEnded(NIGHT + timedelta(seconds=110), "NOANSWER"), ctx())
    answered = F.CallEnded(
        NIGHT + timedelta(seconds=150), "ANSWER", f"{AFTER_HOURS_NUMBER}@carrier", 30_000
    )
    state, last = F.step(state, answered, ctx())
    values = final_values(last)
    assert values["disposition"] is Disposition.FORWARDED
    assert (values["oncall_shift"], values["oncall_outcome"], values["response_seconds"]) == (
        5, "No Answer", None,
    )  # fmt: skip


def test_a_skipped_technician_moves_the_call_to_the_backup() -> None:
    directory = with_shifts(replace(ANN_SHIFT, tech="Dan"), BOB_BACKUP)
    state, commands = start(directory=directory)
    assert dials(commands) == [f"Local/{BOB_CELL}@pbx-oncall,55,{REC}"]
    assert alerts(commands) == [F.AlertOnCall(KEY, "Bob", CALLER, None, MAIN, NIGHT)]
    answered = F.CallEnded(
        NIGHT + timedelta(seconds=30), "ANSWER", f"{BOB_CELL}@pbx-oncall", 20_000
    )
    state, last = F.step(state, answered, ctx(directory))
    assert (final_values(last)["oncall_shift"], final_values(last)["oncall_outcome"]) == (
        6,
        "Dispatched",
    )


def test_a_technician_whose_phones_cannot_ring_is_skipped_at_call_time() -> None:
    busy = Presence({"101": DeviceState.INUSE, "102": DeviceState.NOT_INUSE})
    context = F.Context(index_of(), busy, RingStats(), random.Random(1))
    state, commands = F.begin(KEY, plan_of(MAIN), NIGHT, context)
    assert dials(commands) == [f"Local/{BOB_CELL}@pbx-oncall,55,{REC}"]
    assert (
        "skipped ring the on-call technician Ann (shift #5): 101 is already on a call"
        in state.route
    )
    assert [a.tech for a in alerts(commands)] == ["Bob"]  # not Ann: nothing rang for her


def test_nobody_on_call_leaves_no_on_call_values() -> None:
    directory = with_shifts()
    state, first = start(directory=directory)
    assert dials(first) == [f"PJSIP/{AFTER_HOURS_NUMBER}@carrier,30,{REC}"]
    assert alerts(first) == []
    state, last = F.step(state, F.CallEnded(NIGHT + timedelta(seconds=9), "CANCEL"), ctx(directory))
    values = final_values(last)
    assert not {"oncall_shift", "oncall_outcome", "response_seconds"} & set(values)
    assert record_of(first, last).oncall_outcome is None


def test_a_business_hours_call_has_no_on_call_values() -> None:
    state, first = start(at=DAY)
    assert alerts(first) == []
    state, last = F.step(
        state, F.CallEnded(DAY + timedelta(seconds=30), "ANSWER", "103", 10_000), ctx()
    )
    assert "oncall_outcome" not in final_values(last)


def test_the_emergency_number_in_business_hours_alerts_the_on_call_technician() -> None:
    state, commands = start(EMERGENCY, at=DAY)
    assert dials(commands) == [f"PJSIP/101&Local/{ANN_CELL}@pbx-oncall,55,{REC}"]
    assert alerts(commands) == [F.AlertOnCall(KEY, "Ann", CALLER, None, EMERGENCY, DAY)]


def test_the_alert_names_the_customer_when_the_caller_is_one() -> None:
    directory = replace(DIRECTORY, customers=(Customer("Dana Smith", (CALLER,), id=3),))
    state, commands = start(directory=directory)
    assert alerts(commands) == [F.AlertOnCall(KEY, "Ann", CALLER, "Dana Smith", MAIN, NIGHT)]


def test_no_alert_when_auto_notify_is_off() -> None:
    directory = with_shifts(ANN_SHIFT, BOB_BACKUP, auto_notify=False)
    state, first = start(directory=directory)
    assert dials(first) == [f"PJSIP/101&Local/{ANN_CELL}@pbx-oncall,55,{REC}"]
    assert alerts(first) == []
    state, second = F.step(
        state, F.DialEnded(NIGHT + timedelta(seconds=55), "NOANSWER"), ctx(directory)
    )
    assert dials(second) == [f"Local/{BOB_CELL}@pbx-oncall,55,{REC}"]
    assert alerts(second) == []
