"""When each campaign last saw activity (for stall alerts)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Campaign, CampaignActivity, Idea

activity_t = CampaignActivity.__table__
campaigns_t = Campaign.__table__
ideas_t = Idea.__table__


async def touch(conn: AsyncConnection, campaign_id: int, now: datetime) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(activity_t).values(campaign_id=campaign_id, last_at=now)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[activity_t.c.campaign_id], set_={"last_at": statement.excluded.last_at}
        )
    )


async def quiet_since(conn: AsyncConnection, before: datetime) -> list[sa.Row]:
    """Active, visible campaigns whose last activity (or launch) is before ``before``."""
    last = sa.func.coalesce(activity_t.c.last_at, campaigns_t.c.launched_at)
    result = await conn.execute(
        sa.select(campaigns_t.c.id, ideas_t.c.text, last.label("last_at"))
        .join(ideas_t, ideas_t.c.id == campaigns_t.c.id)
        .outerjoin(activity_t, activity_t.c.campaign_id == campaigns_t.c.id)
        .where(campaigns_t.c.status == "active", ideas_t.c.hidden.is_(False), last < before)
        .order_by(campaigns_t.c.id)
    )
    return list(result)
