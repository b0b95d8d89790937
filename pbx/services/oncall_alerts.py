"""Auto-notify: an after-hours call ringing the on-call technician also alerts them.

Call control hands each `AlertOnCall` to `submit()`, which never blocks; the
worker turns it into notices (every channel the technician can be reached on)
and gives them to the notifier, whose outbox retries and survives restarts.
"""

from __future__ import annotations

import asyncio
import logging

from pbx.core.callflow import AlertOnCall
from pbx.core.notifications import oncall_call_notices
from pbx.services.callcontrol import DirectoryView
from pbx.services.notifier import Notifier

log = logging.getLogger(__name__)

QUEUE_MAX = 1000


class OnCallAlerts:
    """Turns on-call alerts from the call path into notifications, off the call path."""

    def __init__(self, directory: DirectoryView, notifier: Notifier) -> None:
        self.directory = directory
        self.notifier = notifier
        self._queue: asyncio.Queue[AlertOnCall] = asyncio.Queue(QUEUE_MAX)
        self._seen: set[tuple[str, str]] = set()

    def submit(self, alert: AlertOnCall) -> None:
        """Queue an alert (one per call and technician); never blocks."""
        key = (alert.key, alert.tech)
        if key in self._seen:
            return  # the same technician rung again in a later wave of the same call
        self._seen.add(key)
        if len(self._seen) > 10 * QUEUE_MAX:
            self._seen.clear()
        try:
            self._queue.put_nowait(alert)
        except asyncio.QueueFull:
            log.error("on-call alert for call %s dropped: too many waiting", alert.key)

    async def run(self) -> None:
        """Deliver alerts forever (the notifier never raises for an unavailable outbox)."""
        while True:
            alert = await self._queue.get()
            index = self.directory.index
            tech = index.users.get(alert.tech) if index is not None else None
            if tech is None:
                log.warning("on-call alert for call %s: user %s unknown", alert.key, alert.tech)
                continue
            notices = oncall_call_notices(
                tech, alert.caller, alert.customer_name, alert.business_number, alert.at,
                enabled=self.notifier.enabled,
            )  # fmt: skip
            if not notices:
                log.info(
                    "on-call alert for call %s: %s has no channel to reach", alert.key, tech.name
                )
            await self.notifier.notify(notices)
