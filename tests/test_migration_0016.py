"""Migration 0016 on a database from before it: a campaign keeps everything it had and its
discussion gains numbered messages, reports and a pace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from storage import migrate
from storage.db import Database
from storage.repos import discussion, reports
from storage.types import UTCDateTime
from tests.test_migration_inert_text import old_db  # noqa: F401 (a fixture)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


async def test_a_campaign_from_before_takes_messages_reports_and_a_pace(
    old_db: Database,  # noqa: F811
) -> None:
    await migrate.upgrade(old_db, "0015")
    async with old_db.engine.begin() as conn:
        for sql in (
            "INSERT INTO member (pseudonym, role, code_kind, created_at)"
            " VALUES ('calm_otter', 'member', 'worker', :now)",
            "INSERT INTO idea (author_id, text, created_at, up, down, status, hidden)"
            " VALUES (1, 'Fair pay', :now, 3, 0, 'campaign', false)",
            "INSERT INTO campaign (id, launched_at, status, petition_version, signature_count,"
            " doc_rev) VALUES (1, :now, 'active', 0, 0, 0)",
        ):
            await conn.execute(
                sa.text(sql).bindparams(sa.bindparam("now", type_=UTCDateTime())), {"now": NOW}
            )
    await migrate.upgrade(old_db, "0016")
    assert await migrate.current_revision(old_db) == "0016"
    async with old_db.write() as conn:
        number = await discussion.add_message(conn, 1, 1, "Hello all", NOW)
        assert number == 1
        assert await discussion.last_said(conn, 1, 1) == NOW
        await discussion.set_pace(conn, 1, slow_seconds=600, locked_until=NOW + timedelta(hours=2))
        item = await reports.open_item(conn, "say", number, 1, NOW)
        assert await reports.add(conn, item.id, "a" * 64, "Rude")
        assert not await reports.add(conn, item.id, "a" * 64, "Rude again")
    async with old_db.read() as conn:
        pace = await discussion.pace(conn, 1)
        assert pace is not None and pace.slow_seconds == 600
        assert await reports.count(conn, item.id) == 1
        (text,) = (await conn.execute(sa.text("SELECT text FROM idea"))).scalars()
        assert text == "Fair pay"
