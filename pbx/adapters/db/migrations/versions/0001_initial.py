"""The initial schema: the whole directory.

Revision ID: 0001
Revises:
Create Date: 2025-11-21

Written by hand (self-contained: it must not import `tables.py`, which moves on
with later revisions). Constraint names follow `tables.NAMING`; Alembic applies
that convention to names given here too, so a name that already is final (the
check constraint's) is wrapped in `op.f()`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)
        for name in ("created_at", "updated_at")
    ]


def _fk(column: str, target: str, table: str, *, cascade: bool = False) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=f"fk_{table}_{column}_{ref_table}",
        ondelete="CASCADE" if cascade else "RESTRICT",
    )


def _index(table: str, column: str) -> None:
    op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("mobile", sa.String(), nullable=True),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("oncall_write", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "voicemail_boxes",
        _id(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_voicemail_boxes"),
        sa.UniqueConstraint("name", name="uq_voicemail_boxes_name"),
    )
    op.create_table(
        "schedules",
        _id(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("tz", sa.String(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_schedules"),
        sa.UniqueConstraint("name", name="uq_schedules_name"),
    )
    op.create_table(
        "trunks",
        _id(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("password", sa.String(), nullable=False),
        sa.Column("from_domain", sa.String(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_trunks"),
        sa.UniqueConstraint("name", name="uq_trunks_name"),
    )
    op.create_table(
        "box_members",
        sa.Column("box_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("box_id", "position", name="pk_box_members"),
        sa.UniqueConstraint("box_id", "user_id", name="uq_box_members_box_id_user_id"),
        _fk("box_id", "voicemail_boxes.id", "box_members", cascade=True),
        _fk("user_id", "users.id", "box_members"),
    )
    _index("box_members", "user_id")
    op.create_table(
        "extensions",
        _id(),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sip_password", sa.String(), nullable=False),
        sa.Column("ring", sa.String(), nullable=False),
        sa.Column("dnd", sa.Boolean(), nullable=False),
        sa.Column("voicemail_box_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_extensions"),
        sa.UniqueConstraint("number", name="uq_extensions_number"),
        _fk("user_id", "users.id", "extensions"),
        _fk("voicemail_box_id", "voicemail_boxes.id", "extensions"),
    )
    _index("extensions", "user_id")
    _index("extensions", "voicemail_box_id")
    op.create_table(
        "ring_groups",
        _id(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("extension", sa.String(), nullable=True),
        sa.Column("strategy", sa.String(), nullable=False),
        sa.Column("timeout", sa.Integer(), nullable=False),
        sa.Column("ring_timeout", sa.Integer(), nullable=False),
        sa.Column("fallback_box_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_ring_groups"),
        sa.UniqueConstraint("name", name="uq_ring_groups_name"),
        sa.UniqueConstraint("extension", name="uq_ring_groups_extension"),
        _fk("fallback_box_id", "voicemail_boxes.id", "ring_groups"),
    )
    _index("ring_groups", "fallback_box_id")
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("extension_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "position", name="pk_group_members"),
        sa.UniqueConstraint(
            "group_id", "extension_id", name="uq_group_members_group_id_extension_id"
        ),
        _fk("group_id", "ring_groups.id", "group_members", cascade=True),
        _fk("extension_id", "extensions.id", "group_members"),
    )
    _index("group_members", "extension_id")
    op.create_table(
        "open_ranges",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("schedule_id", "position", name="pk_open_ranges"),
        _fk("schedule_id", "schedules.id", "open_ranges", cascade=True),
    )
    op.create_table(
        "holidays",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("schedule_id", "position", name="pk_holidays"),
        sa.UniqueConstraint("schedule_id", "day", name="uq_holidays_schedule_id_day"),
        _fk("schedule_id", "schedules.id", "holidays", cascade=True),
    )
    op.create_table(
        "after_hours_steps",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=True),
        sa.Column("box_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("schedule_id", "position", name="pk_after_hours_steps"),
        _fk("schedule_id", "schedules.id", "after_hours_steps", cascade=True),
        _fk("box_id", "voicemail_boxes.id", "after_hours_steps"),
    )
    _index("after_hours_steps", "box_id")
    op.create_table(
        "business_numbers",
        _id(),
        sa.Column("e164", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("provider", sa.String(), nullable=True),
        sa.Column("provider_ref", sa.String(), nullable=True),
        sa.Column("assigned_user_id", sa.Integer(), nullable=True),
        sa.Column("dest_kind", sa.String(), nullable=True),
        sa.Column("dest_extension_id", sa.Integer(), nullable=True),
        sa.Column("dest_group_id", sa.Integer(), nullable=True),
        sa.Column("forward", sa.String(), nullable=True),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_business_numbers"),
        sa.UniqueConstraint("e164", name="uq_business_numbers_e164"),
        sa.UniqueConstraint("assigned_user_id", name="uq_business_numbers_assigned_user_id"),
        sa.CheckConstraint(
            "(dest_kind IS NULL AND dest_extension_id IS NULL AND dest_group_id IS NULL)"
            " OR (dest_kind = 'ext' AND dest_extension_id IS NOT NULL AND dest_group_id IS NULL)"
            " OR (dest_kind = 'group' AND dest_group_id IS NOT NULL"
            " AND dest_extension_id IS NULL)",
            name=op.f("ck_business_numbers_destination"),
        ),
        _fk("assigned_user_id", "users.id", "business_numbers"),
        _fk("dest_extension_id", "extensions.id", "business_numbers"),
        _fk("dest_group_id", "ring_groups.id", "business_numbers"),
        _fk("schedule_id", "schedules.id", "business_numbers"),
    )
    _index("business_numbers", "dest_extension_id")
    _index("business_numbers", "dest_group_id")
    _index("business_numbers", "schedule_id")
    op.create_table(
        "customers",
        _id(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        _fk("owner_id", "users.id", "customers"),
    )
    _index("customers", "owner_id")
    op.create_table(
        "customer_phones",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("e164", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "position", name="pk_customer_phones"),
        sa.UniqueConstraint("customer_id", "e164", name="uq_customer_phones_customer_id_e164"),
        _fk("customer_id", "customers.id", "customer_phones", cascade=True),
    )
    _index("customer_phones", "e164")
    op.create_table(
        "jobs",
        _id(),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        _fk("customer_id", "customers.id", "jobs"),
    )
    _index("jobs", "customer_id")


def downgrade() -> None:
    for table in (
        "jobs",
        "customer_phones",
        "customers",
        "business_numbers",
        "after_hours_steps",
        "holidays",
        "open_ranges",
        "group_members",
        "ring_groups",
        "extensions",
        "box_members",
        "trunks",
        "schedules",
        "voicemail_boxes",
        "users",
    ):
        op.drop_table(table)
