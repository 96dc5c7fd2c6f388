"""Fixtures shared by the whole suite: a database of each kind and the chat harness.

The suite runs under one project secret of its own, set here before any test reads it;
subprocesses (the command-line tests) inherit it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Config
from commands.framework.privacy import NO_DELAY
from commands.framework.rules import Rules
from storage.db import Database
from storage.secret import KEY_ENV
from storage.vault import Vault
from tests.databases import (
    PG_URL,
    PostgresSchema,
    make_sqlite_template,
    postgres_available,
    sqlite_copy,
)
from tests.harness import ConsoleChat

# Made by `dynamo secret new` for the tests; known to everyone, like the console's.
TEST_SECRET = "2cxgMqe7CCsuVEdunO3AqUu9ZQj52Fm3aUjo3Xx2-_0"
os.environ[KEY_ENV] = TEST_SECRET


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[PostgresSchema]:
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    schema = PostgresSchema()
    schema.create()
    yield schema
    schema.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A freshly migrated, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        database = Database(sqlite_copy(template, tmp_path), vault=Vault.from_environ())
        yield database
        await database.dispose()
        return
    schema: PostgresSchema = request.getfixturevalue("pg_schema")
    database = Database(PG_URL, schema=schema.name, pool_size=10, vault=Vault.from_environ())
    await schema.reset(database)
    yield database
    await database.dispose()


@pytest.fixture
def rules() -> Rules:
    """Override in a test module to change the movement's rules."""
    return Rules()


@pytest.fixture
async def chat(db: Database, rules: Rules) -> AsyncIterator[ConsoleChat]:
    harness = ConsoleChat(db, Config(rules=rules, privacy=NO_DELAY))
    await harness.start()
    yield harness
    await harness.stop()
