"""``INSERT ... ON CONFLICT DO NOTHING`` in the dialect of the session at hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignore(session: AsyncSession, table: sa.Table) -> Any:
    """An insert into ``table`` that silently skips rows whose key already exists."""
    if session.bind.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


async def insert_ignore_rows(
    session: AsyncSession, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> None:
    if rows:
        await session.execute(insert_ignore(session, table), list(rows))
