"""petition versions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00

A petition's statement no longer changes under its signers: ``petition_version`` keeps every
statement, ``campaign.petition_version`` says which is current, ``signature.version`` which
one each signature is on. Existing petitions become version 1, with all their signatures.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "petition_version",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("campaign_id", "version"),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("petition_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.execute(
        "INSERT INTO petition_version (campaign_id, version, text, created_at) "
        "SELECT id, 1, petition_text, COALESCE(petition_set_at, launched_at) FROM campaign "
        "WHERE petition_text IS NOT NULL"
    )
    op.execute("UPDATE campaign SET petition_version = 1 WHERE petition_text IS NOT NULL")


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later, PostgreSQL): a batch copy of
    # campaign would reflect idea, whose expression index SQLAlchemy cannot reflect.
    op.drop_column("signature", "version")
    op.drop_column("campaign", "petition_version")
    op.drop_table("petition_version")
