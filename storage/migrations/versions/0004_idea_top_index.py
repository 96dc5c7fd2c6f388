"""idea top index

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:15:00

The `ideas` listing ordered by score: read off this index instead of sorting every open
idea on each request.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_idea_open_top",
        "idea",
        ["status", "hidden", sa.text("(up - down) DESC"), sa.text("id DESC")],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_idea_open_top", table_name="idea")
