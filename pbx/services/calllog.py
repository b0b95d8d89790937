"""The call log's durable write queue: the call path hands patches over and never waits.

`CallLogWriter.submit` journals a patch (one append, no fsync) and queues it;
`run`, a long-lived task, writes what is queued to the `CallStore` in batches:
it lets patches gather for `linger` seconds after the first arrives, merges
consecutive patches of one call into one (`CallPatch.then`) and writes
everything pending in one transaction. Under load that is a few transactions a
second however many calls there are (each statement costs a hop to the
database driver's thread, which under load costs more than the SQL). When the database is unreachable it retries with a
backoff (0.5 s doubling to 2 s), one log line per new problem, while new
patches keep merging in behind the failed batch in order. Once everything that
was journaled is in the database the journal is emptied. After a crash, a new
writer on the same journal applies it again first; patches are idempotent, so
nothing is lost and nothing is written twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from pbx.adapters.backoff import Backoff
from pbx.adapters.journal import Journal
from pbx.core.calls import CallPatch
from pbx.services.ports import CallStore

log = logging.getLogger(__name__)

ATTEMPT_TIMEOUT = 30.0  # one write that takes longer than this is abandoned and retried
COMPACT_BYTES = 1 << 20  # rewrite a journal this big that never got empty under load
LINGER = 1.0  # seconds patches gather before a write


def merge(patches: Iterable[CallPatch]) -> list[CallPatch]:
    """One patch per call, each the ordered merge of that call's patches."""
    merged: dict[str, CallPatch] = {}
    for patch in patches:
        earlier = merged.get(patch.key)
        merged[patch.key] = patch if earlier is None else earlier.then(patch)
    return list(merged.values())


class CallLogWriter:
    """Writes call-log patches to the store, durably and in order per call.

    `submit` is for the event loop's thread only (it is not thread-safe).
    """

    def __init__(
        self,
        store: CallStore,
        journal: Journal,
        *,
        attempt_timeout: float = ATTEMPT_TIMEOUT,
        compact_bytes: int = COMPACT_BYTES,
        linger: float = LINGER,
    ) -> None:
        self.store = store
        self.journal = journal
        self.attempt_timeout = attempt_timeout
        self.compact_bytes = compact_bytes
        self.linger = linger
        # patches from a previous run that may not have reached the database
        self._pending: list[CallPatch] = journal.read()
        self._batch: list[CallPatch] = []  # merged, being written (kept while it fails)
        self._journal_failed = False
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        if self._pending:
            log.info("call log: %d patches from the journal to apply again", len(self._pending))
            self._wake.set()
        else:
            self._idle.set()

    @property
    def backlog(self) -> int:
        """Patches (or merged batches of them) not yet known to be in the database."""
        return len(self._pending) + len(self._batch)

    def submit(self, patch: CallPatch) -> None:
        """Journal and queue one patch; never blocks, never raises for a full or broken disk."""
        try:
            self.journal.append(patch)
            if self._journal_failed:
                log.info("call log journal writable again")
            self._journal_failed = False
        except OSError as exc:
            if not self._journal_failed:
                log.error("call log journal %s: %s; patches only in memory", self.journal.path, exc)
            self._journal_failed = True
        self._pending.append(patch)
        self._idle.clear()
        self._wake.set()

    async def run(self) -> None:
        """Write queued patches forever (run it in the controller's TaskGroup)."""
        backoff = Backoff(log)
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.linger)
            self._wake.clear()
            while self._pending or self._batch:
                self._batch = merge([*self._batch, *self._pending])
                self._pending = []
                try:
                    async with asyncio.timeout(self.attempt_timeout):
                        await self.store.apply_call_patches(self._batch)
                except Exception as exc:  # the database may be down: keep everything, retry
                    first_line = (str(exc).splitlines() or [""])[0]
                    await backoff.failed(
                        f"call log not written ({type(exc).__name__}: {first_line})"
                    )
                    continue
                if backoff.last_problem is not None:
                    log.info("call log written again (%d calls)", len(self._batch))
                backoff.connected()
                self._batch = []
                self._written()
            self._idle.set()

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted is in the database; False if `timeout` ran out."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        return self._idle.is_set()

    def close(self) -> None:
        """Close the journal (what is still in it is applied by the next writer)."""
        self.journal.close()

    def _written(self) -> None:
        """A batch reached the database: empty the journal if nothing else is waiting."""
        try:
            if not self._pending:
                self.journal.clear()
            elif self.journal.size > self.compact_bytes:
                self.journal.rewrite(self._pending)
        except OSError as exc:
            log.warning("call log journal %s: %s", self.journal.path, exc)
