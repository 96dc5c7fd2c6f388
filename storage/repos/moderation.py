"""The moderation log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Member, ModAction

actions_t = ModAction.__table__
members_t = Member.__table__


async def log(
    conn: AsyncConnection,
    *,
    actor_id: int | None,
    action: str,
    target: str,
    detail: str | None,
    now: datetime,
) -> None:
    await conn.execute(
        sa.insert(actions_t).values(
            actor_id=actor_id, action=action, target=target, detail=detail, created_at=now
        )
    )


async def recent(conn: AsyncConnection, limit: int) -> list[sa.Row]:
    result = await conn.execute(
        sa.select(actions_t, members_t.c.pseudonym.label("actor"))
        .outerjoin(members_t, members_t.c.id == actions_t.c.actor_id)
        .order_by(actions_t.c.id.desc())
        .limit(limit)
    )
    return list(result)
