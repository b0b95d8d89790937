"""Calls that survive the controller's and the database's failures, end to end.

The real Asterisk, the controller process, SIPp phones and callers, and a real
database (SQLite, or a PostgreSQL server of the test's own that it stops and
starts). Each test checks the call log record of every call it placed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from tests.e2e.phones import CallResult
from tests.e2e.system import System, wait_for
from tests.e2e.test_calls import MAIN, STRANGER, base, inbound, legs, phones
from tests.pg_server import PgServer

SECOND = "+13125550111"


class Caller(threading.Thread):
    """A call placed in the background (`call()` blocks until the call is over)."""

    def __init__(self, place: Callable[[], CallResult]) -> None:
        super().__init__(daemon=True)
        self.place = place
        self.result: CallResult | None = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.result = self.place()
        except BaseException as exc:  # reported by outcome()
            self.error = exc

    def outcome(self, timeout: float = 120.0) -> CallResult:
        self.join(timeout)
        assert not self.is_alive(), "the caller is still on the line"
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def journal_patches(system: System) -> list[dict[str, Any]]:
    """The patches in the controller's call-log journal (complete lines only)."""
    if not system.journal.exists():
        return []
    lines = system.journal.read_bytes().split(b"\n")[:-1]
    return [json.loads(line) for line in lines if line.strip()]


