"""The call log as values: one record per call, with the legs that were rung.

Asterisk's own CDR is not our record. A record is identified by its `key`
(`<asterisk node>:<linkedid>`), so writing the same knowledge twice is
harmless. Records are built up by `CallPatch`es: each patch sets some fields
of one call (and optionally replaces its legs); applying patches in order
gives the record, and applying one again changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Direction(StrEnum):
    INBOUND = "inbound"  # from the trunk to a business number
    OUTBOUND = "outbound"  # from a phone out through the trunk
    INTERNAL = "internal"  # between extensions / to a ring group's extension


class Disposition(StrEnum):
    ANSWERED = "Answered"
    MISSED = "Missed"
    VOICEMAIL = "Voicemail"
    FORWARDED = "Forwarded"
    FAILED = "Failed"


class LegKind(StrEnum):
    SOFTPHONE = "softphone"  # a SIP endpoint of an extension
    CELL = "cell"  # a user's mobile, through the trunk
    NUMBER = "number"  # an outside number (forwarding, after-hours, outbound)


class LegOutcome(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"
    ANSWERED_ELSEWHERE = "answered-elsewhere"  # another leg won: never a missed call
    CANCELLED = "cancelled"  # the caller hung up while it rang
    FAILED = "failed"


@dataclass(frozen=True)
class CallLeg:
    """One attempt to reach one target during a call."""

    target: str  # extension number, or the E.164 number dialled
    kind: LegKind
    started_at: datetime
    user: str | None = None
    ext: str | None = None  # the member extension this leg rang for (cell legs too)
    group: str | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: LegOutcome | None = None


@dataclass(frozen=True)
class CallRecord:
    """Everything the call log keeps about one call.

    `handled_by_user` is the user who actually answered (HandledByUserId),
    never a group; `handled_by_ext` / `handled_by_group` say what the call was
    routed to. `customer_id` / `job_id` link the caller's customer and its open
    job (LinkedCustomerId). `disposition` is None while the call is in progress.
    `recording` is the recording's path inside the recording store.
    `voicemail_box` / `transcript`: the message left, when the call went to voicemail.
    """

    key: str
    direction: Direction
    caller: str
    called: str
    started_at: datetime
    business_number: str | None = None
    handled_by_ext: str | None = None
    handled_by_group: str | None = None
    handled_by_user: str | None = None
    customer_id: int | None = None
    job_id: int | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    disposition: Disposition | None = None
    hangup_cause: str | None = None
    recording: str | None = None
    voicemail_box: str | None = None  # the box the caller left a message in
    transcript: str | None = None  # of that message, once transcribed
    route: tuple[str, ...] = ()  # what routing decided, step by step, with reasons
    legs: tuple[CallLeg, ...] = ()
    # A call that went to on-call: the shift, the outcome (Dispatched, Declined, No
    # Answer) and seconds from the start to the technician's confirmed answer.
    oncall_shift: int | None = None
    oncall_outcome: str | None = None
    response_seconds: float | None = None
    # The caller's answer to the after-hours triage (callflow.Triage), when it was asked.
    triage: str | None = None
    id: int | None = None

    @property
    def duration(self) -> float | None:
        """Seconds from answer to end (talk time), when answered and ended."""
        if self.answered_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.answered_at).total_seconds()


# Fields a patch may set (everything but the key, the legs and the database id).
PATCH_FIELDS = frozenset(f.name for f in fields(CallRecord)) - {"key", "legs", "id"}


@dataclass(frozen=True)
class CallPatch:
    """Set `values` (CallRecord field -> value) on call `key`; replace its legs when given."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)
    legs: tuple[CallLeg, ...] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.values) - PATCH_FIELDS
        if unknown:
            raise ValueError(f"unknown call record fields: {sorted(unknown)}")

    def then(self, later: CallPatch) -> CallPatch:
        """One patch with the effect of applying this one, then `later` (same key)."""
        if later.key != self.key:
            raise ValueError("patches of different calls cannot be merged")
        legs = later.legs if later.legs is not None else self.legs
        return CallPatch(self.key, {**self.values, **later.values}, legs)


def apply(record: CallRecord | None, patch: CallPatch) -> CallRecord:
    """The record after `patch` (a new record when `record` is None).

    A new record takes its mandatory fields from the patch; missing ones get
    neutral values (an inbound call from and to '' that started at the epoch)
    so that a patch that arrives without its start (a lost journal) still
    leaves a record.
    """
    if record is None:
        record = CallRecord(
            key=patch.key,
            direction=Direction.INBOUND,
            caller="",
            called="",
            started_at=datetime.fromtimestamp(0, UTC),
        )
    out = replace(record, **dict(patch.values))
    if patch.legs is not None:
        out = replace(out, legs=patch.legs)
    return out


