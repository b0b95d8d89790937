"""How long a routing decision takes on a large directory, and building its index.

Directory: 1,000 users (one extension each), 20 ring groups, 50 business numbers
(assigned, group or extension destinations, forwarding, schedules in five time
zones), 10,000 customers with two phones each (a third of them owned by a user)
and 5,000 jobs. Calls: known customers, unknown callers, callers in national
format, after-hours instants, and internal calls (extensions, group extensions,
outside numbers, emergency).

Prints the index build time (median of 5 builds), the time per decision (median
of 5 runs of N decisions) and the p50/p99 of single decisions.
Run: .venv/bin/python bench/routing_bench.py
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

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
from pbx.core.routing import CallFacts, CallKind, RoutingIndex, RoutingOptions, route
from pbx.core.schedule import build_hours, parse_after_hours

USERS = 1_000
GROUPS = 20
NUMBERS = 50
CUSTOMERS = 10_000
JOBS = 5_000
DECISIONS = 20_000
RUNS = 5

ZONES = ("America/Chicago", "America/New_York", "America/Los_Angeles", "Europe/London", "UTC")
RING = (RingTarget.SOFTPHONE, RingTarget.BOTH, RingTarget.CELL)


def phone(area: int, n: int) -> str:
    return f"+1{area}{2_000_000 + n:07d}"


def directory() -> Directory:
    strategies = list(Strategy)
    users = tuple(
        User(f"user{i}", f"user{i}@example.com", mobile=phone(312, i) if i % 2 else None)
        for i in range(USERS)
    )
    exts = tuple(
        Extension(str(1000 + i), f"user{i}", "p" * 24, RING[i % 3], voicemail_box=f"ext-{1000 + i}")
        for i in range(USERS)
    )
    boxes = tuple(VoicemailBox(f"ext-{1000 + i}") for i in range(USERS)) + (
        VoicemailBox("After Hours"),
    )
    groups = tuple(
        RingGroup(
            f"group{g}",
            strategies[g % len(strategies)],
            tuple(str(1000 + g * 50 + k) for k in range(10)),
            extension=str(600 + g),
            fallback_box="After Hours",
        )
        for g in range(GROUPS)
    )
    schedules = tuple(
        Schedule(
            f"sched{z}",
            zone,
            build_hours(["mon-fri 08:00-17:00", "sat 09:00-12:00"]),
            after_hours=parse_after_hours("oncall,+13125550199,voicemail:After Hours", "US"),
        )
        for z, zone in enumerate(ZONES)
    )
    numbers = []
    for i in range(NUMBERS):
        kind = i % 3
        numbers.append(
            BusinessNumber(
                f"+131255501{i:02d}",
                f"line {i}",
                assigned_user=f"user{i * 7}" if kind == 0 else None,
                destination=(
                    Destination(DestKind.GROUP, f"group{i % GROUPS}")
                    if kind == 1
                    else Destination(DestKind.EXTENSION, str(1000 + i))
                    if kind == 2
                    else None
                ),
                forward="+13125550150" if kind == 2 else None,
                schedule=f"sched{i % len(ZONES)}" if i % 2 == 0 else None,
            )
        )
    customers = tuple(
        Customer(
            f"customer {c}",
            (phone(773, 2 * c), phone(773, 2 * c + 1)),
            owner=f"user{c % USERS}" if c % 3 == 0 else None,
            id=c + 1,
        )
        for c in range(CUSTOMERS)
    )
    jobs = tuple(
        Job(
            customer_id=j % CUSTOMERS + 1,
            title=f"job {j}",
            status=JobStatus.CLOSED if j % 4 == 0 else JobStatus.OPEN,
            id=j + 1,
        )
        for j in range(JOBS)
    )
    trunks = (Trunk("carrier", "sip.example.net", "acct", "secret-pass"),)
    return Directory(
        users=users,
        extensions=exts,
        numbers=tuple(numbers),
        groups=groups,
        schedules=schedules,
        boxes=boxes,
        customers=customers,
        jobs=jobs,
        trunks=trunks,
    )


def calls(d: Directory, count: int, seed: int = 1) -> list[tuple[CallFacts, datetime]]:
    rng = random.Random(seed)
    numbers = [n.e164 for n in d.numbers]
    monday = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 09:00 Chicago, 10:00 New York
    out: list[tuple[CallFacts, datetime]] = []
    for _ in range(count):
        roll = rng.random()
        open_at = monday + timedelta(minutes=rng.randrange(0, 300))
        if roll < 0.40:  # a known customer, E.164 caller ID
            caller = phone(773, rng.randrange(2 * CUSTOMERS))
            out.append((CallFacts(CallKind.INBOUND, rng.choice(numbers), caller), open_at))
        elif roll < 0.55:  # an unknown caller
            caller = phone(847, rng.randrange(100_000))
            out.append((CallFacts(CallKind.INBOUND, rng.choice(numbers), caller), open_at))
        elif roll < 0.65:  # national-format caller ID and DID (normalised, cached)
            n = rng.randrange(200)
            caller = f"(773) {200 + n // 10000:03d}-{n % 10000:04d}"
            did = rng.choice(numbers)[2:]
            out.append((CallFacts(CallKind.INBOUND, did, caller), open_at))
        elif roll < 0.85:  # after hours (Saturday night, most schedules closed)
            at = datetime(2026, 11, 22, 5, 10, tzinfo=UTC) + timedelta(minutes=rng.randrange(60))
            caller = phone(773, rng.randrange(2 * CUSTOMERS))
            out.append((CallFacts(CallKind.INBOUND, rng.choice(numbers), caller), at))
        else:  # internal: extension, group, outside number, emergency
            ext = str(1000 + rng.randrange(USERS))
            dialled = rng.choice(
                [
                    str(1000 + rng.randrange(USERS)),
                    str(600 + rng.randrange(GROUPS)),
                    "3125550123",
                    "911",
                ]
            )
            out.append((CallFacts(CallKind.INTERNAL, dialled, ext), open_at))
    return out


def main() -> None:
    d = directory()
    options = RoutingOptions()
    builds = []
    for _ in range(RUNS):
        start = time.perf_counter()
        index = RoutingIndex.build(d, options)
        builds.append(time.perf_counter() - start)
    print(
        f"directory: {USERS} users/extensions, {GROUPS} groups, {NUMBERS} numbers, "
        f"{CUSTOMERS} customers ({2 * CUSTOMERS} phones), {JOBS} jobs"
    )
    print(f"index build: median {statistics.median(builds) * 1000:.2f} ms over {RUNS} builds")

    mix = calls(d, DECISIONS)
    for facts, at in mix[:2000]:  # warm up (fills the normalisation caches)
        route(facts, index, at)
    per_decision = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for facts, at in mix:
            route(facts, index, at)
        per_decision.append((time.perf_counter() - start) / len(mix))
    print(
        f"route(): median {statistics.median(per_decision) * 1e6:.2f} µs per decision "
        f"({RUNS} runs of {DECISIONS} decisions; runs: "
        + ", ".join(f"{t * 1e6:.2f}" for t in per_decision)
        + ")"
    )
    single = []
    clock = time.perf_counter_ns
    for facts, at in mix:
        start = clock()
        route(facts, index, at)
        single.append(clock() - start)
    single.sort()
    p50 = single[len(single) // 2] / 1000
    p99 = single[int(len(single) * 0.99)] / 1000
    print(f"single decisions: p50 {p50:.2f} µs, p99 {p99:.2f} µs, max {single[-1] / 1000:.2f} µs")


if __name__ == "__main__":
    main()
