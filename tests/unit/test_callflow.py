"""The call state machine: plans carried out wave by wave, and what the call log gets."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pbx.core import callflow as F
from pbx.core.calls import CallLeg, Disposition, LegKind, LegOutcome, apply
from pbx.core.model import (
    AfterHoursKind,
    AfterHoursStep,
    BusinessNumber,
    Customer,
    Destination,
    DestKind,
    Directory,
    Extension,
    Job,
    OpenRange,
    RingGroup,
    RingTarget,
    Schedule,
    Strategy,
    Trunk,
    User,
    VoicemailBox,
)
from pbx.core.ringing import DeviceState, Presence, RingStats
from pbx.core.routing import CallFacts, CallKind, RoutingIndex, RoutingOptions, route

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # a Wednesday
KEY = "node:1700000000.1"
MAIN = "+13125550100"
SEQ = "+13125550120"
FWD = "+13125550130"
NIGHT = "+13125550140"
CUSTOMER = "+13125550177"

DIRECTORY = Directory(
    users=(
        User("Ann", "ann@example.com", mobile="+13125550101"),
        User("Bob", "bob@example.com", mobile="+13125550102"),
        User("Cat", "cat@example.com"),
    ),
    extensions=(
        Extension("101", "Ann", "pw"),
        Extension("102", "Bob", "pw"),
        Extension("103", "Cat", "pw"),
        Extension("104", "Ann", "pw", ring=RingTarget.CELL),
    ),
    groups=(
        RingGroup("Dispatch", Strategy.RING_ALL, ("101", "102"), ring_timeout=20, timeout=60),
        RingGroup("Line", Strategy.SEQUENTIAL, ("101", "102", "103"), ring_timeout=10, timeout=25),
    ),
    numbers=(
        BusinessNumber(MAIN, "Main", destination=Destination(DestKind.GROUP, "Dispatch")),
        BusinessNumber(SEQ, "Line", destination=Destination(DestKind.GROUP, "Line"), record=False),
        BusinessNumber(FWD, "Forward", forward="+13125550188"),
        BusinessNumber(
            NIGHT, "Night", destination=Destination(DestKind.EXTENSION, "101"), schedule="Closed"
        ),  # fmt: skip
    ),
    schedules=(
        Schedule(
            "Closed",
            "UTC",
            (OpenRange(0, 0, 1),),
            after_hours=(
                AfterHoursStep(AfterHoursKind.NUMBER, "+13125550189"),
                AfterHoursStep(AfterHoursKind.VOICEMAIL, "After Hours"),
            ),
        ),  # fmt: skip
    ),
    boxes=(VoicemailBox("After Hours"),),
    customers=(Customer("Acme", (CUSTOMER,), id=1),),
    jobs=(Job(1, "Boiler", id=7),),
    trunks=(Trunk("carrier", "127.0.0.2", "acct", "pw"),),
)
INDEX = RoutingIndex.build(DIRECTORY, RoutingOptions())
ALL_FREE = Presence({e: DeviceState.NOT_INUSE for e in ("101", "102", "103", "104")})


def ctx(presence: Presence = ALL_FREE, stats: RingStats | None = None) -> F.Context:
    return F.Context(INDEX, presence, stats or RingStats(), random.Random(1))


def start(number: str, caller: str = "+13125550166", at: datetime = T0, **kw: Any) -> Any:
    plan = route(CallFacts(CallKind.INBOUND, number, caller), INDEX, at)
    return F.begin(KEY, plan, at, ctx(**kw))


def dials(commands: list[F.Command]) -> list[str]:
    return [c.args for c in commands if isinstance(c, F.Dial)]


def record_of(*batches: list[F.Command]) -> Any:
    record = None
    for commands in batches:
        for c in commands:
            if isinstance(c, F.Write):
                record = apply(record, c.patch)
    return record


def test_ring_all_answered_records_the_winner_and_cancels_the_others() -> None:
    state, first = start(MAIN, caller=CUSTOMER)
    assert isinstance(first[0], F.Write) and first[0].patch.values["customer_id"] == 1
    assert dials(first) == ["PJSIP/101&PJSIP/102,20,cU(pbx-answered^pbx-1700000000.1)"]
    end = T0 + timedelta(seconds=65)
    state, last = F.step(
        state, F.CallEnded(end, "ANSWER", "102", answered_ms=60_000, cause=16), ctx()
    )
    record = record_of(first, last)
    assert record.disposition is Disposition.ANSWERED
    assert (record.handled_by_group, record.handled_by_ext, record.handled_by_user) == (
        "Dispatch", "102", "Bob",
    )  # fmt: skip
    assert (record.customer_id, record.job_id) == (1, 7)
    assert record.answered_at == T0 + timedelta(seconds=5) and record.ended_at == end
    assert [(leg.target, leg.outcome) for leg in record.legs] == [
        ("101", LegOutcome.ANSWERED_ELSEWHERE),
        ("102", LegOutcome.ANSWERED),
    ]
    assert record.hangup_cause == "normal clearing (16)"
    assert F.FetchRecording(KEY, "pbx-1700000000.1", T0) in last
    assert state.phase is F.Phase.DONE
    assert F.step(state, F.DialEnded(end, "NOANSWER"), ctx()) == (state, [])


def test_sequential_hunts_member_by_member_within_the_total_timeout() -> None:
    state, first = start(SEQ)
    assert dials(first) == ["PJSIP/101,10,cU(pbx-answered)"]  # the number is not recorded
    state, second = F.step(state, F.DialEnded(T0 + timedelta(seconds=10), "NOANSWER"), ctx())
    assert dials(second) == ["PJSIP/102,10,cU(pbx-answered)"]
    state, third = F.step(state, F.DialEnded(T0 + timedelta(seconds=20), "BUSY"), ctx())
    assert dials(third) == ["PJSIP/103,5,cU(pbx-answered)"]  # 5 s left of the group's 25
    state, fourth = F.step(state, F.DialEnded(T0 + timedelta(seconds=25), "NOANSWER"), ctx())
    assert fourth == [F.Hangup()] and state.outcome is Disposition.MISSED
    state, last = F.step(state, F.CallEnded(T0 + timedelta(seconds=25)), ctx())
    record = record_of(first, second, third, fourth, last)
    assert record.disposition is Disposition.MISSED
    assert record.handled_by_group == "Line" and record.handled_by_user is None
    assert [(leg.target, leg.outcome) for leg in record.legs] == [
        ("101", LegOutcome.NO_ANSWER),
        ("102", LegOutcome.BUSY),
        ("103", LegOutcome.NO_ANSWER),
    ]
    assert not any(isinstance(c, F.FetchRecording) for c in last)


def test_sequential_goes_round_again_until_the_timeout() -> None:
    group = replace(DIRECTORY.groups[1], members=("101", "102"), ring_timeout=10, timeout=35)
    index = RoutingIndex.build(
        replace(DIRECTORY, groups=(DIRECTORY.groups[0], group)), RoutingOptions()
    )
    context = F.Context(index, ALL_FREE, RingStats(), random.Random(1))
    plan = route(CallFacts(CallKind.INBOUND, SEQ, "+13125550166"), index, T0)
    state, commands = F.begin(KEY, plan, T0, context)
    rung = dials(commands)
    for seconds in (10, 20, 30):
        state, commands = F.step(
            state, F.DialEnded(T0 + timedelta(seconds=seconds), "NOANSWER"), context
        )
        rung += dials(commands)
    assert rung == ["PJSIP/101,10,cU(pbx-answered)", "PJSIP/102,10,cU(pbx-answered)", "PJSIP/101,10,cU(pbx-answered)", "PJSIP/102,5,cU(pbx-answered)"]


def test_members_who_cannot_ring_are_skipped_and_said_why() -> None:
    presence = Presence({"101": DeviceState.INUSE, "102": DeviceState.NOT_INUSE})
    state, first = start(MAIN, presence=presence)
    assert dials(first) == ["PJSIP/102,20,cU(pbx-answered^pbx-1700000000.1)"]
    assert any("101 is already on a call" in line for line in state.route)
    nobody = Presence({"101": DeviceState.UNAVAILABLE, "102": DeviceState.INUSE})
    state, commands = start(MAIN, presence=nobody)
    assert commands[-1] == F.Hangup() and state.outcome is Disposition.MISSED
    assert any("no member can ring now" in line for line in state.route)


def test_caller_hanging_up_while_it_rings_is_missed_with_the_legs_cancelled() -> None:
    state, first = start(MAIN)
    state, last = F.step(state, F.CallEnded(T0 + timedelta(seconds=3), "CANCEL", cause=16), ctx())
    record = record_of(first, last)
    assert record.disposition is Disposition.MISSED
    assert record.handled_by_group == "Dispatch"
    assert {leg.outcome for leg in record.legs} == {LegOutcome.CANCELLED}
    assert not any(isinstance(c, F.FetchRecording) for c in last)


def test_unknown_number_is_announced_and_failed() -> None:
    state, first = start("+13125550199")
    assert first[-1] == F.Announce("noservice")
    state, last = F.step(state, F.CallEnded(T0 + timedelta(seconds=4), cause=16), ctx())
    assert record_of(first, last).disposition is Disposition.FAILED


def test_forwarding_number_answered_is_forwarded() -> None:
    state, first = start(FWD)
    assert dials(first) == ["PJSIP/+13125550188@carrier,30,cU(pbx-answered^pbx-1700000000.1)"]
    state, last = F.step(
        state,
        F.CallEnded(T0 + timedelta(seconds=40), "ANSWER", "+13125550188@carrier", 30_000),
        ctx(),
    )
    assert record_of(first, last).disposition is Disposition.FORWARDED


def test_after_hours_chain_moves_on_when_a_step_is_not_answered() -> None:
    state, first = start(NIGHT)
    assert dials(first) == ["PJSIP/+13125550189@carrier,30,cU(pbx-answered^pbx-1700000000.1)"]
    state, second = F.step(state, F.DialEnded(T0 + timedelta(seconds=30), "NOANSWER"), ctx())
    assert second == [F.Voicemail("After Hours", "pbxvm-1700000000.1", None)]
    assert "voicemail box After Hours" in state.route[-1]


def test_a_message_left_is_voicemail_and_saved_after_the_call() -> None:
    state, first = start(NIGHT)
    at = T0 + timedelta(seconds=30)
    state, second = F.step(state, F.DialEnded(at, "NOANSWER"), ctx())
    assert state.phase is F.Phase.VOICEMAIL
    # A late or repeated result changes nothing while the message is recorded.
    assert F.step(state, F.DialEnded(at, "NOANSWER"), ctx()) == (state, [])
    state, third = F.step(state, F.MessageRecorded(at + timedelta(seconds=20)), ctx())
    assert third == [F.Announce("goodbye")]
    assert F.step(state, F.MessageRecorded(at), ctx()) == (state, [])
    state, last = F.step(state, F.CallEnded(at + timedelta(seconds=22), cause=16), ctx())
    record = record_of(first, second, third, last)
    assert record.disposition is Disposition.VOICEMAIL
    assert record.voicemail_box == "After Hours"
    saved = [c for c in last if isinstance(c, F.SaveMessage)]
    assert saved == [
        F.SaveMessage(
            KEY, "pbxvm-1700000000.1", "After Hours", "+13125550166", at,
            business_number=NIGHT,
        )
    ]  # fmt: skip


def test_a_caller_who_hangs_up_during_the_greeting_still_goes_to_the_box() -> None:
    # Whether a message was left is known only from the recording, after the call.
    state, first = start(NIGHT)
    state, second = F.step(state, F.DialEnded(T0 + timedelta(seconds=30), "NOANSWER"), ctx())
    state, last = F.step(state, F.CallEnded(T0 + timedelta(seconds=31), cause=16), ctx())
    assert record_of(first, second, last).disposition is Disposition.VOICEMAIL
    assert any(isinstance(c, F.SaveMessage) for c in last)


def test_a_box_removed_since_routing_ends_the_call_missed() -> None:
    state, first = start(NIGHT)
    index = RoutingIndex.build(replace(DIRECTORY, boxes=()), RoutingOptions())
    context = F.Context(index, ALL_FREE, RingStats(), random.Random(1))
    state, second = F.step(state, F.DialEnded(T0 + timedelta(seconds=30), "NOANSWER"), context)
    assert second == [F.Hangup()] and state.outcome is Disposition.MISSED
    assert "no longer exists" in state.route[-1]


def test_cell_target_rings_the_mobile_through_the_trunk() -> None:
    plan = route(CallFacts(CallKind.INTERNAL, "104", "101"), INDEX, T0)
    state, commands = F.begin(KEY, plan, T0, ctx())
    assert dials(commands) == ["PJSIP/+13125550101@carrier,30,cU(pbx-answered^pbx-1700000000.1)"]
    state, last = F.step(
        state, F.CallEnded(T0 + timedelta(seconds=9), "ANSWER", "+13125550101@carrier", 4000), ctx()
    )
    record = record_of(commands, last)
    assert record.disposition is Disposition.ANSWERED  # a user's cell, not a forward
    assert (record.handled_by_ext, record.handled_by_user) == ("104", "Ann")


def test_outbound_call_presents_the_caller_id_and_fails_when_the_trunk_refuses() -> None:
    plan = route(CallFacts(CallKind.INTERNAL, "3125550199", "102"), INDEX, T0)
    state, commands = F.begin(KEY, plan, T0, ctx())
    (dial,) = [c for c in commands if isinstance(c, F.Dial)]
    assert dial.args.startswith("PJSIP/+13125550199@carrier,60,c")
    assert dial.caller_id == MAIN  # Bob has no direct number
    state, commands = F.step(state, F.DialEnded(T0 + timedelta(seconds=1), "CHANUNAVAIL"), ctx())
    assert commands == [F.Hangup()] and state.outcome is Disposition.FAILED


def test_adopted_call_logs_only_its_end() -> None:
    state = F.adopt(KEY, route(CallFacts(CallKind.INBOUND, MAIN, ""), INDEX, T0), T0)
    state, commands = F.step(
        state, F.CallEnded(T0 + timedelta(seconds=30), "ANSWER", "101", 20_000), ctx()
    )
    (write,) = commands
    assert isinstance(write, F.Write) and write.patch.legs is None
    assert write.patch.values["handled_by_ext"] == "101"
    assert write.patch.values["disposition"] is Disposition.ANSWERED


def test_update_stats_remembers_idle_counts_and_round_robin_position() -> None:
    legs = (
        CallLeg(
            "101", LegKind.SOFTPHONE, T0, ext="101", group="Dispatch", outcome=LegOutcome.ANSWERED
        ),
        CallLeg(
            "102",
            LegKind.SOFTPHONE,
            T0,
            ext="102",
            group="Dispatch",
            outcome=LegOutcome.ANSWERED_ELSEWHERE,
        ),  # fmt: skip
    )
    end = T0 + timedelta(minutes=3)
    stats = F.update_stats(RingStats(answered_today={"101": 2}), legs, end)
    assert stats.last_call_end == {"101": end}
    assert stats.answered_today == {"101": 3}
    assert stats.round_robin_last == {"Dispatch": "101"}
    missed = tuple(replace(leg, outcome=LegOutcome.NO_ANSWER) for leg in legs)
    assert F.update_stats(RingStats(), missed, end).round_robin_last == {"Dispatch": "102"}


def test_recording_names_point_back_to_the_call() -> None:
    name = F.recording_name("aa:bb:cc:dd:ee:ff:1700000000.42")
    assert name == "pbx-1700000000.42"
    assert F.recording_channel(name) == "1700000000.42"
    assert F.recording_channel("voicemail-1") is None and F.recording_channel("pbx-../x") is None
    assert F.recording_channel(F.message_name(KEY), F.MESSAGE_PREFIX) == "1700000000.1"
    assert F.recording_channel(F.message_name(KEY)) is None
