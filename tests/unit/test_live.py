"""The live view of calls in progress: answering extensions, the call view, and which
users a call concerns (what a technician's event stream carries)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from pbx.core import callflow as F
from pbx.core.live import answering_extension, call_view, users_of
from pbx.core.routing import CallFacts, CallKind, route
from tests.unit.test_callflow import CUSTOMER, INDEX, KEY, MAIN, SEQ, T0, ctx, start


def placed(dialled: str, ext: str, **kw: Any) -> F.CallState:
    plan = route(CallFacts(CallKind.INTERNAL, dialled, ext, **kw), INDEX, T0)
    state, _ = F.begin(KEY, plan, T0, ctx())
    return state


# --- answering_extension ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "ext"),
    [
        ("PJSIP/101-0000001a", "101"),
        ("PJSIP/1200-00000003", "1200"),
        ("pjsip/102-0000001b", "102"),
        ("PJSIP/103", "103"),
        ("Local/+13125550101@pbx-oncall-0001;1", None),
        ("PJSIP/carrier-00000002", None),
        ("PJSIP/+13125550177@carrier-00000004", None),
        ("SIP/101-0000001a", None),
        ("PJSIP/-0000001a", None),
        ("PJSIP/", None),
        ("101", None),
        ("", None),
    ],
)
def test_answering_extension(peer: str, ext: str | None) -> None:
    assert answering_extension(peer) == ext


# --- an inbound call ringing a group ----------------------------------------------------


def test_inbound_call_ringing_a_group() -> None:
    state, _ = start(MAIN, caller=CUSTOMER)
    assert call_view(state) == {
        "call": KEY,
        "direction": "inbound",
        "caller": CUSTOMER,
        "called": MAIN,
        "business_number": MAIN,
        "customer": {"id": 1, "name": "Acme"},
        "job_id": 7,
        "phase": "ringing",
        "started_at": T0.isoformat(),
        "ringing": ["101", "102"],
        "answered_by": None,
        "voicemail_box": None,
    }
    assert users_of(state, INDEX) == {"Ann", "Bob"}
    assert users_of(state, None) == {"Ann", "Bob"}


def test_caller_without_customer() -> None:
    state, _ = start(MAIN)
    view = call_view(state)
    assert (view["customer"], view["job_id"]) == (None, None)
    assert view["caller"] == "+13125550166"


def test_view_is_plain_json() -> None:
    state, _ = start(MAIN, caller=CUSTOMER)
    view = call_view(state, answered_by="102")
    assert json.loads(json.dumps(view)) == view
    assert view["answered_by"] == "102"


def test_users_of_includes_earlier_waves() -> None:
    # a sequential group: Ann rang first, then Bob
    state, _ = start(SEQ)
    assert users_of(state, INDEX) == {"Ann"}
    assert call_view(state)["ringing"] == ["101"]
    state, _ = F.step(state, F.DialEnded(T0 + timedelta(seconds=10), "NOANSWER"), ctx())
    assert call_view(state)["ringing"] == ["102"]
    assert users_of(state, INDEX) == {"Ann", "Bob"}


def test_nothing_rings_once_the_call_ended() -> None:
    state, _ = start(MAIN, caller=CUSTOMER)
    end = T0 + timedelta(seconds=65)
    state, _ = F.step(state, F.CallEnded(end, "ANSWER", "102", answered_ms=60_000, cause=16), ctx())
    view = call_view(state, answered_by="102")
    assert (view["phase"], view["ringing"], view["answered_by"]) == ("done", [], "102")
    assert users_of(state, INDEX) == {"Ann", "Bob"}  # the legs that rang are kept


def test_ringing_is_shown_only_while_ringing() -> None:
    state, _ = start(MAIN)
    assert state.wave
    for phase in F.Phase:
        shown = call_view(replace(state, phase=phase))["ringing"]
        assert shown == (["101", "102"] if phase is F.Phase.RINGING else [])


def test_voicemail_box_is_shown() -> None:
    state, _ = start(MAIN)
    view = call_view(replace(state, phase=F.Phase.VOICEMAIL, voicemail_box="After Hours"))
    assert (view["phase"], view["voicemail_box"]) == ("voicemail", "After Hours")


def test_adopted_call_has_no_start_of_routing_but_a_view() -> None:
    plan = route(CallFacts(CallKind.INBOUND, MAIN, CUSTOMER), INDEX, T0)
    state = F.adopt(KEY, plan, T0)
    view = call_view(state)
    assert (view["phase"], view["ringing"]) == ("ringing", [])
    assert users_of(state, INDEX) == frozenset()


# --- an outbound call -------------------------------------------------------------------


def test_outbound_call_concerns_the_callers_user() -> None:
    state = placed(CUSTOMER, "103")
    view = call_view(state)
    assert (view["direction"], view["caller"], view["called"]) == ("outbound", "103", CUSTOMER)
    assert view["ringing"] == [CUSTOMER]
    assert view["customer"] == {"id": 1, "name": "Acme"}
    assert view["job_id"] == 7
    assert view["business_number"] is None
    assert users_of(state, INDEX) == {"Cat"}
    # without the index, the caller's user is not known
    assert users_of(state, None) == frozenset()


def test_outbound_call_to_a_stranger() -> None:
    state = placed("+13125550188", "104")  # Ann's second extension
    assert call_view(state)["customer"] is None
    assert users_of(state, INDEX) == {"Ann"}


def test_internal_call_concerns_caller_and_callee() -> None:
    state = placed("102", "103")
    view = call_view(state)
    assert (view["direction"], view["ringing"], view["customer"]) == ("internal", ["102"], None)
    assert users_of(state, INDEX) == {"Bob", "Cat"}


def test_unknown_caller_extension_adds_nobody() -> None:
    state = placed("102", "555")
    assert users_of(state, INDEX) == {"Bob"}
