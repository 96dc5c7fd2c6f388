"""people without a chat account sign and follow campaigns by email

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 17:00:00

``outsider``: a signature or a follow by email, confirmed by a mailed link (its hash), the
address sealed and found by keyed digest. ``web_attempt``: uses of the public forms, for
their rate limits. Nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outsider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("affiliation", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("academic", sa.Boolean(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("counted_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "action", "address_hash", name="uq_outsider_once"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "web_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_attempt_key_at", "web_attempt", ["key_hash", "at"], unique=False)
    op.create_index(op.f("ix_web_attempt_at"), "web_attempt", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_web_attempt_at"), table_name="web_attempt")
    op.drop_index("ix_web_attempt_key_at", table_name="web_attempt")
    op.drop_table("web_attempt")
    op.drop_table("outsider")
