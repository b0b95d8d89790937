"""Click-to-dial planning: which phone rings first, the number called, and the customer
and job the call is logged against."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbx.core.clicktodial import DialRequest, plan
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import Customer, Directory, Extension, Job, JobStatus, Role, User
from tests.unit.expect import reject

ACME = "+13125550177"  # Acme (#2) only
SHARED = "+13125550178"  # Acme (#2) and Beta (#1): Beta has the lower id
GUS = "+13125550179"  # Gus (#4), no jobs
STRANGER = "+13125550188"
LONDON = "+442079460958"
TORONTO = "+14165550100"  # +1 too: not international from the US

DIRECTORY = Directory(
    users=(
        User("Ann", "ann@example.com", role=Role.DISPATCHER),
        User("Bob", "bob@example.com"),
        User("Cat", "cat@example.com"),
        User("Dan", "dan@example.com", active=False),
        User("Eve", "eve@example.com"),
    ),
    extensions=(
        # Ann: a browser softphone with the lowest number, and three desk phones
        Extension("100", "Ann", "pw", webrtc=True),
        Extension("1000", "Ann", "pw"),
        Extension("120", "Ann", "pw"),
        Extension("110", "Ann", "pw"),
        # Bob: only browser softphones
        Extension("901", "Bob", "pw", webrtc=True),
        Extension("900", "Bob", "pw", webrtc=True),
        # Cat: "999" sorts after "1000" as text, before it as a number
        Extension("1001", "Cat", "pw"),
        Extension("999", "Cat", "pw"),
        Extension("104", "Dan", "pw"),
    ),
    customers=(
        Customer("Acme", (ACME, SHARED), owner="Bob", id=2),
        Customer("Beta", (SHARED,), id=1),
        Customer("Gus", (GUS,), id=4),
    ),
    jobs=(
        Job(2, "Boiler", id=3),
        Job(2, "Furnace", id=5),
        Job(2, "Closed later", JobStatus.CLOSED, id=9),
        Job(1, "Beta, done", JobStatus.CLOSED, id=6),
        Job(4, "Gus, done", JobStatus.CLOSED, id=7),
    ),
)


# --- which phone rings first ------------------------------------------------------------


def test_full_request() -> None:
    assert plan(DIRECTORY, "Ann", "(312) 555-0177") == DialRequest(
        user="Ann",
        extension="110",
        number=ACME,
        customer=2,
        customer_name="Acme",
        job=5,
    )


@pytest.mark.parametrize(
    ("user", "extension"),
    [
        ("Ann", "110"),  # desk phones before the (lower) browser softphone; lowest number
        ("Bob", "900"),  # only browser softphones: the lowest
        ("Cat", "999"),  # numeric order, not text order
    ],
)
def test_phone_rung_first(user: str, extension: str) -> None:
    assert plan(DIRECTORY, user, STRANGER).extension == extension


def test_phone_order_does_not_depend_on_directory_order() -> None:
    flipped = replace(DIRECTORY, extensions=DIRECTORY.extensions[::-1])
    assert plan(flipped, "Ann", STRANGER).extension == "110"
    assert plan(flipped, "Cat", STRANGER).extension == "999"


def test_user_without_extension() -> None:
    reject("user", "Eve has no extension to ring", plan, DIRECTORY, "Eve", STRANGER)


def test_unknown_user() -> None:
    exc = reject("user", "no such user 'Zed'", plan, DIRECTORY, "Zed", STRANGER)
    assert isinstance(exc, NotFound)


def test_deactivated_user() -> None:
    exc = reject("user", "user Dan is deactivated", plan, DIRECTORY, "Dan", STRANGER)
    assert not isinstance(exc, NotFound)


# --- the number called ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "(312) 555-0101",
        "312-555-0101",
        "312.555.0101",
        "3125550101",
        "+1 312 555 0101",
        "1 312 555 0101",
    ],
)
def test_number_normalised_from_local_formats(raw: str) -> None:
    assert plan(DIRECTORY, "Ann", raw).number == "+13125550101"


def test_number_normalised_in_the_given_region() -> None:
    request = plan(DIRECTORY, "Ann", "020 7946 0958", region="GB")
    assert request.number == LONDON


@pytest.mark.parametrize("raw", ["", "   ", "12345", "not a number", "+1 555 123 4567"])
def test_invalid_number(raw: str) -> None:
    exc = reject("number", "", plan, DIRECTORY, "Ann", raw)
    assert not isinstance(exc, NotFound)


def test_international_refused_unless_allowed() -> None:
    reject(
        "number",
        "international dialling is disabled",
        plan,
        DIRECTORY,
        "Ann",
        "+44 20 7946 0958",
    )
    assert plan(DIRECTORY, "Ann", "+44 20 7946 0958", allow_international=True).number == LONDON


def test_same_country_code_is_not_international() -> None:
    assert plan(DIRECTORY, "Ann", TORONTO).number == TORONTO


def test_user_checked_before_number() -> None:
    reject("user", "no such user", plan, DIRECTORY, "Zed", "not a number")
    reject("user", "no extension", plan, DIRECTORY, "Eve", "not a number")


# --- the customer and job ---------------------------------------------------------------


def test_customer_matched_by_number_with_newest_open_job() -> None:
    request = plan(DIRECTORY, "Ann", ACME)
    assert (request.customer, request.customer_name, request.job) == (2, "Acme", 5)


def test_shared_number_links_the_lowest_id() -> None:
    request = plan(DIRECTORY, "Ann", SHARED)
    assert (request.customer, request.customer_name) == (1, "Beta")
    assert request.job is None  # Beta's only job is closed


def test_closed_jobs_are_ignored() -> None:
    request = plan(DIRECTORY, "Ann", GUS)
    assert (request.customer, request.job) == (4, None)
    # Acme's newest job (#9) is closed: #5 is the newest open one
    assert plan(DIRECTORY, "Ann", ACME).job == 5


def test_no_customer_for_a_stranger() -> None:
    request = plan(DIRECTORY, "Ann", STRANGER)
    assert (request.customer, request.customer_name, request.job) == (None, None, None)


def test_explicit_customer_wins_over_the_number() -> None:
    request = plan(DIRECTORY, "Ann", SHARED, customer=2)
    assert (request.customer, request.customer_name) == (2, "Acme")
    request = plan(DIRECTORY, "Ann", STRANGER, customer=4)
    assert (request.customer, request.customer_name) == (4, "Gus")


def test_explicit_customer_links_their_open_job() -> None:
    # as routing does for the call itself: the customer's newest open job
    request = plan(DIRECTORY, "Ann", ACME, customer=2)
    assert request.job is not None and DIRECTORY.job(request.job).customer_id == 2


def test_explicit_customer_and_job() -> None:
    request = plan(DIRECTORY, "Ann", STRANGER, customer=2, job=3)
    assert (request.customer, request.job) == (2, 3)
    # a closed job may be given explicitly
    assert plan(DIRECTORY, "Ann", ACME, customer=2, job=9).job == 9


def test_unknown_customer() -> None:
    exc = reject(
        "customer", "no such customer 99", partial(plan, customer=99), DIRECTORY, "Ann", ACME
    )
    assert isinstance(exc, NotFound)


def test_unknown_job() -> None:
    exc = reject("job", "no such job 99", partial(plan, job=99), DIRECTORY, "Ann", ACME)
    assert isinstance(exc, NotFound)


def test_a_job_alone_brings_its_customer() -> None:
    request = plan(DIRECTORY, "Ann", STRANGER, job=3)
    assert (request.customer, request.customer_name, request.job) == (2, "Acme", 3)
    # even when the number is another customer's
    request = plan(DIRECTORY, "Ann", GUS, job=6)
    assert (request.customer, request.customer_name, request.job) == (1, "Beta", 6)


def test_a_job_of_another_customer() -> None:
    dial = partial(plan, customer=2, job=6)
    exc = reject("job", "job 6 is not a job of customer Acme", dial, DIRECTORY, "Ann", ACME)
    assert not isinstance(exc, NotFound)


def test_not_found_is_invalid_input() -> None:
    assert issubclass(NotFound, InvalidInput)


@given(st.permutations(DIRECTORY.customers), st.permutations(DIRECTORY.jobs))
def test_linking_does_not_depend_on_directory_order(
    customers: list[Customer], jobs: list[Job]
) -> None:
    shuffled = replace(DIRECTORY, customers=tuple(customers), jobs=tuple(jobs))
    for number in (ACME, SHARED, GUS, STRANGER):
        assert plan(shuffled, "Ann", number) == plan(DIRECTORY, "Ann", number)
