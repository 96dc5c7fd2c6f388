"""PostgreSQL writes and reads on the asyncpg connection itself (storage/postgres_direct.py):
a prebuilt statement runs on the driver from its second run on, with the same rows as
SQLAlchemy's own execution and the same errors; everything else goes through SQLAlchemy on
the same connection, in the same transaction; a connection lost or left in a transaction
is never used again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, InvalidRequestError, StatementError

from storage.db import Database, lost_connection
from storage.models import Idea, Identity, Member
from storage.plans import ReadResult
from storage.repos import ideas, members, votes
from storage.vault import Vault
from tests.databases import PG_URL, PostgresSchema, seed_reads
from tests.round_trips import CountingProxy

ideas_t, members_t, identities_t = Idea.__table__, Member.__table__, Identity.__table__
NOW = datetime(2026, 11, 2, 12, 30, tzinfo=UTC)


@pytest.fixture
async def db(pg_schema: PostgresSchema) -> AsyncIterator[Database]:
    database = Database(PG_URL, schema=pg_schema.name, pool_size=2, vault=Vault.from_environ())
    await pg_schema.reset(database)
    await seed_reads(database, NOW)
    yield database
    await database.dispose()


@pytest.fixture
async def proxied(pg_schema: PostgresSchema) -> AsyncIterator[tuple[Database, CountingProxy]]:
    """A database reached through a proxy that can break its connections."""
    proxy = CountingProxy(PG_URL)
    database = Database(
        await proxy.start(), schema=pg_schema.name, pool_size=2, vault=Vault.from_environ()
    )
    await pg_schema.reset(database)
    await seed_reads(database, NOW)
    try:
        yield database, proxy
    finally:
        await database.dispose()
        await proxy.close()


async def runs(db: Database, statement: Any, params: dict[str, Any] | None = None) -> list[Any]:
    """The results of a statement's first three runs in reads (through SQLAlchemy, then on
    the driver where it can), whose rows must be the engine's own."""
    results = []
    for _ in range(3):
        async with db.read() as conn:
            result = await conn.execute(statement, params)
            results.append((result, list(result)))
    async with db.engine.connect() as conn:
        slow = list(await conn.execute(statement, params))
    for _, rows in results:
        assert [tuple(r) for r in rows] == [tuple(r) for r in slow]
        assert [r._fields for r in rows] == [r._fields for r in slow]
    return [result for result, _ in results]


async def test_prebuilt_statements_run_on_the_driver_with_the_engines_rows(db: Database) -> None:
    first, _, third = await runs(db, members.BY_IDENTITY, {"key_hash": f"{2:064x}"})
    assert not isinstance(first, ReadResult) and isinstance(third, ReadResult)
    (member,) = list(third)
    assert member.pseudonym == "brisk_heron" and member.revealed_name == "Ana"
    assert member.created_at == NOW and member.created_at.tzinfo is not None
    assert not member.email_trouble
    *_, top = await runs(db, ideas._TOP_FLAT, {"lim": 3, "off": 1})
    assert [r.id for r in top] == [4, 3, 2]
    *_, hidden = await runs(db, ideas.GET, {"idea_id": 6})
    (row,) = list(hidden)
    assert row.hidden is True and row.created_at == NOW + timedelta(minutes=6)


async def test_statements_built_per_call_go_through_sqlalchemy(db: Database) -> None:
    in_list = sa.select(ideas_t.c.id).where(ideas_t.c.id.in_(sa.bindparam("ids", expanding=True)))
    for ids in ([2, 4, 6], [1], [3, 5]):
        results = await runs(db, in_list, {"ids": ids})
        assert not any(isinstance(result, ReadResult) for result in results)
    async with db.read() as conn:
        for n in (1, 2, 3, 1):
            result = await conn.execute(sa.select(ideas_t.c.text).where(ideas_t.c.id == n))
            assert not isinstance(result, ReadResult)
            assert result.scalar_one() == f"Idea number {n} ünïcode"


async def test_the_vote_runs_once_whatever_is_asked_of_its_result(db: Database) -> None:
    for idea_id in (1, 2, 3):  # the third is planned: on the driver
        async with db.write() as conn:
            result = await conn.execute(
                votes.VOTE_PG, {"idea_id": idea_id, "member_id": 1, "value": 1, "now": NOW}
            )
            # Less common parts of the Result API: SQLAlchemy's own Result over the same
            # rows, not a second run of the statement.
            (row,) = result.mappings().all()
            assert row["new"] is True and row["new_up"] == idea_id * 2 + 1
    assert isinstance(result, ReadResult)
    async with db.read() as conn:
        for idea_id in (1, 2, 3):
            assert await votes.counts(conn, idea_id) == (1, 0)
            assert (await ideas.get(conn, idea_id)).up == idea_id * 2 + 1


