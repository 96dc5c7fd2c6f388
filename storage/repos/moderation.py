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
    reason: str | None = None,
    target_hidden: bool = False,
) -> None:
    await conn.execute(
        sa.insert(actions_t).values(
            actor_id=actor_id,
            action=action,
            target=target,
            detail=detail,
            created_at=now,
            reason=reason,
            target_hidden=target_hidden,
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


async def page(conn: AsyncConnection, limit: int, offset: int) -> list[sa.Row]:
    """A page of the log, newest first, with each moderator's pseudonym (``actor``)."""
    result = await conn.execute(
        sa.select(actions_t, members_t.c.pseudonym.label("actor"))
        .outerjoin(members_t, members_t.c.id == actions_t.c.actor_id)
        .order_by(actions_t.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(result)


async def count(conn: AsyncConnection) -> int:
    return int((await conn.execute(sa.select(sa.func.count()).select_from(actions_t))).scalar_one())
