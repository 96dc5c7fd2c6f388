"""Votes: one row per member per idea, value +1 or -1.

Every change is a single-row statement whose result says what changed, so the idea's
counters can be moved by exactly that much even when many members vote at once.

``vote`` is the whole of an up- or downvote: look at the idea, write the vote, follow the
idea on a first vote, move its counters. On PostgreSQL that is one statement (one round trip
instead of four; the network, not the server, is what a vote waits for); SQLite, in the
process, runs the same steps one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Idea, Vote
from storage.repos import ideas, subscriptions
from storage.repos.upsert import insert_ignore_returning

votes_t = Vote.__table__
ideas_t = Idea.__table__
_FLIP = (
    sa.update(votes_t)
    .where(
        votes_t.c.idea_id == sa.bindparam("b_idea"),
        votes_t.c.member_id == sa.bindparam("b_member"),
        votes_t.c.value != sa.bindparam("b_value"),
    )
    .values(value=sa.bindparam("b_value"), created_at=sa.bindparam("b_at"))
    .returning(votes_t.c.member_id)
)


async def cast(
    conn: AsyncConnection, idea_id: int, member_id: int, value: int, now: datetime
) -> str:
    """Record a vote. Returns 'new', 'changed' (it flipped) or 'same' (already so)."""
    row = {"idea_id": idea_id, "member_id": member_id, "value": value, "created_at": now}
    inserted = await conn.execute(
        insert_ignore_returning(conn.dialect.name, votes_t, "member_id"), row
    )
    if inserted.first() is not None:
        return "new"
    flipped = await conn.execute(
        _FLIP, {"b_idea": idea_id, "b_member": member_id, "b_value": value, "b_at": now}
    )
    return "changed" if flipped.first() is not None else "same"


async def retract(conn: AsyncConnection, idea_id: int, member_id: int) -> int | None:
    """Remove a vote; returns the value it had, or None when there was none."""
    result = await conn.execute(
        sa.delete(votes_t)
        .where(votes_t.c.idea_id == idea_id, votes_t.c.member_id == member_id)
        .returning(votes_t.c.value)
    )
    return result.scalar_one_or_none()


async def value_of(conn: AsyncConnection, idea_id: int, member_id: int) -> int | None:
    result = await conn.execute(
        sa.select(votes_t.c.value).where(
            votes_t.c.idea_id == idea_id, votes_t.c.member_id == member_id
        )
    )
    return result.scalar_one_or_none()


async def counts(conn: AsyncConnection, idea_id: int) -> tuple[int, int]:
    """Count the rows themselves (for checks; the idea row carries the live counters)."""
    result = await conn.execute(
        sa.select(
            sa.func.count().filter(votes_t.c.value > 0),
            sa.func.count().filter(votes_t.c.value < 0),
        ).where(votes_t.c.idea_id == idea_id)
    )
    up, down = result.one()
    return int(up), int(down)


@dataclass(frozen=True)
class Cast:
    """What ``vote`` did. ``idea`` is the idea as it stood before (None: there is none);
    ``outcome`` is 'new', 'changed', 'same', or 'refused' (hidden or closed: nothing was
    written); ``up``/``down`` are its counters after the vote; ``followed`` is whether the
    voter started following the idea with this vote (its author already did, for one)."""

    idea: Any
    outcome: str
    up: int
    down: int
    followed: bool = False


def votable(idea: Any) -> bool:
    return idea is not None and not idea.hidden and idea.status != "closed"


async def vote(
    conn: AsyncConnection, idea_id: int, member_id: int, value: int, now: datetime
) -> Cast:
    """Cast a member's vote on an idea that can take one, and follow it on a first vote."""
    if conn.dialect.name == "postgresql":
        row = (await conn.execute(VOTE_PG, _vote_params(idea_id, member_id, value, now))).first()
        if row is None:
            return Cast(None, "refused", 0, 0)
        # The row has the idea's columns (and the vote's outcome beside them).
        if not votable(row):
            return Cast(row, "refused", row.up, row.down)
        if row.new is None:
            return Cast(row, "same", row.up, row.down)
        outcome = "new" if row.new else "changed"
        return Cast(row, outcome, row.new_up, row.new_down, followed=bool(row.followed))
    idea = await ideas.get(conn, idea_id)
    if not votable(idea):
        return Cast(idea, "refused", idea.up if idea else 0, idea.down if idea else 0)
    outcome = await cast(conn, idea_id, member_id, value, now)
    if outcome == "same":
        return Cast(idea, outcome, idea.up, idea.down)
    followed = outcome == "new" and await subscriptions.subscribe(conn, member_id, idea_id, now)
    up, down = await ideas.add_to_counts(conn, idea_id, *counter_moves(outcome, value))
    return Cast(idea, outcome, up, down, followed=followed)


