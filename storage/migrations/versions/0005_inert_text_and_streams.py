"""inert text, command streams, burned codes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:20:00

- ``outbox.stream``: the idea or campaign a queued command is about, so what members do
  about one campaign happens in the order they asked, whatever random moment each drew.
- ``registration_code.burned_at`` (a code shown in public), and ``redeemed_by`` goes: the
  identity that redeemed a code, joined with an organizer's codes.csv, named the worker
  behind an account.
- Member text stored before text was cleaned on the way in loses its line separators,
  control and invisible characters, as commands.framework.member_text does now (kept here as it was
  on this day: a migration must not change when that module does).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SEPARATORS = "\r\n\x00\x0b\x0c\x85\u2028\u2029"
_INVISIBLE = (
    "\u200b\u2060\ufeff\u180e\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069"
)
_CONTROLS = "".join(chr(c) for c in (*range(0x20), *range(0x7F, 0xA0)))
_ONE_LINE = str.maketrans(
    {**dict.fromkeys(_CONTROLS + _INVISIBLE, None), **dict.fromkeys(_SEPARATORS + "\t", " ")}
)
_LINES = str.maketrans(
    {**dict.fromkeys(_CONTROLS + _INVISIBLE, None), "\t": " ", **dict.fromkeys(_SEPARATORS, "\n")}
)

# (table, key columns, text column, keeps paragraphs)
_TEXTS = (
    ("idea", ("id",), "text", False),
    ("campaign", ("id",), "petition_text", False),
    ("member", ("id",), "revealed_name", False),
    ("signature", ("campaign_id", "member_id"), "display_name", False),
    ("next_step", ("id",), "text", False),
    ("objection", ("step_id", "member_id"), "reason", False),
    ("doc_revision", ("id",), "text", True),
    ("campaign_update", ("id",), "text", True),
)


def _clean(text: str, lines: bool) -> str:
    if not lines:
        return text.translate(_ONE_LINE).strip(" ")
    parts = re.sub(r"\r\n", "\n", text).translate(_LINES).split("\n")
    return "\n".join(part.rstrip(" ") for part in parts).strip("\n")


def _clean_stored_texts() -> None:
    bind = op.get_bind()
    for table_name, keys, column, lines in _TEXTS:
        table = sa.table(table_name, *(sa.column(k) for k in keys), sa.column(column))
        rows = bind.execute(sa.select(*(table.c[k] for k in keys), table.c[column])).all()
        for row in rows:
            text = row[-1]
            if text is None:
                continue
            cleaned = _clean(text, lines)
            if cleaned == text:
                continue
            where = sa.and_(*(table.c[k] == value for k, value in zip(keys, row[:-1], strict=True)))
            # A text that was nothing but control characters keeps a visible trace.
            bind.execute(sa.update(table).where(where).values({column: cleaned or "?"}))


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stream", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_outbox_stream", ["stream", "sent_at"], unique=False)
    with op.batch_alter_table("registration_code", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("burned_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_column("redeemed_by")
    _clean_stored_texts()


def downgrade() -> None:
    with op.batch_alter_table("registration_code", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redeemed_by", sa.String(length=200), nullable=True))
        batch_op.drop_column("burned_at")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_stream")
        batch_op.drop_column("stream")
