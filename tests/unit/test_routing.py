"""Routing: call facts + directory index + instant -> a Plan, rule by rule.

The directory below is small but covers every rule: direct numbers, customer
owners, destinations (extension and group), forwarding, schedules in their own
time zone (DST, holidays, overnight), after-hours chains, internal calls.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from pbx.core import routing as R
from pbx.core import schedule as S
from pbx.core.calls import Direction
from pbx.core.errors import InvalidInput
from pbx.core.model import (
    BusinessNumber,
    Customer,
    Destination,
    DestKind,
    Directory,
    Extension,
    Job,
    JobStatus,
    RingGroup,
    RingTarget,
    Schedule,
    Strategy,
    Trunk,
    User,
    VoicemailBox,
)
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

CHICAGO = "America/Chicago"

MAIN = "+13125550100"  # group Dispatch, forward, schedule Office
ANN_DIRECT = "+13125550110"
DAN_DIRECT = "+13125550111"  # assigned to a deactivated user
SALES = "+13125550120"  # destination ext 103, no schedule, not recorded
FAY_DIRECT = "+13125550125"
FWD_ONLY = "+13125550130"
NOTHING = "+13125550140"
DISABLED = "+13125550105"  # assigned to Ann, inactive
NO_CHAIN = "+13125550170"  # destination ext 101, schedule without after-hours chain
NIGHT = "+13125550180"  # destination ext 102, overnight schedule in UTC
EVE_DIRECT = "+13125550190"  # assigned to a user without an extension
SUNDAY = "+13125550195"  # destination ext 101, sun 01:00-02:00 Chicago (DST edges)
GHOST_DEST = "+13125550196"  # destination group that does not exist

FORWARD = "+13125550150"
AFTER_HOURS_NUMBER = "+13125550199"

DANA = "+13125550177"  # customer #1, owner Bob, open jobs #1 and #3
DANA_2 = "+13125550178"  # also Hal's (#3): Dana has the lower id
GUS = "+13125550179"  # customer #2, no owner, no jobs
IVY = "+13125550176"  # customer #4, owned by deactivated Dan
STRANGER = "+13125550188"

OFFICE = Schedule(
    "Office",
    CHICAGO,
    S.build_hours(["mon-fri 08:00-17:00", "sat 09:00-12:00"]),
    holidays=(date(2026, 12, 25),),
    after_hours=S.parse_after_hours(f"oncall,{AFTER_HOURS_NUMBER},voicemail:After Hours", "US"),
)

DIRECTORY = Directory(
    users=(
        User("Ann", "ann@example.com", mobile="+13125550101"),
        User("Bob", "bob@example.com", mobile="+13125550102"),
        User("Cat", "cat@example.com"),
        User("Dan", "dan@example.com", active=False),
        User("Eve", "eve@example.com"),
        User("Fay", "fay@example.com"),
    ),
    extensions=(
        Extension("101", "Ann", "pw", voicemail_box="ext-101"),
        Extension("102", "Bob", "pw", RingTarget.BOTH, voicemail_box="ext-102"),
        Extension("103", "Cat", "pw", voicemail_box="ext-103"),
        Extension("104", "Dan", "pw", voicemail_box="ext-104"),
        Extension("1200", "Fay", "pw", voicemail_box="ext-1200"),
        Extension("121", "Fay", "pw", voicemail_box="ext-121"),
        Extension("120", "Fay", "pw"),
    ),
    numbers=(
        BusinessNumber(
            MAIN,
            "Main line",
            destination=Destination(DestKind.GROUP, "Dispatch"),
            forward=FORWARD,
            schedule="Office",
        ),
        BusinessNumber(ANN_DIRECT, "Ann direct", assigned_user="Ann"),
        BusinessNumber(DAN_DIRECT, "Dan direct", assigned_user="Dan"),
        BusinessNumber(
            SALES, "Sales", destination=Destination(DestKind.EXTENSION, "103"), record=False
        ),
        BusinessNumber(FAY_DIRECT, "Fay direct", assigned_user="Fay"),
        BusinessNumber(FWD_ONLY, "Forward only", forward=FORWARD),
        BusinessNumber(NOTHING, "Nothing"),
        BusinessNumber(DISABLED, "Old line", active=False, assigned_user="Ann"),
        BusinessNumber(
            NO_CHAIN,
            "No chain",
            destination=Destination(DestKind.EXTENSION, "101"),
            schedule="Plain",
        ),
        BusinessNumber(
            NIGHT, "Night", destination=Destination(DestKind.EXTENSION, "102"), schedule="Night"
        ),
        BusinessNumber(EVE_DIRECT, "Eve direct", assigned_user="Eve"),
        BusinessNumber(
            SUNDAY,
            "Sunday",
            destination=Destination(DestKind.EXTENSION, "101"),
            schedule="Sunday",
        ),
        BusinessNumber(
            GHOST_DEST, "Ghost", destination=Destination(DestKind.GROUP, "Ghosts")
        ),
    ),
    groups=(
        RingGroup(
            "Dispatch",
            Strategy.SEQUENTIAL,
            ("101", "102"),
            extension="600",
            fallback_box="Dispatch VM",
        ),
        RingGroup("Empty", Strategy.RING_ALL, (), extension="601"),
    ),
    schedules=(
        OFFICE,
        Schedule("Plain", CHICAGO, S.build_hours(["mon-fri 08:00-17:00"])),
        Schedule(
            "Night",
            "UTC",
            S.build_hours(["daily 22:00-06:00"]),
            after_hours=S.parse_after_hours("voicemail:After Hours", "US"),
        ),
        Schedule(
            "Sunday",
            CHICAGO,
            S.build_hours(["sun 01:00-02:00"]),
            after_hours=S.parse_after_hours("voicemail:After Hours", "US"),
        ),
    ),
    boxes=(
        VoicemailBox("After Hours"),
        VoicemailBox("Dispatch VM"),
    ),
    customers=(
        Customer("Hal Homeowner", (DANA_2,), owner="Cat", id=3),
        Customer("Dana Homeowner", (DANA, DANA_2), owner="Bob", id=1),
        Customer("Gus Garage", (GUS,), id=2),
        Customer("Ivy Inn", (IVY,), owner="Dan", id=4),
    ),
    jobs=(
        Job(1, "Furnace repair", id=1),
        Job(1, "Old job", JobStatus.CLOSED, id=2),
        Job(1, "Boiler repair", id=3),
        Job(3, "Hal's roof", id=4),
        Job(1, "Closed later", JobStatus.CLOSED, id=5),
    ),
    trunks=(
        Trunk("zeta", "sip.zeta.example.net", "z", "zeta-pass"),
        Trunk("carrier", "sip.example.net", "acct", "carrier-pass"),
    ),
)

INDEX = RoutingIndex.build(DIRECTORY, RoutingOptions())
NO_TRUNK_INDEX = RoutingIndex.build(replace(DIRECTORY, trunks=()), RoutingOptions())


def chicago(y: int, mo: int, d: int, hh: int, mm: int = 0, fold: int = 0) -> datetime:
    return datetime(y, mo, d, hh, mm, tzinfo=ZoneInfo(CHICAGO), fold=fold)


def utc(y: int, mo: int, d: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, mo, d, hh, mm, ss, tzinfo=UTC)


OPEN = chicago(2026, 11, 23, 10, 0)  # Monday 10:00 in Chicago: the office is open
SAT_NIGHT = utc(2026, 11, 22, 5, 10)  # Saturday 23:10 in Chicago (Sunday 05:10 UTC)


def inbound(dialled: str, caller: str = STRANGER) -> CallFacts:
    return CallFacts(CallKind.INBOUND, dialled, caller)


def internal(dialled: str, caller: str = "101") -> CallFacts:
    return CallFacts(CallKind.INTERNAL, dialled, caller)


# --- expected steps ---------------------------------------------------------------------


def user(name: str, reason: str, box: str | None, skip: str | None = None) -> Step:
    return Step(StepKind.RING, reason, TargetKind.USER, name, box=box, skip=skip)


def ext(number: str, reason: str, box: str | None, skip: str | None = None) -> Step:
    return Step(StepKind.RING, reason, TargetKind.EXTENSION, number, box=box, skip=skip)


def group(name: str, reason: str, box: str | None, skip: str | None = None) -> Step:
    return Step(StepKind.RING, reason, TargetKind.GROUP, name, box=box, skip=skip)


def number(
    e164: str,
    reason: str,
    on_no_answer: NoAnswer = NoAnswer.VOICEMAIL,
    caller_id: str | None = None,
    skip: str | None = None,
) -> Step:
    return Step(
        StepKind.RING,
        reason,
        TargetKind.NUMBER,
        e164,
        on_no_answer=on_no_answer,
        caller_id=caller_id,
        skip=skip,
    )


def oncall(reason: str) -> Step:
    return Step(
        StepKind.RING,
        reason,
        TargetKind.ONCALL,
        on_no_answer=NoAnswer.NEXT,
        skip="nobody is on call now",
    )


def voicemail(box: str, reason: str, skip: str | None = None) -> Step:
    return Step(StepKind.VOICEMAIL, reason, name=box, skip=skip)


def announce(name: str, reason: str) -> Step:
    return Step(StepKind.ANNOUNCE, reason, name=name)


ALL_SKIPPED = announce(R.UNROUTABLE, "every step is skipped: nothing can take the call")
DEST = "number destination"
FWD = "forwarding number"
DISPATCH = group("Dispatch", DEST, "Dispatch VM")
FORWARDED = number(FORWARD, FWD)
CLOSED_SAT = "after hours: schedule 'Office' (America/Chicago) is closed at Sat 23:10"


def chain(reason: str) -> tuple[Step, ...]:
    return (
        oncall(reason),
        number(AFTER_HOURS_NUMBER, reason, NoAnswer.NEXT),
        voicemail("After Hours", reason),
    )


# --- the index --------------------------------------------------------------------------


def test_index_keys() -> None:
    assert set(INDEX.numbers) == {n.e164 for n in DIRECTORY.numbers}
    assert INDEX.extensions["102"].user == "Bob"
    assert [e.number for e in INDEX.extensions_of["Fay"]] == ["120", "121", "1200"]
    assert INDEX.group_by_ext == {
        "600": DIRECTORY.groups[0],
        "601": DIRECTORY.groups[1],
    }
    assert INDEX.users["Dan"].active is False
    assert set(INDEX.schedules) == {"Office", "Plain", "Night", "Sunday"}
    assert set(INDEX.boxes) == {"After Hours", "Dispatch VM"}


def test_index_customers_by_each_phone_lowest_id_wins() -> None:
    assert INDEX.customer_by_phone[DANA].id == 1
    assert INDEX.customer_by_phone[DANA_2].name == "Dana Homeowner"  # Hal (#3) shares it
    assert INDEX.customer_by_phone[GUS].id == 2
    assert STRANGER not in INDEX.customer_by_phone


def test_index_newest_open_job_closed_ignored() -> None:
    assert {cid: job.id for cid, job in INDEX.open_job.items()} == {1: 3, 3: 4}


def test_index_direct_numbers_active_only_and_first_trunk_by_name() -> None:
    assert INDEX.direct_number == {
        "Ann": ANN_DIRECT,  # DISABLED sorts first but is inactive
        "Dan": DAN_DIRECT,
        "Fay": FAY_DIRECT,
        "Eve": EVE_DIRECT,
    }
    assert INDEX.trunk is not None and INDEX.trunk.name == "carrier"
    assert NO_TRUNK_INDEX.trunk is None


def test_index_main_number() -> None:
    assert INDEX.main_number == MAIN  # first active business number by E.164
    only_disabled = Directory(numbers=(BusinessNumber(DISABLED, "Old", active=False),))
    assert RoutingIndex.build(only_disabled, RoutingOptions()).main_number is None
    chosen = RoutingOptions(main_number="(312) 555-0130")
    assert RoutingIndex.build(DIRECTORY, chosen).main_number == FWD_ONLY


# --- inbound: the number ----------------------------------------------------------------


@pytest.mark.parametrize(
    "did", [ANN_DIRECT, "3125550110", "13125550110", " +1 (312) 555-0110 ", "312.555.0110"]
)
def test_did_formats(did: str) -> None:
    plan = route(inbound(did), INDEX, OPEN)
    assert plan.called == ANN_DIRECT and plan.business_number == ANN_DIRECT
    assert plan.steps == (user("Ann", "number assigned to Ann", "ext-101"),)


@pytest.mark.parametrize(
    ("did", "reason"),
    [
        ("+13125550198", "not in service: +13125550198 is not one of our numbers"),
        ("3125550198", "not in service: +13125550198 is not one of our numbers"),
        ("", "not in service: the trunk sent no dialled number"),
        ("s", "not in service: s is not one of our numbers"),
        (DISABLED, f"not in service: number {DISABLED} (Old line) is disabled"),
    ],
)
def test_unknown_or_inactive_number(did: str, reason: str) -> None:
    plan = route(inbound(did), INDEX, OPEN)
    assert plan.steps == (announce(R.NO_SERVICE, reason),)
    assert plan.failed
    assert plan.direction is Direction.INBOUND


def test_inactive_number_keeps_its_identity_and_customer() -> None:
    plan = route(inbound(DISABLED, DANA), INDEX, OPEN)
    assert (plan.business_number, plan.called, plan.customer_id, plan.job_id) == (
        DISABLED,
        DISABLED,
        1,
        3,
    )
    unknown = route(inbound("+13125550198"), INDEX, OPEN)
    assert unknown.business_number is None and unknown.called == "+13125550198"
    assert unknown.record is False


# --- inbound: the caller ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "shown", "customer", "job"),
    [
        (DANA, DANA, 1, 3),
        ("312-555-0177", DANA, 1, 3),
        ("13125550177", DANA, 1, 3),
        ("+1 (312) 555-0177", DANA, 1, 3),
        (DANA_2, DANA_2, 1, 3),
        (GUS, GUS, 2, None),
        (STRANGER, STRANGER, None, None),
        ("anonymous", "anonymous", None, None),
        ("", "", None, None),
        ("12", "12", None, None),
    ],
)
def test_caller_normalised_and_linked(
    caller: str, shown: str, customer: int | None, job: int | None
) -> None:
    plan = route(inbound(NOTHING, caller), INDEX, OPEN)
    assert (plan.caller, plan.customer_id, plan.job_id) == (shown, customer, job)


def test_customer_note_names_customer_and_open_job() -> None:
    plan = route(inbound(SALES, DANA), INDEX, OPEN)
    assert plan.customer_name == "Dana Homeowner"
    assert plan.notes == (
        f"caller {DANA} is customer Dana Homeowner (#1), open job #3 'Boiler repair'",
    )
    gus = route(inbound(SALES, GUS), INDEX, OPEN)
    assert gus.notes == (f"caller {GUS} is customer Gus Garage (#2), no open job",)


# --- inbound: business hours, each rule in order ---------------------------------------------


IN_HOURS = [
    # assigned user; the customer's owner is not used then (a note says so)
    ("direct-number", ANN_DIRECT, DANA, (user("Ann", "number assigned to Ann", "ext-101"),)),
    # customer owner first, then the destination group, then the forwarding number
    (
        "owner-dest-forward",
        MAIN,
        DANA,
        (
            user("Bob", "caller is customer Dana Homeowner, owned by Bob", "ext-102"),
            DISPATCH,
            FORWARDED,
        ),
    ),
    ("dest-forward", MAIN, STRANGER, (DISPATCH, FORWARDED)),
    ("customer-without-owner", MAIN, GUS, (DISPATCH, FORWARDED)),
    ("dest-extension", SALES, STRANGER, (ext("103", DEST, "ext-103"),)),
    ("forward-only", FWD_ONLY, STRANGER, (FORWARDED,)),
    (
        "owner-only",
        NOTHING,
        DANA,
        (user("Bob", "caller is customer Dana Homeowner, owned by Bob", "ext-102"),),
    ),
    # the box of a user is that of their first extension (by number) that has one
    ("first-box", FAY_DIRECT, STRANGER, (user("Fay", "number assigned to Fay", "ext-121"),)),
    (
        "deactivated-assigned",
        DAN_DIRECT,
        STRANGER,
        (
            user("Dan", "number assigned to Dan", "ext-104", skip="user Dan is deactivated"),
            ALL_SKIPPED,
        ),
    ),
    (
        "deactivated-owner",
        SALES,
        IVY,
        (
            user(
                "Dan",
                "caller is customer Ivy Inn, owned by Dan",
                "ext-104",
                skip="user Dan is deactivated",
            ),
            ext("103", DEST, "ext-103"),
        ),
    ),
    (
        "user-without-extension",
        EVE_DIRECT,
        STRANGER,
        (user("Eve", "number assigned to Eve", None, skip="Eve has no extension"), ALL_SKIPPED),
    ),
    (
        "missing-group",
        GHOST_DEST,
        STRANGER,
        (group("Ghosts", DEST, None, skip="ring group Ghosts does not exist"), ALL_SKIPPED),
    ),
    (
        "unroutable",
        NOTHING,
        STRANGER,
        (
            announce(
                R.UNROUTABLE,
                f"number {NOTHING} has no assigned user, destination or forwarding number",
            ),
        ),
    ),
    (
        "unroutable-customer-without-owner",
        NOTHING,
        GUS,
        (
            announce(
                R.UNROUTABLE,
                f"number {NOTHING} has no assigned user, destination or forwarding number, "
                "and customer Gus Garage has no owner",
            ),
        ),
    ),
]


@pytest.mark.parametrize(
    ("did", "caller", "steps"), [case[1:] for case in IN_HOURS], ids=[c[0] for c in IN_HOURS]
)
def test_in_hours_rules(did: str, caller: str, steps: tuple[Step, ...]) -> None:
    plan = route(inbound(did, caller), INDEX, OPEN)
    assert plan.steps == steps
    assert plan.direction is Direction.INBOUND


def test_in_hours_full_plan() -> None:
    assert route(inbound(MAIN, "312 555 0177"), INDEX, OPEN) == Plan(
        direction=Direction.INBOUND,
        caller=DANA,
        called=MAIN,
        steps=(
            user("Bob", "caller is customer Dana Homeowner, owned by Bob", "ext-102"),
            DISPATCH,
            FORWARDED,
        ),
        business_number=MAIN,
        customer_id=1,
        customer_name="Dana Homeowner",
        job_id=3,
        record=True,
        notes=(f"caller {DANA} is customer Dana Homeowner (#1), open job #3 'Boiler repair'",),
    )


def test_assigned_number_notes_unused_owner() -> None:
    plan = route(inbound(ANN_DIRECT, DANA), INDEX, OPEN)
    assert plan.notes[-1] == (
        "customer Dana Homeowner is owned by Bob, but the number is assigned to Ann, "
        "who takes the call"
    )


def test_record_flag_is_the_numbers() -> None:
    assert route(inbound(SALES), INDEX, OPEN).record is False
    assert route(inbound(MAIN), INDEX, OPEN).record is True


def test_forwarding_without_trunk_is_skipped() -> None:
    plan = route(inbound(FWD_ONLY), NO_TRUNK_INDEX, OPEN)
    assert plan.steps == (
        number(FORWARD, FWD, skip="no trunk is configured"),
        ALL_SKIPPED,
    )
    assert not plan.failed


# --- inbound: schedules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (chicago(2026, 11, 23, 8, 0), True),
        (chicago(2026, 11, 23, 16, 59), True),
        (chicago(2026, 11, 23, 17, 0), False),
        (chicago(2026, 11, 23, 7, 59), False),
        # 13:30 UTC looks like office hours in UTC, but it is 07:30 in Chicago
        (utc(2026, 11, 23, 13, 30), False),
        (utc(2026, 11, 23, 14, 0), True),
        # Monday 02:00 UTC is still Sunday evening in Chicago
        (utc(2026, 11, 23, 2, 0), False),
        # Monday 22:30 UTC is 16:30 in Chicago: open
        (utc(2026, 11, 23, 22, 30), True),
        (chicago(2026, 11, 21, 11, 59), True),  # Saturday morning hours
        (chicago(2026, 11, 21, 12, 0), False),
        (SAT_NIGHT, False),
        # summer time: 08:00 CDT is 13:00 UTC
        (utc(2026, 7, 6, 13, 0), True),
        (utc(2026, 7, 6, 12, 59), False),
    ],
)
def test_schedule_in_its_own_time_zone(at: datetime, is_open: bool) -> None:
    plan = route(inbound(MAIN), INDEX, at)
    assert (plan.steps == (DISPATCH, FORWARDED)) is is_open
    assert (plan.steps[0].target is TargetKind.ONCALL) is not is_open


def test_after_hours_chain() -> None:
    plan = route(inbound(MAIN, DANA), INDEX, SAT_NIGHT)
    assert plan.steps == chain(CLOSED_SAT)
    assert (plan.customer_id, plan.job_id, plan.business_number) == (1, 3, MAIN)
    assert plan.describe() == [
        "1. ring the on-call technician — " + CLOSED_SAT
        + " (skipped: nobody is on call now)",
        "2. ring number +1 312-555-0199 — " + CLOSED_SAT + "; no answer: next step",
        "3. voicemail box After Hours — " + CLOSED_SAT,
        f"note: caller {DANA} is customer Dana Homeowner (#1), open job #3 'Boiler repair'",
    ]  # fmt: skip


def test_after_hours_number_without_trunk_is_skipped() -> None:
    steps = route(inbound(MAIN), NO_TRUNK_INDEX, SAT_NIGHT).steps
    assert steps[1] == number(
        AFTER_HOURS_NUMBER, CLOSED_SAT, NoAnswer.NEXT, skip="no trunk is configured"
    )
    assert steps[2] == voicemail("After Hours", CLOSED_SAT)


def test_after_hours_missing_box_is_skipped() -> None:
    directory = replace(DIRECTORY, boxes=())
    steps = route(inbound(MAIN), RoutingIndex.build(directory, RoutingOptions()), SAT_NIGHT).steps
    assert steps[2] == voicemail(
        "After Hours", CLOSED_SAT, skip="voicemail box 'After Hours' does not exist"
    )
    assert len(steps) == 3  # the after-hours number can still ring


def test_after_hours_only_oncall_announces_when_nobody_is_on_call() -> None:
    only_oncall = replace(OFFICE, after_hours=S.parse_after_hours("oncall", "US"))
    directory = replace(DIRECTORY, schedules=(only_oncall,))
    plan = route(inbound(MAIN), RoutingIndex.build(directory, RoutingOptions()), SAT_NIGHT)
    assert plan.steps == (oncall(CLOSED_SAT), ALL_SKIPPED)


@pytest.mark.parametrize(
    ("at", "why"),
    [
        (chicago(2026, 12, 25, 10, 0), "is closed for the holiday 2026-12-25"),
        # 03:00 UTC on the 26th is still the 25th (21:00) in Chicago
        (utc(2026, 12, 26, 3, 0), "is closed for the holiday 2026-12-25"),
        # 05:30 UTC on the 25th is the evening of the 24th in Chicago: closed, not a holiday
        (utc(2026, 12, 25, 5, 30), "is closed at Thu 23:30"),
    ],
)
def test_holiday_in_local_date(at: datetime, why: str) -> None:
    reason = f"after hours: schedule 'Office' (America/Chicago) {why}"
    assert route(inbound(MAIN), INDEX, at).steps == chain(reason)


def test_holiday_open_the_day_before() -> None:
    assert route(inbound(MAIN), INDEX, chicago(2026, 12, 24, 10, 0)).steps == (DISPATCH, FORWARDED)


def test_closed_schedule_with_empty_chain_routes_as_in_hours() -> None:
    plan = route(inbound(NO_CHAIN), INDEX, SAT_NIGHT)
    assert plan.steps == (ext("101", DEST, "ext-101"),)
    assert plan.notes == (
        "schedule 'Plain' (America/Chicago) is closed at Sat 23:10, but it has no after-hours "
        "chain: routed as in business hours",
    )


def test_missing_schedule_counts_as_open() -> None:
    broken = replace(DIRECTORY.numbers[0], schedule="Gone")
    directory = replace(DIRECTORY, numbers=(broken,))
    plan = route(inbound(MAIN), RoutingIndex.build(directory, RoutingOptions()), SAT_NIGHT)
    assert plan.steps == (DISPATCH, FORWARDED)
    assert plan.notes == ("schedule 'Gone' does not exist: treated as always open",)


NIGHT_CLOSED = "after hours: schedule 'Night' (UTC) is closed at "


@pytest.mark.parametrize(
    ("at", "closed_at"),
    [
        (utc(2026, 11, 23, 23, 0), None),
        (utc(2026, 11, 24, 5, 59), None),  # after midnight: the overnight tail
        (utc(2026, 11, 24, 0, 0), None),
        (utc(2026, 11, 24, 6, 0), "Tue 06:00"),
        (utc(2026, 11, 24, 12, 0), "Tue 12:00"),
        (utc(2026, 11, 24, 21, 59), "Tue 21:59"),
    ],
)
def test_overnight_range(at: datetime, closed_at: str | None) -> None:
    steps = route(inbound(NIGHT), INDEX, at).steps
    if closed_at is None:
        assert steps == (ext("102", DEST, "ext-102"),)
    else:
        assert steps == (voicemail("After Hours", NIGHT_CLOSED + closed_at),)


SUNDAY_CLOSED = "after hours: schedule 'Sunday' (America/Chicago) is closed at "


@pytest.mark.parametrize(
    ("at", "closed_at"),
    [
        # spring forward, 2026-03-08: 02:00 CST jumps to 03:00 CDT
        (utc(2026, 3, 8, 7, 0), None),  # 01:00 CST
        (utc(2026, 3, 8, 7, 59, 59), None),  # 01:59:59 CST
        (utc(2026, 3, 8, 8, 0), "Sun 03:00"),  # the next second is 03:00 CDT
        (utc(2026, 3, 8, 6, 59), "Sun 00:59"),
        # fall back, 2026-11-01: 01:00-02:00 happens twice (CDT, then CST)
        (utc(2026, 11, 1, 6, 30), None),  # 01:30 CDT
        (utc(2026, 11, 1, 7, 30), None),  # 01:30 CST, the repeated hour
        (chicago(2026, 11, 1, 1, 30, fold=1), None),
        (utc(2026, 11, 1, 8, 0), "Sun 02:00"),  # 02:00 CST
        (utc(2026, 11, 1, 5, 59), "Sun 00:59"),  # 00:59 CDT
    ],
)
def test_dst_edges(at: datetime, closed_at: str | None) -> None:
    steps = route(inbound(SUNDAY), INDEX, at).steps
    if closed_at is None:
        assert steps == (ext("101", DEST, "ext-101"),)
    else:
        assert steps == (voicemail("After Hours", SUNDAY_CLOSED + closed_at),)


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        route(inbound(MAIN), INDEX, datetime(2026, 11, 23, 10, 0))


# --- internal calls ---------------------------------------------------------------------


ANN_CID = "caller ID +13125550110: the direct number of Ann"
MAIN_CID = f"caller ID {MAIN}: the main number"

INTERNAL = [
    ("extension", "102", "101", Direction.INTERNAL, "102",
     (ext("102", "internal call to extension 102", "ext-102"),), ()),
    ("deactivated-extension", "104", "101", Direction.INTERNAL, "104",
     (ext("104", "internal call to extension 104", "ext-104", skip="user Dan is deactivated"),
      ALL_SKIPPED), ()),
    ("group", "600", "101", Direction.INTERNAL, "600",
     (group("Dispatch", "internal call to ring group Dispatch (extension 600)", "Dispatch VM"),),
     ()),
    ("empty-group", "601", "101", Direction.INTERNAL, "601",
     (group("Empty", "internal call to ring group Empty (extension 601)", None,
            skip="ring group Empty has no members"), ALL_SKIPPED), ()),
    ("emergency-911", "911", "101", Direction.OUTBOUND, "911",
     (number("911", "emergency number: always allowed", NoAnswer.NEXT, ANN_DIRECT),), (ANN_CID,)),
    ("emergency-112", "112", "103", Direction.OUTBOUND, "112",
     (number("112", "emergency number: always allowed", NoAnswer.NEXT, MAIN),), (MAIN_CID,)),
    ("national", "(312) 555-0123", "101", Direction.OUTBOUND, "+13125550123",
     (number("+13125550123", "outside number", NoAnswer.NEXT, ANN_DIRECT),), (ANN_CID,)),
    ("national-main-number", "3125550123", "103", Direction.OUTBOUND, "+13125550123",
     (number("+13125550123", "outside number", NoAnswer.NEXT, MAIN),), (MAIN_CID,)),
    ("canada-is-domestic", "+16135550123", "103", Direction.OUTBOUND, "+16135550123",
     (number("+16135550123", "outside number", NoAnswer.NEXT, MAIN),), (MAIN_CID,)),
    ("international-refused", "011 44 20 7946 0958", "101", Direction.OUTBOUND, "+442079460958",
     (announce(R.REFUSED, "+442079460958 is an international number and international "
               "dialling is disabled (allow_international = false)"),), ()),
    ("invalid", "12345", "101", Direction.INTERNAL, "12345",
     (announce(R.INVALID, "'12345' is not an extension, a ring group or a phone number "
               "(too short)"),), ()),
    ("nothing-dialled", "", "101", Direction.INTERNAL, "",
     (announce(R.INVALID, "'' is not an extension, a ring group or a phone number "
               "(nothing was dialled)"),), ()),
    ("unknown-extension-looks-invalid", "555", "101", Direction.INTERNAL, "555",
     (announce(R.INVALID, "'555' is not an extension, a ring group or a phone number "
               "(too short)"),), ()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("dialled", "caller", "direction", "called", "steps", "notes"),
    [case[1:] for case in INTERNAL],
    ids=[c[0] for c in INTERNAL],
)
def test_internal_calls(
    dialled: str,
    caller: str,
    direction: Direction,
    called: str,
    steps: tuple[Step, ...],
    notes: tuple[str, ...],
) -> None:
    plan = route(internal(dialled, caller), INDEX, OPEN)
    assert plan == Plan(direction, caller, called, steps, record=True, notes=notes)


def test_international_allowed() -> None:
    index = RoutingIndex.build(DIRECTORY, RoutingOptions(allow_international=True))
    plan = route(internal("+44 20 7946 0958"), index, OPEN)
    assert plan.steps == (number("+442079460958", "outside number", NoAnswer.NEXT, ANN_DIRECT),)
    assert plan.direction is Direction.OUTBOUND


def test_other_default_region() -> None:
    index = RoutingIndex.build(DIRECTORY, RoutingOptions(default_region="GB"))
    plan = route(internal("020 7946 0958"), index, OPEN)
    assert plan.called == "+442079460958" and plan.steps[0].kind is StepKind.RING
    assert route(internal("999"), index, OPEN).steps[0].reason == "emergency number: always allowed"


def test_outbound_without_trunk_is_skipped() -> None:
    plan = route(internal("911"), NO_TRUNK_INDEX, OPEN)
    skipped = number(
        "911", "emergency number: always allowed", NoAnswer.NEXT, ANN_DIRECT, "no trunk is configured"
    )
    assert plan.steps == (skipped, ALL_SKIPPED)


def test_outbound_without_any_caller_id() -> None:
    directory = replace(DIRECTORY, numbers=())
    plan = route(internal("3125550123"), RoutingIndex.build(directory, RoutingOptions()), OPEN)
    assert plan.steps[0].caller_id is None
    assert plan.notes == (
        "no caller ID: the caller has no direct number and there is no main number",
    )


def test_outbound_main_number_option() -> None:
    index = RoutingIndex.build(DIRECTORY, RoutingOptions(main_number=FWD_ONLY))
    assert route(internal("3125550123", "103"), index, OPEN).steps[0].caller_id == FWD_ONLY
    assert route(internal("3125550123", "101"), index, OPEN).steps[0].caller_id == ANN_DIRECT


# --- the fast path never parses ---------------------------------------------------------


def test_fast_path_does_not_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(raw: str, region: str, field: str = "phone") -> str:
        raise AssertionError(f"parsed {raw!r}")

    monkeypatch.setattr(R.phone, "normalize", boom)
    plan = route(inbound(MAIN, "+13125550166"), INDEX, OPEN)
    assert plan.steps == (DISPATCH, FORWARDED)
    assert route(inbound(ANN_DIRECT, DANA), INDEX, OPEN).customer_id == 1
    assert route(internal("102"), INDEX, OPEN).called == "102"


def test_parse_failure_does_not_escape(monkeypatch: pytest.MonkeyPatch) -> None:
    def bad(raw: str, region: str, field: str = "phone") -> str:
        raise InvalidInput(field, "no")

    monkeypatch.setattr(R.phone, "normalize", bad)
    R._parsed.cache_clear()
    try:
        plan = route(inbound("not-a-number-xyz", "withheld 1"), INDEX, OPEN)
    finally:
        R._parsed.cache_clear()
    assert plan.steps[0].name == R.NO_SERVICE and plan.caller == "withheld 1"


# --- describe ---------------------------------------------------------------------------


def test_step_describe() -> None:
    assert user("Ann", "number assigned to Ann", "ext-101").describe() == (
        "ring user Ann — number assigned to Ann; no answer: voicemail box ext-101"
    )
    assert DISPATCH.describe() == (
        "ring group Dispatch — number destination; no answer: voicemail box Dispatch VM"
    )
    assert FORWARDED.describe() == (
        "ring number +1 312-555-0150 — forwarding number; no answer: the call ends (missed)"
    )
    assert number("911", "emergency", NoAnswer.NEXT, ANN_DIRECT).describe() == (
        "ring number 911 (caller ID +1 312-555-0110) — emergency; no answer: next step"
    )
    assert user("Dan", "r", None, skip="user Dan is deactivated").describe() == (
        "ring user Dan — r (skipped: user Dan is deactivated)"
    )
    assert announce(R.NO_SERVICE, "why").describe() == (
        "announce 'noservice' (this number is not in service) and hang up — why"
    )
    assert voicemail("After Hours", "late").describe() == "voicemail box After Hours — late"


def test_plan_describe_numbers_steps_then_notes() -> None:
    plan = route(inbound(MAIN, DANA), INDEX, OPEN)
    assert plan.describe() == [
        "1. ring user Bob — caller is customer Dana Homeowner, owned by Bob; "
        "no answer: voicemail box ext-102",
        "2. ring group Dispatch — number destination; no answer: voicemail box Dispatch VM",
        "3. ring number +1 312-555-0150 — forwarding number; no answer: the call ends (missed)",
        f"note: caller {DANA} is customer Dana Homeowner (#1), open job #3 'Boiler repair'",
    ]


def test_last_next_step_says_the_call_ends() -> None:
    plan = route(internal("3125550123"), INDEX, OPEN)
    assert plan.describe()[0] == (
        "1. ring number +1 312-555-0123 (caller ID +1 312-555-0110) — outside number; "
        "no answer: the call ends (missed)"
    )
