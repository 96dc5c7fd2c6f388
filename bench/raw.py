"""The raw reference for bench/core.py: the bot's own upvote statements, compiled once by
SQLAlchemy from the bot's repositories, run straight on the driver (sqlite3; asyncpg) with
nothing of ours around them: no invoker, no engine, no pool, no result processing.

The bot's upvotes per second over these, measured in the same run, is what everything
above the driver costs (parsing, roles, the transaction, the reply).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg

from storage.models import Subscription
from storage.repos import ideas, members, votes
from storage.repos.upsert import insert_ignore_returning

# (member index, idea id) for the i-th vote of a run.
Schedule = Callable[[int], tuple[int, int]]


class Statement:
    """A statement compiled for a positional driver, and its parameters' order."""

    def __init__(self, statement: Any, dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.order = list(compiled.positiontup or [])

    def args(self, values: dict[str, Any]) -> list[Any]:
        return [values[name] for name in self.order]


class RawSqlite:
    """What the bot's SQLite write path runs for an upvote, on one sqlite3 connection."""

    def __init__(self, path: str) -> None:
        dialect = sqlite.dialect()
        self.member = Statement(members.BY_IDENTITY, dialect)
        self.idea = Statement(ideas.GET, dialect)
        self.vote = Statement(
            insert_ignore_returning("sqlite", votes.votes_t, "member_id"), dialect
        )
        self.follow = Statement(
            insert_ignore_returning("sqlite", Subscription.__table__, "member_id"), dialect
        )
        self.count = Statement(ideas.ADD_TO_COUNTS, dialect)
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")

    def upvote(self, key_hash: str, idea_id: int, now: datetime) -> None:
        run = self.conn.execute
        at = str(now.replace(tzinfo=None))  # how SQLite stores the bot's UTC timestamps
        run("BEGIN IMMEDIATE")
        member_id = run(self.member.sql, self.member.args({"key_hash": key_hash})).fetchone()[0]
        run(self.idea.sql, self.idea.args({"idea_id": idea_id})).fetchone()
        row = {"idea_id": idea_id, "member_id": member_id, "value": 1, "created_at": at}
        if run(self.vote.sql, self.vote.args(row)).fetchone() is None:
            raise RuntimeError("the raw reference must cast fresh votes")
        run(self.follow.sql, self.follow.args(row)).fetchone()
        counts = {"b_idea": idea_id, "d_up": 1, "d_down": 0}
        run(self.count.sql, self.count.args(counts)).fetchone()
        run("COMMIT")

    def rate(self, keys: list[str], schedule: Schedule, total: int, now: datetime) -> float:
        started = time.perf_counter()
        for i in range(total):
            member, idea_id = schedule(i)
            self.upvote(keys[member], idea_id, now)
        return total / (time.perf_counter() - started)

    def close(self) -> None:
        self.conn.close()


async def raw_postgresql_rate(
    url: str,
    schema: str,
    keys: list[str],
    schedule: Schedule,
    total: int,
    now: datetime,
    workers: int = 16,
) -> float:
    """What the bot's PostgreSQL path sends for an upvote (BEGIN, the member, the vote
    statement, COMMIT), from ``workers`` asyncpg connections at once."""
    dialect = pg_asyncpg.dialect()
    member = Statement(members.BY_IDENTITY, dialect)
    vote = Statement(votes.VOTE_PG, dialect)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conns = [
        await asyncpg.connect(dsn, server_settings={"search_path": schema}) for _ in range(workers)
    ]
    next_vote = iter(range(total))

    async def work(conn: asyncpg.Connection) -> None:
        for i in next_vote:
            m, idea_id = schedule(i)
            async with conn.transaction():
                row = await conn.fetchrow(member.sql, *member.args({"key_hash": keys[m]}))
                values = {"idea_id": idea_id, "member_id": row["id"], "value": 1, "now": now}
                done = await conn.fetchrow(vote.sql, *vote.args(values))
                if not done["new"]:
                    raise RuntimeError("the raw reference must cast fresh votes")

    try:
        started = time.perf_counter()
        await asyncio.gather(*(work(conn) for conn in conns))
        return total / (time.perf_counter() - started)
    finally:
        for conn in conns:
            await conn.close()
