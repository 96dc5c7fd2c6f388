"""Members' notice preferences and time zones (no row means the defaults: DM, config zone)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import MemberEmail, MemberPrefs
from storage.repos.upsert import insert_ignore

prefs_t = MemberPrefs.__table__
emails_t = MemberEmail.__table__

DEFAULT_NOTIFY = "dm"


async def get(conn: AsyncConnection, member_id: int) -> sa.Row | None:
    result = await conn.execute(sa.select(prefs_t).where(prefs_t.c.member_id == member_id))
    return result.first()


async def _ensure(conn: AsyncConnection, member_id: int) -> None:
    await conn.execute(
        insert_ignore(conn, prefs_t).values(member_id=member_id, notify=DEFAULT_NOTIFY)
    )


async def set_notify(conn: AsyncConnection, member_id: int, notify: str) -> None:
    await _ensure(conn, member_id)
    await conn.execute(
        sa.update(prefs_t).where(prefs_t.c.member_id == member_id).values(notify=notify)
    )


async def set_timezone(conn: AsyncConnection, member_id: int, name: str | None) -> None:
    await _ensure(conn, member_id)
    await conn.execute(
        sa.update(prefs_t).where(prefs_t.c.member_id == member_id).values(timezone=name)
    )


async def timezone_of(conn: AsyncConnection, member_id: int) -> str | None:
    result = await conn.execute(
        sa.select(prefs_t.c.timezone).where(prefs_t.c.member_id == member_id)
    )
    return result.scalar_one_or_none()


async def timezones_of(conn: AsyncConnection, member_ids: Iterable[int]) -> dict[int, str]:
    """The zone of each member who set one."""
    ids = list(set(member_ids))
    if not ids:
        return {}
    result = await conn.execute(
        sa.select(prefs_t.c.member_id, prefs_t.c.timezone).where(
            prefs_t.c.member_id.in_(ids), prefs_t.c.timezone.is_not(None)
        )
    )
    return {int(m): str(tz) for m, tz in result}


async def routes(conn: AsyncConnection, member_ids: Iterable[int]) -> dict[int, tuple[str, bool]]:
    """For each member with a preference or an address: (notify, has a deliverable email)."""
    ids = list(set(member_ids))
    if not ids:
        return {}
    deliverable = sa.and_(emails_t.c.address.is_not(None), emails_t.c.failed_at.is_(None))
    has_prefs = await conn.execute(
        sa.select(prefs_t.c.member_id, prefs_t.c.notify).where(prefs_t.c.member_id.in_(ids))
    )
    notify = {int(m): str(n) for m, n in has_prefs}
    mailable = await conn.execute(
        sa.select(emails_t.c.member_id).where(emails_t.c.member_id.in_(ids), deliverable)
    )
    emailable = {int(m) for m in mailable.scalars()}
    return {
        m: (notify.get(m, DEFAULT_NOTIFY), m in emailable)
        for m in ids
        if m in notify or m in emailable
    }


async def members_choosing(conn: AsyncConnection, notify: str) -> list[int]:
    result = await conn.execute(
        sa.select(prefs_t.c.member_id)
        .where(prefs_t.c.notify == notify)
        .order_by(prefs_t.c.member_id)
    )
    return [int(m) for m in result.scalars()]
