"""Who a transport may reach about an idea, for transport-side touches such as inviting
followers into a new campaign channel."""

from __future__ import annotations

from storage.db import Database
from storage.repos import campaigns, members, subscriptions


async def follower_identities(db: Database, idea_id: int, key_prefix: str) -> list[str]:
    """Identity keys starting with ``key_prefix`` of the members who follow the idea."""
    async with db.read() as conn:
        member_ids = await subscriptions.subscribers(conn, idea_id)
        keys = await members.identity_keys_of(conn, db.vault, member_ids) if member_ids else {}
    return [key for ids in keys.values() for key in ids if key.startswith(key_prefix)]


async def active_campaigns(db: Database) -> list[int]:
    """Numbers of the campaigns still active (transports rejoin their channels)."""
    async with db.read() as conn:
        rows = await campaigns.list_all(conn, limit=10_000, include_closed=False)
    return [int(r.id) for r in rows]