async def test_driver_errors_are_sqlalchemys_without_the_values(db: Database) -> None:
    named = (
        sa.text(
            "INSERT INTO member (pseudonym, role, code_kind, created_at) "
            "VALUES (:name, 'member', 'worker', now()) RETURNING id"
        )
        .bindparams(sa.bindparam("name", type_=sa.String))
        .columns(sa.column("id", sa.Integer))
    )
    for n in range(2):  # the second on the driver
        async with db.write() as conn:
            assert (await conn.execute(named, {"name": f"new_name_{n}"})).scalar_one() > 3
    with pytest.raises(IntegrityError) as raised:
        async with db.write() as conn:
            await conn.execute(named, {"name": "amber_otter"})
    assert raised.value.orig.sqlstate == "23505"  # what the invoker's retry looks at
    assert "amber_otter" not in str(raised.value)
    assert not lost_connection(raised.value)
    with pytest.raises(StatementError, match="'name'"):
        async with db.write() as conn:
            await conn.execute(named, {"other": 1})
    async with db.read() as conn:  # nothing was left half done
        names = (await conn.execute(sa.select(members_t.c.pseudonym))).scalars().all()
    assert sorted(names) == ["amber_otter", "brisk_heron", "calm_lynx", "new_name_0", "new_name_1"]


async def test_sqlalchemys_statements_are_in_the_same_transaction(db: Database) -> None:
    rename = sa.update(members_t).where(members_t.c.id == 1).values(pseudonym="quiet_owl")
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await conn.execute(rename)
            (await conn.execute(members.BY_IDENTITY, {"key_hash": f"{1:064x}"})).first()
            raise RuntimeError("the command failed")
    async with db.read() as conn:
        found = await members.member_by_identity(conn, f"{1:064x}")
    assert found.pseudonym == "amber_otter"


async def test_a_savepoint_undoes_only_its_own_part(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(sa.update(ideas_t).where(ideas_t.c.id == 1).values(up=100))
        trial = await conn.begin_nested()
        await conn.execute(sa.update(ideas_t).where(ideas_t.c.id == 2).values(up=200))
        await trial.rollback()
        kept = await conn.begin_nested()
        await conn.execute(sa.update(ideas_t).where(ideas_t.c.id == 3).values(up=300))
        await kept.commit()
    async with db.read() as conn:
        ups = (await conn.execute(sa.select(ideas_t.c.up).order_by(ideas_t.c.id))).scalars()
        assert ups.all()[:3] == [100, 4, 300]


async def test_a_read_has_no_transaction_and_cannot_write(db: Database) -> None:
    async with db.read() as conn:
        assert not conn.in_transaction()
        with pytest.raises(InvalidRequestError, match=r"Database\.write"):
            await conn.execute(sa.delete(ideas_t))
        assert (await conn.execute(ideas._COUNT_OPEN)).scalar_one() == 5


async def test_a_connection_is_kept_between_commands_but_never_inside_a_transaction(
    db: Database,
) -> None:
    async with db.write() as conn:
        first = conn
    async with db.read() as conn:
        assert conn is first  # kept: no pool checkout per command
    slow = sa.text("SELECT pg_sleep(5) AS slept").columns(sa.column("slept", sa.String))

    async def stalled_write() -> None:
        async with db.write() as conn:
            await conn.execute(sa.update(ideas_t).values(up=0))
            await conn.execute(slow)

    task = asyncio.create_task(stalled_write())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(3):
        async with db.write() as conn:
            assert conn.in_transaction()
            ups = await conn.execute(sa.select(ideas_t.c.up).where(ideas_t.c.id == 7))
            assert ups.scalar_one() == 14  # the cancelled write left nothing
        async with db.read() as conn:
            assert not conn.in_transaction()


async def test_a_connection_lost_mid_transaction_is_run_again_on_a_new_one(
    proxied: tuple[Database, CountingProxy],
) -> None:
    db, proxy = proxied
    for _ in range(2):  # BY_IDENTITY planned: on the driver
        async with db.write() as conn:
            await members.member_by_identity(conn, f"{1:064x}")
    with pytest.raises(DBAPIError) as raised:
        async with db.write() as conn:
            proxy.sever_all()
            await members.member_by_identity(conn, f"{1:064x}")
    assert lost_connection(raised.value)  # what the invoker runs a command again on
    async with db.write() as conn:
        member = await members.member_by_identity(conn, f"{1:064x}")
    assert member.pseudonym == "amber_otter"
