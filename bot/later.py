"""Carrying out, at their moment, the commands members asked for earlier
(commands.framework.deferral).

Each queued command is an outbox row of kind ``command`` whose ``available_at`` is the
random moment drawn for it (signatures from the public pages, commands/outsiders.py, wait
the same way and are counted here too). This loop sleeps until the first one is due (to the
millisecond: the member was told "within 90 s"), takes a short lease on what is due,
oldest first, and has the invoker run each in its own transaction, which also deletes the
row: a crash before the commit leaves the row to be taken again when the lease runs out,
a second process skips what this one holds. A failure that is not the command's own
refusal (a database that is away) is retried with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.outbox import until_idle, wait_or_poll
from commands import outsiders
from commands.framework.deferral import KIND
from commands.framework.invoker import Invoker
from storage.db import Database, lost_connection
from storage.repos import outbox
from storage.retry import Backoff
from storage.types import utcnow

logger = logging.getLogger(__name__)

# A command runs in milliseconds: a process that died holding one gives it back soon.
LEASE = timedelta(seconds=30)
MAX_ATTEMPTS = 10
RETRY = Backoff(first=1.0, cap=60.0)


class LaterRunner:
    def __init__(
        self,
        db: Database,
        invoker: Invoker,
        *,
        clock: Callable[[], datetime] = utcnow,
        poll_seconds: float = 1.0,
        batch: int = 50,
    ) -> None:
        self.db = db
        self.invoker = invoker
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.done = 0
        # Who this process is (bot/serving.py): its claims carry it.
        self.owner: str | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="later-commands")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def drain(self, max_rounds: int = 1000) -> int:
        """Carry out everything due now (for the console and tests)."""
        return await until_idle(self.run_once, max_rounds)

    async def run_once(self) -> int:
        now = self.clock()
        async with self.db.write() as conn:
            rows = await outbox.claim(
                conn, outbox.of_kind(KIND), now=now, lease=LEASE, limit=self.batch, by=self.owner
            )
        for row in rows:
            try:
                if row.event == outsiders.COUNT_EVENT:
                    done = await self._count_outside(row)
                else:
                    done = await self.invoker.carry_out(row)
                if done:
                    self.done += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._retry(row, exc)
        return len(rows)

    async def _count_outside(self, row: Any) -> bool:
        """A signature from the public pages, at its moment (commands/outsiders.py)."""
        async with self.db.write() as conn:
            if not await outbox.take(conn, row):
                return False  # another process got there first
            counted = await outsiders.count(conn, dict(row.payload), self.clock())
        logger.info("outside signature %s", "counted" if counted else "dropped")
        if self.invoker.on_outbox is not None:
            self.invoker.on_outbox()
        return True

    async def _retry(self, row: object, exc: Exception) -> None:
        attempts = row.attempts + 1  # type: ignore[attr-defined]
        row_id = row.id  # type: ignore[attr-defined]
        error = f"{type(exc).__name__}: {exc}"
        now = self.clock()
        async with self.db.write() as conn:
            if attempts >= MAX_ATTEMPTS:
                logger.error("a queued command gave up after %d attempts", attempts)
                await outbox.mark_failed(conn, row_id, now=now, error=error)
                return
            logger.warning("a queued command failed (%s); trying again", type(exc).__name__)
            delay = timedelta(seconds=RETRY.delay(attempts))
            await outbox.mark_retry(conn, row_id, available_at=now + delay, error=error)

    async def _loop(self) -> None:
        wanted = outbox.of_kind(KIND)
        while True:
            try:
                while await self.run_once():
                    pass
                async with self.db.read() as conn:
                    due_at = await outbox.next_due(conn, wanted, now=self.clock())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if lost_connection(exc):  # a server restart: no traceback for that
                    logger.warning("queued commands: the database connection broke; retrying")
                else:
                    logger.exception("carrying out queued commands failed; retrying shortly")
                due_at = None
            wait = self.poll_seconds
            if due_at is not None:
                wait = min(wait, max(0.0, (due_at - self.clock()).total_seconds()))
            await wait_or_poll(self._wake, wait)