def counter_moves(outcome: str, value: int) -> tuple[int, int]:
    """How a new or changed vote moves the (up, down) counters."""
    if outcome == "new":
        return (1, 0) if value > 0 else (0, 1)
    return (1, -1) if value > 0 else (-1, 1)


def _vote_params(idea_id: int, member_id: int, value: int, now: datetime) -> dict[str, Any]:
    return {"idea_id": idea_id, "member_id": member_id, "value": value, "now": now}


# The steps of ``vote`` as one PostgreSQL statement. Every part sees the database as it was
# when the statement began, except the upsert and the counter update, which lock their rows
# and act on the latest version (so concurrent voters on one idea add up exactly). The
# upsert returns a row only when it wrote one; ``xmax = 0`` tells an inserted row (a new
# vote) from an updated one (a changed vote). A vote already so writes nothing.
VOTE_PG = (
    sa.text(
        """
WITH target AS (
    SELECT idea.*, member.pseudonym, member.revealed_name AS author_revealed
    FROM idea JOIN member ON member.id = idea.author_id
    WHERE idea.id = :idea_id
), cast_vote AS (
    INSERT INTO vote (idea_id, member_id, value, created_at)
    SELECT id, :member_id, :value, :now FROM target
    WHERE NOT hidden AND status <> 'closed'
    ON CONFLICT (idea_id, member_id) DO UPDATE
        SET value = excluded.value, created_at = excluded.created_at
        WHERE vote.value <> excluded.value
    RETURNING (xmax = 0) AS new
), followed AS (
    INSERT INTO subscription (member_id, idea_id, created_at)
    SELECT :member_id, :idea_id, :now FROM cast_vote WHERE new
    ON CONFLICT DO NOTHING
    RETURNING member_id
), counted AS (
    UPDATE idea SET
        up = idea.up + CASE WHEN :value > 0 THEN 1 WHEN cast_vote.new THEN 0 ELSE -1 END,
        down = idea.down + CASE WHEN :value < 0 THEN 1 WHEN cast_vote.new THEN 0 ELSE -1 END
    FROM cast_vote
    WHERE idea.id = :idea_id
    RETURNING idea.up, idea.down
)
SELECT target.*, cast_vote.new, counted.up AS new_up, counted.down AS new_down,
    EXISTS (SELECT 1 FROM followed) AS followed
FROM target LEFT JOIN cast_vote ON true LEFT JOIN counted ON true
"""
    )
    .bindparams(
        sa.bindparam("idea_id", type_=sa.Integer),
        sa.bindparam("member_id", type_=sa.Integer),
        sa.bindparam("value", type_=sa.SmallInteger),
        sa.bindparam("now", type_=votes_t.c.created_at.type),
    )
    .columns(
        *ideas.with_author.selected_columns,
        sa.column("new", sa.Boolean),
        sa.column("new_up", sa.Integer),
        sa.column("new_down", sa.Integer),
        sa.column("followed", sa.Boolean),
    )
)
