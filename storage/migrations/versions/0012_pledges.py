"""actions and sealed pledges

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 17:10:00

``action``: what a campaign asks of its members, how many pledges it needs by when, its
status (open, triggered, lapsed) and count. ``pledge``: one sealed row per pledge, found by a
keyed digest, its member sealed (storage/models.py says how). Nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("needs", sa.Integer(), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pledge_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revealed", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_action_campaign_id"), "action", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_action_due_at"), "action", ["due_at"], unique=False)
    op.create_table(
        "pledge",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("finder", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"]),
        sa.PrimaryKeyConstraint("action_id", "finder"),
    )


def downgrade() -> None:
    op.drop_table("pledge")
    op.drop_index(op.f("ix_action_due_at"), table_name="action")
    op.drop_index(op.f("ix_action_campaign_id"), table_name="action")
    op.drop_table("action")
