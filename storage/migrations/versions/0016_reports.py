"""reports, said messages, and a discussion's pace

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 18:00:00

``said_message``: each `say`, numbered so it can be cited and reported. ``report_item`` and
``report``: what members reported, and each report's reason with its reporter only as a
keyed digest. ``discussion_pace``: a campaign's discussion slowed or locked. Nothing
existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "said_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_said_message_pace",
        "said_message",
        ["campaign_id", "author_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "report_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("hidden_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "target", name="uq_report_item_target"),
    )
    op.create_table(
        "report",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reporter_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["report_item.id"]),
        sa.PrimaryKeyConstraint("item_id", "reporter_hash"),
    )
    op.create_table(
        "discussion_pace",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("slow_seconds", sa.Integer(), nullable=True),
        sa.Column("locked_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("campaign_id"),
    )


def downgrade() -> None:
    op.drop_table("discussion_pace")
    op.drop_table("report")
    op.drop_table("report_item")
    op.drop_index("ix_said_message_pace", table_name="said_message")
    op.drop_table("said_message")
