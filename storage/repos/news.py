"""What the movement did, newest first, for the public feed: campaigns launched and closed,
petition statements, adopted next steps and published weekly updates. Only what was
announced in public already, of campaigns that are not hidden; never who did it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Campaign, CampaignUpdate, Idea, NextStep, PetitionVersion

campaigns_t = Campaign.__table__
ideas_t = Idea.__table__
versions_t = PetitionVersion.__table__
steps_t = NextStep.__table__
updates_t = CampaignUpdate.__table__


@dataclass(frozen=True)
class News:
    kind: str  # "launched", "closed", "petition", "next_step", "update"
    campaign_id: int
    campaign_text: str
    at: datetime
    text: str = ""
    number: int = 0  # the petition version, the update's revision or the next step's id


def _visible(query: sa.Select) -> sa.Select:
    return query.join(ideas_t, ideas_t.c.id == campaigns_t.c.id).where(ideas_t.c.hidden.is_(False))


async def recent(conn: AsyncConnection, limit: int) -> list[News]:
    found: list[News] = []
    launched = _visible(
        sa.select(
            campaigns_t.c.id, ideas_t.c.text, campaigns_t.c.launched_at, campaigns_t.c.closed_at
        )
    )
    for row in await conn.execute(launched.order_by(campaigns_t.c.launched_at.desc()).limit(limit)):
        found.append(News("launched", row.id, row.text, row.launched_at))
    closed = launched.where(campaigns_t.c.closed_at.is_not(None))
    for row in await conn.execute(closed.order_by(campaigns_t.c.closed_at.desc()).limit(limit)):
        found.append(News("closed", row.id, row.text, row.closed_at))
    petitions = _visible(
        sa.select(versions_t, ideas_t.c.text.label("campaign_text")).join(
            campaigns_t, campaigns_t.c.id == versions_t.c.campaign_id
        )
    )
    for row in await conn.execute(petitions.order_by(versions_t.c.created_at.desc()).limit(limit)):
        found.append(
            News(
                "petition",
                row.campaign_id,
                row.campaign_text,
                row.created_at,
                row.text,
                row.version,
            )
        )
    steps = _visible(
        sa.select(steps_t, ideas_t.c.text.label("campaign_text"))
        .join(campaigns_t, campaigns_t.c.id == steps_t.c.campaign_id)
        .where(steps_t.c.status == "adopted")
    )
    for row in await conn.execute(steps.order_by(steps_t.c.decided_at.desc()).limit(limit)):
        found.append(
            News("next_step", row.campaign_id, row.campaign_text, row.decided_at, row.text, row.id)
        )
    updates = _visible(
        sa.select(updates_t, ideas_t.c.text.label("campaign_text"))
        .join(campaigns_t, campaigns_t.c.id == updates_t.c.campaign_id)
        .where(updates_t.c.published_in.is_not(None))
    )
    for row in await conn.execute(updates.order_by(updates_t.c.id.desc()).limit(limit)):
        # When it was drafted is the organizers' business: the week it went out is public.
        found.append(
            News(
                "update",
                row.campaign_id,
                row.campaign_text,
                _week(row.published_in),
                row.text,
                row.rev,
            )
        )
    found.sort(key=lambda news: (news.at, news.kind, news.campaign_id, news.number), reverse=True)
    return found[:limit]


def _week(period: str) -> datetime:
    """The Monday 00:00 UTC a weekly period ("2026-W48") began."""
    year, week = period.split("-W")
    return datetime.fromisocalendar(int(year), int(week), 1).replace(tzinfo=UTC)
