"""The directory as routing reads it: an in-memory index, refreshed when the data changes.

Every directory write bumps a revision number in the database (same
transaction). `DirectoryCache.run` polls it every second and rebuilds the
routing index when it moved; `poke()` makes it look at once (the CLI asks the
controller to, after a change, through the API). Routing never waits: it reads
whatever index is current. While the database is unreachable the last index
stays in use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from pbx.core.model import Directory
from pbx.core.routing import RoutingIndex, RoutingOptions

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


class DirectorySource(Protocol):
    async def snapshot(self) -> Directory: ...

    async def revision(self) -> int:
        """A number that changes with every directory write."""
        ...


class DirectoryCache:
    """The current routing index (implements `DirectoryView`)."""

    def __init__(
        self,
        source: DirectorySource,
        options: RoutingOptions,
        poll: float = POLL_SECONDS,
        on_loaded: Callable[[Directory], None] | None = None,
    ) -> None:
        self.source = source
        self.options = options
        self.poll = poll
        self.on_loaded = on_loaded  # told each new snapshot (must not block)
        self._index: RoutingIndex | None = None
        self._revision: int | None = None
        self._poked = asyncio.Event()
        self.loaded = asyncio.Event()

    @property
    def index(self) -> RoutingIndex | None:
        return self._index

    def poke(self) -> None:
        """Look for changes now rather than at the next poll."""
        self._poked.set()

    async def refresh(self) -> bool:
        """Reload the index if the directory changed; True when it did."""
        revision = await self.source.revision()
        if revision == self._revision and self._index is not None:
            return False
        directory = await self.source.snapshot()
        index = await asyncio.to_thread(RoutingIndex.build, directory, self.options)
        self._index, self._revision = index, revision
        self.loaded.set()
        if self.on_loaded is not None:
            self.on_loaded(directory)
        return True

    async def run(self) -> None:
        """Keep the index current, forever; database trouble is logged once per problem."""
        problem: str | None = None
        while True:
            try:
                if await self.refresh():
                    log.info("directory loaded (revision %s)", self._revision)
                if problem is not None:
                    log.info("directory database reachable again")
                problem = None
            except Exception as exc:  # the database may be down: keep the last index
                text = f"{type(exc).__name__}: {exc}"
                if text != problem:
                    log.warning("cannot refresh the directory (%s); using the last one", text)
                problem = text
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked.wait(), self.poll)
            self._poked.clear()
