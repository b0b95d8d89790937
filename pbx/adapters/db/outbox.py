"""The notifications outbox on the database (implements `services.notifier.Outbox`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pbx.adapters.db import voicemail
from pbx.adapters.db.repository import SqlRepository
from pbx.adapters.db.tables import NoticeRow
from pbx.core.notifications import Notice, NoticeStatus


class SqlOutbox:
    """Notices waiting for delivery, in the `notices` table of the repository's database."""

    def __init__(self, repo: SqlRepository) -> None:
        self.repo = repo

    async def add(self, notices: Sequence[Notice]) -> None:
        await self.repo.run_write(lambda s: voicemail.add_notices(s, notices))

    async def due(self, now: datetime, limit: int) -> list[Notice]:
        return await self.repo.run_read(lambda s: voicemail.due_notices(s, now, limit))

    async def next_due(self) -> datetime | None:
        return await self.repo.run_read(voicemail.next_due)

    async def delivered(self, notice_id: int, at: datetime) -> None:
        await self._set(
            notice_id,
            status=NoticeStatus.SENT,
            sent_at=at,
            last_error=None,
            attempts=NoticeRow.attempts + 1,
        )

    async def retry(self, notice_id: int, attempts: int, next_at: datetime, error: str) -> None:
        await self._set(notice_id, attempts=attempts, next_at=next_at, last_error=error)

    async def give_up(self, notice_id: int, attempts: int, error: str) -> None:
        await self._set(
            notice_id, status=NoticeStatus.FAILED, attempts=attempts, last_error=error
        )

    async def _set(self, notice_id: int, **values: object) -> None:
        await self.repo.run_write(lambda s: voicemail.update_notice(s, notice_id, dict(values)))
