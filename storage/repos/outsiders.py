"""People without a chat account who sign or follow a campaign by email, and the rate
limits of the public forms.

Addresses are stored sealed and found by keyed digest (storage/vault.py); a confirmation
link only as its hash. Nothing here returns an address beside a name.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Outsider, WebAttempt
from storage.repos.upsert import insert_ignore
from storage.vault import EMAIL, Vault

outsiders_t = Outsider.__table__
attempts_t = WebAttempt.__table__
# Form uses are kept this long, the longest window a limit looks at.
ATTEMPTS_KEPT = timedelta(days=1)


def address_key(address: str) -> str:
    """What makes two addresses the same mailbox here: case, and a ``+tag`` after the
    name (most providers deliver ``kim+1@x.org`` to ``kim@x.org``), do not count; else
    the form could mail a stranger once for every variant."""
    local, _, domain = address.lower().rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}"


async def add(
    conn: AsyncConnection,
    vault: Vault,
    *,
    campaign_id: int,
    action: str,
    address: str,
    now: datetime,
    name: str | None = None,
    affiliation: str | None = None,
    category: str | None = None,
    academic: bool = False,
) -> int | None:
    """A new request; None when this address has one for this campaign and action already
    (pending, confirmed or counted): it is never mailed again for it."""
    result = await conn.execute(
        insert_ignore(conn, outsiders_t)
        .values(
            campaign_id=campaign_id,
            action=action,
            address_hash=vault.digest(address_key(address)),
            address=vault.seal(address, EMAIL),
            name=name,
            affiliation=affiliation,
            category=category,
            academic=academic,
            created_at=now,
        )
        .returning(outsiders_t.c.id)
    )
    found = result.scalar_one_or_none()
    return int(found) if found is not None else None


async def get(conn: AsyncConnection, outsider_id: int) -> sa.Row | None:
    result = await conn.execute(sa.select(outsiders_t).where(outsiders_t.c.id == outsider_id))
    return result.first()


def address(vault: Vault, row: sa.Row) -> str:
    """The address of a row, for the mailer's envelope only."""
    return vault.open(row.address, EMAIL)


async def set_token(
    conn: AsyncConnection, outsider_id: int, token_hash: str, expires_at: datetime
) -> sa.Row | None:
    """Store the hash of a freshly mailed link, while the request waits for it."""
    result = await conn.execute(
        sa.update(outsiders_t)
        .where(outsiders_t.c.id == outsider_id, outsiders_t.c.confirmed_at.is_(None))
        .values(token_hash=token_hash, token_expires_at=expires_at)
        .returning(*outsiders_t.c)
    )
    return result.first()


async def by_token(conn: AsyncConnection, token_hash: str, now: datetime) -> sa.Row | None:
    """The unconfirmed request a link is for, while the link works."""
    result = await conn.execute(
        sa.select(outsiders_t).where(
            outsiders_t.c.token_hash == token_hash,
            outsiders_t.c.token_expires_at > now,
            outsiders_t.c.confirmed_at.is_(None),
        )
    )
    return result.first()


async def confirm(conn: AsyncConnection, outsider_id: int, now: datetime) -> bool:
    """Confirmed once: the link stops working."""
    result = await conn.execute(
        sa.update(outsiders_t)
        .where(outsiders_t.c.id == outsider_id, outsiders_t.c.confirmed_at.is_(None))
        .values(confirmed_at=now, token_hash=None, token_expires_at=None)
        .returning(outsiders_t.c.id)
    )
    return result.first() is not None


async def count(conn: AsyncConnection, outsider_id: int, version: int, now: datetime) -> bool:
    """A confirmed signature starts counting, on ``version``; False when it had already,
    or was withdrawn meanwhile."""
    result = await conn.execute(
        sa.update(outsiders_t)
        .where(
            outsiders_t.c.id == outsider_id,
            outsiders_t.c.confirmed_at.is_not(None),
            outsiders_t.c.counted_at.is_(None),
        )
        .values(counted_at=now, version=version)
        .returning(outsiders_t.c.id)
    )
    return result.first() is not None


async def remove(conn: AsyncConnection, outsider_id: int) -> sa.Row | None:
    """Forget a request (its address with it); the row as it was, or None."""
    result = await conn.execute(
        sa.delete(outsiders_t).where(outsiders_t.c.id == outsider_id).returning(*outsiders_t.c)
    )
    return result.first()


async def followers(conn: AsyncConnection, campaign_id: int) -> list[int]:
    """Confirmed followers of a campaign by email."""
    result = await conn.execute(
        sa.select(outsiders_t.c.id)
        .where(
            outsiders_t.c.campaign_id == campaign_id,
            outsiders_t.c.action == "follow",
            outsiders_t.c.confirmed_at.is_not(None),
        )
        .order_by(outsiders_t.c.id)
    )
    return [int(i) for i in result.scalars()]


def counted_signatures() -> sa.Select:
    """Signatures from outside that count, shaped like the petition repository's:
    version, category (``researcher, verified academic address`` for one whose address is
    at an academic domain), the shown name with its affiliation, and when."""
    category = sa.case(
        (outsiders_t.c.academic, sa.literal("researcher, verified academic address")),
        else_=outsiders_t.c.category,
    )
    shown = sa.case(
        (
            outsiders_t.c.affiliation.is_not(None),
            outsiders_t.c.name + sa.literal(", ") + outsiders_t.c.affiliation,
        ),
        else_=outsiders_t.c.name,
    )
    return sa.select(
        outsiders_t.c.campaign_id.label("campaign_id"),
        outsiders_t.c.version.label("version"),
        outsiders_t.c.category.label("category"),
        category.label("shown_category"),
        shown.label("display_name"),
        outsiders_t.c.counted_at.label("created_at"),
    ).where(outsiders_t.c.action == "sign", outsiders_t.c.counted_at.is_not(None))


async def attempts(conn: AsyncConnection, key_hash: str, since: datetime, now: datetime) -> int:
    """Record one use of a form by ``key_hash``; how many it made since ``since``, this
    one included. Uses older than a day go as new ones come."""
    await conn.execute(sa.delete(attempts_t).where(attempts_t.c.at < now - ATTEMPTS_KEPT))
    await conn.execute(sa.insert(attempts_t).values(key_hash=key_hash, at=now))
    result = await conn.execute(
        sa.select(sa.func.count()).where(
            attempts_t.c.key_hash == key_hash, attempts_t.c.at >= since
        )
    )
    return int(result.scalar_one())
