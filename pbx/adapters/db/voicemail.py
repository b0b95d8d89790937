"""Voicemail messages, their escalation log and the notifications outbox in SQL (Core statements).

Functions take an open session; `SqlRepository` wraps them in transactions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from pbx.adapters.db.tables import (
    BoxRow,
    CustomerRow,
    EscalationRow,
    JobRow,
    MessageRow,
    NoticeRow,
    UserRow,
)
from pbx.core.errors import NotFound
from pbx.core.notifications import Notice, NoticeStatus
from pbx.core.voicemail import Escalation, Message, MessageFilters, TranscriptStatus

_MESSAGES = cast(sa.Table, MessageRow.__table__)
_NOTICES = cast(sa.Table, NoticeRow.__table__)
_ESCALATIONS = cast(sa.Table, EscalationRow.__table__)


def _message(row: sa.Row[Any]) -> Message:
    return Message(
        box=row.box_name,
        caller=row.caller,
        received_at=row.received_at,
        duration=row.duration,
        audio=row.audio,
        call_key=row.call_key,
        business_number=row.business_number,
        customer_id=row.customer_id,
        job_id=row.job_id,
        transcript=row.transcript,
        transcript_status=row.transcript_status,
        transcript_error=row.transcript_error,
        engine=row.engine,
        confidence=row.confidence,
        read=row.read,
        assigned_to=row.assigned_user_name if row.assigned_user_id is not None else None,
        keywords=tuple(json.loads(row.keywords or "[]")),
        id=row.id,
    )


async def _id_of(session: AsyncSession, column: Any, key: Any, where: Any) -> int | None:
    if key is None:
        return None
    found = await session.scalar(sa.select(column).where(where == key))
    return None if found is None else int(found)


async def add_message(session: AsyncSession, m: Message) -> Message:
    """Store `m`; a message of the same call already stored is returned instead."""
    if m.call_key is not None:
        stored = await session.execute(
            sa.select(_MESSAGES).where(_MESSAGES.c.call_key == m.call_key)
        )
        row = stored.first()
        if row is not None:
            return _message(row)
    values = {
        "box_id": await _id_of(session, BoxRow.id, m.box, BoxRow.name),
        "box_name": m.box,
        "call_key": m.call_key,
        "caller": m.caller,
        "business_number": m.business_number,
        "customer_id": await _id_of(session, CustomerRow.id, m.customer_id, CustomerRow.id),
        "job_id": await _id_of(session, JobRow.id, m.job_id, JobRow.id),
        "received_at": m.received_at,
        "duration": m.duration,
        "audio": m.audio,
        "transcript": m.transcript,
        "transcript_status": m.transcript_status,
        "transcript_error": m.transcript_error,
        "engine": m.engine,
        "confidence": m.confidence,
        "read": m.read,
        "assigned_user_id": await _id_of(session, UserRow.id, m.assigned_to, UserRow.name),
        "assigned_user_name": m.assigned_to,
        "keywords": json.dumps(list(m.keywords)),
    }
    ident = await session.scalar(sa.insert(_MESSAGES).values(**values).returning(_MESSAGES.c.id))
    return replace(
        m,
        id=int(ident or 0),
        customer_id=values["customer_id"],
        job_id=values["job_id"],
        assigned_to=m.assigned_to if values["assigned_user_id"] is not None else None,
    )


async def get_message(session: AsyncSession, ident: int) -> Message:
    row = (await session.execute(sa.select(_MESSAGES).where(_MESSAGES.c.id == ident))).first()
    if row is None:
        raise NotFound("message", f"no such voicemail message {ident}")
    return _message(row)


async def list_messages(
    session: AsyncSession,
    *,
    box: str | None,
    unread: bool | None,
    status: TranscriptStatus | None,
    oldest_first: bool,
    limit: int,
    filters: MessageFilters | None = None,
) -> list[Message]:
    query = sa.select(_MESSAGES)
    if box is not None:
        box_id = await _id_of(session, BoxRow.id, box, BoxRow.name)
        if box_id is None:
            raise NotFound("box", f"no such voicemail box {box!r}")
        query = query.where(_MESSAGES.c.box_id == box_id)
    if unread is not None:
        query = query.where(_MESSAGES.c.read.is_(not unread))
    if status is not None:
        query = query.where(_MESSAGES.c.transcript_status == status.value)
    if filters is not None:
        query = query.where(*_filtered(filters))
    order = (_MESSAGES.c.received_at, _MESSAGES.c.id)
    if not oldest_first:
        order = (_MESSAGES.c.received_at.desc(), _MESSAGES.c.id.desc())
    rows = await session.execute(query.order_by(*order).limit(max(limit, 0)))
    return [_message(r) for r in rows]


def _filtered(f: MessageFilters) -> list[Any]:
    m = _MESSAGES.c
    where: list[Any] = []
    if f.boxes is not None:
        where.append(m.box_name.in_(sorted(f.boxes)))
    if f.emergency is not None:
        where.append(m.keywords != "[]" if f.emergency else m.keywords == "[]")
    if f.customer_id is not None:
        where.append(m.customer_id == f.customer_id)
    if f.assigned is not None:
        where.append(sa.and_(m.assigned_user_id.is_not(None), m.assigned_user_name == f.assigned))
    if f.since is not None:
        where.append(m.received_at >= f.since)
    if f.until is not None:
        where.append(m.received_at < f.until)
    if f.before is not None:
        at, ident = f.before
        where.append(sa.or_(m.received_at < at, sa.and_(m.received_at == at, m.id < ident)))
    return where


async def update_message(session: AsyncSession, ident: int, values: dict[str, Any]) -> Message:
    """Set columns of message `ident` (NotFound if there is none); returns the message."""
    if "assigned_user_name" in values:
        name = values["assigned_user_name"]
        user_id = await _id_of(session, UserRow.id, name, UserRow.name)
        if name is not None and user_id is None:
            raise NotFound("user", f"no such user {name!r}")
        values["assigned_user_id"] = user_id
    if "keywords" in values:
        values["keywords"] = json.dumps(list(values["keywords"]))
    done = await session.execute(
        sa.update(_MESSAGES)
        .where(_MESSAGES.c.id == ident)
        .values(**values, updated_at=sa.func.now())
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise NotFound("message", f"no such voicemail message {ident}")
    return await get_message(session, ident)


async def unread_counts(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """Per box name: (unread, read) message counts (boxes without messages are absent)."""
    rows = await session.execute(
        sa.select(BoxRow.name, _MESSAGES.c.read, sa.func.count())
        .join(BoxRow, BoxRow.id == _MESSAGES.c.box_id)
        .group_by(BoxRow.name, _MESSAGES.c.read)
    )
    counts: dict[str, list[int]] = {}
    for name, read, count in rows:
        counts.setdefault(name, [0, 0])[1 if read else 0] += int(count)
    return {name: (c[0], c[1]) for name, c in counts.items()}


async def log_escalation(session: AsyncSession, step: Escalation) -> None:
    await session.execute(
        sa.insert(_ESCALATIONS).values(
            message_id=step.message_id,
            at=step.at,
            user_name=step.user,
            action=step.action,
            detail=step.detail,
        )
    )


async def escalations(session: AsyncSession, message_id: int) -> list[Escalation]:
    rows = await session.execute(
        sa.select(_ESCALATIONS)
        .where(_ESCALATIONS.c.message_id == message_id)
        .order_by(_ESCALATIONS.c.id)
    )
    return [Escalation(r.message_id, r.at, r.action, r.user_name, r.detail) for r in rows]


# -- the outbox ---------------------------------------------------------------


def _notice(row: sa.Row[Any]) -> Notice:
    return Notice(
        channel=row.channel,
        user=row.user_name,
        address=row.address,
        kind=row.kind,
        subject=row.subject,
        body=row.body,
        created_at=row.created_at,
        next_at=row.next_at,
        payload=json.loads(row.payload or "{}"),
        attachment=row.attachment,
        message_id=row.message_id,
        attempts=row.attempts,
        status=row.status,
        last_error=row.last_error,
        id=row.id,
    )


async def add_notices(session: AsyncSession, notices: Sequence[Notice]) -> None:
    if not notices:
        return
    await session.execute(
        sa.insert(_NOTICES),
        [
            {
                "channel": n.channel,
                "user_name": n.user,
                "address": n.address,
                "kind": n.kind,
                "subject": n.subject,
                "body": n.body,
                "payload": json.dumps(n.payload, sort_keys=True, default=str),
                "attachment": n.attachment,
                "message_id": n.message_id,
                "created_at": n.created_at,
                "next_at": n.next_at,
                "attempts": n.attempts,
                "status": n.status,
                "last_error": n.last_error,
            }
            for n in notices
        ],
    )


async def due_notices(session: AsyncSession, now: datetime, limit: int) -> list[Notice]:
    rows = await session.execute(
        sa.select(_NOTICES)
        .where(_NOTICES.c.status == NoticeStatus.PENDING.value, _NOTICES.c.next_at <= now)
        .order_by(_NOTICES.c.next_at, _NOTICES.c.id)
        .limit(max(limit, 0))
    )
    return [_notice(r) for r in rows]


async def next_due(session: AsyncSession) -> datetime | None:
    found = await session.scalar(
        sa.select(_NOTICES.c.next_at)
        .where(_NOTICES.c.status == NoticeStatus.PENDING.value)
        .order_by(_NOTICES.c.next_at)
        .limit(1)
    )
    return cast(datetime | None, found)


async def update_notice(session: AsyncSession, ident: int, values: dict[str, Any]) -> None:
    await session.execute(sa.update(_NOTICES).where(_NOTICES.c.id == ident).values(**values))


async def notices_of(session: AsyncSession, message_id: int) -> list[Notice]:
    rows = await session.execute(
        sa.select(_NOTICES).where(_NOTICES.c.message_id == message_id).order_by(_NOTICES.c.id)
    )
    return [_notice(r) for r in rows]
