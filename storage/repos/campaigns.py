"""Campaigns and their organizers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Campaign, Idea, Member, Organizer
from storage.repos.upsert import insert_ignore

campaigns_t = Campaign.__table__
ideas_t = Idea.__table__
organizers_t = Organizer.__table__
members_t = Member.__table__

_with_idea = sa.select(
    campaigns_t,
    ideas_t.c.text,
    ideas_t.c.up,
    ideas_t.c.down,
    ideas_t.c.hidden,
    ideas_t.c.author_id,
).join(ideas_t, ideas_t.c.id == campaigns_t.c.id)


async def create(conn: AsyncConnection, idea_id: int, now: datetime) -> None:
    await conn.execute(
        sa.insert(campaigns_t).values(
            id=idea_id, launched_at=now, status="active", signature_count=0, doc_rev=0
        )
    )


async def get(conn: AsyncConnection, campaign_id: int) -> sa.Row | None:
    result = await conn.execute(_with_idea.where(campaigns_t.c.id == campaign_id))
    return result.first()


async def list_all(conn: AsyncConnection, *, limit: int, include_closed: bool) -> list[sa.Row]:
    query = _with_idea.where(ideas_t.c.hidden.is_(False))
    if not include_closed:
        query = query.where(campaigns_t.c.status == "active")
    result = await conn.execute(
        query.order_by(campaigns_t.c.signature_count.desc(), campaigns_t.c.id.desc()).limit(limit)
    )
    return list(result)


async def count_closed(conn: AsyncConnection) -> int:
    """Closed campaigns whose idea is not hidden (what `campaigns all` would add)."""
    result = await conn.execute(
        sa.select(sa.func.count())
        .select_from(campaigns_t.join(ideas_t, ideas_t.c.id == campaigns_t.c.id))
        .where(campaigns_t.c.status == "closed", ideas_t.c.hidden.is_(False))
    )
    return int(result.scalar_one())


async def close(conn: AsyncConnection, campaign_id: int, now: datetime) -> None:
    await conn.execute(
        sa.update(campaigns_t)
        .where(campaigns_t.c.id == campaign_id)
        .values(status="closed", closed_at=now)
    )


async def add_organizer(
    conn: AsyncConnection, campaign_id: int, member_id: int, now: datetime
) -> bool:
    """False when the member already organizes this campaign."""
    result = await conn.execute(
        insert_ignore(conn, organizers_t)
        .values(campaign_id=campaign_id, member_id=member_id, added_at=now)
        .returning(organizers_t.c.member_id)
    )
    return result.first() is not None


async def is_organizer(conn: AsyncConnection, campaign_id: int, member_id: int) -> bool:
    result = await conn.execute(
        sa.select(organizers_t.c.member_id).where(
            organizers_t.c.campaign_id == campaign_id, organizers_t.c.member_id == member_id
        )
    )
    return result.first() is not None


async def organizer_names(conn: AsyncConnection, campaign_id: int) -> list[sa.Row]:
    result = await conn.execute(
        sa.select(members_t.c.id, members_t.c.pseudonym, members_t.c.revealed_name)
        .join(organizers_t, organizers_t.c.member_id == members_t.c.id)
        .where(organizers_t.c.campaign_id == campaign_id)
        .order_by(organizers_t.c.added_at, members_t.c.id)
    )
    return list(result)


async def add_signatures(conn: AsyncConnection, campaign_id: int, delta: int) -> int:
    result = await conn.execute(
        sa.update(campaigns_t)
        .where(campaigns_t.c.id == campaign_id)
        .values(signature_count=campaigns_t.c.signature_count + delta)
        .returning(campaigns_t.c.signature_count)
    )
    return int(result.scalar_one())


async def next_doc_rev(conn: AsyncConnection, campaign_id: int) -> int:
    result = await conn.execute(
        sa.update(campaigns_t)
        .where(campaigns_t.c.id == campaign_id)
        .values(doc_rev=campaigns_t.c.doc_rev + 1)
        .returning(campaigns_t.c.doc_rev)
    )
    return int(result.scalar_one())
