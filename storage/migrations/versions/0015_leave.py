"""leaving, and the public moderation log

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:00:00

``mod_action`` gains the moderator's stated reason and whether the public log names the
target (a ban does not, unless the moderator chose to). ``retired_pseudonym`` holds the
keyed digest of every pseudonym whose member left, so none is handed out again. Existing
log rows keep their targets shown, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mod_action") as batch:
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("target_hidden", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # A ban logged before this named its member only to moderators' `mod log`: it stays
    # unnamed in the public log.
    op.execute("UPDATE mod_action SET target_hidden = true WHERE action IN ('ban', 'unban')")
    op.create_table(
        "retired_pseudonym",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )


def downgrade() -> None:
    op.drop_table("retired_pseudonym")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later, PostgreSQL), as 0008 does: a
    # batch copy would reflect idea, whose expression index SQLAlchemy cannot reflect.
    op.drop_column("mod_action", "target_hidden")
    op.drop_column("mod_action", "reason")
