"""Coalescing in-place edits: a rush of votes becomes at most one edit per message per
interval, showing the latest state.

``mark(key)`` says "what ``key`` shows is out of date". The first mark flushes after
``settle``, a few milliseconds: the member's own reply, which is what they wait for, goes out
first, and votes that arrive together share one edit. Marks that arrive while a flush runs
or during the interval after it are folded into one more flush when the interval is over.
The flush reads the current state itself, so the last state always wins and nothing in
between needs to be kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable

logger = logging.getLogger(__name__)

# Seconds between the first mark and its flush.
SETTLE = 0.01


class EditCoalescer:
    def __init__(
        self,
        flush: Callable[[Hashable], Awaitable[None]],
        interval: float,
        settle: float = SETTLE,
    ) -> None:
        self._flush = flush
        self.interval = interval
        self.settle = settle
        self._dirty: set[Hashable] = set()
        self._tasks: dict[Hashable, asyncio.Task[None]] = {}
        self._flushing: set[Hashable] = set()
        self._closed = False

    def mark(self, key: Hashable) -> None:
        if self._closed:
            return
        self._dirty.add(key)
        if key not in self._tasks:
            self._tasks[key] = asyncio.get_running_loop().create_task(
                self._run(key), name=f"discord-edit-{key}"
            )

    @property
    def pending(self) -> int:
        return len(self._dirty)

    @property
    def idle(self) -> bool:
        """Nothing out of date, nothing being flushed, no interval running."""
        return not (self._dirty or self._tasks)

    async def _run(self, key: Hashable) -> None:
        try:
            await asyncio.sleep(self.settle)
            while key in self._dirty:
                self._dirty.discard(key)
                self._flushing.add(key)
                try:
                    await self._flush(key)
                except asyncio.CancelledError:
                    self._dirty.add(key)  # interrupted: still out of date
                    raise
                except Exception:
                    logger.exception("in-place edit of %s failed", key)
                finally:
                    self._flushing.discard(key)
                # Hold the slot: further marks wait for the interval, then flush once.
                await asyncio.sleep(self.interval)
        finally:
            self._tasks.pop(key, None)

    async def close(self, within: float = 5.0) -> None:
        """Stop waiting out intervals, let edits under way finish, and bring what is still
        out of date up to date once; all within ``within`` seconds."""
        self._closed = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        busy = [task for key, task in self._tasks.items() if key in self._flushing]
        if busy:
            # Not cancelled mid-flush: that could cut a database read or an HTTP call short.
            await asyncio.wait(busy, timeout=within)
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        dirty = list(self._dirty)
        self._dirty.clear()
        if not dirty:
            return
        try:
            async with asyncio.timeout_at(deadline):
                for key in dirty:
                    try:
                        await self._flush(key)
                    except Exception:
                        logger.exception("final in-place edit of %s failed", key)
        except TimeoutError:
            logger.warning("%d in-place edit(s) left undone at shutdown", len(dirty))
