"""Vouching: the codes members issue for people they know, and who was let in by whom.

Both ends of a vouch are kept sealed, each with a keyed digest to find its row by
(storage.models.Vouch): without the project secret the database does not say who vouched
for whom. What a voucher may read of their own codes (``issued_by``) never touches whom they
let in; the chain itself (``voucher_of``, ``vouched_by``) is opened only for a staff role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import RegistrationCode, Vouch, VouchSuspension
from storage.vault import VOUCHED, VOUCHER, Vault

vouch_t = Vouch.__table__
codes_t = RegistrationCode.__table__
suspension_t = VouchSuspension.__table__

STAFF_ROLES = frozenset({"moderator", "admin"})


class NotStaff(PermissionError):
    """The vouching chain was asked for by someone who is not a moderator or admin."""


def _require_staff(viewer_role: str) -> None:
    if viewer_role not in STAFF_ROLES:
        raise NotStaff("only moderators and admins may read who vouched for whom")


@dataclass(frozen=True)
class Issued:
    """One code a member issued, as they may see it: when, and what became of it."""

    created_at: datetime
    expires_at: datetime | None
    redeemed_at: datetime | None
    burned_at: datetime | None
    revoked_at: datetime | None


async def add(conn: AsyncConnection, vault: Vault, *, code_id: int, voucher_id: int) -> None:
    await conn.execute(
        sa.insert(vouch_t).values(
            code_id=code_id,
            voucher_finder=vault.digest_for(str(voucher_id), VOUCHER),
            voucher_sealed=vault.seal(str(voucher_id), VOUCHER),
        )
    )


def _issued_query(vault: Vault, voucher_id: int) -> sa.Select:
    return (
        sa.select(
            codes_t.c.created_at,
            codes_t.c.expires_at,
            codes_t.c.redeemed_at,
            codes_t.c.burned_at,
            codes_t.c.revoked_at,
        )
        .select_from(vouch_t.join(codes_t, codes_t.c.id == vouch_t.c.code_id))
        .where(vouch_t.c.voucher_finder == vault.digest_for(str(voucher_id), VOUCHER))
    )


async def issued_by(conn: AsyncConnection, vault: Vault, voucher_id: int) -> list[Issued]:
    """The codes a member issued, oldest first (never whom they let in)."""
    result = await conn.execute(_issued_query(vault, voucher_id).order_by(codes_t.c.id))
    return [Issued(*row) for row in result]


async def issued_since(
    conn: AsyncConnection, vault: Vault, voucher_id: int, since: datetime
) -> list[datetime]:
    """When a member issued each code since ``since``, oldest first."""
    query = _issued_query(vault, voucher_id).where(codes_t.c.created_at > since)
    result = await conn.execute(query.order_by(codes_t.c.created_at))
    return [row.created_at for row in result]


async def record_vouched(conn: AsyncConnection, vault: Vault, code_id: int, member_id: int) -> bool:
    """Remember, sealed, the member a vouch code let in; False if it was no vouch code."""
    result = await conn.execute(
        sa.update(vouch_t)
        .where(vouch_t.c.code_id == code_id, vouch_t.c.vouched_finder.is_(None))
        .values(
            vouched_finder=vault.digest_for(str(member_id), VOUCHED),
            vouched_sealed=vault.seal(str(member_id), VOUCHED),
        )
    )
    return bool(result.rowcount)


async def voucher_of(
    conn: AsyncConnection, vault: Vault, member_id: int, *, viewer_role: str
) -> int | None:
    """Who vouched for a member (None: they came with a minted code); staff only."""
    _require_staff(viewer_role)
    result = await conn.execute(
        sa.select(vouch_t.c.voucher_sealed).where(
            vouch_t.c.vouched_finder == vault.digest_for(str(member_id), VOUCHED)
        )
    )
    sealed = result.scalar_one_or_none()
    return None if sealed is None else int(vault.open(sealed, VOUCHER))


async def vouched_by(
    conn: AsyncConnection, vault: Vault, member_id: int, *, viewer_role: str
) -> list[int]:
    """The members a member's codes let in, in the order they issued them; staff only."""
    _require_staff(viewer_role)
    result = await conn.execute(
        sa.select(vouch_t.c.vouched_sealed)
        .where(
            vouch_t.c.voucher_finder == vault.digest_for(str(member_id), VOUCHER),
            vouch_t.c.vouched_sealed.is_not(None),
        )
        .order_by(vouch_t.c.code_id)
    )
    return [int(vault.open(sealed, VOUCHED)) for sealed in result.scalars()]


async def revoke_unused(conn: AsyncConnection, vault: Vault, voucher_id: int, now: datetime) -> int:
    """Withdraw the codes a member issued that nobody has used yet; returns how many."""
    finder = vault.digest_for(str(voucher_id), VOUCHER)
    theirs = sa.select(vouch_t.c.code_id).where(vouch_t.c.voucher_finder == finder)
    result = await conn.execute(
        sa.update(codes_t)
        .where(
            codes_t.c.id.in_(theirs),
            codes_t.c.redeemed_at.is_(None),
            codes_t.c.burned_at.is_(None),
            codes_t.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)


async def is_suspended(conn: AsyncConnection, member_id: int) -> bool:
    result = await conn.execute(
        sa.select(suspension_t.c.member_id).where(suspension_t.c.member_id == member_id)
    )
    return result.first() is not None


async def suspension(conn: AsyncConnection, member_id: int) -> sa.Row | None:
    """Who stopped a member vouching, and when (None: they may vouch)."""
    result = await conn.execute(
        sa.select(suspension_t).where(suspension_t.c.member_id == member_id)
    )
    return result.first()


async def suspend(conn: AsyncConnection, member_id: int, by: int, now: datetime) -> bool:
    """Stop a member vouching; False if they already were."""
    if await is_suspended(conn, member_id):
        return False
    await conn.execute(
        sa.insert(suspension_t).values(member_id=member_id, suspended_by=by, suspended_at=now)
    )
    return True


async def resume(conn: AsyncConnection, member_id: int) -> bool:
    """Let a member vouch again; False if they were not suspended."""
    result = await conn.execute(
        sa.delete(suspension_t).where(suspension_t.c.member_id == member_id)
    )
    return bool(result.rowcount)
