"""Auto-attendant menus and after-hours triage; the triage answer of a call.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-15

Written by hand, self-contained like 0001 to 0005. New tables `menus` and
`menu_options` (targets by name). A business number's destination may be a
menu (`dest_menu_id`, and the destination check allows it); an after-hours step
may be a menu (`menu_id`, so renames follow) or the emergency triage (its own
question, and whether the caller speaks instead of pressing 1). `calls` keeps
what the caller answered to the triage. SQLite batch mode copies the altered
tables (foreign keys are off meanwhile); PostgreSQL alters them in place.

Downgrading drops menu destinations (the number keeps no destination) and the
menu and triage steps of after-hours chains.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_OLD_DESTINATION = (
    "(dest_kind IS NULL AND dest_extension_id IS NULL AND dest_group_id IS NULL)"
    " OR (dest_kind = 'ext' AND dest_extension_id IS NOT NULL AND dest_group_id IS NULL)"
    " OR (dest_kind = 'group' AND dest_group_id IS NOT NULL"
    " AND dest_extension_id IS NULL)"
)
_NEW_DESTINATION = (
    "(dest_kind IS NULL AND dest_extension_id IS NULL AND dest_group_id IS NULL"
    " AND dest_menu_id IS NULL)"
    " OR (dest_kind = 'ext' AND dest_extension_id IS NOT NULL AND dest_group_id IS NULL"
    " AND dest_menu_id IS NULL)"
    " OR (dest_kind = 'group' AND dest_group_id IS NOT NULL AND dest_extension_id IS NULL"
    " AND dest_menu_id IS NULL)"
    " OR (dest_kind = 'menu' AND dest_menu_id IS NOT NULL AND dest_extension_id IS NULL"
    " AND dest_group_id IS NULL)"
)
_CHECK = "ck_business_numbers_destination"


def _text(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)
        for name in ("created_at", "updated_at")
    ]


def upgrade() -> None:
    table = "menus"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        _text("name", nullable=False),
        sa.Column("prompt_text", sa.Text(), nullable=True),
        _text("prompt_sound"),
        sa.Column("invalid_text", sa.Text(), nullable=True),
        _text("invalid_sound"),
        sa.Column("timeout", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        _text("default_kind"),
        _text("default_target"),
        sa.Column("direct_dial", sa.Boolean(), nullable=False, server_default=sa.false()),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("name", name=f"uq_{table}_name"),
        sa.CheckConstraint(
            "prompt_text IS NOT NULL OR prompt_sound IS NOT NULL", name=op.f(f"ck_{table}_prompt")
        ),
    )
    table = "menu_options"
    op.create_table(
        table,
        sa.Column("menu_id", sa.Integer(), nullable=False),
        _text("key", nullable=False),
        _text("kind", nullable=False),
        sa.Column("target", sa.String(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("menu_id", "key", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["menu_id"], ["menus.id"], name=f"fk_{table}_menu_id_menus", ondelete="CASCADE"
        ),
    )

    with op.batch_alter_table("business_numbers") as batch:
        batch.add_column(sa.Column("dest_menu_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_business_numbers_dest_menu_id_menus",
            "menus",
            ["dest_menu_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index("ix_business_numbers_dest_menu_id", ["dest_menu_id"])
        batch.drop_constraint(op.f(_CHECK), type_="check")
        batch.create_check_constraint(op.f(_CHECK), _NEW_DESTINATION)

    with op.batch_alter_table("after_hours_steps") as batch:
        batch.add_column(sa.Column("menu_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prompt_text", sa.Text(), nullable=True))
        batch.add_column(_text("prompt_sound"))
        batch.add_column(
            sa.Column("spoken", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_foreign_key(
            "fk_after_hours_steps_menu_id_menus",
            "menus",
            ["menu_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index("ix_after_hours_steps_menu_id", ["menu_id"])

    with op.batch_alter_table("calls") as batch:
        batch.add_column(_text("triage"))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("triage")

    op.execute("DELETE FROM after_hours_steps WHERE kind IN ('menu', 'triage')")
    with op.batch_alter_table("after_hours_steps") as batch:
        batch.drop_index("ix_after_hours_steps_menu_id")
        batch.drop_constraint("fk_after_hours_steps_menu_id_menus", type_="foreignkey")
        batch.drop_column("spoken")
        batch.drop_column("prompt_sound")
        batch.drop_column("prompt_text")
        batch.drop_column("menu_id")

    op.execute(
        "UPDATE business_numbers SET dest_kind = NULL, dest_menu_id = NULL WHERE dest_kind = 'menu'"
    )
    with op.batch_alter_table("business_numbers") as batch:
        batch.drop_constraint(op.f(_CHECK), type_="check")
        batch.drop_index("ix_business_numbers_dest_menu_id")
        batch.drop_constraint("fk_business_numbers_dest_menu_id_menus", type_="foreignkey")
        batch.drop_column("dest_menu_id")
        batch.create_check_constraint(op.f(_CHECK), _OLD_DESTINATION)

    op.drop_table("menu_options")
    op.drop_table("menus")
