"""Imports the failsafe log (calls the dialplan carried without the controller) into the call log.

Asterisk appends to the log; the importer first renames it aside (Asterisk's
next line starts a new file), hands each line to the call log's queue, which
journals it at once, and then removes the renamed file. A file renamed aside
but not yet removed (the controller stopped in between) is imported first
next time; patches are idempotent, so nothing is written twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from pbx.core.failsafe import BadLine, patch_from_line
from pbx.services.callcontrol import PatchSink

log = logging.getLogger(__name__)

INTERVAL = 10.0  # seconds between looks while the controller runs


class FailsafeImporter:
    """Moves the failsafe log's calls into the call log."""

    def __init__(self, path: Path, calls: PatchSink) -> None:
        self.path = path
        self.aside = path.with_name(path.name + ".importing")
        self.calls = calls
        self.node: str | None = None  # Asterisk's entity id (call keys), once ARI told it

    def import_once(self) -> int:
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
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                self.calls.submit(patch_from_line(line, node))
            except BadLine as exc:
                log.warning("failsafe log line %d skipped: %s", number, exc)
                continue
            count += 1
        self.aside.unlink(missing_ok=True)
        if count:
            log.info("call log: %d calls the failsafe carried, imported", count)
        return count

    async def run(self, interval: float = INTERVAL) -> None:
        """Import every `interval` seconds (run it in the controller's TaskGroup)."""
        while True:
            self.import_once()
            await asyncio.sleep(interval)
