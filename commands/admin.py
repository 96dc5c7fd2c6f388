"""What organizers do outside chat: minting registration codes, revoking a batch."""

from __future__ import annotations

from datetime import datetime

from commands import codes
from storage.db import Database
from storage.repos import codes as code_repo

KINDS = codes.KINDS


async def mint(
    db: Database,
    count: int,
    *,
    kind: str,
    batch: str,
    now: datetime,
    expires_at: datetime | None,
) -> list[str]:
    """Create ``count`` single-use codes; returns them in clear text (stored only hashed)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if not 1 <= count <= 100_000:
        raise ValueError("count must be between 1 and 100000")
    clear = [codes.generate() for _ in range(count)]
    async with db.write() as conn:
        await code_repo.add_codes(
            conn,
            [codes.digest(codes.normalize(c) or "") for c in clear],
            batch=batch,
            kind=kind,
            created_at=now,
            expires_at=expires_at,
        )
    return clear


async def revoke_batch(db: Database, batch: str, *, now: datetime) -> int | None:
    """Withdraw a batch's unused codes; returns how many, or None if there is no such batch."""
    async with db.write() as conn:
        if not await code_repo.batch_exists(conn, batch):
            return None
        return await code_repo.revoke_batch(conn, batch, now)
