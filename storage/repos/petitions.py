"""Petition statements, in versions, and their signatures.

A statement someone has signed is never rewritten: setting a new one makes a new version,
the signatures stay on the version they signed, and the campaign's count is of the current
version's signatures. Signatures from people without a chat account (storage/repos/
outsiders.py) count beside members' once their moment has come.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Campaign, PetitionVersion, Signature
from storage.repos.outsiders import counted_signatures
from storage.repos.upsert import insert_ignore

signatures_t = Signature.__table__
versions_t = PetitionVersion.__table__
campaigns_t = Campaign.__table__


async def set_statement(
    conn: AsyncConnection, campaign_id: int, version: int, text: str, now: datetime
) -> None:
    """Make ``text`` the statement: version ``version``, either the current one (nobody has
    signed it: it is rewritten) or the next (it starts with no signatures)."""
    current = (
        sa.update(versions_t)
        .where(versions_t.c.campaign_id == campaign_id, versions_t.c.version == version)
        .values(text=text, created_at=now)
        .returning(versions_t.c.version)
    )
    if (await conn.execute(current)).first() is None:
        await conn.execute(
            sa.insert(versions_t).values(
                campaign_id=campaign_id, version=version, text=text, created_at=now
            )
        )
    await conn.execute(
        sa.update(campaigns_t)
        .where(campaigns_t.c.id == campaign_id)
        .values(
            petition_text=text,
            petition_set_at=now,
            petition_version=version,
            signature_count=sa.case(
                (campaigns_t.c.petition_version == version, campaigns_t.c.signature_count),
                else_=0,
            ),
        )
    )


async def signers_before(conn: AsyncConnection, campaign_id: int, version: int) -> list[int]:
    """Members whose signature is on an earlier version than ``version``."""
    result = await conn.execute(
        sa.select(signatures_t.c.member_id).where(
            signatures_t.c.campaign_id == campaign_id, signatures_t.c.version < version
        )
    )
    return [int(m) for m in result.scalars()]


def _all_signatures(campaign_id: int) -> sa.Subquery:
    """Members' and outsiders' signatures of a campaign: version, category (as counted),
    shown category, shown name, when."""
    members = sa.select(
        signatures_t.c.version,
        signatures_t.c.category,
        signatures_t.c.category.label("shown_category"),
        signatures_t.c.display_name,
        signatures_t.c.created_at,
    ).where(signatures_t.c.campaign_id == campaign_id)
    outside = counted_signatures().subquery()
    others = sa.select(
        outside.c.version,
        outside.c.category,
        outside.c.shown_category,
        outside.c.display_name,
        outside.c.created_at,
    ).where(outside.c.campaign_id == campaign_id)
    return sa.union_all(members, others).subquery()


async def counts_by_version(conn: AsyncConnection, campaign_id: int) -> dict[int, int]:
    every = _all_signatures(campaign_id)
    result = await conn.execute(
        sa.select(every.c.version, sa.func.count()).group_by(every.c.version)
    )
    return {int(version): int(n) for version, n in result}


async def sign(
    conn: AsyncConnection,
    *,
    campaign_id: int,
    member_id: int,
    version: int,
    category: str,
    display_name: str | None,
    now: datetime,
) -> str:
    """Sign version ``version``: 'new' (first signature), 'moved' (it was on an earlier
    version and now stands under this one) or 'updated' (category and name changed)."""
    inserted = await conn.execute(
        insert_ignore(conn, signatures_t)
        .values(
            campaign_id=campaign_id,
            member_id=member_id,
            version=version,
            category=category,
            display_name=display_name,
            created_at=now,
        )
        .returning(signatures_t.c.member_id)
    )
    if inserted.first() is not None:
        return "new"
    mine = sa.and_(signatures_t.c.campaign_id == campaign_id, signatures_t.c.member_id == member_id)
    moved = await conn.execute(
        sa.update(signatures_t)
        .where(mine, signatures_t.c.version != version)
        .values(version=version, category=category, display_name=display_name, created_at=now)
        .returning(signatures_t.c.member_id)
    )
    if moved.first() is not None:
        return "moved"
    await conn.execute(
        sa.update(signatures_t).where(mine).values(category=category, display_name=display_name)
    )
    return "updated"


async def unsign(conn: AsyncConnection, campaign_id: int, member_id: int) -> int | None:
    """Remove a signature; returns the version it was on, or None when there was none."""
    result = await conn.execute(
        sa.delete(signatures_t)
        .where(signatures_t.c.campaign_id == campaign_id, signatures_t.c.member_id == member_id)
        .returning(signatures_t.c.version)
    )
    return result.scalar_one_or_none()


async def counts_by_category(
    conn: AsyncConnection, campaign_id: int, version: int
) -> dict[str, int]:
    every = _all_signatures(campaign_id)
    result = await conn.execute(
        sa.select(every.c.category, sa.func.count())
        .where(every.c.version == version)
        .group_by(every.c.category)
    )
    return {category: int(n) for category, n in result}


async def shown_names(
    conn: AsyncConnection, campaign_id: int, version: int, limit: int
) -> list[sa.Row]:
    """Names signers of ``version`` chose to show (outsiders' with their affiliation), in
    signing order; never tied to a pseudonym or an address."""
    every = _all_signatures(campaign_id)
    result = await conn.execute(
        sa.select(every.c.display_name, every.c.shown_category.label("category"))
        .where(every.c.version == version, every.c.display_name.is_not(None))
        .order_by(every.c.created_at, every.c.display_name)
        .limit(limit)
    )
    return list(result)


async def versions(conn: AsyncConnection, campaign_id: int) -> list[sa.Row]:
    """Every statement of a campaign's petition, oldest first: version, text, created_at."""
    result = await conn.execute(
        sa.select(versions_t.c.version, versions_t.c.text, versions_t.c.created_at)
        .where(versions_t.c.campaign_id == campaign_id)
        .order_by(versions_t.c.version)
    )
    return list(result)
