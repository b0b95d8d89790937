"""What the API's handlers work with: the services over one repository, and what the
running controller offers (live calls, registrations, events, click-to-dial).

The directory snapshot is cached and reloaded only when the directory's
revision moved, so list requests do not rebuild 10,000 customers each time,
and a write through the API is seen by the next read (the revision moves in
the write's own transaction).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from pbx.adapters.db.repository import SqlRepository
from pbx.adapters.recordings import RecordingStore
from pbx.core import clicktodial
from pbx.core.clicktodial import DialRequest
from pbx.core.model import Directory
from pbx.runtime.settings import Settings
from pbx.runtime.wiring import oncall_prompt, prompt_maker
from pbx.services.calls import CallsService
from pbx.services.directory import DirectoryService
from pbx.services.oncall import OnCallService
from pbx.services.tokens import TokenService
from pbx.services.voicemail import VoicemailService


class CachedRepository:
    """A repository whose `snapshot()` is reused until the directory's revision moves;
    everything else goes straight to the repository underneath.

    The revision itself is read at most every `recheck` seconds; `invalidate()` (called
    after every write through the API, and when the CLI reports a change) makes the
    next snapshot look at once, so a client reads its own writes.
    """

    def __init__(
        self, repo: SqlRepository, recheck: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._repo = repo
        self._snapshot: tuple[int, Directory] | None = None
        self._checked = float("-inf")
        self._looking: asyncio.Future[Directory] | None = None
        self._invalidations = self._looking_since = 0
        self.recheck = recheck
        self.clock = clock

    def invalidate(self) -> None:
        self._checked = float("-inf")
        self._invalidations += 1

    async def snapshot(self) -> Directory:
        cached = self._snapshot
        if cached is not None and self.clock() - self._checked < self.recheck:
            return cached[1]
        if self._looking is not None:
            # one look at a time, and every request waiting for it wakes at once (a lock
            # would hand itself from waiter to waiter, one loop turn each: seconds at 200)
            if self._looking_since == self._invalidations:
                return await asyncio.shield(self._looking)
            with contextlib.suppress(Exception):  # it began before a write: look again after
                await asyncio.shield(self._looking)
            return await self.snapshot()
        looking: asyncio.Future[Directory] = asyncio.get_running_loop().create_future()
        self._looking, self._looking_since = looking, self._invalidations
        try:
            directory = await self._look()
        except BaseException as exc:
            looking.set_exception(exc)
            looking.exception()  # retrieved: the waiters raise it too
            raise
        finally:
            self._looking = None
        looking.set_result(directory)
        return directory

    async def _look(self) -> Directory:
        checked, invalidations = self.clock(), self._invalidations
        revision = await self._repo.revision()
        cached = self._snapshot
        if cached is None or cached[0] != revision:
            # the revision was read first: a write in between makes the next look reload
            cached = (revision, await self._repo.snapshot())
            self._snapshot = cached
        if invalidations == self._invalidations:  # else a write came meanwhile: look again
            self._checked = checked
        return cached[1]

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._repo, name)
        if name not in DIRECTORY_WRITES:
            return found

        async def write(*args: Any, **kwargs: Any) -> Any:
            try:
                return await found(*args, **kwargs)
            finally:
                self.invalidate()  # the next snapshot sees this write

        return write


# the repository's writes that move the directory's revision
DIRECTORY_WRITES = frozenset(
    {"add", "replace", "remove", "apply_shift_changes", "save_oncall_settings", "tick_shifts"}
)


class Dialer(Protocol):
    async def click_to_dial(
        self,
        extension: str,
        number: str,
        *,
        customer_name: str | None,
        customer_id: int | None,
        job: int | None,
    ) -> str:
        """Ring `extension`'s phone; once answered, call `number` from it (business caller ID).
        Returns the id of the channel ringing the phone."""
        ...


class LiveView(Protocol):
    def active_calls(self) -> list[dict[str, Any]]:
        """The calls in progress now, as plain data."""
        ...

    def registrations(self) -> list[dict[str, Any]]:
        """Every registered SIP contact: endpoint, address, state."""
        ...


@dataclass
class Backend:
    """The services the handlers call, built over one repository for the settings."""

    settings: Settings
    repo: SqlRepository

    def __post_init__(self) -> None:
        self.cached = CachedRepository(self.repo)
        self.recordings = RecordingStore(self.settings.recordings_dir)
        self.tokens = TokenService(self.reads, self.repo)

    async def dial_plan(
        self, user: str, number: str, customer: int | None, job: int | None
    ) -> DialRequest:
        """What a click-to-dial request for `user` does (bad input raises InvalidInput)."""
        s = self.settings
        return clicktodial.plan(
            await self.cached.snapshot(),
            user,
            number,
            customer=customer,
            job=job,
            region=s.default_region,
            allow_international=s.allow_international,
        )

    @property
    def reads(self) -> SqlRepository:
        """The repository with the cached snapshot, typed as what it stands in for."""
        return cast(SqlRepository, self.cached)

    def directory(self) -> DirectoryService:
        s = self.settings
        return DirectoryService(
            self.reads, s.default_region, s.allow_international, prompt_maker(s)
        )

    def calls(self) -> CallsService:
        return CallsService(self.reads, self.repo, self.recordings)

    def voicemail(self) -> VoicemailService:
        return VoicemailService(
            self.reads,
            self.repo,
            self.recordings,
            self.settings.asterisk_dir / "sounds",
        )

    def oncall(self) -> OnCallService:
        return OnCallService(
            self.reads,
            self.settings.default_region,
            prompt=oncall_prompt(self.settings),
        )
