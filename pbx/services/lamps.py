"""Message-waiting lamps: each desk phone shows the unread messages of its boxes.

`MessageLamps` compares the unread and read counts of every extension's boxes
with what it last told the phone, and sends a message-summary NOTIFY where they
differ. It looks when woken (a message was stored, read or unread here) and
every `poll` seconds (the CLI marks messages read in another process). A phone
that registers again is told again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from pbx.core.voicemail import lamp_counts
from pbx.services.callcontrol import DirectoryView

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0

Counts = Callable[[], Awaitable[dict[str, tuple[int, int]]]]


class LampSwitch(Protocol):
    async def message_waiting(self, endpoint: str, new: int, old: int) -> None:
        """Send the phone(s) of `endpoint` a message summary."""
        ...


class MessageLamps:
    """Keeps every extension's lamp in step with its boxes."""

    def __init__(
        self, counts: Counts, directory: DirectoryView, poll: float = POLL_SECONDS
    ) -> None:
        self.counts = counts
        self.directory = directory
        self.poll = poll
        self.switch: LampSwitch | None = None  # the AMI session, while there is one
        self._told: dict[str, tuple[int, int]] = {}
        self._wake = asyncio.Event()

    def attach(self, switch: LampSwitch | None) -> None:
        """Use this AMI session (None while there is none); every phone is told again."""
        self.switch = switch
        self._told.clear()
        self.wake()

    def forget(self, endpoint: str) -> None:
        """The phone of `endpoint` registered: tell it again."""
        self._told.pop(endpoint, None)
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.update()
            except Exception as exc:
                log.warning("message-waiting lamps: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)

    async def update(self) -> None:
        """Tell every phone whose counts changed."""
        index = self.directory.index
        switch = self.switch
        if index is None or switch is None:
            return
        lamps = lamp_counts(index.directory, await self.counts())
        for ext, (new, old) in lamps.items():
            if self._told.get(ext) == (new, old):
                continue
            self._told[ext] = (new, old)
            try:
                await switch.message_waiting(ext, new, old)
            except Exception as exc:  # not registered: it is told when it registers
                log.debug("message-waiting lamp of %s: %s", ext, exc)
            else:
                log.info("message-waiting lamp of %s: %d new, %d old", ext, new, old)
