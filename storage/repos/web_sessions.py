"""Login links and sessions of the web editor, found by the keyed digests of their tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import WebLogin, WebSession

logins_t = WebLogin.__table__
sessions_t = WebSession.__table__


async def add_login(
    conn: AsyncConnection, token_hash: str, member_id: int, expires_at: datetime
) -> None:
    await conn.execute(
        sa.insert(logins_t).values(
            token_hash=token_hash, member_id=member_id, expires_at=expires_at
        )
    )


async def login_member(conn: AsyncConnection, token_hash: str, now: datetime) -> int | None:
    """The member a link is for, while it is unused and unexpired (the link is not used up)."""
    result = await conn.execute(
        sa.select(logins_t.c.member_id).where(
            logins_t.c.token_hash == token_hash, logins_t.c.expires_at > now
        )
    )
    return result.scalar()


async def take_login(conn: AsyncConnection, token_hash: str, now: datetime) -> int | None:
    """Use a link up: the member it was for, or None when it was used, expired or unknown.
    Of two requests racing with one link, only the one whose DELETE removed the row wins."""
    member_id = await login_member(conn, token_hash, now)
    if member_id is None:
        return None
    deleted = await conn.execute(sa.delete(logins_t).where(logins_t.c.token_hash == token_hash))
    return member_id if deleted.rowcount == 1 else None


async def drop_expired_logins(conn: AsyncConnection, now: datetime) -> None:
    await conn.execute(sa.delete(logins_t).where(logins_t.c.expires_at <= now))


async def add_session(
    conn: AsyncConnection, id_hash: str, member_id: int, now: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        sa.insert(sessions_t).values(
            id_hash=id_hash, member_id=member_id, seen_at=now, expires_at=expires_at
        )
    )


async def session(conn: AsyncConnection, id_hash: str) -> sa.Row | None:
    result = await conn.execute(sa.select(sessions_t).where(sessions_t.c.id_hash == id_hash))
    return result.first()


async def touch(conn: AsyncConnection, id_hash: str, now: datetime) -> None:
    await conn.execute(
        sa.update(sessions_t).where(sessions_t.c.id_hash == id_hash).values(seen_at=now)
    )


async def end(conn: AsyncConnection, id_hash: str) -> int:
    result = await conn.execute(sa.delete(sessions_t).where(sessions_t.c.id_hash == id_hash))
    return int(result.rowcount)


async def end_all(conn: AsyncConnection, member_id: int) -> int:
    """End every session of a member (and the links they have not used); how many sessions."""
    await conn.execute(sa.delete(logins_t).where(logins_t.c.member_id == member_id))
    result = await conn.execute(sa.delete(sessions_t).where(sessions_t.c.member_id == member_id))
    return int(result.rowcount)


async def drop_ended(conn: AsyncConnection, now: datetime, idle_since: datetime) -> None:
    await conn.execute(
        sa.delete(sessions_t).where(
            sa.or_(sessions_t.c.expires_at <= now, sessions_t.c.seen_at <= idle_since)
        )
    )
