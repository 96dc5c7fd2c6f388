"""Migration 0010 on a database from before it: members keep everything they had, and can
ask for a web sign-in link and open a session with it."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from commands import web_sessions
from storage import migrate
from storage.db import Database
from storage.vault import Vault
from tests.test_migration_inert_text import _typed, old_db  # noqa: F401 (a fixture)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


async def test_members_from_before_can_open_web_sessions(old_db: Database) -> None:  # noqa: F811
    await migrate.upgrade(old_db, "0009")
    async with old_db.engine.begin() as conn:
        await conn.execute(
            _typed(
                "INSERT INTO member (pseudonym, role, code_kind, created_at)"
                " VALUES ('calm_otter', 'member', 'worker', :now)"
            ),
            {"now": NOW},
        )
    await migrate.upgrade(old_db, "0010")
    assert await migrate.current_revision(old_db) == "0010"
    vault = Vault.from_environ()
    async with old_db.write() as conn:
        token = await web_sessions.issue_link(conn, vault, 1, NOW)
        session = await web_sessions.open_session(conn, vault, token, NOW)
        assert session is not None
        member, _ = await web_sessions.member_of(conn, vault, session, NOW)
        assert member is not None and member.pseudonym == "calm_otter"
    async with old_db.engine.connect() as conn:
        kept = (await conn.execute(sa.text("SELECT id_hash FROM web_session"))).scalars().all()
        links = (await conn.execute(sa.text("SELECT count(*) FROM web_login"))).scalar()
    # Only digests are stored, never the tokens themselves; the link is used up.
    assert kept != [session] and len(kept[0]) == 64 and links == 0