def close_open_legs(record: CallRecord) -> CallRecord:
    """An ended call's record with none of its legs left open.

    A call's end can come without its legs (a controller that adopted a ringing
    call after a restart knows how it ended, not what rang), leaving the legs
    written before open. Each leg without an outcome ends when the call did. In
    an answered call the first open leg of `handled_by_ext` answered (when
    `handled_by_ext` is unknown and no leg answered yet: the only open leg) and
    the others were answered elsewhere; in an unanswered call they rang
    unanswered (no-answer). `handled_by_ext`, `handled_by_group` and
    `handled_by_user`, when None, come from the leg that answered. A call in
    progress, or one without open legs, is returned as it is.
    """
    end = record.ended_at
    open_legs = [i for i, leg in enumerate(record.legs) if leg.outcome is None]
    if end is None or not open_legs:
        return record
    answered = record.disposition in (Disposition.ANSWERED, Disposition.FORWARDED)
    winner: int | None = None
    if answered and all(leg.outcome is not LegOutcome.ANSWERED for leg in record.legs):
        ext = record.handled_by_ext
        if ext is None:
            winner = open_legs[0] if len(open_legs) == 1 else None
        else:
            winner = next((i for i in open_legs if record.legs[i].ext == ext), None)
    lost = LegOutcome.ANSWERED_ELSEWHERE if answered else LegOutcome.NO_ANSWER
    legs = list(record.legs)
    for i in open_legs:
        if i == winner:
            when = legs[i].answered_at or record.answered_at or end
            legs[i] = replace(legs[i], answered_at=when, ended_at=end, outcome=LegOutcome.ANSWERED)
        else:
            legs[i] = replace(legs[i], ended_at=legs[i].ended_at or end, outcome=lost)
    out = replace(record, legs=tuple(legs))
    won = next((leg for leg in legs if leg.outcome is LegOutcome.ANSWERED), None)
    if not answered or won is None:
        return out
    return replace(
        out,
        handled_by_ext=record.handled_by_ext or won.ext,
        handled_by_group=record.handled_by_group or won.group,
        handled_by_user=record.handled_by_user or won.user,
    )


# -- the patch codec: plain JSON-ready dicts (for the call log's journal) ----

_TIMES = frozenset({"started_at", "answered_at", "ended_at"})
_INTS = frozenset({"customer_id", "job_id"})
_ENUMS: dict[str, type[StrEnum]] = {"direction": Direction, "disposition": Disposition}


def _time_out(value: datetime) -> str:
    """ISO 8601 with its offset; a naive datetime is taken to be UTC."""
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()


def _time_in(text: Any) -> datetime:
    value = datetime.fromisoformat(str(text))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _value_out(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _TIMES:
        return _time_out(value)
    if name == "route":
        return [str(line) for line in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def _value_in(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _TIMES:
        return _time_in(value)
    if name == "route":
        return tuple(str(line) for line in value)
    if name in _ENUMS:
        return _ENUMS[name](value)
    if name in _INTS:
        return int(value)
    return str(value)


def _leg_to_dict(leg: CallLeg) -> dict[str, Any]:
    return {
        "target": leg.target,
        "kind": leg.kind.value,
        "started_at": _time_out(leg.started_at),
        "user": leg.user,
        "ext": leg.ext,
        "group": leg.group,
        "answered_at": None if leg.answered_at is None else _time_out(leg.answered_at),
        "ended_at": None if leg.ended_at is None else _time_out(leg.ended_at),
        "outcome": None if leg.outcome is None else leg.outcome.value,
    }


def _leg_from_dict(d: Mapping[str, Any]) -> CallLeg:
    def when(name: str) -> datetime | None:
        return None if d.get(name) is None else _time_in(d[name])

    def text(name: str) -> str | None:
        return None if d.get(name) is None else str(d[name])

    return CallLeg(
        target=str(d["target"]),
        kind=LegKind(d["kind"]),
        started_at=_time_in(d["started_at"]),
        user=text("user"),
        ext=text("ext"),
        group=text("group"),
        answered_at=when("answered_at"),
        ended_at=when("ended_at"),
        outcome=None if d.get("outcome") is None else LegOutcome(d["outcome"]),
    )


def patch_to_dict(patch: CallPatch) -> dict[str, Any]:
    """`patch` as plain data for JSON: datetimes as ISO strings with offsets, enums as values.

    `legs` is None when the patch leaves the legs alone, else a list of dicts.
    """
    return {
        "key": patch.key,
        "values": {name: _value_out(name, v) for name, v in sorted(patch.values.items())},
        "legs": None if patch.legs is None else [_leg_to_dict(leg) for leg in patch.legs],
    }


def patch_from_dict(d: Mapping[str, Any]) -> CallPatch:
    """The patch `patch_to_dict` described; ValueError (or KeyError) when `d` is not one."""
    values = d.get("values") or {}
    if not isinstance(values, Mapping):
        raise ValueError("values must be an object")
    legs = d.get("legs")
    return CallPatch(
        key=str(d["key"]),
        values={str(name): _value_in(str(name), v) for name, v in values.items()},
        legs=None if legs is None else tuple(_leg_from_dict(leg) for leg in legs),
    )
