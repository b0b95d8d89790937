"""Reconnect pacing shared by the ARI and AMI supervisors."""

from __future__ import annotations

import asyncio
import logging

BACKOFF_MIN = 0.5
BACKOFF_MAX = 5.0


class Backoff:
    """Delays that double from 0.5 s to 5 s while connecting fails; one log line per new problem."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self.delay = BACKOFF_MIN
        self.last_problem: str | None = None
        self.ever_connected = False

    async def failed(self, problem: str) -> None:
        """Connecting failed: log it if it is news, then wait before the next try."""
        if problem != self.last_problem:
            self.log.warning("%s; retrying", problem)
            self.last_problem = problem
        await asyncio.sleep(self.delay)
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
        await asyncio.sleep(BACKOFF_MIN)
