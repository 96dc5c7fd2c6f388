"""Migration 0011 on a database from before it: campaigns and their petitions keep what
they had, and people without a chat account can then sign and follow them by email."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from storage import migrate
from storage.db import Database
from storage.repos import outsiders, petitions
from storage.vault import Vault
from tests.test_migration_inert_text import _typed, old_db  # noqa: F401 (a fixture)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


async def test_existing_petitions_take_signatures_from_outside(old_db: Database) -> None:  # noqa: F811
    await migrate.upgrade(old_db, "0010")
    async with old_db.engine.begin() as conn:
        for sql in (
            "INSERT INTO member (pseudonym, role, code_kind, created_at)"
            " VALUES ('calm_otter', 'member', 'worker', :now)",
            "INSERT INTO idea (author_id, text, created_at, up, down, status, hidden)"
            " VALUES (1, 'Fair pay', :now, 3, 0, 'campaign', false)",
            "INSERT INTO campaign (id, launched_at, status, petition_text, petition_set_at,"
            " petition_version, signature_count, doc_rev)"
            " VALUES (1, :now, 'active', 'We ask for fair pay.', :now, 1, 1, 0)",
            "INSERT INTO petition_version (campaign_id, version, text, created_at)"
            " VALUES (1, 1, 'We ask for fair pay.', :now)",
            "INSERT INTO signature (campaign_id, member_id, version, category, display_name,"
            " created_at) VALUES (1, 1, 1, 'worker', NULL, :now)",
        ):
            await conn.execute(_typed(sql), {"now": NOW})
    await migrate.upgrade(old_db, "0011")
    assert await migrate.current_revision(old_db) == "0011"
    vault = Vault.from_environ()
    async with old_db.write() as conn:
        assert await petitions.counts_by_category(conn, 1, 1) == {"worker": 1}
        new = await outsiders.add(
            conn,
            vault,
            campaign_id=1,
            action="sign",
            address="r@uni.edu",
            now=NOW,
            name="Dana R.",
            category="researcher",
            academic=True,
        )
        assert new is not None
        again = await outsiders.add(
            conn, vault, campaign_id=1, action="sign", address="r@uni.edu", now=NOW
        )
        assert again is None
        await outsiders.confirm(conn, new, NOW)
        assert await outsiders.count(conn, new, 1, NOW)
        assert await petitions.counts_by_category(conn, 1, 1) == {"worker": 1, "researcher": 1}
        names = await petitions.shown_names(conn, 1, 1, limit=10)
        assert [tuple(n) for n in names] == [("Dana R.", "researcher, verified academic address")]
    async with old_db.engine.connect() as conn:
        stored = (await conn.execute(sa.text("SELECT address FROM outsider"))).scalar()
    assert "uni.edu" not in stored
