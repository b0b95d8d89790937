"""The API: tokens (stored hashed); browser softphone extensions; call-log indexes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

Written by hand, self-contained like 0001 to 0004. The call-log indexes serve the
API's list filters (business number, disposition) in start-time order.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    table = "api_tokens"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False, server_default=""),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("all_calls", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        *[
            sa.Column(
                name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
            )
            for name in ("created_at", "updated_at")
        ],
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("token_hash", name=f"uq_{table}_token_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index(f"ix_{table}_user_id", table, ["user_id"])

    with op.batch_alter_table("extensions") as batch:
        batch.add_column(
            sa.Column("webrtc", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_calls_business_number_started_at", "calls", ["business_number", "started_at"]
    )
    op.create_index("ix_calls_disposition_started_at", "calls", ["disposition", "started_at"])
    op.create_index(
        "ix_calls_handled_by_user_id_started_at", "calls", ["handled_by_user_id", "started_at"]
    )
    op.create_index("ix_calls_caller_started_at", "calls", ["caller", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_caller_started_at", "calls")
    op.drop_index("ix_calls_handled_by_user_id_started_at", "calls")
    op.drop_index("ix_calls_disposition_started_at", "calls")
    op.drop_index("ix_calls_business_number_started_at", "calls")
    with op.batch_alter_table("extensions") as batch:
        batch.drop_column("webrtc")
    op.drop_table("api_tokens")
