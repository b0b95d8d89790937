"""Call and voicemail events for the CRM (the API's event stream), published from the
call path without ever blocking it.

Each subscriber has a bounded queue; a subscriber that falls behind loses its
oldest events (and is told how many), never slows the publisher.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

QUEUE_SIZE = 1000


@dataclass(frozen=True)
class Event:
    """One event: `type` (call.ringing, call.answered, call.ended, voicemail.new,
    emergency), its data, and the users it concerns (for who may see it)."""

    type: str
    data: Mapping[str, Any]
    users: frozenset[str] = frozenset()
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "at": self.at.isoformat(), **self.data}


class Subscription:
    """The events one client receives, in order."""

    def __init__(self, accept: Callable[[Event], bool], size: int) -> None:
        self.accept = accept
        self.queue: asyncio.Queue[Event] = asyncio.Queue(size)
        self.dropped = 0

    def offer(self, event: Event) -> None:
        if not self.accept(event):
            return
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            yield await self.queue.get()


class EventHub:
    """Publish events to every subscriber; never blocks, never fails the publisher."""

    def __init__(self, size: int = QUEUE_SIZE) -> None:
        self.size = size
        self._subscribers: set[Subscription] = set()
        self._ids = itertools.count(1)

    def publish(
        self, type_: str, data: Mapping[str, Any], users: frozenset[str] = frozenset()
    ) -> None:
        if not self._subscribers:
            return
        event = Event(type_, data, users, id=next(self._ids))
        for subscriber in list(self._subscribers):
            subscriber.offer(event)

    @contextmanager
    def subscribe(
        self, accept: Callable[[Event], bool] = lambda _e: True
    ) -> Iterator[Subscription]:
        """A subscription for the duration of the `with` block."""
        subscription = Subscription(accept, self.size)
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers.discard(subscription)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
