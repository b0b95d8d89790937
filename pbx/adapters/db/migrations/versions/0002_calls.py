"""The call log, `record` flags, and the directory revision.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-28

Written by hand, self-contained like 0001. Columns are added in batch mode
(SQLite rebuilds a table only when it must; a plain ALTER elsewhere).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _set_null(column: str, target: str) -> sa.ForeignKeyConstraint:
    table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=f"fk_calls_{column}_{table}", ondelete="SET NULL"
    )


def upgrade() -> None:
    for table in ("business_numbers", "ring_groups"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("record", sa.Boolean(), nullable=False, server_default=sa.true())
            )

    op.create_table(
        "directory_state",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("directory_revision", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_directory_state"),
        sa.CheckConstraint("id = 1", name=op.f("ck_directory_state_one_row")),
    )
    op.execute("INSERT INTO directory_state (id, directory_revision) VALUES (1, 0)")

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("key", nullable=False),
        _text("direction", nullable=False),
        _text("caller", nullable=False),
        _text("called", nullable=False),
        _text("business_number"),
        _text("handled_by_ext"),
        _text("handled_by_group"),
        sa.Column("handled_by_user_id", sa.Integer(), nullable=True),
        _text("handled_by_user_name"),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        _when("started_at", nullable=False),
        _when("answered_at"),
        _when("ended_at"),
        _text("disposition"),
        _text("hangup_cause"),
        _text("recording"),
        sa.Column("route", sa.Text(), nullable=False, server_default="[]"),
        *(
            sa.Column(
                name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
            )
            for name in ("created_at", "updated_at")
        ),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
        sa.UniqueConstraint("key", name="uq_calls_key"),
        _set_null("handled_by_user_id", "users.id"),
        _set_null("customer_id", "customers.id"),
        _set_null("job_id", "jobs.id"),
    )
    for column in ("handled_by_user_id", "customer_id", "job_id", "started_at"):
        op.create_index(f"ix_calls_{column}", "calls", [column])

    op.create_table(
        "call_legs",
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _text("target", nullable=False),
        _text("kind", nullable=False),
        _text("user_name"),
        _text("ext"),
        _text("group_name"),
        _when("started_at", nullable=False),
        _when("answered_at"),
        _when("ended_at"),
        _text("outcome"),
        sa.PrimaryKeyConstraint("call_id", "position", name="pk_call_legs"),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name="fk_call_legs_call_id_calls", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("call_legs")
    op.drop_table("calls")
    op.drop_table("directory_state")
    for table in ("ring_groups", "business_numbers"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("record")
