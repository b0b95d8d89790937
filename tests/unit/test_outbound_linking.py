"""Outbound calls linked to the customer called: by their phone (and their newest open
job), or as click-to-dial says (explicit customer and job). Uses the routing tests'
directory: Dana (#1, open jobs #1 and #3, closed #2 and #5), Gus (#2, no jobs),
Hal (#3, job #4, shares a phone with Dana), Ivy (#4)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pbx.core.calls import Direction
from pbx.core.routing import CallFacts, CallKind, Plan, RoutingIndex, RoutingOptions, route
from tests.unit.test_routing import (
    DANA,
    DANA_2,
    DIRECTORY,
    GUS,
    INDEX,
    IVY,
    OPEN,
    SAT_NIGHT,
    STRANGER,
)


def dial(
    dialled: str,
    caller: str = "101",
    customer_id: int | None = None,
    job_id: int | None = None,
    index: RoutingIndex = INDEX,
) -> Plan:
    facts = CallFacts(CallKind.INTERNAL, dialled, caller, customer_id=customer_id, job_id=job_id)
    return route(facts, index, OPEN)


def linked(plan: Plan) -> tuple[int | None, str | None, int | None]:
    return (plan.customer_id, plan.customer_name, plan.job_id)


def customer_notes(plan: Plan) -> list[str]:
    return [n for n in plan.notes if n.startswith("called customer")]


# --- matched by the number --------------------------------------------------------------


def test_call_to_a_customers_phone_links_them_and_their_open_job() -> None:
    plan = dial(DANA)
    assert plan.direction is Direction.OUTBOUND
    assert (plan.caller, plan.called) == ("101", DANA)
    assert linked(plan) == (1, "Dana Homeowner", 3)
    assert customer_notes(plan) == ["called customer Dana Homeowner (#1), job #3 'Boiler repair'"]


def test_number_dialled_in_local_format_is_matched() -> None:
    assert linked(dial("(312) 555-0177")) == (1, "Dana Homeowner", 3)
    assert linked(dial("13125550177")) == (1, "Dana Homeowner", 3)


def test_shared_phone_links_the_lowest_id() -> None:
    assert linked(dial(DANA_2)) == (1, "Dana Homeowner", 3)


def test_customer_without_open_job() -> None:
    plan = dial(GUS)
    assert linked(plan) == (2, "Gus Garage", None)
    assert customer_notes(plan) == ["called customer Gus Garage (#2), no open job"]


def test_linking_does_not_depend_on_the_caller() -> None:
    for caller in ("101", "102", "1200", "104"):
        assert linked(dial(IVY, caller)) == (4, "Ivy Inn", None)


def test_linking_does_not_depend_on_the_time() -> None:
    facts = CallFacts(CallKind.INTERNAL, DANA, "101")
    assert linked(route(facts, INDEX, SAT_NIGHT)) == (1, "Dana Homeowner", 3)


# --- no customer ------------------------------------------------------------------------


def test_call_to_a_non_customer_number_has_no_customer() -> None:
    plan = dial(STRANGER)
    assert plan.direction is Direction.OUTBOUND
    assert linked(plan) == (None, None, None)
    assert customer_notes(plan) == []


def test_internal_calls_have_no_customer() -> None:
    for dialled in ("102", "600", "601"):  # an extension, ring groups
        plan = dial(dialled)
        assert plan.direction is Direction.INTERNAL
        assert linked(plan) == (None, None, None)
        assert customer_notes(plan) == []


def test_invalid_and_emergency_dialling_have_no_customer() -> None:
    for dialled in ("12345", "", "911"):
        assert linked(dial(dialled)) == (None, None, None)


def test_inbound_linking_is_unchanged_by_explicit_ids() -> None:
    # customer_id / job_id are click-to-dial facts; an inbound call is matched by caller ID
    facts = CallFacts(CallKind.INBOUND, "+13125550100", DANA, customer_id=2, job_id=4)
    plan = route(facts, INDEX, OPEN)
    assert linked(plan) == (1, "Dana Homeowner", 3)


# --- click-to-dial: explicit customer and job -------------------------------------------


def test_explicit_customer_wins_over_the_number() -> None:
    plan = dial(DANA, customer_id=2)
    assert linked(plan) == (2, "Gus Garage", None)
    assert customer_notes(plan) == ["called customer Gus Garage (#2), no open job"]


def test_explicit_customer_of_a_stranger_number() -> None:
    assert linked(dial(STRANGER, customer_id=3)) == (3, "Hal Homeowner", 4)


def test_explicit_customer_without_job_gets_their_open_job() -> None:
    assert linked(dial(DANA_2, customer_id=3)) == (3, "Hal Homeowner", 4)
    assert linked(dial(STRANGER, customer_id=1)) == (1, "Dana Homeowner", 3)


def test_explicit_job_wins_over_the_newest_open_job() -> None:
    plan = dial(DANA, customer_id=1, job_id=1)
    assert linked(plan) == (1, "Dana Homeowner", 1)
    assert customer_notes(plan) == ["called customer Dana Homeowner (#1), job #1 'Furnace repair'"]
    # a job given alone, of the customer matched by the number
    assert linked(dial(DANA, job_id=1)) == (1, "Dana Homeowner", 1)


def test_explicit_closed_job_is_kept() -> None:
    assert linked(dial(DANA, customer_id=1, job_id=2)) == (1, "Dana Homeowner", 2)


def test_job_of_another_customer_is_ignored() -> None:
    # job #4 is Hal's: Dana's open job is linked instead
    assert linked(dial(DANA, job_id=4)) == (1, "Dana Homeowner", 3)
    assert linked(dial(DANA, customer_id=1, job_id=4)) == (1, "Dana Homeowner", 3)
    assert linked(dial(STRANGER, customer_id=2, job_id=1)) == (2, "Gus Garage", None)


def test_job_alone_to_a_stranger_links_nothing() -> None:
    assert linked(dial(STRANGER, job_id=3)) == (None, None, None)


def test_unknown_ids_fall_back_to_the_number() -> None:
    assert linked(dial(DANA, customer_id=99)) == (1, "Dana Homeowner", 3)
    assert linked(dial(DANA, job_id=99)) == (1, "Dana Homeowner", 3)
    assert linked(dial(STRANGER, customer_id=99, job_id=99)) == (None, None, None)


def test_index_built_from_the_same_directory_links_the_same() -> None:
    fresh = RoutingIndex.build(DIRECTORY, RoutingOptions())
    assert linked(dial(DANA, index=fresh)) == linked(dial(DANA))


CUSTOMER_IDS = st.sampled_from([None, 1, 2, 3, 4, 99])
JOB_IDS = st.sampled_from([None, 1, 2, 3, 4, 5, 99])
DIALLED = st.sampled_from([DANA, DANA_2, GUS, IVY, STRANGER, "102", "600"])


@given(DIALLED, CUSTOMER_IDS, JOB_IDS)
def test_a_linked_job_is_always_the_linked_customers(
    dialled: str, customer_id: int | None, job_id: int | None
) -> None:
    plan = dial(dialled, customer_id=customer_id, job_id=job_id)
    jobs = {j.id: j for j in DIRECTORY.jobs}
    customers = {c.id: c for c in DIRECTORY.customers}
    if plan.customer_id is None:
        assert (plan.customer_name, plan.job_id) == (None, None)
        assert customer_notes(plan) == []
        return
    assert plan.customer_name == customers[plan.customer_id].name
    if customer_id in customers:
        assert plan.customer_id == customer_id  # an explicit, known customer always wins
    if plan.job_id is not None:
        assert jobs[plan.job_id].customer_id == plan.customer_id
    if job_id in jobs and jobs[job_id].customer_id == plan.customer_id:
        assert plan.job_id == job_id  # an explicit job of that customer always wins
    assert len(customer_notes(plan)) == 1
