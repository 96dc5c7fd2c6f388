"""Migration 0012 on a database from before it: campaigns keep everything they had, and
can have actions that members pledge to, sealed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from storage import migrate
from storage.db import Database
from storage.repos import actions
from storage.vault import PLEDGE, Vault
from tests.test_migration_inert_text import _typed, old_db  # noqa: F401 (a fixture)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


async def test_campaigns_from_before_take_actions_and_sealed_pledges(old_db: Database) -> None:  # noqa: F811
    await migrate.upgrade(old_db, "0011")
    async with old_db.engine.begin() as conn:
        for sql in (
            "INSERT INTO member (pseudonym, role, code_kind, created_at)"
            " VALUES ('calm_otter', 'moderator', 'worker', :now)",
            "INSERT INTO idea (author_id, text, created_at, up, down, status, hidden)"
            " VALUES (1, 'Fair pay', :now, 3, 0, 'campaign', false)",
            "INSERT INTO campaign (id, launched_at, status, petition_version, signature_count,"
            " doc_rev) VALUES (1, :now, 'active', 0, 0, 0)",
        ):
            await conn.execute(_typed(sql), {"now": NOW})
    await migrate.upgrade(old_db, "0012")
    assert await migrate.current_revision(old_db) == "0012"
    # The repositories are the head's: later migrations add to these tables.
    await migrate.upgrade(old_db)
    vault = Vault.from_environ()
    finder = vault.digest_for("action-1:member-1", PLEDGE)
    async with old_db.write() as conn:
        assert await actions.of_campaign(conn, 1) == []
        number = await actions.create(
            conn,
            campaign_id=1,
            text="Write to the MTurk team",
            needs=2,
            due_at=NOW + timedelta(days=14),
            target=None,
            by=1,
            now=NOW,
        )
        assert await actions.pledge(conn, number, finder, vault.seal("1", PLEDGE)) == ("new", 1)
    async with old_db.engine.connect() as conn:
        count = (await conn.execute(sa.text("SELECT pledge_count FROM action"))).scalar()
        rows = (await conn.execute(sa.text("SELECT finder, sealed FROM pledge"))).all()
        text = (await conn.execute(sa.text("SELECT text FROM idea"))).scalar()
    assert count == 1 and len(rows) == 1 and rows[0][0] == finder
    assert text == "Fair pay"
