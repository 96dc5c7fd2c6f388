"""Fixtures for the fault tests: real ngircd servers (tests/irc/conftest.py), a SQLite file
already migrated, and a PostgreSQL database of the test's own, dropped after it."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from storage import migrate
from storage.db import Database
from tests.databases import PG_URL, postgres_available, run_sql
from tests.irc.conftest import ngircd_factory

__all__ = ["ngircd_factory"]


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite file of the test's own."""
    path = tmp_path / "dynamo.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A PostgreSQL URL of the test's own, already migrated: the processes under test share
    it, as a deployment's would. Its user is a new role whose search_path is a new schema
    (a database of its own would cost a checkpoint to drop: seconds on a busy server)."""
    unreachable = await asyncio.to_thread(postgres_available)
    if unreachable:
        pytest.skip(unreachable)
    name = f"dynamo_f_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(PG_URL)
    host = parts.netloc.rpartition("@")[2]
    url = urlunsplit((parts.scheme, f"{name}@{host}", parts.path, "", ""))
    await run_sql(
        PG_URL,
        f'CREATE ROLE "{name}" LOGIN',
        f'CREATE SCHEMA "{name}" AUTHORIZATION "{name}"',
        f'ALTER ROLE "{name}" SET search_path = "{name}"',
    )
    db = Database(url)
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()
    yield url
    await run_sql(PG_URL, f'DROP SCHEMA "{name}" CASCADE', f'DROP ROLE "{name}"')
