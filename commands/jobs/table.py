"""The scheduled jobs: what the scheduler runs, by name.

The scheduler (bot/scheduler.py) decides *when*; the functions here decide *what*, each in
transactions of its own that write their ledger row first and their outbox rows with it. A
job is ``async def job(env, scheduled_for) -> int`` (deliveries queued), where
``scheduled_for`` is the time the run was meant for, not when it actually ran: a catch-up
run after a restart still names the week or day it belongs to.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from commands import actions, campaign_deadlines, deadlines, nextsteps, updates
from commands.framework import calendar
from commands.framework.calendar import Schedule
from commands.framework.job_env import JobEnv
from commands.jobs import digests, stalls

logger = logging.getLogger(__name__)

Job = Callable[[JobEnv, datetime], Awaitable[int]]


async def sweep(env: JobEnv, scheduled_for: datetime) -> int:
    """The frequent check: deadlines (of ideas, of campaigns' discussions and petitions, of
    actions), objection windows, stalled campaigns."""
    now = env.clock()
    total = 0
    for part in (
        deadlines.sweep,
        campaign_deadlines.sweep,
        actions.sweep,
        nextsteps.sweep,
        stalls.sweep,
    ):
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
