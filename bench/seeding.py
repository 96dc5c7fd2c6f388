"""Bulk seeding shared by the benchmarks: members with their identities, ideas, and votes
(with the voters' subscriptions), written with plain inserts in one transaction."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import secret
from storage.models import Idea, Identity, Member, Subscription, Vote
from storage.vault import IDENTITY, Vault

MEMBERS, IDEAS, VOTES_EACH = 10_000, 1_000, 10  # 100,000 votes


def bench_vault() -> Vault:
    """The project secret from the environment, or a throwaway one put there (a bot process
    the benchmark starts inherits it): the benchmark's database is thrown away too."""
    if not secret.given(os.environ):
        os.environ[secret.KEY_ENV] = secret.new_secret()
    return Vault.from_environ()


def seeded_ideas(m: int) -> range:
    """Idea indexes (0-based) member m votes on: VOTES_EACH in a row from 7m."""
    return range(7 * m, 7 * m + VOTES_EACH)


async def seed_movement(
    conn: AsyncConnection,
    vault: Vault,
    *,
    now: datetime,
    identity_key: Callable[[int], str],
    platform: str,
    idea_text: Callable[[int], str],
) -> tuple[list[int], list[int]]:
    """Seed MEMBERS members, IDEAS open ideas and their votes; returns (up, down) per idea."""
    rnd = random.Random(7)
    up, down = [0] * IDEAS, [0] * IDEAS
    votes = []
    for m in range(MEMBERS):
        for i in seeded_ideas(m):
            idea = i % IDEAS
            value = 1 if rnd.random() < 0.6 else -1
            votes.append(
                {"idea_id": idea + 1, "member_id": m + 1, "value": value, "created_at": now}
            )
            if value > 0:
                up[idea] += 1
            else:
                down[idea] += 1
    await conn.execute(
        sa.insert(Member.__table__),
        [
            {"pseudonym": f"bench_{m}", "code_kind": "worker", "role": "member", "created_at": now}
            for m in range(MEMBERS)
        ],
    )
    await conn.execute(
        sa.insert(Identity.__table__),
        [
            {
                "key_hash": vault.digest(identity_key(m)),
                "handle": vault.seal(identity_key(m), IDENTITY),
                "platform": platform,
                "member_id": m + 1,
                "created_at": now,
                "last_seen_at": now,
            }
            for m in range(MEMBERS)
        ],
    )
    await conn.execute(
        sa.insert(Idea.__table__),
        [
            {
                "author_id": (i % MEMBERS) + 1,
                "text": idea_text(i),
                "created_at": now,
                "up": up[i],
                "down": down[i],
                "status": "open",
                "hidden": False,
            }
            for i in range(IDEAS)
        ],
    )
    for start in range(0, len(votes), 20_000):
        chunk = votes[start : start + 20_000]
        await conn.execute(sa.insert(Vote.__table__), chunk)
        await conn.execute(
            sa.insert(Subscription.__table__),
            [
                {"member_id": v["member_id"], "idea_id": v["idea_id"], "created_at": now}
                for v in chunk
            ],
        )
    return up, down
