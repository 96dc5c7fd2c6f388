"""Migration 0013 on a database from before it: actions keep their pledges and count, and
gain sealed letters, a target a moderator confirms, and a recorded delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from storage import migrate
from storage.db import Database
from storage.repos import actions
from storage.types import UTCDateTime
from storage.vault import LETTER, PLEDGE, Vault
from tests.test_migration_inert_text import old_db  # noqa: F401 (a fixture)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _typed(sql: str) -> sa.TextClause:
    times = [sa.bindparam(n, type_=UTCDateTime()) for n in ("now", "due") if f":{n}" in sql]
    return sa.text(sql).bindparams(*times)


async def test_actions_from_before_take_letters_and_a_confirmed_target(old_db: Database) -> None:  # noqa: F811
    await migrate.upgrade(old_db, "0012")
    vault = Vault.from_environ()
    finder = vault.digest_for("action-1:member-1", PLEDGE)
    async with old_db.engine.begin() as conn:
        for sql in (
            "INSERT INTO member (pseudonym, role, code_kind, created_at)"
            " VALUES ('calm_otter', 'moderator', 'worker', :now)",
            "INSERT INTO idea (author_id, text, created_at, up, down, status, hidden)"
            " VALUES (1, 'Fair pay', :now, 3, 0, 'campaign', false)",
            "INSERT INTO campaign (id, launched_at, status, petition_version, signature_count,"
            " doc_rev) VALUES (1, :now, 'active', 0, 0, 0)",
            "INSERT INTO action (id, campaign_id, text, needs, due_at, target, status,"
            " pledge_count, created_by, created_at) VALUES (1, 1, 'Write to them', 2, :due,"
            " :target, 'open', 1, 1, :now)",
            "INSERT INTO pledge (action_id, finder, sealed) VALUES (1, :finder, :sealed)",
        ):
            await conn.execute(
                _typed(sql),
                {
                    "now": NOW,
                    "due": NOW + timedelta(days=14),
                    "target": "sealed-address",
                    "finder": finder,
                    "sealed": "sealed-pledge",
                },
            )
    await migrate.upgrade(old_db, "0013")
    assert await migrate.current_revision(old_db) == "0013"
    async with old_db.write() as conn:
        (row,) = await actions.of_campaign(conn, 1)
        assert (row.pledge_count, row.has_target, row.target_confirmed_at) == (1, True, None)
        assert row.delivered_at is None
        assert await actions.has_pledge(conn, 1, finder)
        assert not await actions.write_letter(conn, 1, finder, vault.seal("Dear team", LETTER))
        assert await actions.confirm_target(conn, 1, NOW)
        assert not await actions.confirm_target(conn, 1, NOW)
    async with old_db.write() as conn:
        sealed = await actions.letter(conn, 1, finder)
        assert sealed is not None and vault.open(sealed, LETTER) == "Dear team"
    async with old_db.engine.connect() as conn:
        letters = (await conn.execute(sa.text("SELECT finder FROM action_letter"))).scalars()
        assert list(letters) == [finder]
