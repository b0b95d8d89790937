"""Who is notified of a voicemail, on which channels, with what; retries; webhook signatures."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pbx.core.model import BoxKind, Directory, User, VoicemailBox
from pbx.core.notifications import (
    MAX_ATTEMPTS,
    SMS_MAX,
    Channel,
    DeliveryError,
    Notice,
    NoticeStatus,
    emergency_notices,
    format_duration,
    recipients,
    retry_at,
    sign,
    verify,
    voicemail_notices,
    webhook_body,
    without_duplicates,
)
from pbx.core.voicemail import Message, TranscriptStatus

T0 = datetime(2025, 11, 3, 15, 0, tzinfo=UTC)
ALL = frozenset(Channel)

ANN = User("Ann", "ann@example.com", mobile="+13125550101", notify=("email", "sms"))
BOB = User("Bob", "bob@example.com", mobile="+13125550102", notify=("push",))
CAT = User("Cat", "cat@example.com", notify=("email", "sms", "push"))  # no mobile
DAN = User("Dan", "dan@example.com", active=False)
EVE = User("Eve", "", mobile="+13125550105", notify=("email", "sms", "fax"))
DIRECTORY = Directory(users=(ANN, BOB, CAT, DAN, EVE))

AFTER_HOURS = VoicemailBox("After Hours", BoxKind.SHARED, ("Ann", "Bob", "Cat", "Dan", "Ghost"))
ANN_BOX = VoicemailBox("Ann", BoxKind.PERSONAL, ("Ann",))

MESSAGE = Message(
    box="After Hours",
    caller="+15551234567",
    received_at=datetime(2025, 11, 3, 9, 30, 5, tzinfo=timezone(timedelta(hours=-6))),
    duration=42.4,
    audio="2025/11/vm-17.wav",
    transcript="Hi, this is Jane, the kitchen sink is fine, call me back.",
    transcript_status=TranscriptStatus.DONE,
    id=17,
)
EMERGENCY = replace(
    MESSAGE,
    transcript="Water everywhere, we have a water leak in the basement!",
    keywords=("water leak",),
)


def by(notices: list[Notice]) -> set[tuple[str, Channel]]:
    return {(n.user, n.channel) for n in notices}


# --- recipients ------------------------------------------------------------------------------


def test_shared_box_notifies_its_active_known_members_in_order() -> None:
    assert [u.name for u in recipients(AFTER_HOURS, DIRECTORY)] == ["Ann", "Bob", "Cat"]


def test_personal_box_notifies_its_owner() -> None:
    assert recipients(ANN_BOX, DIRECTORY) == (ANN,)


def test_recipients_are_listed_once() -> None:
    box = VoicemailBox("Main", members=("Bob", "Ann", "Bob"))
    assert [u.name for u in recipients(box, DIRECTORY)] == ["Bob", "Ann"]


def test_box_without_members_notifies_nobody() -> None:
    empty = VoicemailBox("Main")
    assert recipients(empty, DIRECTORY) == ()
    assert voicemail_notices(MESSAGE, empty, DIRECTORY, T0, enabled=ALL) == []


# --- per-user preferences, enabled channels, addresses ---------------------------------------


def test_each_member_gets_the_channels_they_chose_and_can_be_reached_on() -> None:
    notices = voicemail_notices(MESSAGE, AFTER_HOURS, DIRECTORY, T0, enabled=ALL)
    assert by(notices) == {
        ("Ann", Channel.EMAIL),
        ("Ann", Channel.SMS),
        ("Bob", Channel.PUSH),
        ("Cat", Channel.EMAIL),
        ("Cat", Channel.PUSH),  # Cat chose SMS too but has no mobile
    }
    addresses = {(n.user, n.channel): n.address for n in notices}
    assert addresses[("Ann", Channel.EMAIL)] == "ann@example.com"
    assert addresses[("Ann", Channel.SMS)] == "+13125550101"
    assert addresses[("Bob", Channel.PUSH)] == "Bob"


def test_channels_that_are_not_configured_are_skipped() -> None:
    notices = voicemail_notices(
        MESSAGE, AFTER_HOURS, DIRECTORY, T0, enabled=frozenset({Channel.EMAIL})
    )
    assert by(notices) == {("Ann", Channel.EMAIL), ("Cat", Channel.EMAIL)}
    assert voicemail_notices(MESSAGE, AFTER_HOURS, DIRECTORY, T0, enabled=frozenset()) == []


def test_missing_email_and_unknown_channel_names_are_skipped() -> None:
    box = VoicemailBox("Eve", BoxKind.PERSONAL, ("Eve",))
    notices = voicemail_notices(MESSAGE, box, DIRECTORY, T0, enabled=ALL)
    assert by(notices) == {("Eve", Channel.SMS)}


def test_user_who_chose_nothing_gets_nothing() -> None:
    quiet = replace(ANN, notify=())
    directory = Directory(users=(quiet,))
    assert voicemail_notices(MESSAGE, ANN_BOX, directory, T0, enabled=ALL) == []


# --- contents ----------------------------------------------------------------------------------


def test_voicemail_notice_contents() -> None:
    notices = voicemail_notices(
        MESSAGE, AFTER_HOURS, DIRECTORY, T0, enabled=ALL, customer="Jane Doe"
    )
    email = next(n for n in notices if n.channel is Channel.EMAIL)
    assert email.kind == "voicemail"
    assert email.subject == "Voicemail from +15551234567 (Jane Doe) in After Hours, 0:42"
    assert email.attachment == "2025/11/vm-17.wav"
    assert email.message_id == 17
    assert email.created_at == email.next_at == T0
    assert email.status is NoticeStatus.PENDING and email.attempts == 0 and email.id is None
    for text in (
        "+15551234567",
        "Jane Doe",
        "After Hours",
        "2025-11-03T15:30:05+00:00",  # received 09:30:05 at UTC-6
        "0:42",
        "the kitchen sink is fine",
        "17",
    ):
        assert text in email.body
    assert email.payload == {
        "event": "voicemail",
        "message_id": 17,
        "box": "After Hours",
        "caller": "+15551234567",
        "customer": "Jane Doe",
        "received_at": "2025-11-03T15:30:05+00:00",
        "duration": 42.4,
        "transcript": MESSAGE.transcript,
        "transcript_status": "done",
        "keywords": [],
    }
    # only email carries the audio
    assert all(n.attachment is None for n in notices if n.channel is not Channel.EMAIL)


def test_webhook_payloads_are_json_and_name_their_target() -> None:
    notices = voicemail_notices(MESSAGE, AFTER_HOURS, DIRECTORY, T0, enabled=ALL)
    sms = next(n for n in notices if n.channel is Channel.SMS)
    push = next(n for n in notices if n.channel is Channel.PUSH and n.user == "Bob")
    assert sms.payload["to"] == "+13125550101"
    assert sms.payload["text"].startswith("Voicemail from +15551234567 in After Hours, 0:42.")
    assert "kitchen sink" in sms.payload["text"]
    assert push.payload["user"] == "Bob"
    assert push.payload["title"] == push.subject
    assert "kitchen sink" in push.payload["body"]
    for notice in notices:
        assert json.loads(webhook_body(notice)) == notice.payload
    # compact, sorted keys: the signed bytes are reproducible
    assert webhook_body(sms).startswith(b'{"box":"After Hours","caller":')


def test_sms_text_is_short_even_for_a_long_transcript() -> None:
    long = replace(MESSAGE, transcript="please call back about the furnace " * 40)
    notices = voicemail_notices(long, ANN_BOX, DIRECTORY, T0, enabled=ALL)
    sms = next(n for n in notices if n.channel is Channel.SMS)
    assert len(sms.payload["text"]) <= SMS_MAX
    assert sms.payload["text"].endswith("...")
    assert sms.payload["transcript"] == long.transcript  # the payload keeps all of it


def test_pending_and_failed_transcripts_are_said_so() -> None:
    pending = replace(MESSAGE, transcript=None, transcript_status=TranscriptStatus.PENDING)
    failed = replace(
        pending, transcript_status=TranscriptStatus.FAILED, transcript_error="audio too short"
    )
    (mail,) = voicemail_notices(pending, ANN_BOX, DIRECTORY, T0, enabled=frozenset({Channel.EMAIL}))
    assert "(transcript pending)" in mail.body
    (mail,) = voicemail_notices(failed, ANN_BOX, DIRECTORY, T0, enabled=frozenset({Channel.EMAIL}))
    assert "(no transcript: audio too short)" in mail.body
    assert mail.payload["transcript"] is None and mail.payload["transcript_status"] == "failed"


def test_unknown_caller_and_no_customer() -> None:
    anonymous = replace(MESSAGE, caller="")
    (mail,) = voicemail_notices(
        anonymous, ANN_BOX, DIRECTORY, T0, enabled=frozenset({Channel.EMAIL})
    )
    assert mail.subject == "Voicemail from an unknown caller in Ann, 0:42"
    assert "Customer:    unknown" in mail.body


def test_emergency_message_gives_emergency_notices() -> None:
    notices = voicemail_notices(
        EMERGENCY, AFTER_HOURS, DIRECTORY, T0, enabled=ALL, customer="Jane Doe"
    )
    assert notices and all(n.kind == "emergency" for n in notices)
    email = next(n for n in notices if n.channel is Channel.EMAIL)
    assert email.subject == (
        "EMERGENCY voicemail from +15551234567 (Jane Doe) in After Hours, 0:42: water leak"
    )
    assert "Emergency keywords: water leak" in email.body
    assert email.payload["event"] == "emergency"
    assert email.payload["keywords"] == ["water leak"]
    sms = next(n for n in notices if n.channel is Channel.SMS)
    assert sms.payload["text"].startswith("EMERGENCY voicemail")


# --- escalation ------------------------------------------------------------------------------


def test_escalation_uses_every_enabled_channel_regardless_of_choices() -> None:
    notices = emergency_notices(EMERGENCY, [BOB, CAT, DAN], T0, enabled=ALL)
    assert by(notices) == {
        ("Bob", Channel.EMAIL),
        ("Bob", Channel.SMS),
        ("Bob", Channel.PUSH),
        ("Cat", Channel.EMAIL),  # no mobile: no SMS
        ("Cat", Channel.PUSH),
    }  # Dan is inactive
    assert all(n.kind == "emergency" and n.payload["event"] == "emergency" for n in notices)
    assert all(n.subject.startswith("EMERGENCY voicemail") for n in notices)
    only_sms = emergency_notices(EMERGENCY, [BOB, BOB], T0, enabled=frozenset({Channel.SMS}))
    assert by(only_sms) == {("Bob", Channel.SMS)}


def test_escalation_of_a_message_without_keywords_is_still_an_emergency() -> None:
    (notice,) = emergency_notices(MESSAGE, [BOB], T0, enabled=frozenset({Channel.PUSH}))
    assert notice.kind == "emergency"
    assert notice.subject == "EMERGENCY voicemail from +15551234567 in After Hours, 0:42"


def test_without_duplicates_keeps_the_emergency_notice() -> None:
    ordinary = voicemail_notices(MESSAGE, AFTER_HOURS, DIRECTORY, T0, enabled=ALL)
    urgent = emergency_notices(EMERGENCY, [ANN], T0, enabled=ALL)
    merged = without_duplicates([*ordinary, *urgent])
    assert by(merged) == by(ordinary) | {("Ann", Channel.PUSH)}
    ann = [n for n in merged if n.user == "Ann"]
    assert {n.kind for n in ann} == {"emergency"}
    assert len(merged) == len(by(merged))


# --- retries ---------------------------------------------------------------------------------


def test_retry_schedule_grows_and_ends() -> None:
    delays = []
    attempts = 1
    while (at := retry_at(attempts, T0)) is not None:
        delays.append(at - T0)
        attempts += 1
    assert attempts == MAX_ATTEMPTS == 8
    assert delays[0] == timedelta(seconds=30)
    assert delays == sorted(delays) and len(set(delays)) == len(delays)
    assert timedelta(hours=6) < sum(delays, timedelta()) < timedelta(hours=12)
    assert retry_at(MAX_ATTEMPTS, T0) is None
    assert retry_at(MAX_ATTEMPTS + 5, T0) is None
    with pytest.raises(ValueError):
        retry_at(0, T0)


# --- signatures ------------------------------------------------------------------------------


def test_signature_known_answer() -> None:
    # printf '%s' '1700000000.{"event":"voicemail","message_id":7}' \
    #   | openssl dgst -sha256 -hmac whsec-test
    body = b'{"event":"voicemail","message_id":7}'
    assert sign("whsec-test", "1700000000", body) == (
        "b009f2d60d158c79265e51bab9d4289fc363f61e5b760b32798d58551814d2b6"
    )


def test_verify_checks_signature_body_and_age() -> None:
    body = b'{"event":"emergency"}'
    now = datetime.fromtimestamp(1_700_000_000, UTC)
    good = "sha256=" + sign("s3cret", "1700000000", body)
    assert verify("s3cret", "1700000000", body, good, now)
    assert not verify("other", "1700000000", body, good, now)
    assert not verify("s3cret", "1700000000", body + b" ", good, now)
    assert not verify("s3cret", "1700000001", body, good, now)
    assert not verify("s3cret", "1700000000", body, good, now + timedelta(minutes=6))
    assert not verify("s3cret", "yesterday", body, good, now)


def test_delivery_error_reason_is_one_line() -> None:
    assert DeliveryError("550 no\r\n  such user").reason == "550 no such user"


def test_durations() -> None:
    assert [format_duration(s) for s in (0, 4.6, 42, 605, 3723)] == [
        "0:00",
        "0:05",
        "0:42",
        "10:05",
        "1:02:03",
    ]
