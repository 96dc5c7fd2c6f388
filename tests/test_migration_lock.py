"""Several processes starting together on a new database migrate it once, and all start.

PostgreSQL: the migrations run under a transaction-level advisory lock taken first in their
transaction. SQLite: their transaction begins with the write lock (BEGIN IMMEDIATE), waited
for; begun the default way it took that lock only at its first write, when another process
could have migrated meanwhile, and most of ten processes failed with "database is locked".
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import uuid
from pathlib import Path

import pytest

from storage import migrate
from storage.db import Database
from storage.vault import Vault
from tests.databases import PG_URL, postgres_available
from tests.test_cli import ROOT

TEN = 10


@pytest.mark.slow
async def test_ten_dynamo_db_upgrade_at_once_on_a_new_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dynamo.db'}"
    config = tmp_path / "config.toml"
    config.write_text(f'[web]\nlisten = ""\n\n[database]\nurl = "{url}"\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DYNAMO_DATABASE_URL", None)
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "--config",
            str(config),
            "db",
            "upgrade",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
        for _ in range(TEN)
    ]
    try:
        async with asyncio.timeout(120):
            outputs = await asyncio.gather(*(p.communicate() for p in processes))
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()

    errors = "".join(err.decode() for _out, err in outputs)
    assert [p.returncode for p in processes] == [0] * TEN, errors
    said = sorted(out.decode() for out, _err in outputs)
    assert "Traceback" not in errors and "ERROR" not in errors, errors
    # One process migrated; the nine others waited for it and found nothing to do.
    head = said[-1].rsplit(" ", 1)[-1].strip()
    assert said == [f"the database is up to date (schema {head.rstrip(')')})\n"] * (TEN - 1) + [
        f"the database schema is migrated from nothing to {head}\n"
    ], said
    db = Database(url)
    try:
        assert await migrate.current_revision(db) == migrate.head_revision()
    finally:
        await db.dispose()


async def test_ten_bots_migrate_a_new_postgresql_schema_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Ten engines, each with connections of its own, as ten processes would have."""
    unreachable = postgres_available()
    if unreachable:
        pytest.skip(unreachable)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    async with admin.engine.begin() as conn:
        await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    bots = [Database(PG_URL, schema=schema, vault=Vault.from_environ()) for _ in range(TEN)]
    caplog.set_level(logging.INFO, logger="storage.migrate")
    try:
        # Under a second with the lock; without it they block each other until this ends.
        async with asyncio.timeout(30):
            done = await asyncio.gather(*(migrate.upgrade(bot) for bot in bots))
        head = migrate.head_revision()
        assert await migrate.current_revision(bots[0]) == head
        assert sorted(done, key=lambda d: d.before or "") == [
            migrate.Migrated(None, head),
            *[migrate.Migrated(head, head)] * (TEN - 1),
        ]
        said = [r.getMessage() for r in caplog.records]
        assert sum("database schema is migrated from nothing to" in line for line in said) == 1
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    finally:
        for bot in bots:
            await bot.dispose()
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()
