"""Migration 0008 on a database from before it: a petition with its signatures becomes
version 1 of its statement, with every signature on it; a campaign without one has none."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from storage import migrate
from storage.db import Database
from tests.test_migration_inert_text import _typed, old_db  # noqa: F401 (a fixture)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def test_existing_petitions_become_version_one(old_db: Database) -> None:  # noqa: F811
    await migrate.upgrade(old_db, "0007")
    async with old_db.engine.begin() as conn:
        for sql in (
            "INSERT INTO member (pseudonym, role, code_kind, created_at)"
            " VALUES ('calm_otter', 'member', 'worker', :now)",
            "INSERT INTO idea (author_id, text, created_at, up, down, status, hidden)"
            " VALUES (1, 'Fair pay', :now, 3, 0, 'campaign', false)",
            "INSERT INTO idea (author_id, text, created_at, up, down, status, hidden)"
            " VALUES (1, 'Breaks', :now, 3, 0, 'campaign', false)",
            "INSERT INTO campaign (id, launched_at, status, petition_text, petition_set_at,"
            " signature_count, doc_rev) VALUES (1, :now, 'active', 'We ask for fair pay.',"
            " :now, 1, 0)",
            "INSERT INTO campaign (id, launched_at, status, signature_count, doc_rev)"
            " VALUES (2, :now, 'active', 0, 0)",
            "INSERT INTO signature (campaign_id, member_id, category, created_at)"
            " VALUES (1, 1, 'worker', :now)",
        ):
            await conn.execute(_typed(sql), {"now": NOW})
    await migrate.upgrade(old_db)
    async with old_db.engine.connect() as conn:
        versions = (
            await conn.execute(sa.text("SELECT campaign_id, version, text FROM petition_version"))
        ).all()
        current = (
            await conn.execute(sa.text("SELECT id, petition_version FROM campaign ORDER BY id"))
        ).all()
        signed = (await conn.execute(sa.text("SELECT version FROM signature"))).scalars().all()
    assert [tuple(v) for v in versions] == [(1, 1, "We ask for fair pay.")]
    assert [tuple(c) for c in current] == [(1, 1), (2, 0)]
    assert list(signed) == [1]
