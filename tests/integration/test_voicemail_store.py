"""Voicemail messages, escalations and the notifications outbox on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from pbx.adapters.db.outbox import SqlOutbox
from pbx.adapters.db.repository import SqlRepository, open_repository
from pbx.core.errors import NotFound
from pbx.core.model import BoxKind, BusinessNumber, Customer, User, VoicemailBox
from pbx.core.notifications import Channel, Notice, NoticeStatus
from pbx.core.voicemail import Escalation, Message, TranscriptStatus

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


@pytest.fixture
async def repo(db_url: str) -> AsyncIterator[SqlRepository]:
    repo = await open_repository(db_url)
    await repo.add(User("ann", "ann@example.com", "+13125550101", notify=("email", "sms")))
    await repo.add(User("bob", "bob@example.com"))
    await repo.add(User("dan", "dan@example.com"))
    await repo.add(VoicemailBox("After Hours", BoxKind.SHARED, ("ann", "bob"), ("leak",)))
    await repo.add(VoicemailBox("Main"))
    await repo.add(Customer("Jane Doe", ("+13125550166",)))
    await repo.add(BusinessNumber("+13125550100", "Main line", keywords=()))
    try:
        yield repo
    finally:
        await repo.close()


def message(**kw: object) -> Message:
    values: dict[str, object] = {
        "box": "After Hours",
        "caller": "+13125550166",
        "received_at": T0,
        "duration": 12.5,
        "audio": "2026/11/pbxvm-1.wav",
        "call_key": "node:1",
        "customer_id": 1,
    }
    return Message(**{**values, **kw})  # type: ignore[arg-type]


async def test_new_fields_of_the_directory_round_trip(repo: SqlRepository) -> None:
    d = await repo.snapshot()
    assert d.user("ann") is not None and d.user("ann").notify == ("email", "sms")  # type: ignore[union-attr]
    assert d.user("bob").notify == ("email",)  # type: ignore[union-attr]
    assert d.box("After Hours").keywords == ("leak",)  # type: ignore[union-attr]
    assert d.box("Main").keywords is None and d.box("Main").greeting is None  # type: ignore[union-attr]
    assert d.number("+13125550100").keywords == ()  # type: ignore[union-attr]


async def test_a_message_is_stored_once_per_call_and_read_back(repo: SqlRepository) -> None:
    stored = await repo.add_message(message())
    assert stored.id is not None and stored.customer_id == 1
    again = await repo.add_message(message(duration=99.0))
    assert again == stored  # the same call: the stored message, unchanged
    got = await repo.get_message(stored.id)
    assert got == stored and got.transcript_status is TranscriptStatus.PENDING
    assert got.received_at == T0 and not got.read and not got.emergency


async def test_references_that_do_not_exist_are_not_kept(repo: SqlRepository) -> None:
    stored = await repo.add_message(message(call_key="node:2", customer_id=77, job_id=5))
    assert (stored.customer_id, stored.job_id) == (None, None)


async def test_lists_filter_by_box_and_read_state(repo: SqlRepository) -> None:
    first = await repo.add_message(message())
    second = await repo.add_message(
        message(call_key="node:2", box="Main", received_at=T0 + timedelta(minutes=1))
    )
    assert [m.id for m in await repo.list_messages()] == [second.id, first.id]
    assert [m.id for m in await repo.list_messages(oldest_first=True)] == [first.id, second.id]
    assert [m.id for m in await repo.list_messages(box="Main")] == [second.id]
    assert second.id is not None
    await repo.update_message(second.id, read=True)
    assert [m.id for m in await repo.list_messages(unread=True)] == [first.id]
    assert [m.id for m in await repo.list_messages(unread=False)] == [second.id]
    pending = await repo.list_messages(status=TranscriptStatus.PENDING)
    assert len(pending) == 2
    with pytest.raises(NotFound) as error:
        await repo.list_messages(box="Nope")
    assert error.value.field == "box"
    assert await repo.unread_counts() == {"After Hours": (1, 0), "Main": (0, 1)}


async def test_transcript_assignment_and_errors(repo: SqlRepository) -> None:
    stored = await repo.add_message(message())
    assert stored.id is not None
    done = await repo.update_message(
        stored.id,
        transcript="water is leaking",
        transcript_status=TranscriptStatus.DONE,
        engine="pocketsphinx",
        confidence=0.5,
        keywords=("leak",),
    )
    assert done.emergency and done.keywords == ("leak",) and done.confidence == 0.5
    assigned = await repo.update_message(stored.id, assigned_user_name="dan")
    assert assigned.assigned_to == "dan"
    with pytest.raises(NotFound) as error:
        await repo.update_message(stored.id, assigned_user_name="carol")
    assert error.value.field == "user"
    assert (await repo.get_message(stored.id)).assigned_to == "dan"  # left intact
    with pytest.raises(NotFound) as error:
        await repo.update_message(999, read=True)
    assert error.value.field == "message"
    await repo.remove(User("dan", "dan@example.com"))
    assert (await repo.get_message(stored.id)).assigned_to is None


async def test_escalations_are_logged_in_order(repo: SqlRepository) -> None:
    stored = await repo.add_message(message())
    assert stored.id is not None
    await repo.log_escalation(Escalation(stored.id, T0, "notify email", "ann", "ann@example.com"))
    await repo.log_escalation(Escalation(stored.id, T0, "call", "ann", "PJSIP/101"))
    steps = await repo.escalations(stored.id)
    assert [(s.action, s.user, s.detail) for s in steps] == [
        ("notify email", "ann", "ann@example.com"),
        ("call", "ann", "PJSIP/101"),
    ]


async def test_outbox_due_retry_delivered_give_up(repo: SqlRepository) -> None:
    outbox = SqlOutbox(repo)
    stored = await repo.add_message(message())

    def notice(address: str, at: datetime) -> Notice:
        return Notice(
            Channel.EMAIL, "ann", address, "voicemail", "subject", "body", T0, at,
            payload={"event": "voicemail", "n": 1}, attachment="a.wav", message_id=stored.id,
        )  # fmt: skip

    assert await outbox.next_due() is None
    await outbox.add([notice("a@example.com", T0), notice("b@example.com", T0 + timedelta(1))])
    assert await outbox.next_due() == T0
    due = await outbox.due(T0, 10)
    assert [n.address for n in due] == ["a@example.com"]
    assert due[0].payload == {"event": "voicemail", "n": 1} and due[0].id is not None
    first = due[0].id
    await outbox.retry(first, 1, T0 + timedelta(minutes=1), "connection refused")
    assert await outbox.due(T0, 10) == []
    again = await outbox.due(T0 + timedelta(minutes=1), 10)
    assert again[0].attempts == 1 and again[0].last_error == "connection refused"
    await outbox.delivered(first, T0 + timedelta(minutes=1))
    later = await outbox.due(T0 + timedelta(days=2), 10)
    assert [n.address for n in later] == ["b@example.com"]
    assert later[0].id is not None
    await outbox.give_up(later[0].id, 8, "HTTP 500")
    assert stored.id is not None
    states = {n.address: (n.status, n.attempts) for n in await repo.notices_of(stored.id)}
    assert states == {
        "a@example.com": (NoticeStatus.SENT, 2),
        "b@example.com": (NoticeStatus.FAILED, 8),
    }
    assert await outbox.next_due() is None
