"""In-memory implementations of the notifier's own ports, for tests.

`MemoryOutbox` keeps the Outbox contract (ids, due order, outcomes) in a dict
and can be switched unavailable, as a database in an outage would be.
`ListSender` is a Sender that records what it was given and fails on request.
`FakeClock` is a clock the test moves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from pbx.core.notifications import DeliveryError, Notice, NoticeStatus


class FakeClock:
    """Time stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Unavailable(ConnectionError):
    """What MemoryOutbox raises while it is switched off."""


@dataclass
class Outcome:
    """One call that changed a notice: delivered, retry or give_up."""

    what: str
    notice_id: int
    attempts: int | None = None
    error: str | None = None
    at: datetime | None = None


class MemoryOutbox:
    """The Outbox port in memory."""

    def __init__(self) -> None:
        self.notices: dict[int, Notice] = {}
        self.outcomes: list[Outcome] = []
        self.available = True
        self.delivered_at: dict[int, datetime] = {}
        self._next_id = 1

    def _check(self) -> None:
        if not self.available:
            raise Unavailable("database is down")

    async def add(self, notices: Sequence[Notice]) -> None:
        self._check()
        for notice in notices:
            self.notices[self._next_id] = replace(notice, id=self._next_id)
            self._next_id += 1

    async def due(self, now: datetime, limit: int) -> list[Notice]:
        self._check()
        pending = [
            n
            for n in self.notices.values()
            if n.status is NoticeStatus.PENDING and n.next_at <= now
        ]
        pending.sort(key=lambda n: (n.next_at, n.id or 0))
        return pending[:limit]

    async def delivered(self, notice_id: int, at: datetime) -> None:
        self._check()
        notice = self.notices[notice_id]
        self.notices[notice_id] = replace(
            notice, status=NoticeStatus.SENT, attempts=notice.attempts + 1, last_error=None
        )
        self.delivered_at[notice_id] = at
        self.outcomes.append(Outcome("delivered", notice_id, notice.attempts + 1, at=at))

    async def retry(self, notice_id: int, attempts: int, next_at: datetime, error: str) -> None:
        self._check()
        self.notices[notice_id] = replace(
            self.notices[notice_id], attempts=attempts, next_at=next_at, last_error=error
        )
        self.outcomes.append(Outcome("retry", notice_id, attempts, error, next_at))

    async def give_up(self, notice_id: int, attempts: int, error: str) -> None:
        self._check()
        self.notices[notice_id] = replace(
            self.notices[notice_id],
            status=NoticeStatus.FAILED,
            attempts=attempts,
            last_error=error,
        )
        self.outcomes.append(Outcome("give_up", notice_id, attempts, error))

    async def next_due(self) -> datetime | None:
        self._check()
        pending = [n.next_at for n in self.notices.values() if n.status is NoticeStatus.PENDING]
        return min(pending, default=None)

    def with_status(self, status: NoticeStatus) -> list[Notice]:
        return [n for n in self.notices.values() if n.status is status]


class ListSender:
    """A Sender that keeps what it sends; `failures` makes the next sends fail with that reason."""

    def __init__(self) -> None:
        self.sent: list[tuple[Notice, Path | None]] = []
        self.failures: list[str] = []
        self.gate: asyncio.Event | None = None  # when set: each send waits for it
        self.in_flight = 0
        self.most_in_flight = 0

    async def send(self, notice: Notice, attachment: Path | None) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.failures:
                raise DeliveryError(self.failures.pop(0))
            self.sent.append((notice, attachment))
        finally:
            self.in_flight -= 1


async def eventually(
    condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition"
) -> None:
    """Wait until `condition()` holds (polling the event loop), or fail the test."""
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"still waiting after {timeout:g} s for {what}") from None
