"""Actions and their sealed pledges (storage.models.Action, Pledge).

The count moves in the same statement that checks the action is still open (``UPDATE ...
WHERE status = 'open' RETURNING``): on PostgreSQL concurrent pledges queue on the action's
row and each sees the count the one before it left, on SQLite writes are one at a time, so
the count is exact and exactly one transaction sees it reach ``needs``. The trigger and the
lapse are conditional updates too (``WHERE status = 'open'``): one caller wins.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Action, Campaign, Idea, Letter, Pledge
from storage.repos.upsert import insert_ignore_returning

actions_t = Action.__table__
pledges_t = Pledge.__table__
letters_t = Letter.__table__
campaigns_t = Campaign.__table__
ideas_t = Idea.__table__

OPEN = "open"
TRIGGERED = "triggered"
LAPSED = "lapsed"

# What every reader of an action gets: never a pledge, only the count.
_SHOWN = (
    actions_t.c.id,
    actions_t.c.campaign_id,
    actions_t.c.text,
    actions_t.c.needs,
    actions_t.c.due_at,
    actions_t.c.status,
    actions_t.c.pledge_count,
    actions_t.c.created_at,
    actions_t.c.closed_at,
    ideas_t.c.hidden,
    # Whether it has a target, never the address.
    actions_t.c.target.is_not(None).label("has_target"),
    actions_t.c.target_confirmed_at,
    actions_t.c.delivered_at,
)


async def create(
    conn: AsyncConnection,
    *,
    campaign_id: int,
    text: str,
    needs: int,
    due_at: datetime,
    target: str | None,
    by: int | None,
    now: datetime,
) -> int:
    """A new open action; its number. ``target``: the address already sealed, or None."""
    result = await conn.execute(
        sa.insert(actions_t)
        .values(
            campaign_id=campaign_id,
            text=text,
            needs=needs,
            due_at=due_at,
            target=target,
            status=OPEN,
            pledge_count=0,
            created_by=by,
            created_at=now,
        )
        .returning(actions_t.c.id)
    )
    return int(result.scalar_one())


def _shown() -> sa.Select[tuple[object, ...]]:
    return sa.select(*_SHOWN).join(ideas_t, ideas_t.c.id == actions_t.c.campaign_id)


async def get(conn: AsyncConnection, action_id: int) -> sa.Row | None:
    """The action as anyone may see it (with its campaign's ``hidden``), or None."""
    result = await conn.execute(_shown().where(actions_t.c.id == action_id))
    return result.first()


async def of_campaign(conn: AsyncConnection, campaign_id: int) -> list[sa.Row]:
    """A campaign's actions, newest first, as anyone may see them."""
    result = await conn.execute(
        _shown().where(actions_t.c.campaign_id == campaign_id).order_by(actions_t.c.id.desc())
    )
    return list(result)


async def open_shown(conn: AsyncConnection, limit: int) -> list[sa.Row]:
    """Open actions of visible campaigns (members pledge to them, and write letters to
    those with a target), soonest deadline first."""
    result = await conn.execute(
        _shown()
        .where(actions_t.c.status == OPEN, ideas_t.c.hidden.is_(False))
        .order_by(actions_t.c.due_at, actions_t.c.id)
        .limit(limit)
    )
    return list(result)


async def sealed_target(conn: AsyncConnection, action_id: int) -> str | None:
    """The sealed delivery address of an action (for delivering it), or None."""
    result = await conn.execute(sa.select(actions_t.c.target).where(actions_t.c.id == action_id))
    return result.scalar_one_or_none()


async def revealed(conn: AsyncConnection, action_id: int) -> list[str] | None:
    """The names the pledgers of a triggered action chose to be named by; None before."""
    result = await conn.execute(sa.select(actions_t.c.revealed).where(actions_t.c.id == action_id))
    return result.scalar_one_or_none()


async def has_pledge(conn: AsyncConnection, action_id: int, finder: str) -> bool:
    result = await conn.execute(
        sa.select(pledges_t.c.action_id).where(
            pledges_t.c.action_id == action_id, pledges_t.c.finder == finder
        )
    )
    return result.first() is not None


async def pledge(
    conn: AsyncConnection, action_id: int, finder: str, sealed: str
) -> tuple[str, int] | None:
    """Add (or, for the same member, reseal: a new name) a pledge to an open action.

    ``("new", count)`` or ``("updated", count)``; None when the action is no longer open,
    and then the caller must roll back (a pledge row may have been written)."""
    inserted = await conn.execute(
        insert_ignore_returning(conn.dialect.name, pledges_t, "action_id"),
        {"action_id": action_id, "finder": finder, "sealed": sealed},
    )
    if inserted.first() is None:
        await conn.execute(
            sa.update(pledges_t)
            .where(pledges_t.c.action_id == action_id, pledges_t.c.finder == finder)
            .values(sealed=sealed)
        )
        count = await _count_if_open(conn, action_id, 0)
        return None if count is None else ("updated", count)
    count = await _count_if_open(conn, action_id, 1)
    return None if count is None else ("new", count)


async def unpledge(conn: AsyncConnection, action_id: int, finder: str) -> int | None:
    """Withdraw a pledge from an open action: the count left, or None when there was no
    such pledge or the action is no longer open (roll back then)."""
    deleted = await conn.execute(
        sa.delete(pledges_t)
        .where(pledges_t.c.action_id == action_id, pledges_t.c.finder == finder)
        .returning(pledges_t.c.action_id)
    )
    if deleted.first() is None:
        return None
    return await _count_if_open(conn, action_id, -1)


async def _count_if_open(conn: AsyncConnection, action_id: int, step: int) -> int | None:
    result = await conn.execute(
        sa.update(actions_t)
        .where(actions_t.c.id == action_id, actions_t.c.status == OPEN)
        .values(pledge_count=actions_t.c.pledge_count + step)
        .returning(actions_t.c.pledge_count)
    )
    return result.scalar_one_or_none()


async def trigger(conn: AsyncConnection, action_id: int, now: datetime) -> int | None:
    """Mark an open action that has its pledges triggered: the count, for exactly one
    caller; None for everyone else (not open, or not enough pledges)."""
    result = await conn.execute(
        sa.update(actions_t)
        .where(
            actions_t.c.id == action_id,
            actions_t.c.status == OPEN,
            actions_t.c.pledge_count >= actions_t.c.needs,
        )
        .values(status=TRIGGERED, closed_at=now)
        .returning(actions_t.c.pledge_count)
    )
    return result.scalar_one_or_none()


async def lapse(conn: AsyncConnection, action_id: int, due_at: datetime) -> int | None:
    """Mark an open action whose deadline ``due_at`` came first lapsed: the count, for
    exactly one caller; None when it triggered, lapsed already or its deadline moved."""
    result = await conn.execute(
        sa.update(actions_t)
        .where(
            actions_t.c.id == action_id,
            actions_t.c.status == OPEN,
            actions_t.c.due_at == due_at,
            actions_t.c.pledge_count < actions_t.c.needs,
        )
        .values(status=LAPSED, closed_at=due_at)
        .returning(actions_t.c.pledge_count)
    )
    return result.scalar_one_or_none()


async def take_sealed(conn: AsyncConnection, action_id: int) -> list[str]:
    """The sealed pledges of an action that has just triggered or lapsed, deleted as they
    are read: from then on nothing in the database says who pledged."""
    result = await conn.execute(
        sa.delete(pledges_t).where(pledges_t.c.action_id == action_id).returning(pledges_t.c.sealed)
    )
    return sorted(result.scalars())


async def set_revealed(conn: AsyncConnection, action_id: int, names: list[str]) -> None:
    await conn.execute(
        sa.update(actions_t).where(actions_t.c.id == action_id).values(revealed=names)
    )


async def open_due_before(conn: AsyncConnection, until: datetime) -> list[sa.Row]:
    """Open actions whose deadline is up to ``until``, of campaigns still active, soonest
    first (``set_at``: when the action was made, for the deadline sweep's reminder)."""
    result = await conn.execute(
        sa.select(*_SHOWN, actions_t.c.created_at.label("set_at"))
        .join(ideas_t, ideas_t.c.id == actions_t.c.campaign_id)
        .join(campaigns_t, campaigns_t.c.id == actions_t.c.campaign_id)
        .where(
            actions_t.c.status == OPEN,
            actions_t.c.due_at <= until,
            campaigns_t.c.status == "active",
        )
        .order_by(actions_t.c.due_at, actions_t.c.id)
    )
    return list(result)


async def write_letter(conn: AsyncConnection, action_id: int, finder: str, sealed: str) -> bool:
    """Keep a member's sealed letter to an action (replacing theirs): True when it replaced
    one. Only while the action is open; the caller checked that in this transaction."""
    replaced = await conn.execute(
        sa.update(letters_t)
        .where(letters_t.c.action_id == action_id, letters_t.c.finder == finder)
        .values(sealed=sealed)
    )
    if replaced.rowcount:
        return True
    await conn.execute(
        sa.insert(letters_t).values(action_id=action_id, finder=finder, sealed=sealed)
    )
    return False


async def letter(conn: AsyncConnection, action_id: int, finder: str) -> str | None:
    """A member's own sealed letter to an action, or None."""
    result = await conn.execute(
        sa.select(letters_t.c.sealed).where(
            letters_t.c.action_id == action_id, letters_t.c.finder == finder
        )
    )
    return result.scalar_one_or_none()


async def take_letters(conn: AsyncConnection, action_id: int) -> dict[str, str]:
    """Every sealed letter of an action that has just triggered or lapsed, by finder,
    deleted as they are read."""
    result = await conn.execute(
        sa.delete(letters_t)
        .where(letters_t.c.action_id == action_id)
        .returning(letters_t.c.finder, letters_t.c.sealed)
    )
    return {finder: sealed for finder, sealed in result}


async def confirm_target(conn: AsyncConnection, action_id: int, now: datetime) -> bool:
    """Mark an action's target address confirmed: True for the one caller that did."""
    result = await conn.execute(
        sa.update(actions_t)
        .where(
            actions_t.c.id == action_id,
            actions_t.c.target.is_not(None),
            actions_t.c.target_confirmed_at.is_(None),
        )
        .values(target_confirmed_at=now)
    )
    return bool(result.rowcount)


async def set_delivery(conn: AsyncConnection, action_id: int, sealed: str) -> None:
    """Keep what goes to the target (sealed) until it is mailed."""
    await conn.execute(
        sa.update(actions_t).where(actions_t.c.id == action_id).values(delivery=sealed)
    )


async def delivery(conn: AsyncConnection, action_id: int) -> sa.Row | None:
    """The sealed delivery of an action and its sealed target, for the mail; None when
    there is no such action."""
    result = await conn.execute(
        sa.select(
            actions_t.c.delivery,
            actions_t.c.target,
            actions_t.c.target_confirmed_at,
            actions_t.c.delivered_at,
        ).where(actions_t.c.id == action_id)
    )
    return result.first()


async def record_delivered(
    conn: AsyncConnection, action_id: int, message_id: str, now: datetime
) -> None:
    """The mail to the target went out: when, its Message-ID; the sealed letters go."""
    await conn.execute(
        sa.update(actions_t)
        .where(actions_t.c.id == action_id, actions_t.c.delivered_at.is_(None))
        .values(delivered_at=now, delivery_message_id=message_id, delivery=None)
    )


async def in_view(conn: AsyncConnection, since: datetime, until: datetime) -> list[sa.Row]:
    """For the digest and the weekly update: open actions whose deadline is before
    ``until``, and actions that triggered or lapsed since ``since``, oldest number first."""
    result = await conn.execute(
        _shown()
        .where(
            sa.or_(
                sa.and_(actions_t.c.status == OPEN, actions_t.c.due_at <= until),
                sa.and_(actions_t.c.status != OPEN, actions_t.c.closed_at > since),
            )
        )
        .order_by(actions_t.c.id)
    )
    return list(result)
