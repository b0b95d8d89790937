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
from pbx.core.model import RingGroup
from pbx.core.routing import RoutingIndex


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
    raise NotImplementedError


def reach_user(user: str, index: RoutingIndex, presence: Presence) -> Reach:
    """Legs for every extension of `user` (their mobile at most once)."""
    raise NotImplementedError


def reach_number(number: str, index: RoutingIndex) -> Reach:
    """One leg to an outside (E.164 or emergency) number through the trunk; skipped without one."""
    raise NotImplementedError


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
    raise NotImplementedError
