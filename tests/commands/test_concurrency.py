"""Launch exactly once when the deciding votes arrive together, on both databases."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from commands.catalog import build_registry
from commands.framework.invoker import Invoker
from commands.framework.reply import IdentityRef
from commands.framework.rules import Rules
from storage.db import Database
from storage.models import Campaign, Idea, Outbox, Subscription, Vote
from storage.repos import ideas, members
from storage.types import utcnow

VOTERS = 200
LAUNCH_AT = 100


async def seed(db: Database, n: int) -> list[IdentityRef]:
    now = utcnow()
    refs = []
    async with db.write() as conn:
        author = await members.create_member(
            conn, pseudonym="calm_author", code_kind="worker", role="member", now=now
        )
        await ideas.create(conn, author, "Contested idea", now)
        for i in range(n):
            member_id = await members.create_member(
                conn, pseudonym=f"voter_{i}", code_kind="worker", role="member", now=now
            )
            key = f"test:voter{i}"
            await members.add_identity(
                conn, db.vault, key=key, platform="test", member_id=member_id, now=now
            )
            refs.append(IdentityRef(key=key, platform="test"))
    return refs


async def test_200_concurrent_votes_launch_exactly_once(db: Database) -> None:
    refs = await seed(db, VOTERS)
    # A second engine on the same database plays a second process.
    other = Database(
        db.url.replace("+aiosqlite", "").replace("+asyncpg", ""), schema=db.schema, vault=db.vault
    )
    registry = build_registry()
    rules = Rules(launch_upvotes=LAUNCH_AT)
    invokers = [
        Invoker(db=d, registry=registry, rules=rules, spaces=("space-a", "space-b"))
        for d in (db, other)
    ]
    try:
        replies = await asyncio.gather(
            *(invokers[i % 2].handle(ref, "upvote 1", where="dm") for i, ref in enumerate(refs))
        )
    finally:
        await other.dispose()
    assert all(r.ok for r in replies), [r.text for r in replies if not r.ok][:3]
    assert sum("launched it" in r.text for r in replies) == 1
    async with db.read() as conn:
        idea = (await conn.execute(sa.select(Idea.__table__))).one()
        votes = await conn.scalar(sa.select(sa.func.count()).select_from(Vote))
        campaigns = await conn.scalar(sa.select(sa.func.count()).select_from(Campaign))
        launches = (
            await conn.execute(
                sa.select(Outbox.__table__.c.space).where(
                    Outbox.__table__.c.event == "campaign_launched"
                )
            )
        ).scalars()
        subscribers = await conn.scalar(sa.select(sa.func.count()).select_from(Subscription))
    assert (idea.up, idea.down, idea.status) == (VOTERS, 0, "campaign")
    assert votes == VOTERS and campaigns == 1
    assert sorted(launches) == ["space-a", "space-b"]
    assert subscribers == VOTERS + 1
