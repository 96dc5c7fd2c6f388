"""Migration 0009 on a database from before it: campaigns keep everything they had, and
their discussion and petition have no deadline until a moderator sets one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from storage import migrate
from storage.db import Database
from storage.repos import campaign_deadlines
from tests.test_migration_inert_text import _typed, old_db  # noqa: F401 (a fixture)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def test_existing_campaigns_get_deadlines_only_when_set(old_db: Database) -> None:  # noqa: F811
    await migrate.upgrade(old_db, "0008")
    async with old_db.engine.begin() as conn:
        for sql in (
            "INSERT INTO member (pseudonym, role, code_kind, created_at)"
            " VALUES ('calm_otter', 'moderator', 'worker', :now)",
            "INSERT INTO idea (author_id, text, created_at, up, down, status, hidden)"
            " VALUES (1, 'Fair pay', :now, 3, 0, 'campaign', false)",
            "INSERT INTO campaign (id, launched_at, status, petition_text, petition_set_at,"
            " petition_version, signature_count, doc_rev)"
            " VALUES (1, :now, 'active', 'We ask for fair pay.', :now, 1, 0, 0)",
        ):
            await conn.execute(_typed(sql), {"now": NOW})
    await migrate.upgrade(old_db, "0009")
    assert await migrate.current_revision(old_db) == "0009"
    due = NOW + timedelta(days=14)
    async with old_db.write() as conn:
        assert await campaign_deadlines.of_campaign(conn, 1) == {}
        await campaign_deadlines.set_due(conn, 1, "petition", due, 1, NOW)
    async with old_db.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.text("SELECT campaign_id, part, due_at, ended_at FROM campaign_deadline")
            )
        ).all()
        petition = (await conn.execute(sa.text("SELECT petition_text FROM campaign"))).scalar()
    assert len(rows) == 1 and tuple(rows[0])[:2] == (1, "petition") and rows[0][3] is None
    assert petition == "We ask for fair pay."
