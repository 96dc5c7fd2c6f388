"""Stall alerts: a campaign with no votes, signatures, document edits, messages, updates or
next steps for ``[schedule] stall_days`` gets its organizers and the moderators a private
nudge, once per stall (new activity and a new quiet spell make a new stall).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from commands.framework import calendar, notices
from commands.framework.formatting import quote
from storage.repos import activity, campaigns, ledger, members

if TYPE_CHECKING:
    from commands.framework.job_env import JobEnv


async def sweep(env: JobEnv, now: datetime) -> int:
    days = env.schedule.stall_days
    async with env.db.read() as conn:
        quiet = await activity.quiet_since(conn, now - timedelta(days=days))
    done = 0
    for row in quiet:
        done += await _nudge(env, row, now, days)
    return done


async def _nudge(env: JobEnv, row: Any, now: datetime, days: int) -> int:
    async with env.transaction(now) as ctx:
        # Keyed by the last activity: the same quiet spell is never nudged twice.
        period = f"campaign-{row.id}@{row.last_at:%Y%m%dT%H%M%SZ}"
        if not await ledger.claim(ctx.conn, "stall", period, now):
            return 0
        organizers = [o.id for o in await campaigns.organizer_names(ctx.conn, row.id)]
        staff = await members.staff_ids(ctx.conn, env.admin_hashes())
        campaign = row.id
        await ctx.notify_in_zones(
            list(dict.fromkeys([*organizers, *staff])),
            "campaign_stalled",
            lambda z: (
                f"Campaign #{campaign} has been quiet for {days} days (last activity "
                f"{calendar.show(row.last_at, z)}): {quote(row.text)}\nCampaigns lose energy when "
                f"nothing "
                f"happens. You could propose a next step (`nextstep {campaign} TEXT`), write "
                f"this week's update (`update {campaign} TEXT`), or ask in its discussion "
                f"(`say {campaign} ...`) what is holding people back."
            ),
            notice=notices.PERSONAL,
            campaign_id=campaign,
        )
        return 1
