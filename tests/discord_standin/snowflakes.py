"""Snowflake ids and timestamps shaped like Discord's.

Real snowflakes encode a millisecond timestamp, so discord.py derives ``created_at`` from them;
generating them the same way keeps those properties meaningful in tests.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000


class SnowflakeFactory:
    """Strictly increasing snowflakes, so "newer" always means "larger" as on Discord."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        # Several ids in the same millisecond would collide: bump past the last one instead.
        self._last = max(candidate, self._last + 1)
        return self._last


def iso_now() -> str:
    """An ISO 8601 timestamp with an explicit UTC offset, as Discord sends them."""
    return datetime.now(UTC).isoformat()
