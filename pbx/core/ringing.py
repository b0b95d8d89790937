"""Who rings, on which devices, in which order: ring targets, presence and group strategies.

Pure. A RING step of a plan is turned into `Leg`s (one Dial() target each)
with the presence of the phones at that moment: members on DND, already in a
call, or (softphone only) unregistered are skipped with a reason. Ring groups
order their members by strategy; the call flow then rings them in waves:
ring-all is one wave of everybody, every other strategy one member per wave,
each wave lasting the group's per-member ring timeout, the whole hunt capped by
the group's total timeout.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pbx.core.calls import LegKind
from pbx.core.model import RingGroup, RingTarget, Strategy
from pbx.core.routing import NO_TRUNK, RoutingIndex


class DeviceState(StrEnum):
    """Asterisk's device states (AMI DeviceStateChange `State`)."""

    UNKNOWN = "UNKNOWN"
    NOT_INUSE = "NOT_INUSE"
    INUSE = "INUSE"
    BUSY = "BUSY"
    INVALID = "INVALID"
    UNAVAILABLE = "UNAVAILABLE"
    RINGING = "RINGING"
    RINGINUSE = "RINGINUSE"
    ONHOLD = "ONHOLD"

    @property
    def in_call(self) -> bool:
        """On a call already (ringing for another call does not count)."""
        return self in (DeviceState.INUSE, DeviceState.BUSY, DeviceState.RINGINUSE, DeviceState.ONHOLD)

    @property
    def reachable(self) -> bool:
        """A registered phone (UNKNOWN counts: Asterisk has not said otherwise)."""
        return self not in (DeviceState.UNAVAILABLE, DeviceState.INVALID)


@dataclass(frozen=True)
class Presence:
    """Device state per extension number; extensions not listed are UNAVAILABLE."""

    states: Mapping[str, DeviceState] = field(default_factory=dict)

    def of(self, ext: str) -> DeviceState:
        return self.states.get(ext, DeviceState.UNAVAILABLE)


@dataclass(frozen=True)
class Leg:
    """One Dial() target.

    `dial` is the Dial() argument (`PJSIP/101`, `PJSIP/+13125550101@carrier`);
    `peer` is how Asterisk names it back in DIALEDPEERNUMBER after it answered
    (`101`, `+13125550101@carrier`).
    """

    kind: LegKind
    target: str  # extension number or the outside number
    dial: str
    peer: str
    user: str | None = None
    ext: str | None = None  # the extension this leg rings for (a member's cell leg too)


@dataclass(frozen=True)
class Reach:
    """The legs that ring for one extension, user or number, or why none can."""

    legs: tuple[Leg, ...] = ()
    skip: str | None = None  # set when `legs` is empty


@dataclass(frozen=True)
class RingStats:
    """What longest-idle, fewest-calls and round-robin remember between calls."""

    last_call_end: Mapping[str, datetime] = field(default_factory=dict)  # ext -> end of its last answered call
    answered_today: Mapping[str, int] = field(default_factory=dict)  # ext -> calls answered today
    round_robin_last: Mapping[str, str] = field(default_factory=dict)  # group -> ext where it stopped


def reach_extension(ext: str, index: RoutingIndex, presence: Presence) -> Reach:
    """Legs for one extension, by its ring target (softphone, cell, both).

    Skipped with a reason: unknown extension, deactivated user, DND, in a call,
    softphone-only and unregistered, cell without a mobile or a trunk.
    `both` with an unregistered softphone rings the cell only.
    """
    number = ext.strip()
    extension = index.extensions.get(number)
    if extension is None:
        return Reach(skip=f"extension {number} does not exist")
    user = index.users.get(extension.user)
    if user is None:
        return Reach(skip=f"{number} belongs to user {extension.user}, who does not exist")
    if not user.active:
        return Reach(skip=f"user {user.name} is deactivated")
    if extension.dnd:
        return Reach(skip=f"{number} is on do-not-disturb")
    state = presence.of(number)
    if state.in_call:
        return Reach(skip=f"{number} is already on a call")
    legs: list[Leg] = []
    why: list[str] = []
    if extension.ring in (RingTarget.SOFTPHONE, RingTarget.BOTH):
        if state.reachable:
            legs.append(
                Leg(LegKind.SOFTPHONE, number, f"PJSIP/{number}", number, user.name, number)
            )
        else:
            why.append(f"{number} is not registered")
    if extension.ring in (RingTarget.CELL, RingTarget.BOTH):
        if not user.mobile:
            why.append(f"{user.name} has no mobile number")
        elif index.trunk is None:
            why.append("no trunk is configured for cell phones")
        else:
            peer = f"{user.mobile}@{index.trunk.name}"
            legs.append(Leg(LegKind.CELL, user.mobile, f"PJSIP/{peer}", peer, user.name, number))
    if legs:
        return Reach(tuple(legs))
    return Reach(skip="; ".join(why))


def reach_user(user: str, index: RoutingIndex, presence: Presence) -> Reach:
    """Legs for every extension of `user` (their mobile at most once)."""
    found = index.users.get(user)
    if found is None:
        return Reach(skip=f"user {user} does not exist")
    if not found.active:
        return Reach(skip=f"user {user} is deactivated")
    extensions = index.extensions_of.get(user, ())
    if not extensions:
        return Reach(skip=f"{user} has no extension")
    legs: list[Leg] = []
    why: list[str] = []
    cell = False
    for extension in extensions:
        reach = reach_extension(extension.number, index, presence)
        for leg in reach.legs:
            if leg.kind is LegKind.CELL:
                if cell:
                    continue
                cell = True
            legs.append(leg)
        for part in reach.skip.split("; ") if reach.skip else ():
            if part not in why:
                why.append(part)
    if legs:
        return Reach(tuple(legs))
    return Reach(skip="; ".join(why))


def reach_number(number: str, index: RoutingIndex) -> Reach:
    """One leg to an outside (E.164 or emergency) number through the trunk; skipped without one."""
    if index.trunk is None:
        return Reach(skip=NO_TRUNK)
    peer = f"{number}@{index.trunk.name}"
    return Reach((Leg(LegKind.NUMBER, number, f"PJSIP/{peer}", peer),))


def member_order(
    group: RingGroup, stats: RingStats, rng: random.Random
) -> tuple[str, ...]:
    """The group's members in the order its strategy rings them.

    ring-all and sequential: as listed. longest-idle: longest since its last
    answered call first (never-called first, then as listed). round-robin:
    starting after `stats.round_robin_last[group]` (the list order when
    unknown or no longer a member). fewest-calls: fewest answered today first
    (ties as listed). random: shuffled with `rng`.
    """
    members = group.members
    strategy = group.strategy
    if strategy is Strategy.LONGEST_IDLE:
        ended = stats.last_call_end
        never = [m for m in members if m not in ended]
        called = sorted((m for m in members if m in ended), key=lambda m: ended[m])
        return (*never, *called)
    if strategy is Strategy.ROUND_ROBIN:
        last = stats.round_robin_last.get(group.name)
        if last is None or last not in members:
            return members
        at = members.index(last) + 1
        return (*members[at:], *members[:at])
    if strategy is Strategy.FEWEST_CALLS:
        answered = stats.answered_today
        return tuple(sorted(members, key=lambda m: answered.get(m, 0)))
    if strategy is Strategy.RANDOM:
        shuffled = list(members)
        rng.shuffle(shuffled)
        return tuple(shuffled)
    return members  # ring-all, sequential
