"""Imports the failsafe log (calls the dialplan carried without the controller) into the call log.

Asterisk appends to the log; the importer first renames it aside (Asterisk's
next line starts a new file), hands each line to the call log's queue, which
journals it at once, and then removes the renamed file. A file renamed aside
but not yet removed (the controller stopped in between) is imported first
next time; patches are idempotent, so nothing is written twice.

A line may be the end of a call the controller had routed before it went
away: when the call log already has that call, the line only ends it and adds
to its route (`failsafe.continued`). The importer looks that up off the call
path, and when the database cannot answer it imports the line as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from pbx.core.calls import CallPatch, CallRecord
from pbx.core.failsafe import BadLine, continued, patch_from_line
from pbx.services.callcontrol import PatchSink

log = logging.getLogger(__name__)

INTERVAL = 10.0  # seconds between looks while the controller runs

LOOKUP_TIMEOUT = 5.0  # seconds a look-up in the call log may take

CallLookup = Callable[[str], Awaitable[CallRecord | None]]


class FailsafeImporter:
    """Moves the failsafe log's calls into the call log."""

    def __init__(self, path: Path, calls: PatchSink, known: CallLookup | None = None) -> None:
        self.path = path
        self.aside = path.with_name(path.name + ".importing")
        self.calls = calls
        self.known = known  # the call log's record of a call key, if any
        self.node: str | None = None  # Asterisk's entity id (call keys), once ARI told it
        self._wake = asyncio.Event()
        self._lookups = known is not None  # off for the rest of a pass once one failed

    def wake(self) -> None:
        """Import now rather than at the next interval (the controller just connected)."""
        self._wake.set()

    async def import_once(self) -> int:
        """Import what the failsafe logged since the last time; returns the calls imported."""
        node = self.node
        if node is None:
            return 0
        count = 0
        try:
            if not self.aside.exists():
                if not self.path.exists():
                    return 0
                os.replace(self.path, self.aside)
            lines = self.aside.read_text(errors="replace").splitlines()
        except OSError as exc:
            log.warning("failsafe log %s: %s", self.path, exc)
            return 0
        self._lookups = self.known is not None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                patch = patch_from_line(line, node)
            except BadLine as exc:
                log.warning("failsafe log line %d skipped: %s", number, exc)
                continue
            self.calls.submit(await self._as_continued(patch))
            count += 1
        self.aside.unlink(missing_ok=True)
        if count:
            log.info("call log: %d calls the failsafe carried, imported", count)
        return count

    async def _as_continued(self, patch: CallPatch) -> CallPatch:
        if self.known is None or not self._lookups:  # none, or one failed in this pass
            return patch
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT):
                record = await self.known(patch.key)
        except Exception as exc:  # the database may be down: the lines as they are, then
            log.warning("failsafe log: calls not looked up in the call log (%r)", exc)
            self._lookups = False
            return patch
        return patch if record is None else continued(patch, record)

    async def run(self, interval: float = INTERVAL) -> None:
        """Import every `interval` seconds, or when woken (run it in the controller's TaskGroup)."""
        while True:
            self._wake.clear()
            await self.import_once()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._wake.wait()
