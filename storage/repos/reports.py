"""Reports of ideas, said messages and shown names.

A report keeps its reason and, for who made it, only a keyed digest of the member and the
item (made by the caller with the project secret): enough to count distinct reporters, not
to learn who they are, nor to match one member's reports of different items.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Report, ReportItem
from storage.repos.upsert import insert_ignore

items_t = ReportItem.__table__
reports_t = Report.__table__

KINDS = ("idea", "say", "name")
# Still waiting for a moderator: reported (``open``) or hidden by reports (``hidden``).
UNDECIDED = ("open", "hidden")


async def item(conn: AsyncConnection, kind: str, target: int) -> sa.Row | None:
    result = await conn.execute(
        sa.select(items_t).where(items_t.c.kind == kind, items_t.c.target == target)
    )
    return result.first()


async def item_by_id(conn: AsyncConnection, item_id: int) -> sa.Row | None:
    result = await conn.execute(sa.select(items_t).where(items_t.c.id == item_id))
    return result.first()


async def open_item(
    conn: AsyncConnection, kind: str, target: int, author_id: int, now: datetime
) -> sa.Row:
    """The item of this target, made if it is the first report of it."""
    found = await item(conn, kind, target)
    if found is not None:
        return found  # no insert tried: PostgreSQL would use up a number on the conflict
    await conn.execute(
        insert_ignore(conn, items_t).values(
            kind=kind, target=target, author_id=author_id, status="open", created_at=now
        )
    )
    row = await item(conn, kind, target)
    assert row is not None
    return row


async def add(conn: AsyncConnection, item_id: int, reporter_hash: str, reason: str) -> bool:
    """Record a report; False when this reporter had reported the item already."""
    result = await conn.execute(
        insert_ignore(conn, reports_t)
        .values(item_id=item_id, reporter_hash=reporter_hash, reason=reason)
        .returning(reports_t.c.item_id)
    )
    return result.first() is not None


async def count(conn: AsyncConnection, item_id: int) -> int:
    result = await conn.execute(
        sa.select(sa.func.count()).select_from(reports_t).where(reports_t.c.item_id == item_id)
    )
    return int(result.scalar_one())


async def reasons(conn: AsyncConnection, item_id: int) -> list[str]:
    result = await conn.execute(
        sa.select(reports_t.c.reason)
        .where(reports_t.c.item_id == item_id)
        .order_by(reports_t.c.reporter_hash)
    )
    return list(result.scalars())


async def set_status(
    conn: AsyncConnection,
    item_id: int,
    status: str,
    *,
    decided_at: datetime | None = None,
    hidden_name: str | None = None,
) -> None:
    values: dict[str, object] = {"status": status}
    if decided_at is not None:
        values["decided_at"] = decided_at
    if hidden_name is not None:
        values["hidden_name"] = hidden_name
    await conn.execute(sa.update(items_t).where(items_t.c.id == item_id).values(**values))


async def undecided(conn: AsyncConnection, limit: int) -> list[sa.Row]:
    """Items waiting for a moderator, oldest first, with how many reported each."""
    n = (
        sa.select(sa.func.count())
        .select_from(reports_t)
        .where(reports_t.c.item_id == items_t.c.id)
        .scalar_subquery()
    )
    result = await conn.execute(
        sa.select(items_t, n.label("reports"))
        .where(items_t.c.status.in_(UNDECIDED))
        .order_by(items_t.c.id)
        .limit(limit)
    )
    return list(result)
