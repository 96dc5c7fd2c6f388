"""The outbox: deliveries written with the change that caused them, claimed by transports.

A row is claimed by setting ``claimed_until`` (a lease): if the process dies mid-delivery the
lease runs out and another claim picks it up. On PostgreSQL the claim skips rows another
process holds (``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Outbox
from storage.repos import spaces

outbox_t = Outbox.__table__
# The kind of row that holds a member's command until its moment (commands.framework.deferral).
COMMAND = "command"
# An announcement in a space (a row for each space it goes to).
ANNOUNCE = "announce"


async def add(
    conn: AsyncConnection, rows: Sequence[dict[str, Any]], *, also: Iterable[str] = ()
) -> int:
    """Write ``rows``; how many were written. An announcement for no space in particular
    (``space`` None) is written once for each space there is as this transaction sees it
    (`spaces.everywhere`, with ``also``, the writer's own), in the order given: within each
    space, the announcements of one transaction keep their order. One with a space goes
    to that space alone."""
    everywhere = [row for row in rows if row["kind"] == ANNOUNCE and row.get("space") is None]
    if everywhere:
        now = max(row["created_at"] for row in everywhere)
        keys = await spaces.everywhere(conn, now, also)
        rows = [
            fanned
            for row in rows
            for fanned in (
                [{**row, "space": key} for key in keys]
                if row["kind"] == ANNOUNCE and row.get("space") is None
                else [row]
            )
        ]
    if rows:
        await conn.execute(sa.insert(outbox_t), list(rows))
    return len(rows)


async def latest_waiting(conn: AsyncConnection, streams: Iterable[str]) -> dict[str, datetime]:
    """For each stream, when its last queued command is due (commands.framework.deferral)."""
    result = await conn.execute(
        sa.select(outbox_t.c.stream, sa.func.max(outbox_t.c.available_at))
        .where(
            outbox_t.c.kind == COMMAND,
            outbox_t.c.stream.in_(list(streams)),
            outbox_t.c.sent_at.is_(None),
            outbox_t.c.failed_at.is_(None),
        )
        .group_by(outbox_t.c.stream)
    )
    return {stream: at for stream, at in result}


async def member_waiting(conn: AsyncConnection, member_id: int, event: str, stream: str) -> bool:
    """Whether a command this member asked for (``event``: its name) on this stream still
    waits for its moment (commands.framework.deferral)."""
    result = await conn.execute(
        sa.select(outbox_t.c.id)
        .where(
            outbox_t.c.kind == COMMAND,
            outbox_t.c.member_id == member_id,
            outbox_t.c.event == event,
            outbox_t.c.stream == stream,
            outbox_t.c.sent_at.is_(None),
            outbox_t.c.failed_at.is_(None),
        )
        .limit(1)
    )
    return result.first() is not None


def lane(spaces: Iterable[str], include_dms: bool) -> sa.ColumnElement[bool]:
    """The rows one delivery lane handles: announcements to these spaces, and DMs."""
    wanted = [sa.and_(outbox_t.c.kind == "announce", outbox_t.c.space.in_(list(spaces)))]
    if include_dms:
        wanted.append(outbox_t.c.kind == "dm")
    return sa.or_(*wanted)


def of_kind(kind: str) -> sa.ColumnElement[bool]:
    """The rows of one kind (the mailer's ``email`` rows)."""
    return outbox_t.c.kind == kind


_Now = datetime | sa.BindParameter[datetime]


def _unsent_unleased(now: _Now) -> sa.ColumnElement[bool]:
    """Not sent, not given up on, and nobody holds a lease on it."""
    return sa.and_(
        outbox_t.c.sent_at.is_(None),
        outbox_t.c.failed_at.is_(None),
        sa.or_(outbox_t.c.claimed_until.is_(None), outbox_t.c.claimed_until < now),
    )


def _due(now: _Now) -> sa.ColumnElement[bool]:
    """Ready to deliver now."""
    return sa.and_(_unsent_unleased(now), outbox_t.c.available_at <= now)


def _waiting(now: _Now) -> sa.ColumnElement[bool]:
    """Held back until later (a retry, a member who was away)."""
    return sa.and_(_unsent_unleased(now), outbox_t.c.available_at > now)


def due_check(wanted: sa.ColumnElement[bool]) -> sa.Select:
    """The statement `any_due` runs for ``wanted``: build it once and reuse it."""
    return sa.select(outbox_t.c.id).where(_due(sa.bindparam("now")), wanted).limit(1)


async def next_due(
    conn: AsyncConnection, wanted: sa.ColumnElement[bool], *, now: datetime
) -> datetime | None:
    """When the first of the rows matching ``wanted`` that nobody holds is due (a read)."""
    result = await conn.execute(
        sa.select(sa.func.min(outbox_t.c.available_at)).where(_unsent_unleased(now), wanted)
    )
    return result.scalar_one_or_none()


async def asked_before(conn: AsyncConnection, stream: str, moment: datetime) -> bool:
    """Whether a command about ``stream`` (an idea's number) asked for before ``moment``
    still waits to be carried out."""
    result = await conn.execute(
        sa.select(outbox_t.c.id)
        .where(
            outbox_t.c.kind == COMMAND,
            outbox_t.c.stream == stream,
            outbox_t.c.created_at <= moment,
            outbox_t.c.sent_at.is_(None),
            outbox_t.c.failed_at.is_(None),
        )
        .limit(1)
    )
    return result.first() is not None


async def take(conn: AsyncConnection, row: sa.Row) -> bool:
    """Delete a queued command's row in the transaction that does its work: False when it
    was gone (done by another process). Nothing then keeps when it was asked for.

    Matched on more than the id: SQLite hands a deleted row's id to the next row when it
    was the last one, and a stale copy must never take that one."""
    result = await conn.execute(
        sa.delete(outbox_t).where(
            outbox_t.c.id == row.id,
            outbox_t.c.kind == COMMAND,
            outbox_t.c.member_id == row.member_id,
            outbox_t.c.created_at == row.created_at,
            outbox_t.c.sent_at.is_(None),
        )
    )
    return bool(result.rowcount)


async def any_due(conn: AsyncConnection, check: sa.Select, *, now: datetime) -> bool:
    """Whether a claim would find anything (``check`` from `due_check`): a read, so
    polling an idle outbox costs no write transaction."""
    result = await conn.execute(check, {"now": now})
    return result.first() is not None


def _behind(now: datetime) -> sa.ColumnElement[bool]:
    """An announcement with an earlier one of its space and its stream (the same idea or
    campaign; or none) still to go that can't go now (waiting for a retry, or held by
    someone): it must not overtake it. What concerns another campaign goes on meanwhile,
    so a forum that refuses one campaign's thread doesn't silence the rest."""
    earlier = outbox_t.alias("earlier")
    return sa.exists().where(
        earlier.c.kind == "announce",
        earlier.c.space == outbox_t.c.space,
        sa.func.coalesce(earlier.c.stream, "") == sa.func.coalesce(outbox_t.c.stream, ""),
        earlier.c.id < outbox_t.c.id,
        earlier.c.sent_at.is_(None),
        earlier.c.failed_at.is_(None),
        sa.or_(earlier.c.available_at > now, earlier.c.claimed_until >= now),
    )


async def claim(
    conn: AsyncConnection,
    wanted: sa.ColumnElement[bool],
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    in_order: bool = False,
    by: str | None = None,
) -> list[sa.Row]:
    """Lease the due, unsent rows matching ``wanted`` (a ``lane`` or ``of_kind``), oldest
    first; PostgreSQL skips rows another process is claiming at the same moment. With
    ``in_order``, an announcement is claimed only when every earlier one of its space has
    gone (or been given up): within a space none overtakes another. ``by`` names the
    claiming process (bot/serving.py): restarted, it takes back what it held at once."""
    query = sa.select(outbox_t).where(_due(now), wanted)
    if in_order:
        query = query.where(~_behind(now))
    query = query.order_by(outbox_t.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(await conn.execute(query))
    if rows:
        await conn.execute(
            sa.update(outbox_t)
            .where(outbox_t.c.id.in_([r.id for r in rows]))
            .values(claimed_until=now + lease, claimed_by=by, attempts=outbox_t.c.attempts + 1)
        )
    return rows


async def release_claims_of(conn: AsyncConnection, owner: str) -> int:
    """What an earlier run of this process had claimed and not finished (it was killed):
    due again at once, not when its lease runs out."""
    result = await conn.execute(
        sa.update(outbox_t)
        .where(
            outbox_t.c.claimed_by == owner,
            outbox_t.c.claimed_until.is_not(None),
            outbox_t.c.sent_at.is_(None),
            outbox_t.c.failed_at.is_(None),
        )
        .values(claimed_until=None)
    )
    return int(result.rowcount or 0)


async def unclaim(conn: AsyncConnection, ids: Sequence[int]) -> None:
    """Give back claimed rows untouched (their turn comes again at once, in order): not
    tried, so the attempt the claim counted is taken back."""
    if ids:
        await conn.execute(
            sa.update(outbox_t)
            .where(outbox_t.c.id.in_(list(ids)))
            .values(claimed_until=None, attempts=outbox_t.c.attempts - 1)
        )


# Private notices whose row would tie a member to what they did in secret (a pledge: told
# that the action triggered or lapsed, or what came of their sealed command), or would keep
# the letters delivered to an action's target (the organizers' copy). Once such a notice is
# delivered or given up on, its row keeps neither the member nor the text: read later, the
# database names no pledger and holds no letter. (While one waits for its member, it does.)
FORGOTTEN_ONCE_DONE = ("action_triggered", "action_lapsed", "action_delivery_copy", "done_sealed")


async def _forget(conn: AsyncConnection, ids: Sequence[int]) -> None:
    await conn.execute(
        sa.update(outbox_t)
        .where(
            outbox_t.c.id.in_(list(ids)),
            outbox_t.c.kind != ANNOUNCE,
            outbox_t.c.event.in_(FORGOTTEN_ONCE_DONE),
        )
        .values(member_id=None, payload={})
    )


async def mark_sent(conn: AsyncConnection, ids: Sequence[int], now: datetime) -> None:
    if ids:
        await conn.execute(
            sa.update(outbox_t)
            .where(outbox_t.c.id.in_(list(ids)))
            .values(sent_at=now, claimed_until=None, last_error=None)
        )
        await _forget(conn, ids)


async def mark_retry(
    conn: AsyncConnection,
    row_id: int,
    *,
    available_at: datetime,
    error: str,
    counted: bool = True,
) -> None:
    """Try again from ``available_at``. Not ``counted`` (a space that was down): the attempt
    the claim counted is taken back."""
    attempts = outbox_t.c.attempts if counted else outbox_t.c.attempts - 1
    await conn.execute(
        sa.update(outbox_t)
        .where(outbox_t.c.id == row_id)
        .values(
            available_at=available_at,
            claimed_until=None,
            last_error=error[:500],
            attempts=attempts,
        )
    )


async def mark_failed(conn: AsyncConnection, row_id: int, *, now: datetime, error: str) -> None:
    await conn.execute(
        sa.update(outbox_t)
        .where(outbox_t.c.id == row_id)
        .values(failed_at=now, claimed_until=None, last_error=error[:500])
    )
    await _forget(conn, [row_id])


async def pending_count(conn: AsyncConnection) -> int:
    result = await conn.execute(
        sa.select(sa.func.count())
        .select_from(outbox_t)
        .where(outbox_t.c.sent_at.is_(None), outbox_t.c.failed_at.is_(None))
    )
    return int(result.scalar_one())


async def backlog(conn: AsyncConnection) -> dict[tuple[str, str], int]:
    """Deliveries waiting, by (kind, space): announcements per space, DMs, email and queued
    commands each as their own (space "" when a row has none)."""
    result = await conn.execute(
        sa.select(outbox_t.c.kind, outbox_t.c.space, sa.func.count())
        .where(outbox_t.c.sent_at.is_(None), outbox_t.c.failed_at.is_(None))
        .group_by(outbox_t.c.kind, outbox_t.c.space)
    )
    return {(kind, space or ""): int(n) for kind, space, n in result}


async def release(
    conn: AsyncConnection,
    *,
    now: datetime,
    spaces: Sequence[str] = (),
    member_ids: Sequence[int] = (),
) -> int:
    """Make waiting deliveries for these spaces or members due now (a transport just came
    back, or a member just showed up). Leased rows are left to their holder."""
    wanted = []
    if spaces:
        wanted.append(sa.and_(outbox_t.c.kind == "announce", outbox_t.c.space.in_(spaces)))
    if member_ids:
        wanted.append(sa.and_(outbox_t.c.kind == "dm", outbox_t.c.member_id.in_(member_ids)))
    if not wanted:
        return 0
    result = await conn.execute(
        sa.update(outbox_t).where(sa.or_(*wanted), _waiting(now)).values(available_at=now)
    )
    return int(result.rowcount or 0)


_DMS_WAITING = (
    sa.select(outbox_t.c.id)
    .where(
        outbox_t.c.kind == "dm",
        outbox_t.c.member_id == sa.bindparam("member_id"),
        _waiting(sa.bindparam("now")),
    )
    .limit(1)
)


async def dms_waiting(conn: AsyncConnection, member_id: int, *, now: datetime) -> bool:
    """Whether notices wait for this member to come back (what `release` would free)."""
    result = await conn.execute(_DMS_WAITING, {"member_id": member_id, "now": now})
    return result.first() is not None


async def give_back(
    conn: AsyncConnection, ids: Sequence[int], *, available_at: datetime, error: str
) -> None:
    """Give claimed rows back, to be tried again from ``available_at``: the server could not
    be reached, so they were not tried, and the attempt their claim counted is taken back (a
    long outage must not use up their retries)."""
    if ids:
        await conn.execute(
            sa.update(outbox_t)
            .where(outbox_t.c.id.in_(list(ids)))
            .values(
                available_at=available_at,
                claimed_until=None,
                last_error=error[:500],
                attempts=outbox_t.c.attempts - 1,
            )
        )


async def held(conn: AsyncConnection, kind: str) -> list[sa.Row]:
    """Unsent rows of a kind nobody claims (``digest``: notices kept for the daily digest)."""
    result = await conn.execute(
        sa.select(outbox_t)
        .where(
            outbox_t.c.kind == kind, outbox_t.c.sent_at.is_(None), outbox_t.c.failed_at.is_(None)
        )
        .order_by(outbox_t.c.member_id, outbox_t.c.id)
    )
    return list(result)
