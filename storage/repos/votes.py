"""Votes: one row per member per idea, value +1 or -1.

Every change is a single-row statement whose result says what changed, so the idea's
counters can be moved by exactly that much even when many members vote at once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Vote
from storage.repos.upsert import insert_ignore_returning

votes_t = Vote.__table__
_FLIP = (
    sa.update(votes_t)
    .where(
        votes_t.c.idea_id == sa.bindparam("b_idea"),
        votes_t.c.member_id == sa.bindparam("b_member"),
        votes_t.c.value != sa.bindparam("b_value"),
    )
    .values(value=sa.bindparam("b_value"), created_at=sa.bindparam("b_at"))
    .returning(votes_t.c.member_id)
)


async def cast(
    conn: AsyncConnection, idea_id: int, member_id: int, value: int, now: datetime
) -> str:
    """Record a vote. Returns 'new', 'changed' (it flipped) or 'same' (already so)."""
    row = {"idea_id": idea_id, "member_id": member_id, "value": value, "created_at": now}
    inserted = await conn.execute(
        insert_ignore_returning(conn.dialect.name, votes_t, "member_id"), row
    )
    if inserted.first() is not None:
        return "new"
    flipped = await conn.execute(
        _FLIP, {"b_idea": idea_id, "b_member": member_id, "b_value": value, "b_at": now}
    )
    return "changed" if flipped.first() is not None else "same"


async def retract(conn: AsyncConnection, idea_id: int, member_id: int) -> int | None:
    """Remove a vote; returns the value it had, or None when there was none."""
    result = await conn.execute(
        sa.delete(votes_t)
        .where(votes_t.c.idea_id == idea_id, votes_t.c.member_id == member_id)
        .returning(votes_t.c.value)
    )
    return result.scalar_one_or_none()


async def value_of(conn: AsyncConnection, idea_id: int, member_id: int) -> int | None:
    result = await conn.execute(
        sa.select(votes_t.c.value).where(
            votes_t.c.idea_id == idea_id, votes_t.c.member_id == member_id
        )
    )
    return result.scalar_one_or_none()


async def counts(conn: AsyncConnection, idea_id: int) -> tuple[int, int]:
    """Count the rows themselves (for checks; the idea row carries the live counters)."""
    result = await conn.execute(
        sa.select(
            sa.func.count().filter(votes_t.c.value > 0),
            sa.func.count().filter(votes_t.c.value < 0),
        ).where(votes_t.c.idea_id == idea_id)
    )
    up, down = result.one()
    return int(up), int(down)
