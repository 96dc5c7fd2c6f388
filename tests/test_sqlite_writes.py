"""SQLite writes (storage/db.py, storage/sqlite_inline.py): BEGIN IMMEDIATE, waited for
without blocking the loop while another process writes; savepoints; the connection set-up."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.db import Database
from storage.models import Member
from storage.types import utcnow
from tests.databases import sqlite_copy

members_t = Member.__table__


def a_member(name: str) -> sa.Insert:
    return sa.insert(members_t).values(
        pseudonym=name, role="member", code_kind="worker", created_at=utcnow()
    )


@pytest.fixture
async def db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(sqlite_copy(sqlite_template, tmp_path))
    yield database
    await database.dispose()


async def test_a_write_waits_for_another_process_without_blocking_the_loop(
    db: Database,
) -> None:
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def release() -> None:
        await asyncio.sleep(0.3)
        other.execute("ROLLBACK")

    ticking = asyncio.create_task(ticker())
    releasing = asyncio.create_task(release())
    started = time.monotonic()
    try:
        async with db.write() as conn:
            await conn.execute(a_member("amber_otter"))
    finally:
        ticking.cancel()
        await releasing
        other.close()
    assert time.monotonic() - started >= 0.25  # it did wait for the lock
    assert ticks >= 10  # and the loop ran meanwhile
    async with db.read() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(members_t)) == 1


async def test_a_savepoint_undoes_only_its_own_work(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(a_member("amber_otter"))
        trial = await conn.begin_nested()
        await conn.execute(a_member("brisk_heron"))
        await trial.rollback()
        kept = await conn.begin_nested()
        await conn.execute(a_member("calm_lynx"))
        await kept.commit()
    async with db.read() as conn:
        names = (await conn.execute(sa.select(members_t.c.pseudonym))).scalars().all()
    assert sorted(names) == ["amber_otter", "calm_lynx"]


async def test_a_failed_write_leaves_nothing_and_the_next_one_works(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await conn.execute(a_member("amber_otter"))
            raise RuntimeError("handler failed")
    async with db.write() as conn:
        await conn.execute(a_member("brisk_heron"))
    async with db.read() as conn:
        names = (await conn.execute(sa.select(members_t.c.pseudonym))).scalars().all()
    assert names == ["brisk_heron"]


async def test_write_connections_are_set_up_for_wal_and_foreign_keys(db: Database) -> None:
    async with db.write() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar() == 0
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 20


async def test_statement_values_stay_out_of_error_messages(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(a_member("amber_otter"))
    with pytest.raises(sa.exc.IntegrityError) as caught:
        async with db.write() as conn:
            await conn.execute(a_member("amber_otter"))
    assert "amber_otter" not in str(caught.value)
