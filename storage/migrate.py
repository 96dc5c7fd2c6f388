"""Schema migrations (Alembic), applied by ``dynamo db upgrade`` and at every start.

The database's project secret travels with it: a migration that converts stored values
(0006 seals account keys and addresses) takes it from ``config.attributes["vault"]``, and
after the last migration the key is checked against the fingerprint the database remembers
(kept at first use), in the same transaction: with a wrong key nothing is changed.

Several processes may start together (a restart of every bot sharing a PostgreSQL database,
or `dynamo db upgrade` while `dynamo run` starts): each runs the migrations in one
transaction that no other process migrates alongside, so the first migrates and the others
find the schema at head. PostgreSQL: a transaction-level advisory lock, taken first in that
transaction and released by its commit. SQLite: the database's write lock, taken when the
transaction begins (``BEGIN IMMEDIATE``, waited for like every writer's), not at its first
write, by which time another process may have migrated under it.

A database that cannot be opened, reached or written stops the upgrade with
DatabaseUnavailable, whose message says why in one line (storage/reach.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import reach
from storage.db import Database
from storage.errors import DatabaseUnavailable
from storage.repos import keys
from storage.types import utcnow
from storage.vault import Vault, check_fingerprint

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# Set by a migration that replaced stored values: the tables whose old copies must go from
# the disk once it is committed (see Database.compact).
REWRITTEN = "rewritten"
# The advisory lock migrations run under. Named per schema, like the scheduler's leader
# lock (bot/leader.py), so deployments in separate schemas of one database do not wait for
# each other; coalesce: a search path naming no existing schema gives NULL, and a NULL key
# would lock nothing.
_LOCK_KEY = "hashtext('dynamo-migrations/' || coalesce(current_schema(), ''))"
_TRY_LOCK = sa.text(f"SELECT pg_try_advisory_xact_lock({_LOCK_KEY})")
_LOCK = sa.text(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")


def alembic_config(connection: sa.Connection | None = None, vault: Vault | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    cfg.attributes["vault"] = vault
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


class Migrated(NamedTuple):
    """The schema revision before and after an upgrade (``before`` None: a new database)."""

    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before == self.after:
            return f"the database is up to date (schema {self.after})"
        return f"the database schema is migrated from {self.before or 'nothing'} to {self.after}"


async def upgrade(db: Database, revision: str = "head") -> Migrated:
    """Migrate to ``revision``; at head, with the database's key, check (or remember) it.
    Raises SecretKeyError when the key is wrong, or missing where rows need it, and
    DatabaseUnavailable when the database cannot be opened, reached or written."""
    try:
        return await _upgrade(db, revision)
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        problem = reach.explain(exc, db.url)
        if problem is None:
            raise
        raise DatabaseUnavailable(problem) from exc


async def _upgrade(db: Database, revision: str) -> Migrated:
    vault = db.vault if db.has_vault else None

    def _run(connection: sa.Connection) -> tuple[Migrated, list[str]]:
        cfg = alembic_config(connection, vault)
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(cfg, revision)
        done = Migrated(before, MigrationContext.configure(connection).get_current_revision())
        if done.after != done.before:
            logger.info("%s", done)
        return done, list(cfg.attributes.get(REWRITTEN, ()))

    if db.is_sqlite and db.path not in ("", ":memory:"):
        # Before SQLAlchemy opens it: a file it cannot set up is explained here, and no
        # half-opened connection is left behind.
        await asyncio.to_thread(reach.check_sqlite, db.path)
    async with _alone(db) as conn:
        done, rewritten = await conn.run_sync(_run)
        if vault is not None and revision == "head":
            check_fingerprint(vault, await keys.remember(conn, vault.fingerprint, utcnow()))
    if rewritten:
        await db.compact(rewritten)
    return done


@asynccontextmanager
async def _alone(db: Database) -> AsyncIterator[AsyncConnection]:
    """The migrations' one transaction, which no other process migrates alongside."""
    # On SQLite a write transaction begins with the write lock (storage/db.py).
    async with db.write() as conn:
        if db.dialect == "postgresql" and not await conn.scalar(_TRY_LOCK):
            logger.info("another process is migrating the database; waiting for it to finish")
            await conn.execute(_LOCK)
        yield conn


async def current_revision(db: Database) -> str | None:
    def _run(connection: sa.Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.engine.connect() as conn:
        return await conn.run_sync(_run)
