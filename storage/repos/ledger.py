"""The ledger: scheduled work done, keyed by (kind, period), so nothing is sent twice.

``claim`` inserts the row or finds it there already. Call it first in the transaction that
writes the outbox rows: whoever inserts the row does the work, everyone else (a restart, a
catch-up run, a second process) finds it and stops. On PostgreSQL a concurrent claimer of
the same key waits for the first transaction and then sees the row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Ledger
from storage.repos.upsert import insert_ignore_returning

ledger_t = Ledger.__table__


async def claim(
    conn: AsyncConnection,
    kind: str,
    period: str,
    now: datetime,
    content: dict[str, Any] | None = None,
) -> bool:
    """True for exactly one caller per (kind, period)."""
    result = await conn.execute(
        insert_ignore_returning(conn.dialect.name, ledger_t, "kind"),
        {"kind": kind, "period": period, "created_at": now, "content": content},
    )
    return result.first() is not None


async def set_content(
    conn: AsyncConnection, kind: str, period: str, content: dict[str, Any]
) -> None:
    await conn.execute(
        sa.update(ledger_t)
        .where(ledger_t.c.kind == kind, ledger_t.c.period == period)
        .values(content=content)
    )


async def exists(conn: AsyncConnection, kind: str, period: str) -> bool:
    result = await conn.execute(
        sa.select(ledger_t.c.kind).where(ledger_t.c.kind == kind, ledger_t.c.period == period)
    )
    return result.first() is not None


async def content(conn: AsyncConnection, kind: str, period: str) -> dict[str, Any] | None:
    result = await conn.execute(
        sa.select(ledger_t.c.content).where(ledger_t.c.kind == kind, ledger_t.c.period == period)
    )
    return result.scalar_one_or_none()


async def periods(conn: AsyncConnection, kind: str) -> list[str]:
    result = await conn.execute(
        sa.select(ledger_t.c.period).where(ledger_t.c.kind == kind).order_by(ledger_t.c.period)
    )
    return list(result.scalars())
