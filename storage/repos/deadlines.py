"""Deadlines on ideas: launch by then, or close."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Deadline, Idea
from storage.repos.upsert import insert_ignore

deadlines_t = Deadline.__table__
ideas_t = Idea.__table__


async def set_due(
    conn: AsyncConnection, idea_id: int, due_at: datetime, by: int, now: datetime
) -> None:
    await conn.execute(
        insert_ignore(conn, deadlines_t).values(
            idea_id=idea_id, due_at=due_at, set_by=by, set_at=now
        )
    )
    await conn.execute(
        sa.update(deadlines_t)
        .where(deadlines_t.c.idea_id == idea_id)
        .values(due_at=due_at, set_by=by, set_at=now)
    )


async def clear(conn: AsyncConnection, idea_id: int) -> bool:
    result = await conn.execute(
        sa.delete(deadlines_t)
        .where(deadlines_t.c.idea_id == idea_id)
        .returning(deadlines_t.c.idea_id)
    )
    return result.first() is not None


async def get(conn: AsyncConnection, idea_id: int) -> datetime | None:
    result = await conn.execute(
        sa.select(deadlines_t.c.due_at).where(deadlines_t.c.idea_id == idea_id)
    )
    return result.scalar_one_or_none()


async def open_due_before(conn: AsyncConnection, until: datetime) -> list[sa.Row]:
    """Deadlines up to ``until`` on ideas that are still open, soonest first."""
    result = await conn.execute(
        sa.select(
            deadlines_t.c.idea_id,
            deadlines_t.c.due_at,
            deadlines_t.c.set_at,
            ideas_t.c.text,
            ideas_t.c.up,
            ideas_t.c.down,
            ideas_t.c.hidden,
        )
        .join(ideas_t, ideas_t.c.id == deadlines_t.c.idea_id)
        .where(deadlines_t.c.due_at <= until, ideas_t.c.status == "open")
        .order_by(deadlines_t.c.due_at, deadlines_t.c.idea_id)
    )
    return list(result)
