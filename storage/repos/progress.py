"""What changed in a window of time: the raw material of the daily digest and weekly update."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Campaign,
    CampaignUpdate,
    DocRevision,
    Idea,
    Member,
    NextStep,
    Signature,
    Subscription,
)

ideas_t = Idea.__table__
members_t = Member.__table__
campaigns_t = Campaign.__table__
signatures_t = Signature.__table__
revisions_t = DocRevision.__table__
updates_t = CampaignUpdate.__table__
steps_t = NextStep.__table__
subscriptions_t = Subscription.__table__


async def new_ideas(
    conn: AsyncConnection, since: datetime, until: datetime, limit: int
) -> list[sa.Row]:
    result = await conn.execute(
        sa.select(
            ideas_t.c.id,
            ideas_t.c.text,
            ideas_t.c.up,
            ideas_t.c.down,
            members_t.c.pseudonym,
            members_t.c.revealed_name,
        )
        .join(members_t, members_t.c.id == ideas_t.c.author_id)
        .where(
            ideas_t.c.created_at >= since,
            ideas_t.c.created_at < until,
            ideas_t.c.hidden.is_(False),
            ideas_t.c.status != "closed",
        )
        .order_by(ideas_t.c.id)
        .limit(limit)
    )
    return list(result)


async def count_new_ideas(conn: AsyncConnection, since: datetime, until: datetime) -> int:
    result = await conn.execute(
        sa.select(sa.func.count())
        .select_from(ideas_t)
        .where(
            ideas_t.c.created_at >= since,
            ideas_t.c.created_at < until,
            ideas_t.c.hidden.is_(False),
        )
    )
    return int(result.scalar_one())


async def near_launch(conn: AsyncConnection, min_up: int, limit: int) -> list[sa.Row]:
    """Open, visible ideas with at least ``min_up`` upvotes, best first."""
    result = await conn.execute(
        sa.select(ideas_t.c.id, ideas_t.c.text, ideas_t.c.up, ideas_t.c.down)
        .where(ideas_t.c.status == "open", ideas_t.c.hidden.is_(False), ideas_t.c.up >= min_up)
        .order_by((ideas_t.c.up - ideas_t.c.down).desc(), ideas_t.c.id)
        .limit(limit)
    )
    return list(result)


@dataclass
class CampaignProgress:
    id: int
    text: str
    signatures: int
    has_petition: bool
    followers: int = 0
    new_signatures: int = 0
    doc_edits: int = 0
    update_edits: int = 0
    steps_proposed: int = 0
    steps_adopted: int = 0

    @property
    def changed(self) -> bool:
        return any(
            (
                self.new_signatures,
                self.doc_edits,
                self.update_edits,
                self.steps_proposed,
                self.steps_adopted,
            )
        )


async def campaigns(
    conn: AsyncConnection, since: datetime, until: datetime
) -> list[CampaignProgress]:
    """Every active, visible campaign with what happened to it in [since, until)."""
    rows = await conn.execute(
        sa.select(
            campaigns_t.c.id,
            ideas_t.c.text,
            campaigns_t.c.signature_count,
            campaigns_t.c.petition_text.is_not(None).label("has_petition"),
        )
        .join(ideas_t, ideas_t.c.id == campaigns_t.c.id)
        .where(campaigns_t.c.status == "active", ideas_t.c.hidden.is_(False))
        .order_by(campaigns_t.c.signature_count.desc(), campaigns_t.c.id)
    )
    found = {
        int(r.id): CampaignProgress(
            id=int(r.id),
            text=r.text,
            signatures=int(r.signature_count),
            has_petition=bool(r.has_petition),
        )
        for r in rows
    }
    if not found:
        return []
    ids = list(found)

    async def counts(key: sa.Column, at: sa.Column, *extra: sa.ColumnElement) -> dict[int, int]:
        result = await conn.execute(
            sa.select(key, sa.func.count())
            .where(key.in_(ids), at >= since, at < until, *extra)
            .group_by(key)
        )
        return {int(k): int(n) for k, n in result}

    for field, numbers in (
        (
            "new_signatures",
            await counts(signatures_t.c.campaign_id, signatures_t.c.created_at),
        ),
        (
            "doc_edits",
            await counts(revisions_t.c.campaign_id, revisions_t.c.created_at),
        ),
        ("update_edits", await counts(updates_t.c.campaign_id, updates_t.c.created_at)),
        ("steps_proposed", await counts(steps_t.c.campaign_id, steps_t.c.created_at)),
        (
            "steps_adopted",
            await counts(
                steps_t.c.campaign_id, steps_t.c.decided_at, steps_t.c.status == "adopted"
            ),
        ),
    ):
        for campaign_id, n in numbers.items():
            setattr(found[campaign_id], field, n)
    followers = await conn.execute(
        sa.select(subscriptions_t.c.idea_id, sa.func.count())
        .where(subscriptions_t.c.idea_id.in_(ids))
        .group_by(subscriptions_t.c.idea_id)
    )
    for campaign_id, n in followers:
        found[int(campaign_id)].followers = int(n)
    return list(found.values())
