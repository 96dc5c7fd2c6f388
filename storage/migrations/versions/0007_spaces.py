"""spaces known to the database, closed DMs

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:30:00

- ``space``: every space a process serves, who serves it now (a lease) and when a process
  last said it was configured with it. Announcements go to every space seen lately, not only
  to those of the process that ran the command.
- ``outbox.claimed_by``: which process holds a row's lease; restarted, it takes it back.
- ``identity.dms_refused_at``: the platform refused a private message to this account for
  good (closed DMs); it gets none until its holder acts through it again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "space",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("incarnation", sa.String(length=32), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("seen_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dms_refused_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        # The earlier announcements of a space, which a later one must not overtake.
        batch_op.create_index("ix_outbox_space", ["space", "sent_at", "id"], unique=False)
        # Who holds a lease: a process restarted takes back what it held.
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
        batch_op.drop_index("ix_outbox_space")
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.drop_column("dms_refused_at")
    op.drop_table("space")
