"""deadlines on a campaign's discussion and petition

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:30:00

``campaign_deadline``: when a campaign's discussion or its petition (``part``) ends, and,
once it has, ``ended_at``. Idea deadlines stay in ``deadline``; nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_deadline",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["set_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("campaign_id", "part"),
    )
    op.create_index(
        op.f("ix_campaign_deadline_due_at"), "campaign_deadline", ["due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_deadline_due_at"), table_name="campaign_deadline")
    op.drop_table("campaign_deadline")
