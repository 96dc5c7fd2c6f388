"""Members and the platform identities attached to them.

An identity is found by the keyed digest of its key (``key_hash``, computed once per command
by the caller); its key is stored only sealed, and opened here for whoever must reach the
account (storage/vault.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Identity, Member, MemberEmail, PendingRegistration
from storage.vault import IDENTITY, Vault

members_t = Member.__table__
identities_t = Identity.__table__
pending_t = PendingRegistration.__table__
emails_t = MemberEmail.__table__


# Built once: this runs before every command. ``email_trouble`` is true when a mail to the
# member bounced and they have not been told yet (joined here to save a round trip).
BY_IDENTITY = (
    sa.select(
        members_t,
        identities_t.c.last_seen_at.label("identity_seen_at"),
        identities_t.c.dms_refused_at,
        sa.and_(emails_t.c.failure.is_not(None), emails_t.c.failure_shown_at.is_(None)).label(
            "email_trouble"
        ),
    )
    .join(identities_t, identities_t.c.member_id == members_t.c.id)
    .outerjoin(emails_t, emails_t.c.member_id == members_t.c.id)
    .where(identities_t.c.key_hash == sa.bindparam("key_hash"))
)


async def member_by_identity(conn: AsyncConnection, key_hash: str) -> sa.Row | None:
    """The member behind an identity (by the digest of its key), with the identity's
    last_seen_at and email_trouble."""
    result = await conn.execute(BY_IDENTITY, {"key_hash": key_hash})
    return result.first()


async def member_by_id(conn: AsyncConnection, member_id: int) -> sa.Row | None:
    result = await conn.execute(sa.select(members_t).where(members_t.c.id == member_id))
    return result.first()


async def member_by_pseudonym(conn: AsyncConnection, pseudonym: str) -> sa.Row | None:
    result = await conn.execute(
        sa.select(members_t).where(members_t.c.pseudonym == pseudonym.lower())
    )
    return result.first()


async def pseudonym_within(conn: AsyncConnection, squashed: str) -> bool:
    """Whether some member's pseudonym, without its underscore, occurs in ``squashed`` (a
    text reduced to lower-case letters and digits)."""
    bare = sa.func.replace(members_t.c.pseudonym, "_", "")
    result = await conn.execute(
        sa.select(members_t.c.id)
        .where(sa.literal(squashed, sa.String).like(sa.literal("%").concat(bare).concat("%")))
        .limit(1)
    )
    return result.first() is not None


async def taken_pseudonyms(conn: AsyncConnection, candidates: Sequence[str]) -> set[str]:
    """Which of these names a member holds or someone is being offered right now."""
    if not candidates:
        return set()
    held = await conn.execute(
        sa.select(members_t.c.pseudonym).where(members_t.c.pseudonym.in_(candidates))
    )
    offered = await conn.execute(
        sa.select(pending_t.c.offered).where(pending_t.c.offered.in_(candidates))
    )
    return set(held.scalars()) | set(offered.scalars())


async def create_member(
    conn: AsyncConnection, *, pseudonym: str, code_kind: str, role: str, now: datetime
) -> int:
    result = await conn.execute(
        sa.insert(members_t)
        .values(pseudonym=pseudonym, code_kind=code_kind, role=role, created_at=now)
        .returning(members_t.c.id)
    )
    return int(result.scalar_one())


@dataclass(frozen=True)
class Linked:
    """One of a member's identities, its key opened."""

    id: int
    key: str
    key_hash: str
    platform: str
    created_at: datetime
    last_seen_at: datetime | None
    dms_refused_at: datetime | None = None


async def add_identity(
    conn: AsyncConnection,
    vault: Vault,
    *,
    key: str,
    platform: str,
    member_id: int,
    now: datetime,
) -> int:
    """Attach an identity; returns its row id."""
    result = await conn.execute(
        sa.insert(identities_t)
        .values(
            key_hash=vault.digest(key),
            handle=vault.seal(key, IDENTITY),
            platform=platform,
            member_id=member_id,
            created_at=now,
            last_seen_at=now,
        )
        .returning(identities_t.c.id)
    )
    return int(result.scalar_one())


async def touch_identity(conn: AsyncConnection, key_hash: str, now: datetime) -> None:
    await conn.execute(
        sa.update(identities_t).where(identities_t.c.key_hash == key_hash).values(last_seen_at=now)
    )


async def identities_of(conn: AsyncConnection, vault: Vault, member_id: int) -> list[Linked]:
    """A member's identities, most recently seen first."""
    result = await conn.execute(
        sa.select(identities_t)
        .where(identities_t.c.member_id == member_id)
        .order_by(identities_t.c.last_seen_at.desc().nulls_last(), identities_t.c.id)
    )
    return [
        Linked(
            id=int(row.id),
            key=vault.open(row.handle, IDENTITY),
            key_hash=row.key_hash,
            platform=row.platform,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            dms_refused_at=row.dms_refused_at,
        )
        for row in result
    ]


async def refuse_dms(conn: AsyncConnection, identity_id: int, now: datetime) -> None:
    """The platform refused a private message to this account for good (closed DMs)."""
    await conn.execute(
        sa.update(identities_t).where(identities_t.c.id == identity_id).values(dms_refused_at=now)
    )


async def clear_refused_dms(conn: AsyncConnection, key_hash: str) -> None:
    """Its holder acted through it, and has been told: private messages may be tried again."""
    await conn.execute(
        sa.update(identities_t)
        .where(identities_t.c.key_hash == key_hash)
        .values(dms_refused_at=None)
    )


async def identity_keys_of(
    conn: AsyncConnection, vault: Vault, member_ids: Sequence[int]
) -> dict[int, list[str]]:
    result = await conn.execute(
        sa.select(identities_t.c.member_id, identities_t.c.handle).where(
            identities_t.c.member_id.in_(member_ids)
        )
    )
    out: dict[int, list[str]] = {}
    for member_id, handle in result:
        out.setdefault(member_id, []).append(vault.open(handle, IDENTITY))
    return out


async def remove_identity(conn: AsyncConnection, member_id: int, identity_id: int) -> bool:
    """Detach one of this member's identities; False when it is not (or no longer) theirs."""
    result = await conn.execute(
        sa.delete(identities_t)
        .where(identities_t.c.id == identity_id, identities_t.c.member_id == member_id)
        .returning(identities_t.c.id)
    )
    return result.first() is not None


async def set_role(conn: AsyncConnection, member_id: int, role: str) -> None:
    await conn.execute(sa.update(members_t).where(members_t.c.id == member_id).values(role=role))


async def set_revealed_name(conn: AsyncConnection, member_id: int, name: str | None) -> None:
    await conn.execute(
        sa.update(members_t).where(members_t.c.id == member_id).values(revealed_name=name)
    )


async def set_banned(conn: AsyncConnection, member_id: int, at: datetime | None) -> None:
    await conn.execute(sa.update(members_t).where(members_t.c.id == member_id).values(banned_at=at))


async def staff_ids(conn: AsyncConnection, admin_key_hashes: Sequence[str]) -> list[int]:
    """Moderators and admins: by role, and the members behind the configured admin accounts
    (by the digests of their keys)."""
    by_role = sa.select(members_t.c.id).where(
        members_t.c.role.in_(("moderator", "admin")), members_t.c.banned_at.is_(None)
    )
    by_key = sa.select(identities_t.c.member_id).where(
        identities_t.c.key_hash.in_(list(admin_key_hashes))
    )
    result = await conn.execute(sa.union(by_role, by_key))
    return sorted({int(m) for m in result.scalars()})
