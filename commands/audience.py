"""What a transport needs to know about campaigns for its own touches (rejoining campaign
channels)."""

from __future__ import annotations

from storage.db import Database
from storage.repos import campaigns


async def active_campaigns(db: Database) -> list[int]:
    """Numbers of the campaigns still active (transports rejoin their channels)."""
    async with db.read() as conn:
        rows = await campaigns.list_all(conn, limit=10_000, include_closed=False)
    return [int(r.id) for r in rows]
