"""Directory consistency rules, on in-memory snapshots."""

from __future__ import annotations

from datetime import date

import pytest

from pbx.core import rules
from pbx.core.errors import InvalidInput, NotFound
from pbx.core.model import (
    AfterHoursKind,
    AfterHoursStep,
    BoxKind,
    BusinessNumber,
    Customer,
    Destination,
    DestKind,
    Directory,
    Extension,
    OpenRange,
    RingGroup,
    Schedule,
    Strategy,
    User,
    VoicemailBox,
)

ANN = User("Ann", "ann@example.com", "+13125550101")
BOB = User("Bob", "bob@example.com")
E101 = Extension("101", "Ann", "x" * 24, voicemail_box="ext-101")
E102 = Extension("102", "Bob", "y" * 24, voicemail_box="ext-102")
GROUP = RingGroup("Dispatch", Strategy.RING_ALL, ("101", "102"), extension="600")
BOX = VoicemailBox("After Hours", BoxKind.SHARED, ("Ann",))
SCHED = Schedule(
    "Office",
    "America/Chicago",
    (OpenRange(0, 480, 1020),),
    (date(2026, 12, 25),),
    (AfterHoursStep(AfterHoursKind.ONCALL), AfterHoursStep(AfterHoursKind.VOICEMAIL, "After Hours")),
)
MAIN = BusinessNumber(
    "+13125550100", "Main", destination=Destination(DestKind.GROUP, "Dispatch"), schedule="Office"
)
DIRECT = BusinessNumber("+13125550110", "Ann direct", assigned_user="Ann")
D = Directory(
    users=(ANN, BOB),
    extensions=(E101, E102),
    numbers=(MAIN, DIRECT),
    groups=(GROUP,),
    schedules=(SCHED,),
    boxes=(BOX, VoicemailBox("ext-101", BoxKind.PERSONAL, ("Ann",))),
    customers=(Customer("Dana", ("+13125550177",), "Bob", id=1), Customer("Dana", ("+13125550178",), id=2)),
)


def field_of(exc: pytest.ExceptionInfo[InvalidInput]) -> str:
    return exc.value.field


def test_duplicate_user_name() -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.check_user(D, User("Ann", "x@example.com"))
    assert field_of(exc) == "name" and "Ann" in exc.value.reason
    rules.check_user(D, User("Ann", "new@example.com"), previous=ANN)


def test_user_removal_refused_while_owning_extensions() -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.check_user_removal(D, ANN)
    assert "101" in exc.value.reason


def test_user_removal_refused_while_holding_direct_number() -> None:
    d = Directory(users=(ANN,), numbers=(DIRECT,))
    with pytest.raises(InvalidInput) as exc:
        rules.check_user_removal(d, ANN)
    assert "+13125550110" in exc.value.reason


@pytest.mark.parametrize("number", ["101", "600"])
def test_extension_dial_code_taken(number: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.check_extension(D, Extension(number, "Bob", "z" * 24))
    assert field_of(exc) == "extension" and number in exc.value.reason


def test_extension_unknown_user() -> None:
    with pytest.raises(NotFound) as exc:
        rules.check_extension(D, Extension("103", "Zed", "z" * 24))
    assert field_of(exc) == "user"


def test_extension_in_use_cannot_go() -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.check_extension_removal(D, E101)
    assert "Dispatch" in exc.value.reason


def test_one_number_per_user_and_one_user_per_number() -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.check_number(D, BusinessNumber("+13125550120", "X", assigned_user="Ann"))
    assert field_of(exc) == "assign"
    with pytest.raises(InvalidInput) as exc:
        rules.check_number_assignment(D, DIRECT, "Bob")
    assert field_of(exc) == "number"
    rules.check_number(D, DIRECT, previous=DIRECT)


def test_number_references() -> None:
    with pytest.raises(NotFound):
        rules.check_number(D, BusinessNumber("+13125550120", "X", destination=Destination(DestKind.EXTENSION, "999")))
    with pytest.raises(NotFound):
        rules.check_number(D, BusinessNumber("+13125550120", "X", schedule="Nope"))
    with pytest.raises(InvalidInput):
        rules.check_number(D, BusinessNumber("+13125550100", "Dup"))


def test_group_rules() -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.check_group(D, RingGroup("G", Strategy.RANDOM, ()))
    assert field_of(exc) == "members"
    with pytest.raises(InvalidInput) as exc:
        rules.check_group(D, RingGroup("G", Strategy.RANDOM, ("101",), extension="102"))
    assert field_of(exc) == "ext"
    with pytest.raises(InvalidInput) as exc:
        rules.check_group(D, RingGroup("G", Strategy.RANDOM, ("101",), ring_timeout=90, timeout=30))
    assert field_of(exc) == "ring_timeout"
    with pytest.raises(InvalidInput):
        rules.check_group_removal(D, GROUP)
    rules.check_group(D, GROUP, previous=GROUP)


def test_schedule_and_box_rules() -> None:
    bad = Schedule("S", "UTC", (), after_hours=(AfterHoursStep(AfterHoursKind.VOICEMAIL, "Nope"),))
    with pytest.raises(NotFound) as exc:
        rules.check_schedule(D, bad)
    assert field_of(exc) == "after_hours"
    with pytest.raises(InvalidInput):
        rules.check_schedule_removal(D, SCHED)
    with pytest.raises(InvalidInput):
        rules.check_box_removal(D, BOX)
    with pytest.raises(NotFound):
        rules.check_box(D, VoicemailBox("New", members=("Zed",)))


def test_find_customer_by_id_and_name() -> None:
    assert rules.find_customer(D, "2").phones == ("+13125550178",)
    with pytest.raises(InvalidInput) as exc:
        rules.find_customer(D, "Dana")
    assert "ids 1, 2" in exc.value.reason
    with pytest.raises(NotFound):
        rules.find_customer(D, "Eve")
    assert [c.id for c in rules.customers_by_phone(D, "+13125550177")] == [1]
