"""Platform references kept per space (see ``SpaceRef``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import SpaceRef

refs_t = SpaceRef.__table__


async def get(conn: AsyncConnection, space: str, kind: str, ref: str) -> str | None:
    result = await conn.execute(
        sa.select(refs_t.c.value).where(
            refs_t.c.space == space, refs_t.c.kind == kind, refs_t.c.ref == ref
        )
    )
    return result.scalar_one_or_none()


async def put(
    conn: AsyncConnection, space: str, kind: str, ref: str, value: str, now: datetime
) -> None:
    """Insert or replace."""
    updated = await conn.execute(
        sa.update(refs_t)
        .where(refs_t.c.space == space, refs_t.c.kind == kind, refs_t.c.ref == ref)
        .values(value=value, updated_at=now)
        .returning(refs_t.c.ref)
    )
    if updated.first() is None:
        await conn.execute(
            sa.insert(refs_t).values(space=space, kind=kind, ref=ref, value=value, updated_at=now)
        )


async def all_of(conn: AsyncConnection, space: str, kind: str) -> dict[str, str]:
    result = await conn.execute(
        sa.select(refs_t.c.ref, refs_t.c.value).where(
            refs_t.c.space == space, refs_t.c.kind == kind
        )
    )
    return {ref: value for ref, value in result}


async def delete(conn: AsyncConnection, space: str, kind: str, ref: str) -> None:
    await conn.execute(
        sa.delete(refs_t).where(refs_t.c.space == space, refs_t.c.kind == kind, refs_t.c.ref == ref)
    )
