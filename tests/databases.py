"""Test databases: SQLite files copied from a migrated template, and PostgreSQL schemas.

Migrating once per run and resetting between tests keeps the suite fast while every test
still starts from the real, migrated schema.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from storage import migrate
from storage.db import Database
from storage.models import Idea, Identity, Member, metadata


def run_async(factory: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine to completion on a loop of its own, even from inside a running loop
    (conn fixtures are first requested from within a test's loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


PG_URL = os.environ.get("DYNAMO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_available() -> str | None:
    """None when the server answers, else the reason it does not."""

    async def probe() -> None:
        db = Database(PG_URL)
        try:
            async with db.engine.connect() as conn:
                await conn.execute(sa.text("select 1"))
        finally:
            await db.dispose()

    try:
        run_async(lambda: asyncio.wait_for(probe(), timeout=5))
    except Exception as exc:  # any failure means "not reachable here"
        return f"PostgreSQL at {PG_URL} is unreachable ({type(exc).__name__}: {exc})"
    return None


def make_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"

    async def build() -> None:
        db = Database(f"sqlite:///{path}")
        try:
            await migrate.upgrade(db)
            # Fold the WAL into the main file so a plain copy carries everything.
            async with db.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            await db.dispose()

    run_async(build)
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    target = directory / f"dynamo-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


class PostgresSchema:
    """A schema of its own for this test run, migrated once, emptied between tests."""

    def __init__(self) -> None:
        self.name = f"t_{uuid.uuid4().hex[:12]}"

    def create(self) -> None:
        async def build() -> None:
            admin = Database(PG_URL)
            try:
                async with admin.engine.begin() as conn:
                    await conn.exec_driver_sql(f'CREATE SCHEMA "{self.name}"')
            finally:
                await admin.dispose()
            db = Database(PG_URL, schema=self.name)
            try:
                await migrate.upgrade(db)
            finally:
                await db.dispose()

        run_async(build)

    def drop(self) -> None:
        async def destroy() -> None:
            admin = Database(PG_URL)
            try:
                async with admin.engine.begin() as conn:
                    await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
            finally:
                await admin.dispose()

        run_async(destroy)

    async def reset(self, db: Database) -> None:
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@contextmanager
def database_without_rights() -> Iterator[str]:
    """A new PostgreSQL database and a role that may connect to it but create nothing in it
    (the default on PostgreSQL 15; revoked explicitly for older ones): the role's URL."""
    name = f"dynamo_t_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(PG_URL)
    role_url = urlunsplit(
        (parts.scheme, f"{name}@{parts.netloc.rpartition('@')[2]}", f"/{name}", "", "")
    )
    admin_url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))

    async def create() -> None:
        await run_sql(PG_URL, f'CREATE ROLE "{name}" LOGIN', f'CREATE DATABASE "{name}"')
        await run_sql(admin_url, "REVOKE CREATE ON SCHEMA public FROM PUBLIC")

    async def drop() -> None:
        await run_sql(
            PG_URL,
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'DROP ROLE IF EXISTS "{name}"',
        )

    run_async(create)
    try:
        yield role_url
    finally:
        run_async(drop)


async def run_sql(url: str, *statements: str) -> None:
    """Run statements in order on a connection of their own (roles, databases, schemas)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def seed_reads(db: Database, now: datetime) -> None:
    """What the read tests read: three members with an identity each (the second shows a
    name), and seven ideas with their counters (the fifth a campaign, the sixth hidden)."""
    async with db.write() as conn:
        for n, name in enumerate(("amber_otter", "brisk_heron", "calm_lynx"), start=1):
            await conn.execute(
                sa.insert(Member.__table__).values(
                    pseudonym=name,
                    role="member",
                    code_kind="worker",
                    revealed_name="Ana" if n == 2 else None,
                    created_at=now,
                )
            )
            await conn.execute(
                sa.insert(Identity.__table__).values(
                    key_hash=f"{n:064x}",
                    handle=f"sealed-{n}",
                    platform="irc",
                    member_id=n,
                    created_at=now,
                )
            )
        for n in range(1, 8):
            await conn.execute(
                sa.insert(Idea.__table__).values(
                    author_id=1 + n % 3,
                    text=f"Idea number {n} ünïcode",
                    created_at=now + timedelta(minutes=n),
                    up=n * 2,
                    down=n % 3,
                    status="open" if n != 5 else "campaign",
                    hidden=n == 6,
                )
            )
