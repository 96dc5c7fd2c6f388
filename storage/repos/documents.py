"""Revisions of campaigns' shared documents (each holds the full text)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import DocRevision, Member

revisions_t = DocRevision.__table__
members_t = Member.__table__


async def add(
    conn: AsyncConnection,
    *,
    campaign_id: int,
    rev: int,
    member_id: int,
    action: str,
    text: str,
    now: datetime,
) -> None:
    await conn.execute(
        sa.insert(revisions_t).values(
            campaign_id=campaign_id,
            rev=rev,
            member_id=member_id,
            action=action,
            text=text,
            created_at=now,
        )
    )


async def head(conn: AsyncConnection, campaign_id: int) -> sa.Row | None:
    result = await conn.execute(
        _with_author()
        .where(revisions_t.c.campaign_id == campaign_id)
        .order_by(revisions_t.c.rev.desc())
        .limit(1)
    )
    return result.first()


async def get(conn: AsyncConnection, campaign_id: int, rev: int) -> sa.Row | None:
    result = await conn.execute(
        _with_author().where(revisions_t.c.campaign_id == campaign_id, revisions_t.c.rev == rev)
    )
    return result.first()


async def history(conn: AsyncConnection, campaign_id: int, limit: int) -> list[sa.Row]:
    result = await conn.execute(
        sa.select(
            revisions_t.c.rev,
            revisions_t.c.action,
            revisions_t.c.created_at,
            sa.func.length(revisions_t.c.text).label("length"),
            members_t.c.pseudonym,
        )
        .join(members_t, members_t.c.id == revisions_t.c.member_id)
        .where(revisions_t.c.campaign_id == campaign_id)
        .order_by(revisions_t.c.rev.desc())
        .limit(limit)
    )
    return list(result)


def _with_author() -> sa.Select:
    return sa.select(revisions_t, members_t.c.pseudonym).join(
        members_t, members_t.c.id == revisions_t.c.member_id
    )
