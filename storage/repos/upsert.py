"""``INSERT ... ON CONFLICT DO NOTHING`` in the dialect of the connection at hand."""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_ignore(conn: AsyncConnection, table: sa.Table) -> Any:
    """An insert into ``table`` that silently skips rows whose key already exists."""
    return _insert_ignore(conn.dialect.name, table)


@cache
def _insert_ignore(dialect: str, table: sa.Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


@cache
def insert_ignore_returning(dialect: str, table: sa.Table, *columns: str) -> Any:
    """A prebuilt insert-or-skip that returns ``columns`` of the row when it was inserted;
    execute it with the row's values as parameters."""
    return _insert_ignore(dialect, table).returning(*(table.c[c] for c in columns))
