"""Ring targets, presence and group strategies: which legs ring, and in which order."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from pbx.core.calls import LegKind
from pbx.core.model import Directory, Extension, RingGroup, RingTarget, Strategy, Trunk, User
from pbx.core.ringing import (
    DeviceState,
    Leg,
    Presence,
    Reach,
    RingStats,
    member_order,
    reach_extension,
    reach_number,
    reach_user,
)
from pbx.core.routing import RoutingIndex, RoutingOptions

ANN_MOBILE = "+13125550101"
BOB_MOBILE = "+13125550102"
DAN_MOBILE = "+13125550104"
FAY_MOBILE = "+13125550106"

DIRECTORY = Directory(
    users=(
        User("Ann", "ann@example.com", mobile=ANN_MOBILE),
        User("Bob", "bob@example.com", mobile=BOB_MOBILE),
        User("Cat", "cat@example.com"),
        User("Dan", "dan@example.com", mobile=DAN_MOBILE, active=False),
        User("Eve", "eve@example.com"),
        User("Fay", "fay@example.com", mobile=FAY_MOBILE),
    ),
    extensions=(
        Extension("101", "Ann", "pw"),
        Extension("102", "Bob", "pw", RingTarget.BOTH),
        Extension("103", "Cat", "pw", RingTarget.CELL),
        Extension("104", "Dan", "pw"),
        Extension("105", "Fay", "pw", RingTarget.BOTH),
        Extension("107", "Fay", "pw"),
        Extension("106", "Fay", "pw", RingTarget.CELL),
        Extension("108", "Cat", "pw", RingTarget.BOTH),
        Extension("109", "Ann", "pw", RingTarget.CELL),
        Extension("110", "Bob", "pw", dnd=True),
    ),
    trunks=(Trunk("carrier", "sip.example.net", "acct", "pass"),),
)
INDEX = RoutingIndex.build(DIRECTORY, RoutingOptions())
NO_TRUNK = RoutingIndex.build(replace(DIRECTORY, trunks=()), RoutingOptions())

UP = DeviceState.NOT_INUSE
EVERYONE_UP = Presence({e.number: UP for e in DIRECTORY.extensions})


def soft(ext: str, user: str) -> Leg:
    return Leg(LegKind.SOFTPHONE, ext, f"PJSIP/{ext}", ext, user, ext)


def cell(mobile: str, user: str, ext: str) -> Leg:
    return Leg(LegKind.CELL, mobile, f"PJSIP/{mobile}@carrier", f"{mobile}@carrier", user, ext)


def presence(**states: DeviceState) -> Presence:
    """Everybody registered and idle, except `x101=DeviceState.INUSE`-style overrides."""
    return Presence({**EVERYONE_UP.states, **{k.lstrip("x"): v for k, v in states.items()}})


# --- presence ---------------------------------------------------------------------------


def test_unlisted_extension_is_unavailable() -> None:
    assert Presence().of("101") is DeviceState.UNAVAILABLE
    assert not DeviceState.UNAVAILABLE.reachable and not DeviceState.INVALID.reachable
    assert DeviceState.UNKNOWN.reachable and not DeviceState.UNKNOWN.in_call
    assert DeviceState.RINGING.reachable and not DeviceState.RINGING.in_call


# --- one extension ----------------------------------------------------------------------


EXTENSION_CASES = [
    ("softphone", "101", EVERYONE_UP, INDEX, Reach((soft("101", "Ann"),))),
    ("softphone-unknown-state", "101", presence(x101=DeviceState.UNKNOWN), INDEX,
     Reach((soft("101", "Ann"),))),
    ("softphone-ringing-elsewhere", "101", presence(x101=DeviceState.RINGING), INDEX,
     Reach((soft("101", "Ann"),))),
    ("softphone-unregistered", "101", Presence(), INDEX, Reach(skip="101 is not registered")),
    ("softphone-invalid", "101", presence(x101=DeviceState.INVALID), INDEX,
     Reach(skip="101 is not registered")),
    ("softphone-in-use", "101", presence(x101=DeviceState.INUSE), INDEX,
     Reach(skip="101 is already on a call")),
    ("softphone-busy", "101", presence(x101=DeviceState.BUSY), INDEX,
     Reach(skip="101 is already on a call")),
    ("softphone-on-hold", "101", presence(x101=DeviceState.ONHOLD), INDEX,
     Reach(skip="101 is already on a call")),
    ("softphone-ring-in-use", "101", presence(x101=DeviceState.RINGINUSE), INDEX,
     Reach(skip="101 is already on a call")),
    ("dnd", "110", EVERYONE_UP, INDEX, Reach(skip="110 is on do-not-disturb")),
    ("deactivated", "104", EVERYONE_UP, INDEX, Reach(skip="user Dan is deactivated")),
    ("unknown", "999", EVERYONE_UP, INDEX, Reach(skip="extension 999 does not exist")),
    ("cell", "109", EVERYONE_UP, INDEX, Reach((cell(ANN_MOBILE, "Ann", "109"),))),
    # a cell-only extension does not need its softphone registered
    ("cell-unregistered", "109", Presence(), INDEX, Reach((cell(ANN_MOBILE, "Ann", "109"),))),
    ("cell-no-mobile", "103", EVERYONE_UP, INDEX, Reach(skip="Cat has no mobile number")),
    ("cell-no-trunk", "109", EVERYONE_UP, NO_TRUNK,
     Reach(skip="no trunk is configured for cell phones")),
    ("both", "102", EVERYONE_UP, INDEX,
     Reach((soft("102", "Bob"), cell(BOB_MOBILE, "Bob", "102")))),
    ("both-unregistered-rings-cell", "102", Presence(), INDEX,
     Reach((cell(BOB_MOBILE, "Bob", "102"),))),
    ("both-in-call-skipped", "102", presence(x102=DeviceState.INUSE), INDEX,
     Reach(skip="102 is already on a call")),
    ("both-no-trunk-rings-softphone", "102", EVERYONE_UP, NO_TRUNK, Reach((soft("102", "Bob"),))),
    ("both-no-mobile-rings-softphone", "108", EVERYONE_UP, INDEX, Reach((soft("108", "Cat"),))),
    ("both-nothing", "108", Presence(), INDEX,
     Reach(skip="108 is not registered; Cat has no mobile number")),
    ("both-unregistered-no-trunk", "102", Presence(), NO_TRUNK,
     Reach(skip="102 is not registered; no trunk is configured for cell phones")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("ext", "states", "index", "expected"),
    [case[1:] for case in EXTENSION_CASES],
    ids=[case[0] for case in EXTENSION_CASES],
)
def test_reach_extension(ext: str, states: Presence, index: RoutingIndex, expected: Reach) -> None:
    assert reach_extension(ext, index, states) == expected


def test_dnd_beats_everything() -> None:
    dnd = replace(DIRECTORY.extensions[1], dnd=True)
    directory = replace(DIRECTORY, extensions=(dnd,))
    index = RoutingIndex.build(directory, RoutingOptions())
    assert reach_extension("102", index, EVERYONE_UP) == Reach(skip="102 is on do-not-disturb")


# --- one user, all their extensions -----------------------------------------------------


USER_CASES = [
    # Fay: 105 both, 106 cell, 107 softphone; her mobile rings once (for 105)
    ("all-extensions-mobile-once", "Fay", EVERYONE_UP, INDEX,
     Reach((soft("105", "Fay"), cell(FAY_MOBILE, "Fay", "105"), soft("107", "Fay")))),
    ("softphones-away-cell-remains", "Fay", presence(x105=DeviceState.INUSE, x107=DeviceState.UNAVAILABLE),
     INDEX, Reach((cell(FAY_MOBILE, "Fay", "106"),))),
    ("softphone-and-cell-extensions", "Ann", EVERYONE_UP, INDEX,
     Reach((soft("101", "Ann"), cell(ANN_MOBILE, "Ann", "109")))),
    ("nobody-reachable", "Fay", Presence(), NO_TRUNK,
     Reach(skip="105 is not registered; no trunk is configured for cell phones; "
                "107 is not registered")),
    ("bob-one-dnd-one-busy", "Bob", presence(x102=DeviceState.BUSY), INDEX,
     Reach(skip="102 is already on a call; 110 is on do-not-disturb")),
    ("deactivated", "Dan", EVERYONE_UP, INDEX, Reach(skip="user Dan is deactivated")),
    ("no-extension", "Eve", EVERYONE_UP, INDEX, Reach(skip="Eve has no extension")),
    ("unknown", "Zed", EVERYONE_UP, INDEX, Reach(skip="user Zed does not exist")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("user", "states", "index", "expected"),
    [case[1:] for case in USER_CASES],
    ids=[case[0] for case in USER_CASES],
)
def test_reach_user(user: str, states: Presence, index: RoutingIndex, expected: Reach) -> None:
    assert reach_user(user, index, states) == expected


# --- outside numbers --------------------------------------------------------------------


@pytest.mark.parametrize("number", ["+13125550150", "911"])
def test_reach_number(number: str) -> None:
    assert reach_number(number, INDEX) == Reach(
        (Leg(LegKind.NUMBER, number, f"PJSIP/{number}@carrier", f"{number}@carrier"),)
    )


def test_reach_number_without_trunk() -> None:
    assert reach_number("+13125550150", NO_TRUNK) == Reach(skip="no trunk is configured")


def test_trunk_is_first_by_name() -> None:
    trunks = (Trunk("zeta", "z.example.net", "z", "zz"), Trunk("alpha", "a.example.net", "a", "aa"))
    index = RoutingIndex.build(replace(DIRECTORY, trunks=trunks), RoutingOptions())
    assert reach_number("+13125550150", index).legs[0].dial == "PJSIP/+13125550150@alpha"


# --- strategies -------------------------------------------------------------------------


MEMBERS = ("101", "102", "103", "104")
NO_STATS = RingStats()


def group(strategy: Strategy, members: tuple[str, ...] = MEMBERS) -> RingGroup:
    return RingGroup("Dispatch", strategy, members)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=UTC)


ORDER_CASES = [
    ("ring-all", Strategy.RING_ALL, NO_STATS, MEMBERS),
    ("sequential", Strategy.SEQUENTIAL, NO_STATS, MEMBERS),
    ("sequential-ignores-stats", Strategy.SEQUENTIAL,
     RingStats(answered_today={"101": 9}, round_robin_last={"Dispatch": "101"}), MEMBERS),
    ("longest-idle", Strategy.LONGEST_IDLE,
     RingStats(last_call_end={"101": at(10), "102": at(9), "103": at(11), "104": at(8)}),
     ("104", "102", "101", "103")),
    ("longest-idle-never-called-first", Strategy.LONGEST_IDLE,
     RingStats(last_call_end={"101": at(10), "103": at(9)}), ("102", "104", "103", "101")),
    ("longest-idle-ties-as-listed", Strategy.LONGEST_IDLE,
     RingStats(last_call_end={"101": at(10), "102": at(9), "103": at(9), "104": at(10)}),
     ("102", "103", "101", "104")),
    ("longest-idle-no-stats", Strategy.LONGEST_IDLE, NO_STATS, MEMBERS),
    ("round-robin-after-last", Strategy.ROUND_ROBIN,
     RingStats(round_robin_last={"Dispatch": "102"}), ("103", "104", "101", "102")),
    ("round-robin-wraps", Strategy.ROUND_ROBIN,
     RingStats(round_robin_last={"Dispatch": "104"}), MEMBERS),
    ("round-robin-first", Strategy.ROUND_ROBIN,
     RingStats(round_robin_last={"Dispatch": "101"}), ("102", "103", "104", "101")),
    ("round-robin-no-memory", Strategy.ROUND_ROBIN, NO_STATS, MEMBERS),
    ("round-robin-former-member", Strategy.ROUND_ROBIN,
     RingStats(round_robin_last={"Dispatch": "199"}), MEMBERS),
    ("round-robin-other-group", Strategy.ROUND_ROBIN,
     RingStats(round_robin_last={"Sales": "102"}), MEMBERS),
    ("fewest-calls", Strategy.FEWEST_CALLS,
     RingStats(answered_today={"101": 5, "102": 2, "103": 7, "104": 1}),
     ("104", "102", "101", "103")),
    ("fewest-calls-ties-as-listed", Strategy.FEWEST_CALLS,
     RingStats(answered_today={"101": 3, "103": 1}), ("102", "104", "103", "101")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("strategy", "stats", "expected"),
    [case[1:] for case in ORDER_CASES],
    ids=[case[0] for case in ORDER_CASES],
)
def test_member_order(strategy: Strategy, stats: RingStats, expected: tuple[str, ...]) -> None:
    assert member_order(group(strategy), stats, random.Random(1)) == expected


def test_random_is_a_seeded_permutation() -> None:
    members = tuple(str(n) for n in range(101, 121))
    first = member_order(group(Strategy.RANDOM, members), NO_STATS, random.Random(42))
    again = member_order(group(Strategy.RANDOM, members), NO_STATS, random.Random(42))
    expected = list(members)
    random.Random(42).shuffle(expected)
    assert first == again == tuple(expected)
    assert sorted(first) == sorted(members) and first != members


def test_random_varies_between_calls() -> None:
    rng = random.Random(7)
    orders = {member_order(group(Strategy.RANDOM), NO_STATS, rng) for _ in range(50)}
    assert len(orders) > 5
    assert all(sorted(order) == sorted(MEMBERS) for order in orders)


@pytest.mark.parametrize("strategy", list(Strategy))
def test_empty_group(strategy: Strategy) -> None:
    assert member_order(group(strategy, ()), NO_STATS, random.Random(1)) == ()
