"""vouching: codes members issue for people they know

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:00:00

``registration_code`` gains when a code was revoked (its batch withdrawn, or its voucher's
vouching suspended). ``vouch``: one row per code a member issued, the voucher and the member
it let in sealed, each with a keyed digest. ``vouch_suspension``: members a moderator
stopped from vouching, by whom and when. Nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registration_code") as batch:
        batch.add_column(
            sa.Column("revoked_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "vouch",
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("voucher_finder", sa.String(length=64), nullable=False),
        sa.Column("voucher_sealed", sa.Text(), nullable=False),
        sa.Column("vouched_finder", sa.String(length=64), nullable=True),
        sa.Column("vouched_sealed", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["code_id"], ["registration_code.id"]),
        sa.PrimaryKeyConstraint("code_id"),
        sa.UniqueConstraint("vouched_finder"),
    )
    op.create_index("ix_vouch_voucher_finder", "vouch", ["voucher_finder"])
    op.create_table(
        "vouch_suspension",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("suspended_by", sa.Integer(), nullable=False),
        sa.Column("suspended_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["suspended_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("member_id"),
    )


def downgrade() -> None:
    op.drop_table("vouch_suspension")
    op.drop_index("ix_vouch_voucher_finder", table_name="vouch")
    op.drop_table("vouch")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later, PostgreSQL), as 0008 does: a
    # batch copy would reflect idea, whose expression index SQLAlchemy cannot reflect.
    op.drop_column("registration_code", "revoked_at")
