"""Petition signatures."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Signature
from storage.repos.upsert import insert_ignore

signatures_t = Signature.__table__


async def sign(
    conn: AsyncConnection,
    *,
    campaign_id: int,
    member_id: int,
    category: str,
    display_name: str | None,
    now: datetime,
) -> bool:
    """Add a signature, or update its category and name. True when it is new."""
    inserted = await conn.execute(
        insert_ignore(conn, signatures_t)
        .values(
            campaign_id=campaign_id,
            member_id=member_id,
            category=category,
            display_name=display_name,
            created_at=now,
        )
        .returning(signatures_t.c.member_id)
    )
    if inserted.first() is not None:
        return True
    await conn.execute(
        sa.update(signatures_t)
        .where(signatures_t.c.campaign_id == campaign_id, signatures_t.c.member_id == member_id)
        .values(category=category, display_name=display_name)
    )
    return False


async def unsign(conn: AsyncConnection, campaign_id: int, member_id: int) -> bool:
    result = await conn.execute(
        sa.delete(signatures_t)
        .where(signatures_t.c.campaign_id == campaign_id, signatures_t.c.member_id == member_id)
        .returning(signatures_t.c.member_id)
    )
    return result.first() is not None


async def counts_by_category(conn: AsyncConnection, campaign_id: int) -> dict[str, int]:
    result = await conn.execute(
        sa.select(signatures_t.c.category, sa.func.count())
        .where(signatures_t.c.campaign_id == campaign_id)
        .group_by(signatures_t.c.category)
    )
    return {category: int(n) for category, n in result}


async def shown_names(conn: AsyncConnection, campaign_id: int, limit: int) -> list[sa.Row]:
    """Names signers chose to show, in signing order; never tied to a pseudonym."""
    result = await conn.execute(
        sa.select(signatures_t.c.display_name, signatures_t.c.category)
        .where(signatures_t.c.campaign_id == campaign_id, signatures_t.c.display_name.is_not(None))
        .order_by(signatures_t.c.created_at, signatures_t.c.member_id)
        .limit(limit)
    )
    return list(result)
