"""The spaces every process serves, and which process serves each now (a lease).

An announcement goes to every space (``everywhere``): those some process has said, within
``RETIRED_AFTER``, it is configured with, read from this table in the transaction that
writes the announcement, not from what the writing process last heard. So a space is
announced to from the moment a process has registered it (``seen``, in its first round, as
it starts and before it serves anyone), whichever process writes and however long ago that
one last looked. What was announced before is not copied to it (see bot/serving.py).

That holds with writers and registrations racing. SQLite runs one write transaction at a
time (``BEGIN IMMEDIATE``), so each sees every registration committed before it. PostgreSQL
runs them side by side (READ COMMITTED: each statement sees what was committed when it
began), so a writer could read the spaces, a new one be registered and committed, and the
writer commit after it without that space. They exclude each other with an advisory lock,
per schema: a writer takes it shared before it reads the spaces and keeps it to its commit;
a registration (a space new to the table, or coming back from retirement) takes it
exclusive before it writes, so it waits for the writers that have read, and the writers
that come after it wait for it and then read it. Writers don't wait for one another, and
renewing a space that is current takes no lock at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Outbox, Space
from storage.repos.upsert import insert_ignore

spaces_t = Space.__table__
outbox_t = Outbox.__table__

# A space none of the processes has said it is configured with for this long gets no more
# announcements (it was removed from every configuration); those already written for it
# wait for it, as for any space that is down. Announced to again as soon as a process says
# it is configured with it (from then on: what it missed meanwhile is not made up).
RETIRED_AFTER = timedelta(days=30)
# A registration takes the lock when a space is missing or was last seen longer ago than
# this: well within RETIRED_AFTER, so a space a writer could find retired (by its clock)
# is always registered under the lock.
_FRESH = RETIRED_AFTER / 2

_LOCK_KEY = "hashtext('dynamo-spaces/' || coalesce(current_schema(), ''))"
_WRITING = sa.text(f"SELECT pg_advisory_xact_lock_shared({_LOCK_KEY})")
_REGISTERING = sa.text(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")


async def seen(conn: AsyncConnection, keys: Sequence[str], now: datetime) -> None:
    """This process is configured with these spaces (whether it serves them or not). A space
    new to the table, or back from retirement, is registered: every announcement committed
    after this transaction goes to it (see the module's docstring)."""
    if not keys:
        return
    if conn.dialect.name == "postgresql":
        # Read without locking anything, so the advisory lock, when needed, is the first
        # lock this transaction takes: it never holds a row another registration waits for.
        result = await conn.execute(
            sa.select(spaces_t.c.key).where(
                spaces_t.c.key.in_(list(keys)), spaces_t.c.seen_at >= now - _FRESH
            )
        )
        if set(keys) - set(result.scalars()):
            await conn.execute(_REGISTERING)
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


async def current(conn: AsyncConnection, now: datetime) -> list[str]:
    """The spaces some process has said, within RETIRED_AFTER, it is configured with."""
    result = await conn.execute(
        sa.select(spaces_t.c.key)
        .where(spaces_t.c.seen_at >= now - RETIRED_AFTER)
        .order_by(spaces_t.c.key)
    )
    return list(result.scalars())


async def everywhere(conn: AsyncConnection, now: datetime, also: Iterable[str] = ()) -> list[str]:
    """Where an announcement written now, in this transaction, goes: every ``current``
    space, and ``also`` (the writer's own). On PostgreSQL it first takes the lock that
    keeps a registration from slipping in before this transaction commits (see the
    module's docstring); call it in the transaction that writes the announcement."""
    if conn.dialect.name == "postgresql":
        await conn.execute(_WRITING)
    return sorted({*await current(conn, now), *also})
