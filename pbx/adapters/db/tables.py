"""The database schema: one table per directory entity, plus ordered child tables.

Rows have integer surrogate keys; natural keys (user name, extension number,
...) are unique columns, so renaming an entity never breaks what refers to it.
References to entities are `ON DELETE RESTRICT` (the database refuses to delete
something still in use); child rows (members, open ranges, phones, ...) are
`ON DELETE CASCADE` from their parent. Enums are stored as their string values.
The call log (`calls`, `call_legs`) outlives the directory: its references are
`ON DELETE SET NULL`. `directory_state` holds the directory's revision number.
On-call shifts are coverage history: a user with shifts cannot be removed, nor a
shift with logged emergency calls (`ON DELETE RESTRICT`). Menus name their keys'
targets by text (kind and name): the repository makes renames follow, and the
directory rules refuse removing what a menu names.

Every constraint has an explicit, predictable name (see `NAMING`): the
repository maps names back to fields, and Alembic's SQLite batch mode needs them.
Keep this module and `migrations/versions/` in step; a test compares them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pbx.core.calls import Direction, Disposition, LegKind, LegOutcome
from pbx.core.model import (
    AfterHoursKind,
    BoxKind,
    DestKind,
    JobStatus,
    OptionKind,
    RingTarget,
    Role,
    Strategy,
)
from pbx.core.notifications import Channel, NoticeStatus
from pbx.core.oncall import Outcome, ShiftSource, ShiftStatus
from pbx.core.voicemail import TranscriptStatus

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

S = TypeVar("S", bound=StrEnum)


class EnumText(sa.TypeDecorator[S], Generic[S]):
    """A `StrEnum` stored as its plain string value (no native database enum type)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum: type[S]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> S | None:
        return None if value is None else self.enum(value)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A point in time, always read back as an aware UTC datetime (SQLite and PostgreSQL).

    SQLite keeps no offset, so values are converted to UTC before they are
    stored; a naive datetime is taken to be UTC already.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = _utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else _utc(value)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table; its `metadata` is what the migrations build."""

    metadata = sa.MetaData(naming_convention=NAMING)


def _restrict(target: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="RESTRICT")


def _cascade(target: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="CASCADE")


class Timestamps:
    """When the row was created and last changed (database clock)."""

    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now()
    )


class UserRow(Timestamps, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String, unique=True)
    email: Mapped[str] = mapped_column(sa.String)
    mobile: Mapped[str | None] = mapped_column(sa.String)
    role: Mapped[Role] = mapped_column(EnumText(Role))
    oncall_write: Mapped[bool] = mapped_column(sa.Boolean)
    active: Mapped[bool] = mapped_column(sa.Boolean)
    notify: Mapped[str] = mapped_column(sa.String, server_default="email")  # comma-separated


class BoxRow(Timestamps, Base):
    __tablename__ = "voicemail_boxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String, unique=True)
    kind: Mapped[BoxKind] = mapped_column(EnumText(BoxKind))
    keywords: Mapped[str | None] = mapped_column(sa.Text)  # JSON list; NULL: the defaults
    greeting: Mapped[str | None] = mapped_column(sa.String)


class BoxMemberRow(Base):
    __tablename__ = "box_members"
    __table_args__ = (sa.UniqueConstraint("box_id", "user_id"),)

    box_id: Mapped[int] = mapped_column(_cascade("voicemail_boxes.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(_restrict("users.id"), index=True)


class ExtensionRow(Timestamps, Base):
    __tablename__ = "extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String, unique=True)
    user_id: Mapped[int] = mapped_column(_restrict("users.id"), index=True)
    sip_password: Mapped[str] = mapped_column(sa.String)
    ring: Mapped[RingTarget] = mapped_column(EnumText(RingTarget))
    dnd: Mapped[bool] = mapped_column(sa.Boolean)
    voicemail_box_id: Mapped[int | None] = mapped_column(
        _restrict("voicemail_boxes.id"), index=True
    )
    webrtc: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())


class GroupRow(Timestamps, Base):
    __tablename__ = "ring_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String, unique=True)
    extension: Mapped[str | None] = mapped_column(sa.String, unique=True)
    strategy: Mapped[Strategy] = mapped_column(EnumText(Strategy))
    timeout: Mapped[int] = mapped_column(sa.Integer)
    ring_timeout: Mapped[int] = mapped_column(sa.Integer)
    fallback_box_id: Mapped[int | None] = mapped_column(_restrict("voicemail_boxes.id"), index=True)
    record: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())


class GroupMemberRow(Base):
    __tablename__ = "group_members"
    __table_args__ = (sa.UniqueConstraint("group_id", "extension_id"),)

    group_id: Mapped[int] = mapped_column(_cascade("ring_groups.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    extension_id: Mapped[int] = mapped_column(_restrict("extensions.id"), index=True)


class ScheduleRow(Timestamps, Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String, unique=True)
    tz: Mapped[str] = mapped_column(sa.String)


class OpenRangeRow(Base):
    __tablename__ = "open_ranges"

    schedule_id: Mapped[int] = mapped_column(_cascade("schedules.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column(sa.Integer)
    start_minute: Mapped[int] = mapped_column(sa.Integer)
    end_minute: Mapped[int] = mapped_column(sa.Integer)


class HolidayRow(Base):
    __tablename__ = "holidays"
    __table_args__ = (sa.UniqueConstraint("schedule_id", "day"),)

    schedule_id: Mapped[int] = mapped_column(_cascade("schedules.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date)


class MenuRow(Timestamps, Base):
    """An auto attendant. A prompt is its text and/or its made sound; the default's and the
    options' targets are stored by name (`MenuTarget`: kind and name)."""

    __tablename__ = "menus"
    __table_args__ = (
        sa.CheckConstraint("prompt_text IS NOT NULL OR prompt_sound IS NOT NULL", name="prompt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String, unique=True)
    prompt_text: Mapped[str | None] = mapped_column(sa.Text)
    prompt_sound: Mapped[str | None] = mapped_column(sa.String)
    invalid_text: Mapped[str | None] = mapped_column(sa.Text)
    invalid_sound: Mapped[str | None] = mapped_column(sa.String)
    timeout: Mapped[int] = mapped_column(sa.Integer)
    retries: Mapped[int] = mapped_column(sa.Integer)
    default_kind: Mapped[OptionKind | None] = mapped_column(EnumText(OptionKind))
    default_target: Mapped[str | None] = mapped_column(sa.String)
    direct_dial: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())


class MenuOptionRow(Base):
    """One key of a menu and where it sends the caller (`target` "" for oncall and repeat)."""

    __tablename__ = "menu_options"

    menu_id: Mapped[int] = mapped_column(_cascade("menus.id"), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String, primary_key=True)
    kind: Mapped[OptionKind] = mapped_column(EnumText(OptionKind))
    target: Mapped[str] = mapped_column(sa.String, server_default="")


class AfterHoursStepRow(Base):
    """One after-hours step; a voicemail step refers to its box by id and a menu step to its
    menu, so renames follow. A triage step keeps its own question (NULL: the standard one)."""

    __tablename__ = "after_hours_steps"

    schedule_id: Mapped[int] = mapped_column(_cascade("schedules.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AfterHoursKind] = mapped_column(EnumText(AfterHoursKind))
    target: Mapped[str | None] = mapped_column(sa.String)
    box_id: Mapped[int | None] = mapped_column(_restrict("voicemail_boxes.id"), index=True)
    menu_id: Mapped[int | None] = mapped_column(_restrict("menus.id"), index=True)
    prompt_text: Mapped[str | None] = mapped_column(sa.Text)
    prompt_sound: Mapped[str | None] = mapped_column(sa.String)
    spoken: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())


# exactly the column of the destination's kind is set (the migrations spell it out too)
DESTINATION_CHECK = (
    "(dest_kind IS NULL AND dest_extension_id IS NULL AND dest_group_id IS NULL"
    " AND dest_menu_id IS NULL)"
    " OR (dest_kind = 'ext' AND dest_extension_id IS NOT NULL AND dest_group_id IS NULL"
    " AND dest_menu_id IS NULL)"
    " OR (dest_kind = 'group' AND dest_group_id IS NOT NULL AND dest_extension_id IS NULL"
    " AND dest_menu_id IS NULL)"
    " OR (dest_kind = 'menu' AND dest_menu_id IS NOT NULL AND dest_extension_id IS NULL"
    " AND dest_group_id IS NULL)"
)


class NumberRow(Timestamps, Base):
    __tablename__ = "business_numbers"
    __table_args__ = (
        sa.CheckConstraint(
            DESTINATION_CHECK,
            name="destination",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str] = mapped_column(sa.String, unique=True)
    label: Mapped[str] = mapped_column(sa.String)
    active: Mapped[bool] = mapped_column(sa.Boolean)
    provider: Mapped[str | None] = mapped_column(sa.String)
    provider_ref: Mapped[str | None] = mapped_column(sa.String)
    assigned_user_id: Mapped[int | None] = mapped_column(_restrict("users.id"), unique=True)
    dest_kind: Mapped[DestKind | None] = mapped_column(EnumText(DestKind))
    dest_extension_id: Mapped[int | None] = mapped_column(_restrict("extensions.id"), index=True)
    dest_group_id: Mapped[int | None] = mapped_column(_restrict("ring_groups.id"), index=True)
    dest_menu_id: Mapped[int | None] = mapped_column(_restrict("menus.id"), index=True)
    forward: Mapped[str | None] = mapped_column(sa.String)
    schedule_id: Mapped[int | None] = mapped_column(_restrict("schedules.id"), index=True)
    record: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    keywords: Mapped[str | None] = mapped_column(sa.Text)  # JSON list; NULL: the defaults


class CustomerRow(Timestamps, Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String)
    owner_id: Mapped[int | None] = mapped_column(_restrict("users.id"), index=True)


class CustomerPhoneRow(Base):
    __tablename__ = "customer_phones"
    __table_args__ = (sa.UniqueConstraint("customer_id", "e164"),)

    customer_id: Mapped[int] = mapped_column(_cascade("customers.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str] = mapped_column(sa.String, index=True)


class JobRow(Timestamps, Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(_restrict("customers.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String)
    status: Mapped[JobStatus] = mapped_column(EnumText(JobStatus))


class TrunkRow(Timestamps, Base):
    __tablename__ = "trunks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String, unique=True)
    host: Mapped[str] = mapped_column(sa.String)
    port: Mapped[int] = mapped_column(sa.Integer)
    username: Mapped[str] = mapped_column(sa.String)
    password: Mapped[str] = mapped_column(sa.String)
    from_domain: Mapped[str | None] = mapped_column(sa.String)


class DirectoryStateRow(Base):
    """One row: `directory_revision` goes up by one with every directory write."""

    __tablename__ = "directory_state"
    __table_args__ = (sa.CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    directory_revision: Mapped[int] = mapped_column(sa.Integer, server_default="0")


def _set_null(target: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="SET NULL")


class CallRow(Timestamps, Base):
    """One call of the call log, identified by `key` (`<asterisk node>:<linkedid>`).

    References to users, customers and jobs become NULL when those are removed;
    `handled_by_user_name` keeps the answering user's name as it was written.
    `route` is a JSON list of strings.
    """

    __tablename__ = "calls"
    __table_args__ = (
        sa.Index("ix_calls_business_number_started_at", "business_number", "started_at"),
        sa.Index("ix_calls_disposition_started_at", "disposition", "started_at"),
        sa.Index("ix_calls_handled_by_user_id_started_at", "handled_by_user_id", "started_at"),
        sa.Index("ix_calls_caller_started_at", "caller", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String, unique=True)
    direction: Mapped[Direction] = mapped_column(EnumText(Direction))
    caller: Mapped[str] = mapped_column(sa.String)
    called: Mapped[str] = mapped_column(sa.String)
    business_number: Mapped[str | None] = mapped_column(sa.String)
    handled_by_ext: Mapped[str | None] = mapped_column(sa.String)
    handled_by_group: Mapped[str | None] = mapped_column(sa.String)
    handled_by_user_id: Mapped[int | None] = mapped_column(_set_null("users.id"), index=True)
    handled_by_user_name: Mapped[str | None] = mapped_column(sa.String)
    customer_id: Mapped[int | None] = mapped_column(_set_null("customers.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(_set_null("jobs.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disposition: Mapped[Disposition | None] = mapped_column(EnumText(Disposition))
    hangup_cause: Mapped[str | None] = mapped_column(sa.String)
    recording: Mapped[str | None] = mapped_column(sa.String)
    voicemail_box: Mapped[str | None] = mapped_column(sa.String)
    transcript: Mapped[str | None] = mapped_column(sa.Text)
    route: Mapped[str] = mapped_column(sa.Text, server_default="[]")
    oncall_shift_id: Mapped[int | None] = mapped_column(_set_null("oncall_shifts.id"), index=True)
    oncall_outcome: Mapped[str | None] = mapped_column(sa.String)  # an `Outcome` value
    response_seconds: Mapped[float | None] = mapped_column(sa.Float)
    triage: Mapped[str | None] = mapped_column(sa.String)  # a callflow `Triage` value


class CallLegRow(Base):
    """One leg rung during a call, in order."""

    __tablename__ = "call_legs"

    call_id: Mapped[int] = mapped_column(_cascade("calls.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(sa.String)
    kind: Mapped[LegKind] = mapped_column(EnumText(LegKind))
    user_name: Mapped[str | None] = mapped_column(sa.String)
    ext: Mapped[str | None] = mapped_column(sa.String)
    group_name: Mapped[str | None] = mapped_column(sa.String)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[LegOutcome | None] = mapped_column(EnumText(LegOutcome))


class MessageRow(Timestamps, Base):
    """One voicemail message; `box_name` and `assigned_user_name` keep the names as written.

    `call_key` is unique: a call leaves at most one message, so storing it again is harmless.
    `keywords` is a JSON list of the emergency keywords found.
    """

    __tablename__ = "voicemail_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    box_id: Mapped[int | None] = mapped_column(_set_null("voicemail_boxes.id"), index=True)
    box_name: Mapped[str] = mapped_column(sa.String)
    call_key: Mapped[str | None] = mapped_column(sa.String, unique=True)
    caller: Mapped[str] = mapped_column(sa.String)
    business_number: Mapped[str | None] = mapped_column(sa.String)
    customer_id: Mapped[int | None] = mapped_column(_set_null("customers.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(_set_null("jobs.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    duration: Mapped[float] = mapped_column(sa.Float)
    audio: Mapped[str] = mapped_column(sa.String)
    transcript: Mapped[str | None] = mapped_column(sa.Text)
    transcript_status: Mapped[TranscriptStatus] = mapped_column(
        EnumText(TranscriptStatus), index=True
    )
    transcript_error: Mapped[str | None] = mapped_column(sa.String)
    engine: Mapped[str | None] = mapped_column(sa.String)
    confidence: Mapped[float | None] = mapped_column(sa.Float)
    read: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    assigned_user_id: Mapped[int | None] = mapped_column(_set_null("users.id"), index=True)
    assigned_user_name: Mapped[str | None] = mapped_column(sa.String)
    keywords: Mapped[str] = mapped_column(sa.Text, server_default="[]")


class EscalationRow(Base):
    """One step of an emergency escalation (who was notified or called, and how it went)."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(_cascade("voicemail_messages.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    user_name: Mapped[str | None] = mapped_column(sa.String)
    action: Mapped[str] = mapped_column(sa.String)
    detail: Mapped[str] = mapped_column(sa.String, server_default="")


class NoticeRow(Base):
    """The notifications outbox: one notice to one user on one channel. `payload` is JSON."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(EnumText(Channel))
    user_name: Mapped[str] = mapped_column(sa.String)
    address: Mapped[str] = mapped_column(sa.String)
    kind: Mapped[str] = mapped_column(sa.String)
    subject: Mapped[str] = mapped_column(sa.String)
    body: Mapped[str] = mapped_column(sa.Text)
    payload: Mapped[str] = mapped_column(sa.Text, server_default="{}")
    attachment: Mapped[str | None] = mapped_column(sa.String)
    message_id: Mapped[int | None] = mapped_column(_set_null("voicemail_messages.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    status: Mapped[NoticeStatus] = mapped_column(EnumText(NoticeStatus), index=True)
    last_error: Mapped[str | None] = mapped_column(sa.String)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ShiftRow(Timestamps, Base):
    """One on-call shift: a technician's coverage over [start_at, end_at)."""

    __tablename__ = "oncall_shifts"
    __table_args__ = (sa.CheckConstraint("end_at > start_at", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(_restrict("users.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    notes: Mapped[str] = mapped_column(sa.String, server_default="")
    status: Mapped[ShiftStatus] = mapped_column(EnumText(ShiftStatus))
    backup: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    source: Mapped[ShiftSource] = mapped_column(EnumText(ShiftSource))


class OnCallSettingRow(Base):
    """One on-call setting as text (`core.oncall.settings_text` / `settings_from_text`)."""

    __tablename__ = "oncall_settings"

    key: Mapped[str] = mapped_column(sa.String, primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)


class EmergencyCallRow(Timestamps, Base):
    """One entry of a shift's emergency call log.

    `call_key` and `message_id` are unique: an entry made from a call or a
    voicemail is made once, however often that is tried.
    """

    __tablename__ = "emergency_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(_restrict("oncall_shifts.id"), index=True)
    customer_name: Mapped[str] = mapped_column(sa.String)
    phone: Mapped[str] = mapped_column(sa.String)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    issue: Mapped[str] = mapped_column(sa.Text, server_default="")
    outcome: Mapped[Outcome | None] = mapped_column(EnumText(Outcome))
    response_minutes: Mapped[float | None] = mapped_column(sa.Float)
    job_id: Mapped[int | None] = mapped_column(_set_null("jobs.id"), index=True)
    notes: Mapped[str] = mapped_column(sa.Text, server_default="")
    call_key: Mapped[str | None] = mapped_column(sa.String, unique=True)
    message_id: Mapped[int | None] = mapped_column(_set_null("voicemail_messages.id"), unique=True)


class ApiTokenRow(Timestamps, Base):
    """An API token of a user: only its SHA-256 hash is kept; it dies with its user."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(_cascade("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String, server_default="")
    token_hash: Mapped[str] = mapped_column(sa.String, unique=True)
    all_calls: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
