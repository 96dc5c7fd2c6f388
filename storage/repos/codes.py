"""Registration codes, pending registrations, failed attempts and link codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import LinkCode, PendingRegistration, RegistrationCode, RegistrationFailure

codes_t = RegistrationCode.__table__
pending_t = PendingRegistration.__table__
failures_t = RegistrationFailure.__table__
links_t = LinkCode.__table__


async def add_codes(
    conn: AsyncConnection,
    hashes: Sequence[str],
    *,
    batch: str,
    kind: str,
    created_at: datetime,
    expires_at: datetime | None,
) -> None:
    await conn.execute(
        sa.insert(codes_t),
        [
            {
                "code_hash": h,
                "batch": batch,
                "kind": kind,
                "created_at": created_at,
                "expires_at": expires_at,
            }
            for h in hashes
        ],
    )


async def find_code(conn: AsyncConnection, code_hash: str) -> sa.Row | None:
    result = await conn.execute(sa.select(codes_t).where(codes_t.c.code_hash == code_hash))
    return result.first()


async def redeem_code(conn: AsyncConnection, code_id: int, now: datetime) -> bool:
    """Mark a code used; False when someone else got there first (or it was burned).

    Who used it is not kept: joined with an organizer's list of codes it would name the
    worker behind an account."""
    result = await conn.execute(
        sa.update(codes_t)
        .where(
            codes_t.c.id == code_id,
            codes_t.c.redeemed_at.is_(None),
            codes_t.c.burned_at.is_(None),
            codes_t.c.revoked_at.is_(None),
        )
        .values(redeemed_at=now)
        .returning(codes_t.c.id)
    )
    return result.first() is not None


async def burn(conn: AsyncConnection, code_hashes: Sequence[str], now: datetime) -> int:
    """Make these codes unusable, registration and link codes alike (they were seen in
    public); returns how many were still usable."""
    if not code_hashes:
        return 0
    hashes = list(code_hashes)
    registration = await conn.execute(
        sa.update(codes_t)
        .where(
            codes_t.c.code_hash.in_(hashes),
            codes_t.c.redeemed_at.is_(None),
            codes_t.c.burned_at.is_(None),
            codes_t.c.revoked_at.is_(None),
        )
        .values(burned_at=now)
    )
    link = await conn.execute(
        sa.update(links_t)
        .where(links_t.c.code_hash.in_(hashes), links_t.c.used_at.is_(None))
        .values(used_at=now)
    )
    return int(registration.rowcount or 0) + int(link.rowcount or 0)


async def usable(conn: AsyncConnection, code_hashes: Sequence[str], now: datetime) -> bool:
    """Whether any of these is a code someone could still use (a read, before `burn`)."""
    if not code_hashes:
        return False
    hashes = list(code_hashes)
    registration = sa.select(codes_t.c.id).where(
        codes_t.c.code_hash.in_(hashes),
        codes_t.c.redeemed_at.is_(None),
        codes_t.c.burned_at.is_(None),
        codes_t.c.revoked_at.is_(None),
    )
    link = sa.select(links_t.c.id).where(
        links_t.c.code_hash.in_(hashes), links_t.c.used_at.is_(None), links_t.c.expires_at > now
    )
    result = await conn.execute(sa.union_all(registration, link).limit(1))
    return result.first() is not None


async def batch_exists(conn: AsyncConnection, batch: str) -> bool:
    result = await conn.execute(sa.select(codes_t.c.id).where(codes_t.c.batch == batch).limit(1))
    return result.first() is not None


async def revoke_batch(conn: AsyncConnection, batch: str, now: datetime) -> int:
    """Withdraw every code of a batch nobody has used yet; returns how many."""
    result = await conn.execute(
        sa.update(codes_t)
        .where(
            codes_t.c.batch == batch,
            codes_t.c.redeemed_at.is_(None),
            codes_t.c.burned_at.is_(None),
            codes_t.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)


async def code_kind(conn: AsyncConnection, code_id: int) -> str:
    result = await conn.execute(sa.select(codes_t.c.kind).where(codes_t.c.id == code_id))
    return result.scalar_one()


async def count_failures(conn: AsyncConnection, key_hashes: Sequence[str], since: datetime) -> int:
    """The most wrong codes since ``since`` recorded against any one of these digests (an
    account's, and the connection's it came by)."""
    result = await conn.execute(
        sa.select(sa.func.count())
        .select_from(failures_t)
        .where(failures_t.c.key_hash.in_(list(key_hashes)), failures_t.c.at >= since)
        .group_by(failures_t.c.key_hash)
    )
    return max((int(n) for n in result.scalars()), default=0)


async def record_failure(conn: AsyncConnection, key_hashes: Sequence[str], now: datetime) -> None:
    await conn.execute(sa.insert(failures_t), [{"key_hash": h, "at": now} for h in key_hashes])


async def get_pending(conn: AsyncConnection, key_hash: str) -> sa.Row | None:
    result = await conn.execute(sa.select(pending_t).where(pending_t.c.key_hash == key_hash))
    return result.first()


async def add_pending(
    conn: AsyncConnection, key_hash: str, code_id: int, offered: str, now: datetime
) -> None:
    await conn.execute(
        sa.insert(pending_t).values(
            key_hash=key_hash, code_id=code_id, offered=offered, created_at=now
        )
    )


async def set_offer(conn: AsyncConnection, key_hash: str, offered: str) -> None:
    await conn.execute(
        sa.update(pending_t).where(pending_t.c.key_hash == key_hash).values(offered=offered)
    )


async def delete_pending(conn: AsyncConnection, key_hash: str) -> None:
    await conn.execute(sa.delete(pending_t).where(pending_t.c.key_hash == key_hash))


async def add_link_code(
    conn: AsyncConnection, code_hash: str, member_id: int, now: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        sa.insert(links_t).values(
            code_hash=code_hash, member_id=member_id, created_at=now, expires_at=expires_at
        )
    )


async def use_link_code(conn: AsyncConnection, code_hash: str, now: datetime) -> int | None:
    """Spend a link code; returns the member it belongs to, or None if not usable."""
    result = await conn.execute(
        sa.update(links_t)
        .where(
            links_t.c.code_hash == code_hash,
            links_t.c.used_at.is_(None),
            links_t.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(links_t.c.member_id)
    )
    return result.scalar_one_or_none()
