"""Trying again after a failure: one backoff schedule, and one loop that follows it.

Every retry in the bot waits by a ``Backoff``: a delivery that failed (bot.outbox,
bot.transports.email.mailer), a queued command the database refused (bot.later), a command
whose transaction met a conflict (commands.framework.invoker), SQLite's write lock
(storage.db) and an IRC reconnect (bot.transports.irc.connection). It lives in storage, the
lowest layer, so that all of them can import it (storage imports neither commands nor bot).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Exponential waits: ``first``, then ``factor`` times longer each time, never more
    than ``cap`` (seconds). With ``jitter`` a wait is drawn uniformly between 0 and that
    ("full jitter"), which spreads the retries of many clients after a shared outage
    instead of having them all arrive in the same second."""

    first: float
    cap: float
    factor: float = 2.0
    jitter: bool = False

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failure number ``attempt`` (counted from 0)."""
        longest = min(self.cap, self.first * self.factor ** min(max(attempt, 0), 64))
        if self.jitter:
            return (rng or random).uniform(0, longest)
        return longest


async def retry(
    attempt: Callable[[], Awaitable[T]],
    *,
    backoff: Backoff,
    retry_if: Callable[[Exception], bool],
    tries: int | None = None,
    within: float | None = None,
    before_retry: Callable[[Exception], Awaitable[None]] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """``await attempt()`` until it returns; an exception ``retry_if`` accepts is met by
    waiting ``backoff`` and trying again, until ``tries`` attempts were made or ``within``
    seconds have passed (then the last exception is raised, as is any other at once).
    ``before_retry`` runs before each wait (for example, rolling back a failed BEGIN)."""
    deadline = None if within is None else time.monotonic() + within
    failures = 0
    while True:
        try:
            return await attempt()
        except Exception as exc:
            failures += 1
            if (
                not retry_if(exc)
                or (tries is not None and failures >= tries)
                or (deadline is not None and time.monotonic() > deadline)
            ):
                raise
            if before_retry is not None:
                await before_retry(exc)
            await sleep(backoff.delay(failures - 1))
