"""Voicemail: messages, escalations, the notifications outbox; keywords, greetings, preferences.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

Written by hand, self-contained like 0001 and 0002.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)
        for name in ("created_at", "updated_at")
    ]


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [target], name=f"fk_{table}_{column}_{target.split('.')[0]}", ondelete=ondelete
    )


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("notify", sa.String(), nullable=False, server_default="email"))
    with op.batch_alter_table("voicemail_boxes") as batch:
        batch.add_column(sa.Column("keywords", sa.Text(), nullable=True))
        batch.add_column(_text("greeting"))
    with op.batch_alter_table("business_numbers") as batch:
        batch.add_column(sa.Column("keywords", sa.Text(), nullable=True))
    with op.batch_alter_table("calls") as batch:
        batch.add_column(_text("voicemail_box"))
        batch.add_column(sa.Column("transcript", sa.Text(), nullable=True))

    table = "voicemail_messages"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("box_id", sa.Integer(), nullable=True),
        _text("box_name", nullable=False),
        _text("call_key"),
        _text("caller", nullable=False),
        _text("business_number"),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        _when("received_at", nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        _text("audio", nullable=False),
        sa.Column("transcript", sa.Text(), nullable=True),
        _text("transcript_status", nullable=False),
        _text("transcript_error"),
        _text("engine"),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("read", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("assigned_user_id", sa.Integer(), nullable=True),
        _text("assigned_user_name"),
        sa.Column("keywords", sa.Text(), nullable=False, server_default="[]"),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("call_key", name=f"uq_{table}_call_key"),
        _fk(table, "box_id", "voicemail_boxes.id", "SET NULL"),
        _fk(table, "customer_id", "customers.id", "SET NULL"),
        _fk(table, "job_id", "jobs.id", "SET NULL"),
        _fk(table, "assigned_user_id", "users.id", "SET NULL"),
    )
    for column in (
        "box_id", "customer_id", "job_id", "received_at", "transcript_status", "assigned_user_id"
    ):
        op.create_index(f"ix_{table}_{column}", table, [column])

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        _when("at", nullable=False),
        _text("user_name"),
        _text("action", nullable=False),
        sa.Column("detail", sa.String(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_escalations"),
        _fk("escalations", "message_id", "voicemail_messages.id", "CASCADE"),
    )
    op.create_index("ix_escalations_message_id", "escalations", ["message_id"])

    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("channel", nullable=False),
        _text("user_name", nullable=False),
        _text("address", nullable=False),
        _text("kind", nullable=False),
        _text("subject", nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False, server_default="{}"),
        _text("attachment"),
        sa.Column("message_id", sa.Integer(), nullable=True),
        _when("created_at", nullable=False),
        _when("next_at", nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        _text("status", nullable=False),
        _text("last_error"),
        _when("sent_at"),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        _fk("notices", "message_id", "voicemail_messages.id", "SET NULL"),
    )
    for column in ("message_id", "next_at", "status"):
        op.create_index(f"ix_notices_{column}", "notices", [column])


def downgrade() -> None:
    op.drop_table("notices")
    op.drop_table("escalations")
    op.drop_table("voicemail_messages")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("transcript")
        batch.drop_column("voicemail_box")
    with op.batch_alter_table("business_numbers") as batch:
        batch.drop_column("keywords")
    with op.batch_alter_table("voicemail_boxes") as batch:
        batch.drop_column("greeting")
        batch.drop_column("keywords")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notify")
