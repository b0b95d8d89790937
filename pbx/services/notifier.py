"""Delivering notifications: an outbox in the database, and a worker that empties it.

`Notifier.notify` stores notices in the outbox and wakes the worker; it never
sends anything itself, so a slow mail server never holds up whoever reported
the voicemail. `Notifier.run`, a long-lived task, takes the notices that are
due, delivers them (a few at a time per channel, so a dead mail server does not
hold up SMS), and records the outcome: delivered; failed and tried again later
(`pbx.core.notifications.retry_at`: 30 s, 2 min, 10 min ... 4 h); or given up
after the last attempt.

Nothing is lost while the database is down: notices that could not be stored
wait in memory and outcomes that could not be recorded are kept and recorded
later (a notice whose outcome is pending is not sent again meanwhile), while the
worker retries with a backoff. Delivery is at least once: a crash between
sending and recording means sending again (webhooks carry `X-Pbx-Delivery`,
the notice id, so receivers can drop duplicates).

An email whose recording is missing from the store is sent without it, and
its body says so: the transcript and the caller still matter.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from pbx.adapters.backoff import Backoff
from pbx.core.notifications import Channel, DeliveryError, Notice, retry_at

__all__ = ["DeliveryError", "Notifier", "Outbox", "Sender"]

log = logging.getLogger(__name__)

CONCURRENCY = 4  # deliveries at once per channel
BATCH = 100  # notices taken from the outbox at a time
SEND_TIMEOUT = 120.0  # one delivery that takes longer than this has failed
STORE_TIMEOUT = 5.0  # notify() gives up waiting for the outbox after this (keeps the notices)
MAX_IDLE = 60.0  # look at the outbox at least this often (clock changes, other writers)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Outbox(Protocol):
    """Durable storage of notices (the database).

    Notices are identified by the `id` that `add` gives them. `due` and
    `next_due` see pending notices only.
    """

    async def add(self, notices: Sequence[Notice]) -> None:
        """Store new notices (pending, due at their `next_at`), all in one transaction."""
        ...

    async def due(self, now: datetime, limit: int) -> list[Notice]:
        """Up to `limit` pending notices with `next_at <= now`, oldest `next_at` first, with ids."""
        ...

    async def delivered(self, notice_id: int, at: datetime) -> None:
        """Mark a notice sent (attempts + 1, no error)."""
        ...

    async def retry(self, notice_id: int, attempts: int, next_at: datetime, error: str) -> None:
        """Record a failed attempt: `attempts` so far, the error, and when to try again."""
        ...

    async def give_up(self, notice_id: int, attempts: int, error: str) -> None:
        """Mark a notice failed for good after `attempts` attempts, with the last error."""
        ...

    async def next_due(self) -> datetime | None:
        """The earliest `next_at` of a pending notice (None: nothing pending)."""
        ...


class Sender(Protocol):
    """Delivers notices of one channel (SMTP, a webhook)."""

    async def send(self, notice: Notice, attachment: Path | None) -> None:
        """Deliver `notice`; raise DeliveryError with a one-line reason when it did not go."""
        ...


class Notifier:
    """The notification outbox's worker and its entry point.

    `senders` has one sender per configured channel; `attachments` turns a
    notice's attachment (a path in the recording store) into a file path (it may
    raise for a path it refuses). `clock` gives the current time (UTC).
    """

    def __init__(
        self,
        outbox: Outbox,
        senders: Mapping[Channel, Sender],
        attachments: Callable[[str], Path],
        clock: Callable[[], datetime] = _utcnow,
        *,
        concurrency: int = CONCURRENCY,
        batch: int = BATCH,
        send_timeout: float = SEND_TIMEOUT,
        store_timeout: float = STORE_TIMEOUT,
        max_idle: float = MAX_IDLE,
    ) -> None:
        self.outbox = outbox
        self.senders = dict(senders)
        self.attachments = attachments
        self.clock = clock
        self.concurrency = concurrency
        self.batch = batch
        self.send_timeout = send_timeout
        self.store_timeout = store_timeout
        self.max_idle = max_idle
        self._wake = asyncio.Event()
        self._unsaved: list[Notice] = []  # not yet in the outbox (it was unavailable)
        self._unrecorded: list[tuple[int, Callable[[], Awaitable[None]]]] = []  # outcomes
        self._busy: set[int] = set()  # ids being delivered, or whose outcome is unrecorded
        self._active: Counter[Channel] = Counter()  # deliveries under way per channel

    @property
    def enabled(self) -> frozenset[Channel]:
        """The channels that have a sender (are configured)."""
        return frozenset(self.senders)

    @property
    def backlog(self) -> int:
        """Notices or outcomes held in memory because the outbox was unavailable."""
        return len(self._unsaved) + len(self._unrecorded)

    async def notify(self, notices: Sequence[Notice]) -> None:
        """Queue notices for delivery; returns within `store_timeout` and never raises for
        an unavailable outbox (the notices then wait in memory for the worker to store)."""
        if not notices:
            return
        try:
            async with asyncio.timeout(self.store_timeout):
                await self.outbox.add(list(notices))
        except Exception as exc:  # the database may be down: keep them, the worker stores later
            log.warning(
                "notifications: outbox unavailable (%s); %d notices kept until it is back",
                _one_line(exc),
                len(notices),
            )
            self._unsaved.extend(notices)
        self.wake()

    def wake(self) -> None:
        """Look at the outbox now (new notices, or the clock moved)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver due notices forever (run it in the controller's TaskGroup)."""
        backoff = Backoff(log)
        async with asyncio.TaskGroup() as deliveries:
            while True:
                self._wake.clear()
                try:
                    await self._catch_up()
                    self._start_due(deliveries, await self.outbox.due(self.clock(), self._limit))
                    delay = await self._idle_delay()
                except Exception as exc:  # the database may be down: keep everything, retry
                    await backoff.failed(f"notification outbox unavailable ({_one_line(exc)})")
                    continue
                if backoff.last_problem is not None:
                    log.info("notification outbox available again")
                backoff.connected()
                try:
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                except TimeoutError:
                    pass

    @property
    def _limit(self) -> int:
        # in-flight notices are still pending in the outbox and come back first
        return len(self._busy) + self.batch

    async def _catch_up(self) -> None:
        """Store notices and record outcomes that the outbox missed earlier; raises if it still
        cannot (nothing is taken from the outbox before its past is written)."""
        if self._unsaved:
            notices = list(self._unsaved)
            await self.outbox.add(notices)
            del self._unsaved[: len(notices)]
            log.info("notifications: %d held notices stored", len(notices))
        while self._unrecorded:
            notice_id, record = self._unrecorded[0]
            await record()
            self._unrecorded.pop(0)
            self._busy.discard(notice_id)

    def _start_due(self, deliveries: asyncio.TaskGroup, due: list[Notice]) -> None:
        for notice in due:
            if notice.id is None or notice.id in self._busy:
                continue
            if self._active[notice.channel] >= self.concurrency:
                continue  # taken up again when a delivery of this channel ends (it wakes us)
            self._busy.add(notice.id)
            self._active[notice.channel] += 1
            deliveries.create_task(self._deliver(notice.id, notice))

    async def _idle_delay(self) -> float:
        next_at = await self.outbox.next_due()
        if next_at is None:
            return self.max_idle
        delay = (next_at - self.clock()).total_seconds()
        if delay <= 0:
            # what is due is being delivered or waits for a free slot; its end wakes us
            return self.max_idle
        return min(delay, self.max_idle)

    async def _deliver(self, notice_id: int, notice: Notice) -> None:
        try:
            record = await self._attempt(notice_id, notice)
            try:
                await record()
            except Exception as exc:
                log.warning(
                    "notifications: outcome of notice %d not recorded yet (%s)",
                    notice_id,
                    _one_line(exc),
                )
                self._unrecorded.append((notice_id, record))  # stays busy: not sent again
            else:
                self._busy.discard(notice_id)
        except Exception:  # a bug must not end the worker; the notice is tried again later
            log.exception("notifications: delivering notice %d failed", notice_id)
            self._busy.discard(notice_id)
        finally:
            self._active[notice.channel] -= 1
            self.wake()

    async def _attempt(self, notice_id: int, notice: Notice) -> Callable[[], Awaitable[None]]:
        """Send once; returns how to record the outcome in the outbox."""
        what = f"notice {notice_id} ({notice.kind} by {notice.channel} to {notice.user})"
        sender = self.senders.get(notice.channel)
        attempts = notice.attempts + 1
        if sender is None:
            error = f"{notice.channel} notifications are not configured"
            log.error("notifications: %s given up: %s", what, error)
            return lambda: self.outbox.give_up(notice_id, attempts, error)
        notice, attachment = await self._attachment(notice, what)
        try:
            async with asyncio.timeout(self.send_timeout):
                await sender.send(notice, attachment)
        except DeliveryError as exc:
            error = exc.reason
        except TimeoutError:
            error = f"no result within {self.send_timeout:g} s"
        except Exception as exc:  # a sender's bug counts as a failed attempt
            log.exception("notifications: %s: sender failed", what)
            error = _one_line(exc)
        else:
            at = self.clock()
            log.info("notifications: %s delivered (attempt %d)", what, attempts)
            return lambda: self.outbox.delivered(notice_id, at)
        later = retry_at(attempts, self.clock())
        if later is None:
            log.error("notifications: %s given up after %d attempts: %s", what, attempts, error)
            return lambda: self.outbox.give_up(notice_id, attempts, error)
        log.warning(
            "notifications: %s failed (attempt %d): %s; next try at %s",
            what,
            attempts,
            error,
            later.isoformat(timespec="seconds"),
        )
        return lambda: self.outbox.retry(notice_id, attempts, later, error)

    async def _attachment(self, notice: Notice, what: str) -> tuple[Notice, Path | None]:
        """The attachment's file; a missing one is left out and the body says so."""
        if notice.attachment is None:
            return notice, None
        try:
            path = self.attachments(notice.attachment)
            found = await asyncio.to_thread(path.is_file)
        except Exception as exc:  # a path the store refuses
            log.warning("notifications: %s: attachment %s: %s", what, notice.attachment, exc)
            found = False
        if found:
            return notice, path
        log.warning("notifications: %s: recording %s is missing", what, notice.attachment)
        body = notice.body + "\n(The recording could not be attached: the file is missing.)\n"
        return replace(notice, body=body), None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
