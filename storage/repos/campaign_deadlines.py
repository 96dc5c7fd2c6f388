"""Deadlines on a campaign's discussion and petition: when each ends, and whether it has."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Campaign, CampaignDeadline, Idea
from storage.repos.upsert import insert_ignore

PARTS = ("discussion", "petition")

deadlines_t = CampaignDeadline.__table__
campaigns_t = Campaign.__table__
ideas_t = Idea.__table__


async def set_due(
    conn: AsyncConnection, campaign_id: int, part: str, due_at: datetime, by: int, now: datetime
) -> None:
    """Set (or move) the deadline; a part that had ended takes part again until then."""
    values = {"due_at": due_at, "set_by": by, "set_at": now, "ended_at": None}
    await conn.execute(
        insert_ignore(conn, deadlines_t).values(campaign_id=campaign_id, part=part, **values)
    )
    await conn.execute(sa.update(deadlines_t).where(_one(campaign_id, part)).values(**values))


async def clear(conn: AsyncConnection, campaign_id: int, part: str) -> sa.Row | None:
    """Remove the deadline; the row it had (``due_at``, ``ended_at``), or None."""
    result = await conn.execute(
        sa.delete(deadlines_t)
        .where(_one(campaign_id, part))
        .returning(deadlines_t.c.due_at, deadlines_t.c.ended_at)
    )
    return result.first()


async def of_campaign(conn: AsyncConnection, campaign_id: int) -> dict[str, sa.Row]:
    """The campaign's deadlines by part (``due_at``, ``ended_at``)."""
    result = await conn.execute(
        sa.select(deadlines_t.c.part, deadlines_t.c.due_at, deadlines_t.c.ended_at).where(
            deadlines_t.c.campaign_id == campaign_id
        )
    )
    return {row.part: row for row in result}


async def get(conn: AsyncConnection, campaign_id: int, part: str) -> sa.Row | None:
    result = await conn.execute(
        sa.select(deadlines_t.c.due_at, deadlines_t.c.ended_at).where(_one(campaign_id, part))
    )
    return result.first()


async def end(conn: AsyncConnection, campaign_id: int, part: str, due_at: datetime) -> bool:
    """Mark the part ended at ``due_at``: False when it ended already or the deadline moved."""
    result = await conn.execute(
        sa.update(deadlines_t)
        .where(
            _one(campaign_id, part),
            deadlines_t.c.due_at == due_at,
            deadlines_t.c.ended_at.is_(None),
        )
        .values(ended_at=due_at)
        .returning(deadlines_t.c.campaign_id)
    )
    return result.first() is not None


async def running_due_before(conn: AsyncConnection, until: datetime) -> list[sa.Row]:
    """Deadlines up to ``until`` not ended yet, of campaigns still active, soonest first."""
    result = await conn.execute(
        sa.select(
            deadlines_t.c.campaign_id,
            deadlines_t.c.part,
            deadlines_t.c.due_at,
            deadlines_t.c.set_at,
            ideas_t.c.text,
            ideas_t.c.hidden,
        )
        .join(campaigns_t, campaigns_t.c.id == deadlines_t.c.campaign_id)
        .join(ideas_t, ideas_t.c.id == deadlines_t.c.campaign_id)
        .where(
            deadlines_t.c.due_at <= until,
            deadlines_t.c.ended_at.is_(None),
            campaigns_t.c.status == "active",
        )
        .order_by(deadlines_t.c.due_at, deadlines_t.c.campaign_id, deadlines_t.c.part)
    )
    return list(result)


def _one(campaign_id: int, part: str) -> sa.ColumnElement[bool]:
    return sa.and_(deadlines_t.c.campaign_id == campaign_id, deadlines_t.c.part == part)
