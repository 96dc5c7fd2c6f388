"""A campaign's discussion: its numbered messages, and its pace (slow mode, lock)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import DiscussionPace, SaidMessage
from storage.repos.upsert import insert_ignore

messages_t = SaidMessage.__table__
pace_t = DiscussionPace.__table__


async def add_message(
    conn: AsyncConnection, campaign_id: int, author_id: int, text: str, now: datetime
) -> int:
    """Keep a said message; its number."""
    result = await conn.execute(
        sa.insert(messages_t)
        .values(
            campaign_id=campaign_id, author_id=author_id, text=text, created_at=now, hidden=False
        )
        .returning(messages_t.c.id)
    )
    return int(result.scalar_one())


async def message(conn: AsyncConnection, message_id: int) -> sa.Row | None:
    result = await conn.execute(sa.select(messages_t).where(messages_t.c.id == message_id))
    return result.first()


async def set_message_hidden(conn: AsyncConnection, message_id: int, hidden: bool) -> None:
    await conn.execute(
        sa.update(messages_t).where(messages_t.c.id == message_id).values(hidden=hidden)
    )


async def last_said(conn: AsyncConnection, campaign_id: int, author_id: int) -> datetime | None:
    """When the member last said something in the campaign's discussion."""
    result = await conn.execute(
        sa.select(sa.func.max(messages_t.c.created_at)).where(
            messages_t.c.campaign_id == campaign_id, messages_t.c.author_id == author_id
        )
    )
    return result.scalar_one_or_none()


async def pace(conn: AsyncConnection, campaign_id: int) -> sa.Row | None:
    """The discussion's ``slow_seconds`` and ``locked_until``, or None."""
    result = await conn.execute(sa.select(pace_t).where(pace_t.c.campaign_id == campaign_id))
    return result.first()


async def set_pace(conn: AsyncConnection, campaign_id: int, **values: object) -> None:
    """Set ``slow_seconds`` and/or ``locked_until`` (None lifts it)."""
    await conn.execute(insert_ignore(conn, pace_t).values(campaign_id=campaign_id))
    await conn.execute(
        sa.update(pace_t).where(pace_t.c.campaign_id == campaign_id).values(**values)
    )
