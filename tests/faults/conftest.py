"""Fixtures for the fault tests: real ngircd servers (tests/irc/conftest.py), a SQLite file
already migrated, and a PostgreSQL database of the test's own, dropped after it."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from storage import migrate
from storage.db import Database
from tests.databases import PG_URL, postgres_available
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
    """A new, migrated PostgreSQL database: the processes under test share it, as a
    deployment's would."""
    unreachable = await asyncio.to_thread(postgres_available)
    if unreachable:
        pytest.skip(unreachable)
    name = f"dynamo_f_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(PG_URL)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
    admin = await asyncpg.connect(PG_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    db = Database(url)
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()
    yield url
    admin = await asyncpg.connect(PG_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
