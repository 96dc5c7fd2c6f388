"""Campaign updates: a draft per campaign with revisions, published by the weekly email."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Campaign, CampaignUpdate, Member

updates_t = CampaignUpdate.__table__
campaigns_t = Campaign.__table__
members_t = Member.__table__


async def add(
    conn: AsyncConnection, campaign_id: int, member_id: int, text: str, now: datetime
) -> int:
    """Save a new revision of the draft; returns its revision number."""
    # Lock the campaign row so two organizers saving at once get consecutive numbers
    # (SQLite serialises writers anyway and ignores FOR UPDATE).
    await conn.execute(
        sa.select(campaigns_t.c.id).where(campaigns_t.c.id == campaign_id).with_for_update()
    )
    result = await conn.execute(
        sa.select(sa.func.coalesce(sa.func.max(updates_t.c.rev), 0)).where(
            updates_t.c.campaign_id == campaign_id
        )
    )
    rev = int(result.scalar_one()) + 1
    await conn.execute(
        sa.insert(updates_t).values(
            campaign_id=campaign_id, rev=rev, member_id=member_id, text=text, created_at=now
        )
    )
    return rev


def _with_author() -> sa.Select:
    return sa.select(updates_t, members_t.c.pseudonym).join(
        members_t, members_t.c.id == updates_t.c.member_id
    )


async def draft(conn: AsyncConnection, campaign_id: int) -> sa.Row | None:
    """The newest unpublished revision, if any."""
    result = await conn.execute(
        _with_author()
        .where(updates_t.c.campaign_id == campaign_id, updates_t.c.published_in.is_(None))
        .order_by(updates_t.c.rev.desc())
        .limit(1)
    )
    return result.first()


async def last_published(conn: AsyncConnection, campaign_id: int) -> sa.Row | None:
    result = await conn.execute(
        _with_author()
        .where(updates_t.c.campaign_id == campaign_id, updates_t.c.published_in.is_not(None))
        .order_by(updates_t.c.rev.desc())
        .limit(1)
    )
    return result.first()


async def published(conn: AsyncConnection, campaign_id: int, limit: int) -> list[sa.Row]:
    """What the weekly updates carried: of each week's revisions the newest (the others were
    drafts it replaced), newest week first."""
    carried = (
        sa.select(updates_t.c.published_in, sa.func.max(updates_t.c.rev).label("rev"))
        .where(updates_t.c.campaign_id == campaign_id, updates_t.c.published_in.is_not(None))
        .group_by(updates_t.c.published_in)
        .subquery()
    )
    result = await conn.execute(
        _with_author()
        .join(carried, carried.c.rev == updates_t.c.rev)
        .where(updates_t.c.campaign_id == campaign_id)
        .order_by(updates_t.c.rev.desc())
        .limit(limit)
    )
    return list(result)


async def history(conn: AsyncConnection, campaign_id: int, limit: int) -> list[sa.Row]:
    result = await conn.execute(
        _with_author()
        .where(updates_t.c.campaign_id == campaign_id)
        .order_by(updates_t.c.rev.desc())
        .limit(limit)
    )
    return list(result)


async def drafts(conn: AsyncConnection, campaign_ids: Sequence[int]) -> dict[int, sa.Row]:
    """The newest unpublished revision of each of these campaigns that has one."""
    if not campaign_ids:
        return {}
    newest = (
        sa.select(updates_t.c.campaign_id, sa.func.max(updates_t.c.rev).label("rev"))
        .where(updates_t.c.campaign_id.in_(campaign_ids), updates_t.c.published_in.is_(None))
        .group_by(updates_t.c.campaign_id)
        .subquery()
    )
    result = await conn.execute(
        _with_author().join(
            newest,
            sa.and_(
                newest.c.campaign_id == updates_t.c.campaign_id, newest.c.rev == updates_t.c.rev
            ),
        )
    )
    return {int(row.campaign_id): row for row in result}


async def publish(conn: AsyncConnection, campaign_ids: Sequence[int], period: str) -> None:
    """Every unpublished revision of these campaigns now belongs to ``period``."""
    if campaign_ids:
        await conn.execute(
            sa.update(updates_t)
            .where(updates_t.c.campaign_id.in_(campaign_ids), updates_t.c.published_in.is_(None))
            .values(published_in=period)
        )
