"""The spaces every process serves, and which process serves each now (a lease)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Outbox, Space
from storage.repos.upsert import insert_ignore

spaces_t = Space.__table__
outbox_t = Outbox.__table__


async def seen(conn: AsyncConnection, keys: Sequence[str], now: datetime) -> None:
    """This process is configured with these spaces (whether it serves them or not)."""
    if not keys:
        return
    # Two processes may add the same space at once: the second insert is skipped.
    await conn.execute(insert_ignore(conn, spaces_t), [{"key": k, "seen_at": now} for k in keys])
    await conn.execute(
        sa.update(spaces_t).where(spaces_t.c.key.in_(list(keys))).values(seen_at=now)
    )


async def take(
    conn: AsyncConnection,
    key: str,
    *,
    owner: str,
    incarnation: str,
    until: datetime,
    now: datetime,
    preempt_own: bool,
) -> bool:
    """Hold the lease of ``key`` until ``until``: renewed when this incarnation holds it,
    taken when nobody holds it any more or (with ``preempt_own``: a process just started)
    when an earlier incarnation of the same owner does. True when it is ours."""
    free = sa.or_(spaces_t.c.lease_until.is_(None), spaces_t.c.lease_until < now)
    ours = sa.and_(spaces_t.c.owner == owner, spaces_t.c.incarnation == incarnation)
    allowed = [free, ours]
    if preempt_own:
        allowed.append(spaces_t.c.owner == owner)
    result = await conn.execute(
        sa.update(spaces_t)
        .where(spaces_t.c.key == key, sa.or_(*allowed))
        .values(owner=owner, incarnation=incarnation, lease_until=until)
    )
    return bool(result.rowcount)


async def next_free(conn: AsyncConnection, keys: Sequence[str], now: datetime) -> datetime | None:
    """When the first lease of these spaces that someone holds now runs out, or None."""
    if not keys:
        return None
    result = await conn.execute(
        sa.select(sa.func.min(spaces_t.c.lease_until)).where(
            spaces_t.c.key.in_(list(keys)), spaces_t.c.lease_until >= now
        )
    )
    return result.scalar_one_or_none()


async def give_up(conn: AsyncConnection, keys: Sequence[str], incarnation: str) -> None:
    """Let go of these leases (a clean stop): another process may take them at once."""
    if keys:
        await conn.execute(
            sa.update(spaces_t)
            .where(spaces_t.c.key.in_(list(keys)), spaces_t.c.incarnation == incarnation)
            .values(lease_until=None)
        )


async def release_claims(conn: AsyncConnection, keys: Sequence[str]) -> int:
    """Give back what earlier servers of these spaces had claimed and not delivered (a
    process that died mid-batch): due at once, in order, for the new one."""
    if not keys:
        return 0
    result = await conn.execute(
        sa.update(outbox_t)
        .where(
            outbox_t.c.kind == "announce",
            outbox_t.c.space.in_(list(keys)),
            outbox_t.c.sent_at.is_(None),
            outbox_t.c.failed_at.is_(None),
            outbox_t.c.claimed_until.is_not(None),
        )
        .values(claimed_until=None)
    )
    return int(result.rowcount or 0)


async def current(conn: AsyncConnection, since: datetime) -> list[str]:
    """The spaces some process has said it is configured with since ``since``: where an
    announcement goes."""
    result = await conn.execute(
        sa.select(spaces_t.c.key).where(spaces_t.c.seen_at >= since).order_by(spaces_t.c.key)
    )
    return list(result.scalars())
