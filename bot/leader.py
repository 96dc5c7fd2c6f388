"""One leader among bot processes sharing a PostgreSQL database: a session advisory lock.

The leader holds the lock on a connection of its own for as long as it leads. If the
process dies its connection closes and PostgreSQL releases the lock; another process, which
tries every ``poll_seconds``, takes it and starts leading. The leader checks its connection
on the same beat and steps down if it is gone. The lock name includes the schema, so
deployments (and test runs) in separate schemas of one database do not block each other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

logger = logging.getLogger(__name__)

_TRY = sa.text("SELECT pg_try_advisory_lock(hashtext(:name || '/' || current_schema()))")
_UNLOCK = sa.text("SELECT pg_advisory_unlock(hashtext(:name || '/' || current_schema()))")


class Leadership:
    def __init__(
        self,
        db: Database,
        name: str,
        *,
        poll_seconds: float,
        on_gain: Callable[[], Awaitable[None]],
        on_lose: Callable[[], Awaitable[None]],
    ) -> None:
        self.db = db
        self.name = name
        self.poll_seconds = poll_seconds
        self.on_gain = on_gain
        self.on_lose = on_lose
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def leading(self) -> bool:
        return self._conn is not None

    async def start(self) -> None:
        """Try once right away, then keep trying (or keep checking) in the background."""
        await self._step()
        self._task = asyncio.create_task(self._run(), name=f"leader:{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._conn is not None:
            await self._step_down(release=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            await self._step()

    async def _step(self) -> None:
        try:
            if self._conn is None:
                await self._try_to_lead()
            else:
                await self._conn.execute(sa.text("SELECT 1"))
                await self._conn.commit()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("%s: database unreachable (%s)", self.name, type(exc).__name__)
            if self._conn is not None:
                await self._step_down(release=False)

    async def _try_to_lead(self) -> None:
        conn = await self.db.engine.connect()
        try:
            got = bool((await conn.execute(_TRY, {"name": self.name})).scalar())
            # The lock belongs to the session, not the transaction: end the transaction so
            # the connection does not sit idle inside one.
            await conn.commit()
        except BaseException:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return
        self._conn = conn
        logger.info("%s: this process leads now", self.name)
        try:
            await self.on_gain()
        except Exception:
            logger.exception("%s: could not start leading; stepping down", self.name)
            await self._step_down(release=True, notify=False)

    async def _step_down(self, *, release: bool, notify: bool = True) -> None:
        conn, self._conn = self._conn, None
        if notify:
            try:
                await self.on_lose()
            except Exception:
                logger.exception("%s: stopping the leader's work failed", self.name)
        if conn is None:
            return
        try:
            if release:
                await conn.execute(_UNLOCK, {"name": self.name})
                await conn.commit()
            await conn.close()
        except Exception:
            # The connection is broken: closing it is what releases the lock.
            await conn.invalidate()
