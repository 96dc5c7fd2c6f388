"""letters to an action's target and their delivery

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:30:00

``action_letter``: one sealed letter per pledger, found by the pledge's keyed digest.
``action`` gains when its target was confirmed by a moderator, the sealed delivery waiting
to be mailed, and when it was delivered with which Message-ID. Nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action") as batch:
        batch.add_column(
            sa.Column(
                "target_confirmed_at", storage.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch.add_column(sa.Column("delivery", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("delivered_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("delivery_message_id", sa.String(length=200), nullable=True))
    op.create_table(
        "action_letter",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("finder", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"]),
        sa.PrimaryKeyConstraint("action_id", "finder"),
    )


def downgrade() -> None:
    op.drop_table("action_letter")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later, PostgreSQL), as 0008 does: a
    # batch copy would reflect idea, whose expression index SQLAlchemy cannot reflect.
    op.drop_column("action", "delivery_message_id")
    op.drop_column("action", "delivered_at")
    op.drop_column("action", "delivery")
    op.drop_column("action", "target_confirmed_at")
