"""What a scheduled job works with (``JobEnv``): the database, the rules and the spaces,
and one transaction at a time acting for the bot itself. The jobs that use it are in the
feature modules; commands/jobs/table.py names them for the scheduler.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from commands.framework import notices
from commands.framework.calendar import Schedule
from commands.framework.context import Ctx
from commands.framework.registry import Registry
from commands.framework.reply import IdentityRef, Role
from commands.framework.rules import Rules
from storage.db import Database
from storage.repos import ledger, members
from storage.types import utcnow

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
    # [web] public_url: links in mails to people without a chat account ("" without one).
    public_url: str = ""
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
                admin_identities=self.admin_identities,
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


async def sweep_deadlines(
    rows: Iterable[Any],
    now: datetime,
    reminder: timedelta,
    *,
    at_deadline: Callable[[Any], Awaitable[int]],
    remind: Callable[[Any], Awaitable[int]],
) -> int:
    """The deadlines' sweep (ideas, a campaign's discussion and petition): a row whose
    ``due_at`` has come is acted on, one within ``reminder`` of it is reminded of, unless it
    was set less than ``reminder`` ahead (its announcement was the reminder). Each action
    claims its ledger row itself, so a second sweep does nothing twice."""
    done = 0
    for row in rows:
        if row.due_at <= now:
            done += await at_deadline(row)
        elif row.due_at - row.set_at > reminder:
            done += await remind(row)
    return done
