"""SQLite checkpoints run off the loop, and only when there is something to checkpoint."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

import storage.db
from storage.db import Database
from storage.models import Member
from storage.types import utcnow
from tests.databases import sqlite_copy
from tests.waiting import eventually


async def test_an_idle_database_is_not_checkpointed(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []
    real = storage.db._checkpoint

    def counting(path: str) -> None:
        runs.append(path)
        real(path)

    monkeypatch.setattr(storage.db, "CHECKPOINT_SECONDS", 0.01)
    monkeypatch.setattr(storage.db, "_checkpoint", counting)
    db = Database(sqlite_copy(sqlite_template, tmp_path))
    try:
        async with db.write() as conn:
            await conn.execute(
                sa.insert(Member.__table__).values(
                    pseudonym="amber_otter", role="member", code_kind="worker", created_at=utcnow()
                )
            )
        await eventually(lambda: len(runs) == 1, "the checkpoint after a write")
        async with db.read() as conn:  # reads leave nothing to checkpoint
            await conn.execute(sa.select(Member.__table__))
        await asyncio.sleep(0.2)  # about 20 rounds of the checkpointer
        assert len(runs) == 1
        async with db.write() as conn:
            await conn.execute(sa.update(Member.__table__).values(role="moderator"))
        await eventually(lambda: len(runs) == 2, "the checkpoint after the next write")
    finally:
        await db.dispose()
