"""Members' email addresses: verification, sending, unsubscribing and delivery failures.

Addresses are stored sealed (storage/vault.py) and opened here only for the mailer and
for the masked form their owner is shown; no query here returns an address together with a
pseudonym.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Member, MemberEmail, MemberPrefs
from storage.repos.upsert import insert_ignore
from storage.vault import EMAIL, Vault

emails_t = MemberEmail.__table__
members_t = Member.__table__
prefs_t = MemberPrefs.__table__

# A member with a verified address that is not known to bounce.
DELIVERABLE = sa.and_(emails_t.c.address.is_not(None), emails_t.c.failed_at.is_(None))


async def get(conn: AsyncConnection, member_id: int) -> sa.Row | None:
    """The member's row, its addresses still sealed: `addresses` opens them."""
    result = await conn.execute(sa.select(emails_t).where(emails_t.c.member_id == member_id))
    return result.first()


def _opened(vault: Vault, sealed: str | None) -> str | None:
    return None if sealed is None else vault.open(sealed, EMAIL)


def addresses(vault: Vault, row: sa.Row) -> tuple[str | None, str | None]:
    """The verified and the pending address of a row from `get`."""
    return _opened(vault, row.address), _opened(vault, row.pending_address)


async def request(
    conn: AsyncConnection,
    vault: Vault,
    member_id: int,
    address: str,
    now: datetime,
    *,
    requests: int,
) -> None:
    """Remember an address to verify; the code is made when the mail goes out."""
    await conn.execute(insert_ignore(conn, emails_t).values(member_id=member_id))
    await conn.execute(
        sa.update(emails_t)
        .where(emails_t.c.member_id == member_id)
        .values(
            pending_address=vault.seal(address, EMAIL),
            code_hash=None,
            code_expires_at=None,
            code_attempts=0,
            requests=requests,
            requests_since=now if requests == 1 else emails_t.c.requests_since,
        )
    )


async def set_code(
    conn: AsyncConnection, vault: Vault, member_id: int, code_hash: str, expires_at: datetime
) -> str | None:
    """Store the hash of a freshly mailed code; returns the address to mail it to."""
    result = await conn.execute(
        sa.update(emails_t)
        .where(emails_t.c.member_id == member_id, emails_t.c.pending_address.is_not(None))
        .values(code_hash=code_hash, code_expires_at=expires_at, code_attempts=0)
        .returning(emails_t.c.pending_address)
    )
    return _opened(vault, result.scalar_one_or_none())


async def count_wrong_code(conn: AsyncConnection, member_id: int) -> int:
    result = await conn.execute(
        sa.update(emails_t)
        .where(emails_t.c.member_id == member_id)
        .values(code_attempts=emails_t.c.code_attempts + 1)
        .returning(emails_t.c.code_attempts)
    )
    return int(result.scalar_one())


async def verify(conn: AsyncConnection, member_id: int, now: datetime, token: str) -> None:
    """The pending address becomes the address; a new address clears old failures."""
    await conn.execute(
        sa.update(emails_t)
        .where(emails_t.c.member_id == member_id)
        .values(
            address=emails_t.c.pending_address,
            verified_at=now,
            pending_address=None,
            code_hash=None,
            code_expires_at=None,
            code_attempts=0,
            unsubscribe_token=sa.func.coalesce(emails_t.c.unsubscribe_token, token),
            failed_at=None,
            failure=None,
            failure_shown_at=None,
        )
    )


async def forget(conn: AsyncConnection, member_id: int) -> bool:
    result = await conn.execute(
        sa.delete(emails_t).where(emails_t.c.member_id == member_id).returning(emails_t.c.member_id)
    )
    return result.first() is not None


async def member_by_token(conn: AsyncConnection, token: str) -> int | None:
    result = await conn.execute(
        sa.select(emails_t.c.member_id).where(emails_t.c.unsubscribe_token == token)
    )
    found = result.scalar_one_or_none()
    return int(found) if found is not None else None


async def deliverable_members(conn: AsyncConnection) -> list[int]:
    """Everyone the weekly update goes to: verified, not bouncing, not banned."""
    result = await conn.execute(
        sa.select(emails_t.c.member_id)
        .join(members_t, members_t.c.id == emails_t.c.member_id)
        .where(DELIVERABLE, members_t.c.banned_at.is_(None))
        .order_by(emails_t.c.member_id)
    )
    return [int(m) for m in result.scalars()]


@dataclass(frozen=True)
class Recipient:
    member_id: int
    address: str | None
    pending_address: str | None
    failed_at: datetime | None
    unsubscribe_token: str | None
    timezone: str | None


async def recipients(
    conn: AsyncConnection, vault: Vault, member_ids: Iterable[int]
) -> dict[int, Recipient]:
    """For the mailer: each member's address, pending address, token and time zone."""
    ids = list(set(member_ids))
    if not ids:
        return {}
    result = await conn.execute(
        sa.select(
            emails_t.c.member_id,
            emails_t.c.address,
            emails_t.c.pending_address,
            emails_t.c.failed_at,
            emails_t.c.unsubscribe_token,
            prefs_t.c.timezone,
        )
        .outerjoin(prefs_t, prefs_t.c.member_id == emails_t.c.member_id)
        .where(emails_t.c.member_id.in_(ids))
    )
    return {
        int(row.member_id): Recipient(
            member_id=int(row.member_id),
            address=_opened(vault, row.address),
            pending_address=_opened(vault, row.pending_address),
            failed_at=row.failed_at,
            unsubscribe_token=row.unsubscribe_token,
            timezone=row.timezone,
        )
        for row in result
    }


async def record_failure(
    conn: AsyncConnection, vault: Vault, member_id: int, address: str, reason: str, now: datetime
) -> bool:
    """A permanent failure. For the verified address it stops all mail to it; for an
    address waiting to be verified it drops that address (the verified one keeps working).
    Either way the member is told the next time they act.

    Sealed values differ each time, so the stored ones are opened and compared; each update
    names the sealed value it read, so an address changed meanwhile is left alone."""
    row = await get(conn, member_id)
    if row is None:
        return False
    verified, pending = addresses(vault, row)
    failed = False
    if verified == address:
        await conn.execute(
            sa.update(emails_t)
            .where(emails_t.c.member_id == member_id, emails_t.c.address == row.address)
            .values(failed_at=now, failure=reason[:300], failure_shown_at=None)
        )
        failed = True
    if pending == address:
        await conn.execute(
            sa.update(emails_t)
            .where(
                emails_t.c.member_id == member_id,
                emails_t.c.pending_address == row.pending_address,
            )
            .values(
                pending_address=None, code_hash=None, failure=reason[:300], failure_shown_at=None
            )
        )
        failed = True
    return failed


async def failure_unshown(conn: AsyncConnection, member_id: int) -> sa.Row | None:
    result = await conn.execute(
        sa.select(emails_t.c.failed_at, emails_t.c.failure).where(
            emails_t.c.member_id == member_id,
            emails_t.c.failure.is_not(None),
            emails_t.c.failure_shown_at.is_(None),
        )
    )
    return result.first()


async def mark_failure_shown(conn: AsyncConnection, member_id: int, now: datetime) -> None:
    await conn.execute(
        sa.update(emails_t).where(emails_t.c.member_id == member_id).values(failure_shown_at=now)
    )
