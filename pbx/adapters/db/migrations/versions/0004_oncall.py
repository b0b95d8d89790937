"""On-call: shifts, settings, the emergency call log; the on-call facts of a call.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Written by hand, self-contained like 0001 to 0003. `calls` gets a foreign key,
which SQLite batch mode adds by copying the table (foreign keys are off meanwhile).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
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
    table = "oncall_shifts"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _when("start_at", nullable=False),
        _when("end_at", nullable=False),
        sa.Column("notes", sa.String(), nullable=False, server_default=""),
        _text("status", nullable=False),
        sa.Column("backup", sa.Boolean(), nullable=False, server_default=sa.false()),
        _text("source", nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.CheckConstraint("end_at > start_at", name=op.f(f"ck_{table}_period")),
        _fk(table, "user_id", "users.id", "RESTRICT"),
    )
    for column in ("user_id", "start_at"):
        op.create_index(f"ix_{table}_{column}", table, [column])

    op.create_table(
        "oncall_settings",
        _text("key", nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_oncall_settings"),
    )

    table = "emergency_calls"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        _text("customer_name", nullable=False),
        _text("phone", nullable=False),
        _when("received_at", nullable=False),
        sa.Column("issue", sa.Text(), nullable=False, server_default=""),
        _text("outcome"),
        sa.Column("response_minutes", sa.Float(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False, server_default=""),
        _text("call_key"),
        sa.Column("message_id", sa.Integer(), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("call_key", name=f"uq_{table}_call_key"),
        sa.UniqueConstraint("message_id", name=f"uq_{table}_message_id"),
        _fk(table, "shift_id", "oncall_shifts.id", "RESTRICT"),
        _fk(table, "job_id", "jobs.id", "SET NULL"),
        _fk(table, "message_id", "voicemail_messages.id", "SET NULL"),
    )
    for column in ("shift_id", "received_at", "job_id"):
        op.create_index(f"ix_{table}_{column}", table, [column])

    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("oncall_shift_id", sa.Integer(), nullable=True))
        batch.add_column(_text("oncall_outcome"))
        batch.add_column(sa.Column("response_seconds", sa.Float(), nullable=True))
        batch.create_foreign_key(
            "fk_calls_oncall_shift_id_oncall_shifts",
            "oncall_shifts",
            ["oncall_shift_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_calls_oncall_shift_id", ["oncall_shift_id"])


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_index("ix_calls_oncall_shift_id")
        batch.drop_constraint("fk_calls_oncall_shift_id_oncall_shifts", type_="foreignkey")
        batch.drop_column("response_seconds")
        batch.drop_column("oncall_outcome")
        batch.drop_column("oncall_shift_id")
    op.drop_table("emergency_calls")
    op.drop_table("oncall_settings")
    op.drop_table("oncall_shifts")
