"""Failsafe log lines (calls the dialplan carried without the controller) as call-log patches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pbx.core.calls import CallPatch, Direction, Disposition, apply
from pbx.core.failsafe import BadLine, continued, patch_from_line

START = 1_795_000_000
END = START + 42


def line(kind: str = "inbound", status: str = "ANSWER", peer: str = "103", **kw: str) -> str:
    fields = {
        "uniqueid": f"{START}.17",
        "kind": kind,
        "end": str(END),
        "caller": "+13125550142",
        "dialled": "+13125550100",
        "status": status,
        "peer": peer,
        "answered_ms": "30000" if status == "ANSWER" else "0",
        "cause": "16",
    }
    fields.update(kw)
    return "|".join(fields.values()) + "\n"


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def test_an_answered_inbound_call_to_an_extension() -> None:
    patch = patch_from_line(line(), "node1")
    record = apply(None, patch)
    assert patch.key == f"node1:{START}.17"
    assert (record.direction, record.caller, record.called) == (
        Direction.INBOUND, "+13125550142", "+13125550100",
    )  # fmt: skip
    assert record.business_number == "+13125550100"
    assert (record.disposition, record.handled_by_ext) == (Disposition.ANSWERED, "103")
    assert record.started_at == at(START)
    assert record.answered_at == at(END) - timedelta(seconds=30)
    assert record.ended_at == at(END)
    assert record.hangup_cause == "16"
    assert "failsafe" in record.route[0] and "answered by 103" in record.route[0]


def test_answered_through_the_trunk_is_forwarded() -> None:
    record = apply(None, patch_from_line(line(peer="+14155550123@carrier"), "n"))
    assert record.disposition is Disposition.FORWARDED
    assert record.handled_by_ext is None


@pytest.mark.parametrize(
    ("kind", "status", "dialled", "direction", "disposition"),
    [
        ("inbound", "NOANSWER", "+13125550100", Direction.INBOUND, Disposition.MISSED),
        ("inbound", "CANCEL", "+13125550100", Direction.INBOUND, Disposition.MISSED),
        ("inbound", "", "+13125550100", Direction.INBOUND, Disposition.MISSED),  # no fallback
        ("inbound", "CHANUNAVAIL", "+13125550100", Direction.INBOUND, Disposition.FAILED),
        ("internal", "BUSY", "102", Direction.INTERNAL, Disposition.MISSED),
        ("internal", "CONGESTION", "+13125550199", Direction.OUTBOUND, Disposition.FAILED),
        ("internal", "", "999", Direction.INTERNAL, Disposition.FAILED),  # nothing to ring
    ],
)
def test_unanswered_calls(
    kind: str, status: str, dialled: str, direction: Direction, disposition: Disposition
) -> None:
    record = apply(None, patch_from_line(line(kind, status, "", dialled=dialled), "n"))
    assert (record.direction, record.disposition) == (direction, disposition)
    assert record.answered_at is None and record.handled_by_ext is None
    assert record.business_number == (dialled if kind == "inbound" else None)


def test_start_from_a_uniqueid_with_a_system_name_and_never_after_the_end() -> None:
    named = apply(None, patch_from_line(line(uniqueid=f"pbx-1-{START}.3"), "n"))
    assert named.started_at == at(START)
    odd = apply(None, patch_from_line(line(uniqueid="abc"), "n"))
    assert odd.started_at == at(END)
    late = apply(None, patch_from_line(line(uniqueid=f"{END + 100}.1"), "n"))
    assert late.started_at == at(END)


def test_answered_time_longer_than_the_call_is_clamped() -> None:
    record = apply(None, patch_from_line(line(answered_ms="99999999"), "n"))
    assert record.answered_at == at(START)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "fields"),
        ("a|b|c", "fields"),
        (line(kind="outbound"), "kind"),
        (line(uniqueid=""), "uniqueid"),
        (line(end="soon"), "Unix time"),
        (line(answered_ms="x"), "not a number"),
    ],
)
def test_lines_that_cannot_be_read(text: str, reason: str) -> None:
    with pytest.raises(BadLine, match=reason):
        patch_from_line(text, "n")


def test_a_call_the_controller_had_routed_keeps_how_it_came_in_and_its_route() -> None:
    routed = apply(
        None,
        CallPatch(
            f"node1:{START}.17",
            {
                "direction": Direction.INBOUND,
                "caller": "+13125550142",
                "called": "+13125550100",
                "business_number": "+13125550100",
                "started_at": at(START) + timedelta(milliseconds=250),
                "handled_by_group": "Dispatch",
                "route": ("in business hours", "ring group Dispatch (ring-all)"),
            },
        ),
    )
    record = apply(routed, continued(patch_from_line(line(status="NOANSWER"), "node1"), routed))
    assert record.started_at == routed.started_at  # the controller's instant, not the second
    assert record.handled_by_group == "Dispatch"
    assert record.route[:2] == routed.route and "failsafe" in record.route[2]
    assert (record.disposition, record.ended_at) == (Disposition.MISSED, at(END))
