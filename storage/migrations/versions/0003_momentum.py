"""momentum

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 08:18:18.971020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("apscheduler_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_apscheduler_jobs_next_run_time"), ["next_run_time"], unique=False
        )

    op.create_table(
        "ledger",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=100), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("kind", "period"),
    )
    op.create_table(
        "member_email",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("verified_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pending_address", sa.String(length=254), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("requests_since", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unsubscribe_token", sa.String(length=32), nullable=True),
        sa.Column("failed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("failure_shown_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("member_id"),
        sa.UniqueConstraint("unsubscribe_token"),
    )
    op.create_table(
        "member_prefs",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("notify", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("member_id"),
    )
    op.create_table(
        "deadline",
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["idea.id"],
        ),
        sa.ForeignKeyConstraint(
            ["set_by"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("idea_id"),
    )
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadline_due_at"), ["due_at"], unique=False)

    op.create_table(
        "campaign_activity",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("last_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
        ),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    op.create_table(
        "campaign_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_in", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "rev", name="uq_campaign_update_rev"),
    )
    op.create_table(
        "next_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("proposer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_ends_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("undone_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
        ),
        sa.ForeignKeyConstraint(
            ["proposer_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["undone_by"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("next_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_next_step_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(
            "ix_next_step_status_window", ["status", "window_ends_at"], unique=False
        )

    op.create_table(
        "objection",
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["next_step.id"],
        ),
        sa.PrimaryKeyConstraint("step_id", "member_id"),
    )


def downgrade() -> None:
    op.drop_table("objection")
    with op.batch_alter_table("next_step", schema=None) as batch_op:
        batch_op.drop_index("ix_next_step_status_window")
        batch_op.drop_index(batch_op.f("ix_next_step_campaign_id"))

    op.drop_table("next_step")
    op.drop_table("campaign_update")
    op.drop_table("campaign_activity")
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_due_at"))

    op.drop_table("deadline")
    op.drop_table("member_prefs")
    op.drop_table("member_email")
    op.drop_table("ledger")
    with op.batch_alter_table("apscheduler_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_apscheduler_jobs_next_run_time"))

    op.drop_table("apscheduler_jobs")
