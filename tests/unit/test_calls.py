"""Call records as values: patches, their merging and applying, the patch codec."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from pbx.core.calls import (
    CallLeg,
    CallPatch,
    CallRecord,
    Direction,
    Disposition,
    LegKind,
    LegOutcome,
    apply,
    close_open_legs,
    patch_from_dict,
    patch_to_dict,
)
from pbx.core.errors import InvalidInput
from pbx.services.calls import parse_when

T0 = datetime(2025, 11, 3, 15, 0, 0, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")
LEG_101 = CallLeg(
    "101",
    LegKind.SOFTPHONE,
    T0 + timedelta(seconds=1),
    user="Ann",
    ext="101",
    group="Dispatch",
    answered_at=T0 + timedelta(seconds=5),
    ended_at=T0 + timedelta(seconds=95),
    outcome=LegOutcome.ANSWERED,
)
LEG_CELL = CallLeg(
    "+13125550102",
    LegKind.CELL,
    T0 + timedelta(seconds=1),
    user="Bob",
    ext="102",
    group="Dispatch",
    ended_at=T0 + timedelta(seconds=5),
    outcome=LegOutcome.ANSWERED_ELSEWHERE,
)
START = CallPatch(
    "node1:1700000000.1",
    {
        "direction": Direction.INBOUND,
        "caller": "+13125550199",
        "called": "+13125550100",
        "business_number": "+13125550100",
        "started_at": T0,
        "customer_id": 3,
        "job_id": 7,
        "route": ("in business hours", "ring group Dispatch (ring-all)"),
    },
)
ANSWER = CallPatch(
    "node1:1700000000.1",
    {
        "answered_at": T0 + timedelta(seconds=5),
        "handled_by_group": "Dispatch",
        "handled_by_ext": "101",
        "handled_by_user": "Ann",
    },
    (LEG_101, LEG_CELL),
)
END = CallPatch(
    "node1:1700000000.1",
    {
        "ended_at": T0 + timedelta(seconds=95),
        "disposition": Disposition.ANSWERED,
        "hangup_cause": "normal",
        "recording": "2025/11/pbx-1700000000.1.wav",
    },
)


def fold(*patches: CallPatch) -> CallRecord | None:
    record: CallRecord | None = None
    for patch in patches:
        record = apply(record, patch)
    return record


@pytest.mark.parametrize("patch", [START, ANSWER, END, CallPatch("k"), CallPatch("k", legs=())])
def test_codec_round_trips_through_json(patch: CallPatch) -> None:
    text = json.dumps(patch_to_dict(patch))
    assert patch_from_dict(json.loads(text)) == patch


def test_codec_writes_plain_values() -> None:
    data = patch_to_dict(ANSWER)
    assert data["values"]["answered_at"] == "2025-11-03T15:00:05+00:00"
    assert data["legs"][0]["kind"] == "softphone"
    assert data["legs"][0]["outcome"] == "answered"
    assert data["legs"][1]["answered_at"] is None
    assert patch_to_dict(END)["values"]["disposition"] == "Answered"
    assert patch_to_dict(START)["values"]["route"] == [
        "in business hours",
        "ring group Dispatch (ring-all)",
    ]
    assert patch_to_dict(START)["legs"] is None
    assert patch_to_dict(CallPatch("k", legs=()))["legs"] == []


def test_codec_keeps_offsets_and_reads_naive_times_as_utc() -> None:
    local = datetime(2025, 7, 1, 9, 30, tzinfo=CHICAGO)
    data = patch_to_dict(CallPatch("k", {"started_at": local}))
    assert data["values"]["started_at"] == "2025-07-01T09:30:00-05:00"
    back = patch_from_dict(data).values["started_at"]
    assert back == local and back.utcoffset() == timedelta(hours=-5)
    naive = patch_from_dict({"key": "k", "values": {"ended_at": "2025-07-01T14:30:00"}})
    assert naive.values["ended_at"] == datetime(2025, 7, 1, 14, 30, tzinfo=UTC)
    assert (
        patch_to_dict(CallPatch("k", {"ended_at": datetime(2025, 7, 1)}))["values"]["ended_at"]
        == "2025-07-01T00:00:00+00:00"
    )


def test_codec_decodes_enums_and_ids() -> None:
    patch = patch_from_dict(
        {"key": "k", "values": {"direction": "outbound", "disposition": "Missed", "job_id": "4"}}
    )
    assert patch.values == {
        "direction": Direction.OUTBOUND,
        "disposition": Disposition.MISSED,
        "job_id": 4,
    }
    assert patch.legs is None


@pytest.mark.parametrize(
    "data",
    [
        {"values": {}},  # no key
        {"key": "k", "values": {"colour": "red"}},  # not a call record field
        {"key": "k", "values": {"direction": "sideways"}},
        {"key": "k", "values": {"started_at": "yesterday"}},
        {"key": "k", "values": [1, 2]},
        {"key": "k", "legs": [{"target": "101"}]},  # a leg without kind and start
        {"key": "k", "legs": [{"target": "101", "kind": "pager", "started_at": "2025-01-01"}]},
    ],
)
def test_codec_refuses_what_is_not_a_patch(data: dict[str, object]) -> None:
    with pytest.raises((ValueError, KeyError)):
        patch_from_dict(data)


def test_then_merges_in_order_and_keeps_the_latest_legs() -> None:
    merged = START.then(ANSWER).then(END)
    assert merged.key == START.key
    assert merged.values == {**START.values, **ANSWER.values, **END.values}
    assert merged.legs == (LEG_101, LEG_CELL)
    later = CallPatch(START.key, {"disposition": Disposition.MISSED}, ())
    assert merged.then(later).legs == ()
    assert merged.then(later).values["disposition"] is Disposition.MISSED
    assert CallPatch(START.key, legs=(LEG_101,)).then(CallPatch(START.key)).legs == (LEG_101,)


def test_then_refuses_another_call() -> None:
    with pytest.raises(ValueError):
        START.then(CallPatch("node1:other"))


def test_merged_patch_applies_like_the_sequence() -> None:
    assert apply(None, START.then(ANSWER).then(END)) == fold(START, ANSWER, END)


def test_apply_builds_the_record() -> None:
    record = fold(START, ANSWER, END)
    assert record == CallRecord(
        key=START.key,
        direction=Direction.INBOUND,
        caller="+13125550199",
        called="+13125550100",
        started_at=T0,
        business_number="+13125550100",
        handled_by_ext="101",
        handled_by_group="Dispatch",
        handled_by_user="Ann",
        customer_id=3,
        job_id=7,
        answered_at=T0 + timedelta(seconds=5),
        ended_at=T0 + timedelta(seconds=95),
        disposition=Disposition.ANSWERED,
        hangup_cause="normal",
        recording="2025/11/pbx-1700000000.1.wav",
        route=("in business hours", "ring group Dispatch (ring-all)"),
        legs=(LEG_101, LEG_CELL),
    )
    assert record is not None and record.duration == 90.0


def test_apply_is_idempotent() -> None:
    once = fold(START, ANSWER, END)
    assert fold(START, ANSWER, END, START, ANSWER, END) == once
    assert once is not None and apply(once, END) == once


def test_apply_without_a_start_gives_neutral_values() -> None:
    record = apply(None, END)
    assert (record.direction, record.caller, record.called) == (Direction.INBOUND, "", "")
    assert record.started_at == datetime.fromtimestamp(0, UTC)
    assert record.disposition is Disposition.ANSWERED and record.legs == ()
    assert record.duration is None


# -- closing the legs an end without legs left open (an adopted call) --------

RINGING_101 = CallLeg(
    "101", LegKind.SOFTPHONE, T0 + timedelta(seconds=1), user="Ann", ext="101", group="Dispatch"
)
RINGING_CELL = replace(LEG_CELL, ended_at=None, outcome=None)
ADOPTED_START = CallPatch(START.key, START.values, legs=(RINGING_CELL, RINGING_101))
T_ANSWER = T0 + timedelta(seconds=5)
T_END = T0 + timedelta(seconds=95)


def adopted_end(answered: bool, **values: object) -> CallRecord:
    end: dict[str, object] = {
        "ended_at": T_END,
        "answered_at": T_ANSWER if answered else None,
        "disposition": Disposition.ANSWERED if answered else Disposition.MISSED,
        "hangup_cause": "normal clearing (16)",
    }
    if answered:
        end["handled_by_ext"] = "101"
    record = fold(ADOPTED_START, CallPatch(START.key, {**end, **values}))
    assert record is not None
    return record


def test_close_open_legs_of_an_answered_call() -> None:
    closed = close_open_legs(adopted_end(answered=True))
    assert closed.legs == (
        replace(RINGING_CELL, ended_at=T_END, outcome=LegOutcome.ANSWERED_ELSEWHERE),
        replace(RINGING_101, answered_at=T_ANSWER, ended_at=T_END, outcome=LegOutcome.ANSWERED),
    )
    assert (closed.handled_by_ext, closed.handled_by_group, closed.handled_by_user) == (
        "101",
        "Dispatch",
        "Ann",
    )
    assert close_open_legs(closed) == closed


def test_close_open_legs_keeps_what_the_record_knows() -> None:
    record = adopted_end(answered=True, handled_by_group="Sales", handled_by_user="Cat")
    closed = close_open_legs(record)
    assert (closed.handled_by_group, closed.handled_by_user) == ("Sales", "Cat")
    assert closed.legs[1].outcome is LegOutcome.ANSWERED


def test_close_open_legs_without_the_answering_ext() -> None:
    # the ext is unknown: the only open leg answered; of several open legs none is guessed
    unknown = replace(adopted_end(answered=True), handled_by_ext=None)
    closed = close_open_legs(replace(unknown, legs=(LEG_CELL, RINGING_101)))
    assert closed.legs[1].outcome is LegOutcome.ANSWERED
    assert (closed.handled_by_ext, closed.handled_by_user) == ("101", "Ann")
    both_open = close_open_legs(unknown)
    assert [leg.outcome for leg in both_open.legs] == [LegOutcome.ANSWERED_ELSEWHERE] * 2
    assert both_open.handled_by_user is None


def test_close_open_legs_of_an_unanswered_call() -> None:
    closed = close_open_legs(adopted_end(answered=False))
    assert closed.legs == (
        replace(RINGING_CELL, ended_at=T_END, outcome=LegOutcome.NO_ANSWER),
        replace(RINGING_101, ended_at=T_END, outcome=LegOutcome.NO_ANSWER),
    )
    assert (closed.handled_by_ext, closed.handled_by_group, closed.handled_by_user) == (
        None,
        None,
        None,
    )


def test_close_open_legs_leaves_closed_legs_and_calls_in_progress() -> None:
    record = fold(START, ANSWER, END)
    assert record is not None
    assert close_open_legs(record) == record  # no open leg
    partly = replace(adopted_end(answered=True), legs=(LEG_CELL, RINGING_101))
    closed = close_open_legs(partly)
    assert closed.legs[0] == LEG_CELL
    assert closed.legs[1].outcome is LegOutcome.ANSWERED
    ringing = fold(ADOPTED_START)
    assert ringing is not None and close_open_legs(ringing) == ringing  # not ended


def test_patches_refuse_unknown_fields() -> None:
    with pytest.raises(ValueError):
        CallPatch("k", {"key": "other"})
    with pytest.raises(ValueError):
        CallPatch("k", {"legs": ()})


# -- `pbx calls list --since/--until` -----------------------------------------

NOW = datetime(2025, 11, 3, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", NOW - timedelta(minutes=90)),
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        (" 2W ", NOW - timedelta(weeks=2)),
        ("2025-11-01", datetime(2025, 11, 1, tzinfo=CHICAGO)),
        ("2025-11-01 08:30", datetime(2025, 11, 1, 8, 30, tzinfo=CHICAGO)),
        ("2025-11-01T08:30", datetime(2025, 11, 1, 8, 30, tzinfo=CHICAGO)),
        ("2025-11-01 08:30+00:00", datetime(2025, 11, 1, 8, 30, tzinfo=UTC)),
    ],
)
def test_parse_when(text: str, expected: datetime) -> None:
    assert parse_when("since", text, NOW, CHICAGO) == expected


def test_parse_when_uses_the_zone_rules_of_the_day() -> None:
    summer = parse_when("since", "2025-07-01", NOW, CHICAGO)
    winter = parse_when("since", "2025-12-01", NOW, CHICAGO)
    assert summer.utcoffset() == timedelta(hours=-5)
    assert winter.utcoffset() == timedelta(hours=-6)
    fixed = parse_when("since", "2025-12-01", NOW, timezone(timedelta(hours=2)))
    assert fixed == datetime(2025, 11, 30, 22, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "", "7", "7y", "2025-13-01", "2025", "-5m", "1.5h"])
def test_parse_when_refuses_nonsense(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_when("since", text, NOW, CHICAGO)
    assert error.value.field == "since"
    assert "90m, 24h, 7d" in error.value.reason
