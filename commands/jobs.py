"""Scheduled work as the commands layer sees it.

The scheduler (bot/scheduler.py) decides *when*; the functions here decide *what*, each in
transactions of its own that write their ledger row first and their outbox rows with it. A
job is ``async def job(env, scheduled_for) -> int`` (deliveries queued), where
``scheduled_for`` is the time the run was meant for, not when it actually ran: a catch-up
run after a restart still names the week or day it belongs to.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from commands import calendar, deadlines, digests, nextsteps, notices, stalls, updates
from commands.calendar import Schedule
from commands.context import Ctx, IdentityRef, Role
from commands.registry import Registry
from commands.rules import Rules
from storage.db import Database
from storage.repos import ledger, members
from storage.types import utcnow

logger = logging.getLogger(__name__)

SYSTEM = IdentityRef(key="system:scheduler", platform="system")


@dataclass
class JobEnv:
    db: Database
    registry: Registry
    rules: Rules
    schedule: Schedule
    # The spaces announcements go to, read when a job runs (transports may come and go).
    spaces: Callable[[], tuple[str, ...]]
    admin_identities: frozenset[str] = frozenset()
    email_enabled: bool = False
    clock: Callable[[], datetime] = utcnow
    # Called after a transaction that queued outbox rows, so delivery starts at once.
    on_outbox: Callable[[], None] | None = None

    def admin_hashes(self) -> list[str]:
        """The digests of the configured admin accounts, as the database knows accounts."""
        return sorted(self.db.vault.digest(key) for key in self.admin_identities)

    @asynccontextmanager
    async def transaction(self, now: datetime) -> AsyncIterator[Ctx]:
        """One write transaction with a Ctx acting for the bot itself."""
        async with self.db.write() as conn:
            ctx = Ctx(
                conn=conn,
                identity=SYSTEM,
                where="system",
                now=now,
                rules=self.rules,
                spaces=self.spaces(),
                registry=self.registry,
                vault=self.db.vault,
                role=Role.ADMIN,
                schedule=self.schedule,
                email_enabled=self.email_enabled,
            )
            yield ctx
            queued = await ctx.flush_outbox()
        if queued and self.on_outbox is not None:
            self.on_outbox()


async def tell_staff(env: JobEnv, key: str, text: str) -> bool:
    """Tell the moderators and admins something privately, once for ``key`` (a transport
    that found a space misconfigured, say): False when they have been told already."""
    now = env.clock()
    async with env.transaction(now) as ctx:
        if not await ledger.claim(ctx.conn, "staff_notice", key[:100], now):
            return False
        staff = await members.staff_ids(ctx.conn, env.admin_hashes())
        ctx.notify(staff, "staff_notice", text, notice=notices.PERSONAL)
    return True


Job = Callable[[JobEnv, datetime], Awaitable[int]]


async def sweep(env: JobEnv, scheduled_for: datetime) -> int:
    """The frequent check: deadlines, objection windows, stalled campaigns."""
    now = env.clock()
    total = 0
    for part in (deadlines.sweep, nextsteps.sweep, stalls.sweep):
        try:
            total += await part(env, now)
        except Exception:
            # One broken part must not stop the others; it is tried again next sweep.
            logger.exception("sweep step %s failed", part.__module__)
    return total


JOBS: dict[str, Job] = {
    "weekly_update": updates.weekly_update,
    "daily_digest": digests.daily_digest,
    "sweep": sweep,
}


def ledger_key(name: str, scheduled_for: datetime, schedule: Schedule) -> tuple[str, str] | None:
    """The ledger row a periodic job's run writes, for the scheduler's catch-up check."""
    if name == "weekly_update":
        return name, calendar.week_key(scheduled_for, schedule.zone)
    if name == "daily_digest":
        return name, calendar.day_key(scheduled_for, schedule.zone)
    return None
