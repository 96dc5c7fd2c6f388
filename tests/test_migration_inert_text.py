"""Migration 0005 on a database from before it: stored member text loses its line
separators and invisible characters, and who redeemed each code is forgotten."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage import migrate
from storage.db import Database
from storage.types import UTCDateTime
from tests.databases import PG_URL, postgres_available


@pytest.fixture(params=["sqlite", "postgresql"])
async def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty database migrated only to 0004."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'old.db'}")
        await migrate.upgrade(database, "0004")
        yield database
        await database.dispose()
        return
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    schema = f"m_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    async with admin.engine.begin() as conn:
        await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    database = Database(PG_URL, schema=schema)
    try:
        await migrate.upgrade(database, "0004")
        yield database
    finally:
        await database.dispose()
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()


async def test_stored_text_is_made_inert_and_redeemers_forgotten(old_db: Database) -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    async with old_db.engine.begin() as conn:
        await conn.execute(
            _typed(
                "INSERT INTO registration_code (code_hash, batch, kind, created_at, redeemed_at,"
                " redeemed_by) VALUES ('h', 'b', 'worker', :now, :now, 'irc:net1:alice')"
            ),
            {"now": now},
        )
        await conn.execute(
            _typed(
                "INSERT INTO member (pseudonym, role, code_kind, revealed_name, created_at)"
                " VALUES ('calm_otter', 'member', 'worker', :name, :now)"
            ),
            {"name": "Kristy\u202e\u200b", "now": now},
        )
        await conn.execute(
            _typed(
                "INSERT INTO idea (author_id, text, created_at, up, down, status, hidden)"
                " VALUES (1, :text, :now, 0, 0, 'open', false)"
            ),
            {"text": "Fair pay\u2028<leafy_towhee> I quit\r\n\x1b[2J", "now": now},
        )
        await conn.execute(
            _typed(
                "INSERT INTO idea (author_id, text, created_at, up, down, status, hidden)"
                " VALUES (1, :text, :now, 0, 0, 'open', false)"
            ),
            {"text": "\u200b", "now": now},
        )
    await migrate.upgrade(old_db)
    async with old_db.engine.connect() as conn:
        texts = (await conn.execute(sa.text("SELECT text FROM idea ORDER BY id"))).scalars()
        assert list(texts) == ["Fair pay <leafy_towhee> I quit  [2J", "?"]
        name = (await conn.execute(sa.text("SELECT revealed_name FROM member"))).scalar_one()
        assert name == "Kristy"
        columns = [c["name"] for c in await conn.run_sync(_columns, "registration_code")]
        assert "redeemed_by" not in columns and "burned_at" in columns


def _typed(sql: str) -> sa.TextClause:
    return sa.text(sql).bindparams(sa.bindparam("now", type_=UTCDateTime()))


def _columns(connection: sa.Connection, table: str) -> list[dict]:  # type: ignore[type-arg]
    return sa.inspect(connection).get_columns(table)
