"""The fingerprint of the project secret a database was made with (storage/vault.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import KeyFingerprint
from storage.repos.upsert import insert_ignore

fingerprints_t = KeyFingerprint.__table__
# One row: a database has one key.
_ONLY = 1


async def remember(conn: AsyncConnection, fingerprint: str, now: datetime) -> str:
    """Keep ``fingerprint`` unless one is kept already; returns the one kept (two processes
    starting together on a new database agree on the first)."""
    await conn.execute(
        insert_ignore(conn, fingerprints_t).values(
            id=_ONLY, fingerprint=fingerprint, created_at=now
        )
    )
    result = await conn.execute(
        sa.select(fingerprints_t.c.fingerprint).where(fingerprints_t.c.id == _ONLY)
    )
    return str(result.scalar_one())
