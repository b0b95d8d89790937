"""Reconnect pacing shared by the ARI and AMI supervisors."""

from __future__ import annotations

import asyncio
import contextlib
import logging

BACKOFF_MIN = 0.5
BACKOFF_MAX = 2.0  # Asterisk is local: probing it is cheap, and calls wait on it


class Backoff:
    """Delays that double from 0.5 s to 2 s while connecting fails; one log line per new problem.

    Setting `wake` (an asyncio.Event) ends the current wait at once, e.g. when
    AMI reports that Asterisk is fully booted and ARI should reconnect now.
    """

    def __init__(self, log: logging.Logger, wake: asyncio.Event | None = None) -> None:
        self.log = log
        self.delay = BACKOFF_MIN
        self.last_problem: str | None = None
        self.ever_connected = False
        self.wake = wake

    async def _pause(self, seconds: float) -> None:
        if self.wake is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), seconds)
        self.wake.clear()

    async def failed(self, problem: str) -> None:
        """Connecting failed: log it if it is news, then wait before the next try."""
        if problem != self.last_problem:
            self.log.warning("%s; retrying", problem)
            self.last_problem = problem
        await self._pause(self.delay)
        self.delay = min(self.delay * 2, BACKOFF_MAX)

    def connected(self) -> str:
        """Connecting worked: reset, and say whether this was a first connect or a reconnect."""
        self.delay = BACKOFF_MIN
        self.last_problem = None
        word = "reconnected" if self.ever_connected else "connected"
        self.ever_connected = True
        return word

    async def lost(self, reason: str) -> None:
        """An established connection ended: log it and pause briefly before reconnecting."""
        self.log.warning("%s; reconnecting", reason)
        self.last_problem = None
        await self._pause(BACKOFF_MIN)
