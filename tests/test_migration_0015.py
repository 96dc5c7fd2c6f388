"""Migration 0015 on a database from before it: the moderation log keeps every entry, a
ban logged before it stays unnamed in the public log, others keep their target shown, and
retired pseudonyms can be recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from commands.moderation import public_line
from storage import migrate
from storage.db import Database
from storage.repos import erasure, moderation
from storage.types import UTCDateTime
from tests.test_migration_inert_text import old_db  # noqa: F401 (a fixture)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


async def test_the_log_from_before_is_public_without_naming_the_banned(old_db: Database) -> None:  # noqa: F811
    await migrate.upgrade(old_db, "0014")
    async with old_db.engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO member (pseudonym, role, code_kind, created_at)"
                " VALUES ('calm_otter', 'moderator', 'worker', :now)"
            ).bindparams(sa.bindparam("now", type_=UTCDateTime())),
            {"now": NOW},
        )
        for action, target in (("ban", "grumpy_heron"), ("hide", "#4")):
            await conn.execute(
                sa.text(
                    "INSERT INTO mod_action (actor_id, action, target, created_at)"
                    " VALUES (1, :action, :target, :now)"
                ).bindparams(sa.bindparam("now", type_=UTCDateTime())),
                {"action": action, "target": target, "now": NOW},
            )
    await migrate.upgrade(old_db, "0015")
    assert await migrate.current_revision(old_db) == "0015"
    async with old_db.write() as conn:
        hide, ban = await moderation.page(conn, limit=10, offset=0)
        assert public_line(ban) == "calm_otter: a member was banned."
        assert public_line(hide) == "calm_otter: hid idea #4."
        assert await moderation.count(conn) == 2
        await erasure.retire(conn, 1, "d" * 64)
        assert await erasure.retired(conn, ["d" * 64, "e" * 64]) == {"d" * 64}
