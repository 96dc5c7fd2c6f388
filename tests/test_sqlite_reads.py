"""SQLite reads (storage/sqlite_inline.py, storage/plans.py): a prebuilt SELECT runs
on the driver from its second run on, with the same rows as SQLAlchemy's own execution and
the same errors; read-only, one snapshot per read block."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import (
    DBAPIError,
    InvalidRequestError,
    MultipleResultsFound,
    NoResultFound,
    OperationalError,
    StatementError,
)

from storage.db import Database
from storage.models import Idea, Identity, Member
from storage.plans import ReadResult
from storage.repos import ideas, members
from storage.sqlite_inline import ReadConnection
from tests.databases import seed_reads, sqlite_copy

ideas_t, members_t, identities_t = Idea.__table__, Member.__table__, Identity.__table__
NOW = datetime(2026, 11, 2, 12, 30, tzinfo=UTC)


@pytest.fixture
async def db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(sqlite_copy(sqlite_template, tmp_path))
    await seed_reads(database, NOW)
    yield database
    await database.dispose()


async def both(db: Database, statement: Any, params: dict[str, Any] | None = None) -> Any:
    """The rows of each of the first three runs on a read connection (through SQLAlchemy,
    then on the driver where it can) and from the engine, which must all agree."""
    runs = []
    for _ in range(3):
        async with db.read() as conn:
            assert isinstance(conn, ReadConnection)
            runs.append(list(await conn.execute(statement, params)))
    async with db.engine.connect() as conn:
        slow = list(await conn.execute(statement, params))
    for fast in runs:
        assert [tuple(r) for r in fast] == [tuple(r) for r in slow]
        assert [r._fields for r in fast] == [r._fields for r in slow]
    return runs[-1]


async def driven(db: Database, statement: Any, params: dict[str, Any] | None = None) -> Any:
    """The result of a statement's third run on a read connection (on the driver, if it
    can be)."""
    for _ in range(3):
        async with db.read() as conn:
            result = await conn.execute(statement, params)
    return result


async def test_repository_statements_give_the_engines_rows(db: Database) -> None:
    (member,) = await both(db, members.BY_IDENTITY, {"key_hash": f"{2:064x}"})
    assert member.pseudonym == "brisk_heron" and member.revealed_name == "Ana"
    assert member.created_at == NOW and member.created_at.tzinfo is not None
    assert not member.email_trouble
    top = await both(db, ideas._TOP_FLAT, {"lim": 3, "off": 1})
    assert [r.id for r in top] == [4, 3, 2]
    new = await both(db, ideas._NEW_FLAT, {"lim": 10, "off": 0})
    assert [r.id for r in new] == [7, 4, 3, 2, 1]
    assert new[0].pseudonym == "brisk_heron" and new[0].author_revealed == "Ana"
    (hidden,) = await both(db, ideas.GET, {"idea_id": 6})
    assert hidden.hidden is True and hidden.created_at == NOW + timedelta(minutes=6)
    assert [tuple(r) for r in await both(db, ideas._COUNT_OPEN)] == [(5,)]


async def test_statements_built_per_call_with_their_own_values(db: Database) -> None:
    for n in (1, 2, 3, 1):
        (row,) = await both(db, sa.select(ideas_t.c.text).where(ideas_t.c.id == n))
        assert row.text == f"Idea number {n} ünïcode"
    in_list = sa.select(ideas_t.c.id).where(ideas_t.c.id.in_(sa.bindparam("ids", expanding=True)))
    for ids in ([2, 4, 6], [1], [3, 5]):
        rows = await both(db, in_list, {"ids": ids})
        assert sorted(r.id for r in rows) == ids
    literal_in = sa.select(ideas_t.c.id).where(ideas_t.c.id.in_([2, 4, 6]))
    for _ in range(2):  # the statement's own list survives its first run
        rows = await both(db, literal_in)
        assert sorted(r.id for r in rows) == [2, 4, 6]
    assert await both(db, sa.select(ideas_t.c.id).where(ideas_t.c.id.in_([]))) == []
    since = await both(db, sa.select(ideas_t.c.id).where(ideas_t.c.created_at > NOW))
    assert len(since) == 7
    flags = await both(db, sa.select(ideas_t.c.id).where(ideas_t.c.hidden.is_(True)))
    assert [r.id for r in flags] == [6]
    textual = await both(db, sa.text("select count(*) as n from idea where up > :x"), {"x": 7})
    assert textual[0].n == 4


@pytest.mark.parametrize("runs", [1, 3])
async def test_result_api_of_the_reader(db: Database, runs: int) -> None:
    for _ in range(runs - 1):
        await driven(db, ideas._COUNT_OPEN)
    async with db.read() as conn:
        count = (await conn.execute(ideas._COUNT_OPEN)).scalar_one()
        names = (await conn.execute(sa.select(members_t.c.pseudonym))).scalars().all()
        first = (await conn.execute(sa.select(members_t).order_by(members_t.c.id))).first()
        none = (await conn.execute(sa.select(members_t).where(members_t.c.id == 99))).first()
        assert await conn.scalar(sa.select(sa.func.max(ideas_t.c.up))) == 14
    assert count == 5
    assert sorted(names) == ["amber_otter", "brisk_heron", "calm_lynx"]
    assert first is not None and first.pseudonym == "amber_otter" and none is None
    assert first._mapping["pseudonym"] == first[1] == "amber_otter"


async def test_one_row_or_else_as_with_the_engine(db: Database) -> None:
    everyone = sa.select(members_t.c.pseudonym).order_by(members_t.c.id)
    nobody = everyone.where(members_t.c.id > 99)
    someone = everyone.where(members_t.c.id == 2)
    async with db.read() as conn:
        assert (await conn.execute(someone)).one().pseudonym == "brisk_heron"
        assert (await conn.execute(someone)).scalar_one_or_none() == "brisk_heron"
        assert (await conn.execute(nobody)).one_or_none() is None
        assert (await conn.execute(nobody)).scalar() is None
        with pytest.raises(NoResultFound):
            (await conn.execute(nobody)).scalar_one()
        with pytest.raises(MultipleResultsFound):
            (await conn.execute(everyone)).one_or_none()
        with pytest.raises(MultipleResultsFound):
            (await conn.execute(everyone)).one()
        result = await conn.execute(everyone)
        assert result.keys() == ["pseudonym"]
        # Less common parts of the Result API are answered by SQLAlchemy's own.
        assert [m["pseudonym"] for m in result.mappings()] == [
            "amber_otter",
            "brisk_heron",
            "calm_lynx",
        ]


async def test_names_selected_twice_as_with_the_engine(db: Database) -> None:
    joined = members_t.join(ideas_t, ideas_t.c.author_id == members_t.c.id)
    statement = sa.select(members_t.c.id, ideas_t.c.id).select_from(joined).order_by(ideas_t.c.id)
    row = (await both(db, statement))[0]
    assert row._fields == ("id", "id_1") and (row.id, row.id_1) == (2, 1)
    labelled = sa.select(members_t.c.id.label("x"), ideas_t.c.id.label("x")).select_from(joined)
    row = (await both(db, labelled))[0]
    with pytest.raises(InvalidRequestError, match="Ambiguous column name 'x'"):
        _ = row.x


async def test_missing_parameter_is_refused_like_the_engine(db: Database) -> None:
    await driven(db, members.BY_IDENTITY, {"key_hash": "0"})  # planned: on the driver now
    async with db.read() as conn:
        with pytest.raises(StatementError, match="'key_hash'"):
            await conn.execute(members.BY_IDENTITY)
        with pytest.raises(StatementError, match="'key_hash'"):
            await conn.execute(members.BY_IDENTITY, {"other": 1})
    async with db.engine.connect() as conn:
        with pytest.raises(StatementError, match="'key_hash'"):
            await conn.execute(members.BY_IDENTITY)


async def test_prebuilt_selects_run_on_the_driver_and_the_rest_through_sqlalchemy(
    db: Database,
) -> None:
    assert isinstance(await driven(db, ideas._COUNT_OPEN), ReadResult)
    assert isinstance(await driven(db, members.BY_IDENTITY, {"key_hash": "0"}), ReadResult)
    in_list = sa.select(ideas_t.c.id).where(ideas_t.c.id.in_(sa.bindparam("ids", expanding=True)))
    assert not isinstance(await driven(db, in_list, {"ids": [1, 2]}), ReadResult)
    textual = sa.text("select 1 as n")
    assert not isinstance(await driven(db, textual), ReadResult)
    per_call = [sa.select(ideas_t.c.id).where(ideas_t.c.id == n) for n in range(3)]
    async with db.read() as conn:
        assert not any([isinstance(await conn.execute(s), ReadResult) for s in per_call])


async def test_driver_errors_are_sqlalchemy_errors(db: Database) -> None:
    async with db.read() as conn:
        with pytest.raises(OperationalError, match="no such table"):
            await conn.execute(sa.text("select * from nowhere"))
        # The connection is still usable after a failed statement.
        assert (await conn.execute(ideas._COUNT_OPEN)).scalar_one() == 5


async def test_a_read_connection_cannot_write(db: Database) -> None:
    async with db.read() as conn:
        with pytest.raises(InvalidRequestError, match=r"Database\.write"):
            await conn.execute(sa.delete(ideas_t))
        with pytest.raises(DBAPIError, match="readonly"):
            await conn.execute(sa.text("delete from idea"))
    async with db.read() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(ideas_t))).scalar() == 7


async def test_one_snapshot_per_read_block_and_fresh_data_in_the_next(db: Database) -> None:
    async with db.read() as conn:
        before = (await conn.execute(ideas._COUNT_OPEN)).scalar_one()
        async with db.write() as writer:
            closing = sa.update(ideas_t).where(ideas_t.c.id == 1).values(status="closed")
            await writer.execute(closing)
        during = (await conn.execute(ideas._COUNT_OPEN)).scalar_one()
    async with db.read() as conn:
        after = (await conn.execute(ideas._COUNT_OPEN)).scalar_one()
    assert (before, during, after) == (5, 5, 4)


async def test_overlapping_reads_get_their_own_connections(db: Database) -> None:
    async with db.read() as first, db.read() as second:
        assert first is not second
        assert (await first.execute(ideas._COUNT_OPEN)).scalar_one() == 5
        assert (await second.execute(ideas._COUNT_OPEN)).scalar_one() == 5
    async with db.read() as again:
        assert again in (first, second)  # kept for the next read


async def test_a_failed_read_block_leaves_no_transaction_behind(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.read() as conn:
            await conn.execute(ideas._COUNT_OPEN)
            raise RuntimeError("handler failed")
    async with db.read() as again:
        assert again is conn  # kept: a refused command costs no new connection
    # A reader that stayed in its old transaction would not see this write.
    async with db.write() as writer:
        await writer.execute(sa.update(ideas_t).values(status="closed"))
    async with db.read() as conn:
        assert (await conn.execute(ideas._COUNT_OPEN)).scalar_one() == 0


async def test_in_memory_sqlite_reads_through_the_engine() -> None:
    database = Database("sqlite://")
    try:
        async with database.read() as conn:
            assert not isinstance(conn, ReadConnection)
            assert (await conn.execute(sa.text("select 1"))).scalar() == 1
    finally:
        await database.dispose()


async def test_an_empty_result_still_names_its_columns_and_scalars_fall_back_too(
    db: Database,
) -> None:
    nobody = sa.select(members_t.c.pseudonym, members_t.c.role).where(members_t.c.id > 99)
    everyone = sa.select(members_t.c.role)
    assert isinstance(await driven(db, nobody), ReadResult)
    assert isinstance(await driven(db, everyone), ReadResult)
    async with db.read() as conn:
        assert (await conn.execute(nobody)).keys() == ["pseudonym", "role"]
        roles = (await conn.execute(everyone)).scalars()
        assert roles.first() == "member"
        assert roles.unique().all() == ["member"]  # answered by SQLAlchemy's Result