@contextmanager
def sqlite_write_lock(system: System) -> Iterator[None]:
    """Hold the SQLite database's write lock: the controller's call-log writes wait, fail
    after the busy timeout and are retried (readers are not blocked: WAL)."""
    db = sqlite3.connect(system.home / "pbx.db", timeout=30, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
        db.execute("ROLLBACK")
    finally:
        db.close()


def stasis_channels(system: System) -> list[dict[str, Any]]:
    """Asterisk's channels that sit in our Stasis application."""
    return [
        c for c in system.ari("GET", "/channels") if c["dialplan"]["app_name"].lower() == "stasis"
    ]


def test_call_ringing_through_a_controller_crash_is_adopted_and_logged_once(
    system: System,
) -> None:
    base(system)
    system.provision(
        "group add Dispatch --strategy ring-all --members 101,102 --ring-timeout 120 --timeout 180",
        f"number add {MAIN} --label Main --dest group:Dispatch",
    )
    first = system.start()
    with ExitStack() as stack:
        ph = phones(stack, system, on_demand=("101",), ring=("102",))
        caller = Caller(lambda: inbound(system, hold=1.0, timeout=120))
        wait_for("both members ring", lambda: ph["101"].incoming and ph["102"].incoming)
        (started,) = wait_for("the call's first record", system.calls)
        assert started["disposition"] is None and started["ended_at"] is None
        key = started["key"]

        # The controller crashes while the call rings; a new one adopts the call.
        system.kill(first)
        second = system.serve("controller2.log")
        channel = key.rsplit(":", 1)[1]
        wait_for("call adopted", lambda: f"adopted call {channel}" in system.log("controller2.log"))
        assert ph["101"].cancellations == [] and ph["102"].cancellations == []

        # 101 answers; the caller hangs up a second later. The call's end is logged by the
        # new controller, but the database is locked meanwhile: the end waits in the journal.
        with sqlite_write_lock(system):
            ph["101"].answer_now(ph["101"].incoming[0])
            result = caller.outcome()
            assert result.answered and result.hung_up, result.describe()
            wait_for("102 cancelled", lambda: ph["102"].cancellations)
            ending = wait_for(
                "the call's end in the journal",
                lambda: [
                    p for p in journal_patches(system)
                    if p["key"] == key and p["values"].get("disposition")
                ],
            )  # fmt: skip
            assert ending[0]["values"]["disposition"] == "Answered"
            # Crash again before the end reached the database.
            system.kill(second)
            pending = system.journal.read_bytes()
        (record,) = system.calls()
        assert record["key"] == key and record["ended_at"] is None  # only in the journal

        # A third controller applies the journal: the same record, ended, no duplicate.
        third = system.serve("controller3.log")
        (record,) = system.wait_calls(1)
        assert "patches from the journal to apply again" in system.log("controller3.log")
        assert record["key"] == key
        assert record["disposition"] == "Answered"
        assert record["answered_at"] and record["ended_at"]
        assert record["handled_by_ext"] == "101"
        assert record["direction"] == "inbound" and record["business_number"] == MAIN
        assert record["route"], record  # the first controller's routing is kept
        # The first controller wrote the legs; the adopted call's end closed them.
        assert sorted(legs(record)) == [("101", "answered"), ("102", "answered-elsewhere")]
        assert record["handled_by_group"] == "Dispatch"
        wait_for("journal emptied", lambda: system.journal.stat().st_size == 0)

        # A later call is routed normally by the new controller.
        later = Caller(lambda: inbound(system, hold=0.5, timeout=60))
        wait_for("101 rings again", lambda: len(ph["101"].incoming) == 2)
        ph["101"].answer_now(ph["101"].incoming[1])
        assert later.outcome().answered

        # Both recordings get linked (the adopted call's one by the sweep at reconnection);
        # then nothing changes any more.
        def linked() -> list[dict[str, Any]] | None:
            found = system.wait_calls(2)
            return found if all(r["recording"] for r in found) else None

        records = wait_for("recordings linked", linked)
        assert [r["key"] for r in records][0] == key
        routed = records[1]
        assert routed["disposition"] == "Answered" and routed["handled_by_group"] == "Dispatch"
        assert sorted(legs(routed)) == [("101", "answered"), ("102", "answered-elsewhere")]

        # A crash right after the writes, before the journal was emptied: the next
        # controller applies the same patches again, which changes nothing.
        system.kill(third)
        system.journal.write_bytes(pending)
        system.serve("controller4.log")
        wait_for("journal applied again", lambda: system.journal.stat().st_size == 0)
        assert "patches from the journal to apply again" in system.log("controller4.log")
        again = system.wait_calls(2)
    assert len(system.calls()) == 2
    assert again == records, (again, records)


@pytest.fixture()
def postgres() -> Iterator[PgServer]:
    """A PostgreSQL server of this test's own (it stops and starts it)."""
    server = PgServer()
    try:
        yield server.start()
    finally:
        server.remove()


def test_calls_during_a_database_outage_are_routed_and_logged_afterwards(
    system: System, postgres: PgServer
) -> None:
    system.env["PBX_DATABASE_URL"] = postgres.create_database("pbx")
    base(system)
    system.provision(
        "group add Dispatch --strategy ring-all --members 101,102",
        f"number add {MAIN} --label Main --dest group:Dispatch",
        f"number add {SECOND} --label Second --dest ext:102",
    )
    system.start()
    with ExitStack() as stack:
        ph = phones(stack, system, answer=("101",), ring=("102",))
        postgres.stop("fast")
        # Routing reads the directory in memory: calls go on while the database is down.
        answered = inbound(system, hold=0.5)
        assert answered.answered, answered.describe()
        missed = inbound(system, to=SECOND, cancel_after=1.0)
        assert missed.cancelled, missed.describe()
        wait_for("102 cancelled twice", lambda: len(ph["102"].cancellations) == 2)
        wait_for(
            "the call log writer retrying",
            lambda: "call log not written" in system.log("controller.log"),
        )
        assert system.health()["ari"]
        keys = {p["key"] for p in journal_patches(system)}
        assert len(keys) == 2, journal_patches(system)
        postgres.start()
        records = system.wait_calls(2, timeout=30)
        wait_for("journal emptied", lambda: system.journal.stat().st_size == 0)
    assert len(system.calls()) == 2
    assert {r["key"] for r in records} == keys
    group_call, ext_call = records
    assert group_call["disposition"] == "Answered"
    assert group_call["business_number"] == MAIN and group_call["handled_by_ext"] == "101"
    assert sorted(legs(group_call)) == [("101", "answered"), ("102", "answered-elsewhere")]
    assert group_call["answered_at"] and group_call["ended_at"]
    assert ext_call["disposition"] == "Missed" and ext_call["business_number"] == SECOND
    assert legs(ext_call) == [("102", "cancelled")]
    assert ext_call["ended_at"] and ext_call["answered_at"] is None
    assert "call log written again" in system.log("controller.log")


def test_call_waiting_in_stasis_is_routed_by_the_next_controller(system: System) -> None:
    base(system)
    system.provision(f"number add {MAIN} --label Main --dest ext:101")
    frozen = system.start()
    with ExitStack() as stack:
        ph = phones(stack, system, answer=("101",))
        # The controller hangs (its websocket stays open): a new call enters Stasis,
        # and nobody takes it.
        os.kill(frozen.pid, signal.SIGSTOP)
        try:
            caller = Caller(lambda: inbound(system, hold=0.5, timeout=60))
            (waiting,) = wait_for("the call in Stasis", lambda: stasis_channels(system))
        finally:
            system.kill(frozen)
        assert ph["101"].rung_calls == 0
        # Asterisk keeps the channel in the application after the websocket closed.
        assert [c["id"] for c in stasis_channels(system)] == [waiting["id"]]
        system.serve("controller2.log")
        result = caller.outcome()
        assert result.answered, result.describe()
        assert ph["101"].answered_calls == 1
        (record,) = system.wait_calls(1)
    log = system.log("controller2.log")
    assert f"call {waiting['id']} was waiting for the controller" in log
    assert record["key"].endswith(":" + waiting["id"])
    assert record["disposition"] == "Answered" and record["handled_by_ext"] == "101"
    assert record["direction"] == "inbound" and record["business_number"] == MAIN
    assert record["caller"] == STRANGER
    assert legs(record) == [("101", "answered")]
    assert record["answered_at"] and record["ended_at"]


def test_a_wave_that_ends_after_the_controller_died_goes_to_the_fallback(system: System) -> None:
    system.env["PBX_FALLBACK_NUMBER"] = "103"
    base(system)
    system.provision(
        "group add Dispatch --strategy ring-all --members 101,102 --ring-timeout 5 --timeout 5",
        f"number add {MAIN} --label Main --dest group:Dispatch",
    )
    first = system.start()
    failsafe_log = system.home / "asterisk" / "spool" / "failsafe-calls.log"
    with ExitStack() as stack:
        ph = phones(stack, system, answer=("103",), ring=("101", "102"))
        caller = Caller(lambda: inbound(system, hold=0.5, timeout=60))
        wait_for("both members ring", lambda: ph["101"].incoming and ph["102"].incoming)
        (started,) = wait_for("the call's first record", system.calls)
        # The controller dies while the group rings; when the wave ends unanswered,
        # the dialplan finds no controller and rings the fallback number.
        system.kill(first)
        result = caller.outcome()
        assert result.answered, result.describe()
        assert ph["103"].answered_calls == 1
        assert ph["101"].answered_calls == 0 and ph["102"].answered_calls == 0
        wait_for("the failsafe's line", failsafe_log.exists)
        system.serve("controller2.log")
        (record,) = system.wait_calls(1)
    assert len(system.calls()) == 1
    assert record["key"] == started["key"]
    # The controller's record and route are kept; the failsafe's part is added.
    assert record["started_at"] == started["started_at"] and record["caller"] == STRANGER
    assert record["route"][: len(started["route"])] == started["route"]
    assert "controller unavailable" in record["route"][-1]
    assert (record["disposition"], record["handled_by_ext"]) == ("Answered", "103")
    assert record["answered_at"] and record["ended_at"] >= record["answered_at"]
    # The group's legs were left open; the fallback answered the call (`close_open_legs`).
    assert sorted(legs(record)) == [("101", "answered-elsewhere"), ("102", "answered-elsewhere")]
    assert not failsafe_log.exists()
