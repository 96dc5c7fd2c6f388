"""Who follows which idea or campaign (a campaign shares its idea's number)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Idea, Subscription, Vote
from storage.repos.upsert import insert_ignore, insert_ignore_returning

subscriptions_t = Subscription.__table__
ideas_t = Idea.__table__
votes_t = Vote.__table__


async def subscribe(conn: AsyncConnection, member_id: int, idea_id: int, now: datetime) -> bool:
    result = await conn.execute(
        insert_ignore_returning(conn.dialect.name, subscriptions_t, "member_id"),
        {"member_id": member_id, "idea_id": idea_id, "created_at": now},
    )
    return result.first() is not None


async def subscribe_voters(conn: AsyncConnection, idea_id: int, now: datetime) -> None:
    """Subscribe everyone who voted on the idea (at launch)."""
    voters = sa.select(
        votes_t.c.member_id, votes_t.c.idea_id, sa.literal(now, type_=ideas_t.c.created_at.type)
    ).where(votes_t.c.idea_id == idea_id)
    await conn.execute(
        insert_ignore(conn, subscriptions_t).from_select(
            ["member_id", "idea_id", "created_at"], voters
        )
    )


async def unsubscribe(conn: AsyncConnection, member_id: int, idea_id: int) -> bool:
    result = await conn.execute(
        sa.delete(subscriptions_t)
        .where(subscriptions_t.c.member_id == member_id, subscriptions_t.c.idea_id == idea_id)
        .returning(subscriptions_t.c.member_id)
    )
    return result.first() is not None


async def of_member(conn: AsyncConnection, member_id: int) -> list[sa.Row]:
    result = await conn.execute(
        sa.select(ideas_t.c.id, ideas_t.c.text, ideas_t.c.status)
        .join(subscriptions_t, subscriptions_t.c.idea_id == ideas_t.c.id)
        .where(subscriptions_t.c.member_id == member_id)
        .order_by(ideas_t.c.id)
    )
    return list(result)


async def subscribers(conn: AsyncConnection, idea_id: int) -> list[int]:
    result = await conn.execute(
        sa.select(subscriptions_t.c.member_id).where(subscriptions_t.c.idea_id == idea_id)
    )
    return [int(m) for m in result.scalars()]


async def count(conn: AsyncConnection, idea_id: int) -> int:
    result = await conn.execute(
        sa.select(sa.func.count())
        .select_from(subscriptions_t)
        .where(subscriptions_t.c.idea_id == idea_id)
    )
    return int(result.scalar_one())
