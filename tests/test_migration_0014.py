"""Migration 0014 on a database from before it: codes keep working and can be revoked, and
vouches are kept sealed."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from storage import migrate
from storage.db import Database
from storage.repos import codes, vouches
from storage.types import UTCDateTime
from storage.vault import Vault
from tests.test_migration_inert_text import old_db  # noqa: F401 (a fixture)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


async def test_codes_from_before_can_be_revoked_and_vouched_with(old_db: Database) -> None:  # noqa: F811
    await migrate.upgrade(old_db, "0013")
    vault = Vault.from_environ()
    async with old_db.engine.begin() as conn:
        for sql in (
            "INSERT INTO member (pseudonym, role, code_kind, created_at)"
            " VALUES ('calm_otter', 'member', 'worker', :now)",
            "INSERT INTO registration_code (code_hash, batch, kind, created_at)"
            " VALUES ('old-a', 'spring', 'worker', :now)",
            "INSERT INTO registration_code (code_hash, batch, kind, created_at)"
            " VALUES ('old-b', 'spring', 'worker', :now)",
        ):
            await conn.execute(
                sa.text(sql).bindparams(sa.bindparam("now", type_=UTCDateTime())), {"now": NOW}
            )
    await migrate.upgrade(old_db, "0014")
    assert await migrate.current_revision(old_db) == "0014"
    async with old_db.write() as conn:
        row = await codes.find_code(conn, "old-a")
        assert row is not None and row.revoked_at is None
        assert await codes.redeem_code(conn, row.id, NOW)
        assert await codes.revoke_batch(conn, "spring", NOW) == 1
        revoked = await codes.find_code(conn, "old-b")
        assert revoked is not None and revoked.revoked_at == NOW
        assert not await codes.redeem_code(conn, revoked.id, NOW)
        await vouches.add(conn, vault, code_id=revoked.id, voucher_id=1)
        assert len(await vouches.issued_by(conn, vault, 1)) == 1
        assert await vouches.suspend(conn, 1, 1, NOW)
    async with old_db.engine.connect() as conn:
        (stored,) = (await conn.execute(sa.text("SELECT * FROM vouch"))).mappings()
        assert stored["voucher_sealed"] != "1" and stored["vouched_sealed"] is None
