"""Next steps of campaigns and the objections to them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Member, NextStep, Objection
from storage.repos.upsert import insert_ignore_returning

steps_t = NextStep.__table__
objections_t = Objection.__table__
members_t = Member.__table__


async def propose(
    conn: AsyncConnection,
    *,
    campaign_id: int,
    text: str,
    proposer_id: int,
    now: datetime,
    window_ends_at: datetime,
) -> int:
    result = await conn.execute(
        sa.insert(steps_t)
        .values(
            campaign_id=campaign_id,
            text=text,
            proposer_id=proposer_id,
            created_at=now,
            window_ends_at=window_ends_at,
            status="proposed",
        )
        .returning(steps_t.c.id)
    )
    return int(result.scalar_one())


async def open_step(conn: AsyncConnection, campaign_id: int) -> sa.Row | None:
    """The campaign's step still in its objection window (there is at most one)."""
    result = await conn.execute(
        sa.select(steps_t)
        .where(steps_t.c.campaign_id == campaign_id, steps_t.c.status == "proposed")
        .order_by(steps_t.c.id.desc())
        .limit(1)
    )
    return result.first()


async def last_adopted(conn: AsyncConnection, campaign_id: int) -> sa.Row | None:
    result = await conn.execute(
        sa.select(steps_t)
        .where(steps_t.c.campaign_id == campaign_id, steps_t.c.status == "adopted")
        .order_by(steps_t.c.id.desc())
        .limit(1)
    )
    return result.first()


async def of_campaign(conn: AsyncConnection, campaign_id: int, limit: int) -> list[sa.Row]:
    result = await conn.execute(
        sa.select(steps_t)
        .where(steps_t.c.campaign_id == campaign_id)
        .order_by(steps_t.c.id.desc())
        .limit(limit)
    )
    return list(result)


async def object_to(
    conn: AsyncConnection, step_id: int, member_id: int, reason: str, now: datetime
) -> bool:
    """Record an objection; True when it is new, False when it replaced an earlier one."""
    result = await conn.execute(
        insert_ignore_returning(conn.dialect.name, objections_t, "step_id"),
        {"step_id": step_id, "member_id": member_id, "reason": reason, "created_at": now},
    )
    if result.first() is not None:
        return True
    await conn.execute(
        sa.update(objections_t)
        .where(objections_t.c.step_id == step_id, objections_t.c.member_id == member_id)
        .values(reason=reason, created_at=now)
    )
    return False


async def objections(conn: AsyncConnection, step_id: int) -> list[str]:
    result = await conn.execute(
        sa.select(objections_t.c.reason)
        .where(objections_t.c.step_id == step_id)
        .order_by(objections_t.c.created_at)
    )
    return list(result.scalars())


async def windows_ended(conn: AsyncConnection, now: datetime, limit: int) -> list[sa.Row]:
    result = await conn.execute(
        sa.select(steps_t)
        .where(steps_t.c.status == "proposed", steps_t.c.window_ends_at <= now)
        .order_by(steps_t.c.window_ends_at, steps_t.c.id)
        .limit(limit)
    )
    return list(result)


async def decide(conn: AsyncConnection, step_id: int, status: str, now: datetime) -> bool:
    """Move a proposed step to adopted or disputed; True for exactly one caller."""
    result = await conn.execute(
        sa.update(steps_t)
        .where(steps_t.c.id == step_id, steps_t.c.status == "proposed")
        .values(status=status, decided_at=now)
        .returning(steps_t.c.id)
    )
    return result.first() is not None


async def undo(conn: AsyncConnection, step_id: int, by: int, now: datetime) -> bool:
    result = await conn.execute(
        sa.update(steps_t)
        .where(steps_t.c.id == step_id, steps_t.c.status == "adopted")
        .values(status="undone", undone_at=now, undone_by=by)
        .returning(steps_t.c.id)
    )
    return result.first() is not None
