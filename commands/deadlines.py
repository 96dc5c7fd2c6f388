"""Deadlines on ideas (the paper: "we set deadlines for discussions, so participants knew
when to gear towards building consensus"). Followers get a reminder ahead of time; at the
deadline an idea that has not launched closes and its followers are told. The same command
sets deadlines on a campaign's discussion and petition (commands.campaign_deadlines).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from commands import campaign_deadlines
from commands.framework import calendar, lookup
from commands.framework.context import Ctx
from commands.framework.formatting import needed_text, quote
from commands.framework.job_env import sweep_deadlines
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply, Role
from commands.subscriptions import followers_but_me
from storage.repos import campaigns, deadlines, ideas, ledger, outbox, subscriptions

if TYPE_CHECKING:
    from commands.framework.job_env import JobEnv

logger = logging.getLogger(__name__)

spec = CommandSet()


def _key(idea_id: int, due_at: datetime) -> str:
    # A moved deadline is a new deadline: it gets its own reminder.
    return f"idea-{idea_id}@{due_at:%Y%m%dT%H%M%SZ}"


@spec.command(
    "mod deadline",
    "Give an idea a deadline: unless it launches by then, it closes. On a campaign, give its "
    "discussion or its petition one: then it takes no more messages, or signatures. "
    "`mod deadline N [discussion|petition] WHEN`, `... off`, or without WHEN to see it.",
    params=(
        Param("idea", "int", "The idea or campaign number"),
        Param(
            "part",
            "choice",
            "A campaign's discussion or petition",
            required=False,
            choices=campaign_deadlines.PARTS,
        ),
        Param("when", "text", "A date, a date and time, `in 7d`, or off", required=False),
    ),
    examples=(
        "mod deadline 12",
        "mod deadline 12 2026-12-01",
        "mod deadline 12 2026-12-01 18:00",
        "mod deadline 12 in 7d",
        "mod deadline 12 off",
        "mod deadline 3 discussion 2026-12-20",
        "mod deadline 3 petition in 14d",
        "mod deadline 3 petition off",
    ),
    min_role=Role.MODERATOR,
    details="A date alone means the end of that day, in your time zone. Followers are "
    "reminded ahead of the deadline. An idea that has not launched by then closes; a "
    "campaign's discussion then takes no more `say`, its petition no more `sign` or "
    "`unsign`, and its final count is announced. `mod deadline N` on a campaign shows both.",
)
async def deadline(ctx: Ctx, idea: int, part: str | None, when: str | None) -> Reply:
    if part is not None or (when is None and await campaigns.get(ctx.conn, idea) is not None):
        return await campaign_deadlines.deadline(ctx, idea, part, when)
    row = await lookup.idea(ctx, idea)
    zone = await ctx.zone()
    current = await deadlines.get(ctx.conn, idea)
    if when is None:
        if current is None:
            return Reply(f"Idea #{idea} has no deadline. Set one: `mod deadline {idea} in 7d`.")
        return Reply(f"Idea #{idea} must launch by {calendar.show(current, zone)} or it closes.")
    if when.strip().lower() in ("off", "none"):
        if not await deadlines.clear(ctx.conn, idea):
            return Reply(f"Idea #{idea} had no deadline.")
        ctx.notify(
            await followers_but_me(ctx, idea),
            "deadline_cleared",
            f"Idea #{idea} no longer has a deadline: {quote(row.text)}",
            idea_id=idea,
        )
        return Reply(f"The deadline of idea #{idea} is lifted.")
    if row.status != "open":
        if row.status == "campaign":
            try:
                calendar.parse_moment(when, ctx.now, zone)
            except calendar.TimeError:
                when = "WHEN"
            raise CommandError(
                f"#{idea} is a campaign already: give its discussion or petition a deadline "
                f"instead (`mod deadline {idea} discussion {when}` or "
                f"`mod deadline {idea} petition {when}`)."
            )
        raise CommandError(f"#{idea} is closed; deadlines are for open ideas.")
    try:
        due_at = calendar.parse_moment(when, ctx.now, zone)
    except calendar.TimeError as exc:
        raise CommandError(str(exc)) from exc
    if due_at <= ctx.now:
        raise CommandError(f"{calendar.show(due_at, zone)} has passed; pick a later time.")
    await deadlines.set_due(ctx.conn, idea, due_at, ctx.member_id, ctx.now)
    needed = needed_text(ctx.rules, row.up, row.down)
    if not row.hidden:
        ctx.announce(
            "deadline_set",
            f"Idea #{idea} has a deadline: unless it launches by "
            f"{calendar.show(due_at, ctx.schedule.zone)} it closes ({needed}): {quote(row.text)}",
            idea_id=idea,
            due_at=due_at.isoformat(),
        )
    await ctx.notify_in_zones(
        await followers_but_me(ctx, idea),
        "deadline_set",
        lambda z: (
            f"Idea #{idea}, which you follow, must launch by {calendar.show(due_at, z)} "
            f"or it closes ({needed}): {quote(row.text)}"
        ),
        idea_id=idea,
    )
    return Reply(
        f"Idea #{idea} must launch by {calendar.show(due_at, zone)} "
        f"(in {calendar.show_span(due_at - ctx.now)}) or it closes. Its followers are "
        f"reminded {calendar.show_span(ctx.schedule.reminder)} before."
    )


async def sweep(env: JobEnv, now: datetime) -> int:
    """Remind ahead of deadlines and close ideas at them, each exactly once."""
    async with env.db.read() as conn:
        due = await deadlines.open_due_before(conn, now + env.schedule.reminder)
    return await sweep_deadlines(
        due,
        now,
        env.schedule.reminder,
        at_deadline=lambda row: _close(env, row, now),
        remind=lambda row: _remind(env, row, now),
    )


async def _remind(env: JobEnv, row: Any, now: datetime) -> int:
    async with env.transaction(now) as ctx:
        if not await ledger.claim(
            ctx.conn, "deadline_reminder", _key(row.idea_id, row.due_at), now
        ):
            return 0
        needed = needed_text(ctx.rules, row.up, row.down)
        left = calendar.show_span(row.due_at - now)
        await ctx.notify_in_zones(
            await subscriptions.subscribers(ctx.conn, row.idea_id),
            "deadline_reminder",
            lambda z: (
                f"Reminder: idea #{row.idea_id} closes in {left} "
                f"({calendar.show(row.due_at, z)}) unless it launches; it {needed}: "
                f"{quote(row.text)}"
            ),
            idea_id=row.idea_id,
        )
        return 1


async def _close(env: JobEnv, row: Any, now: datetime) -> int:
    async with env.transaction(now) as ctx:
        if await outbox.asked_before(ctx.conn, str(row.idea_id), row.due_at):
            # Votes sent before the deadline wait for their random moment
            # (commands.framework.deferral): they count, so the idea closes (or launches)
            # once they have been carried out.
            return 0
        if not await ledger.claim(ctx.conn, "deadline_close", _key(row.idea_id, row.due_at), now):
            return 0
        current = await ideas.get(ctx.conn, row.idea_id)
        # It may have launched since the sweep looked; a campaign is never closed by this.
        if current is None or current.status != "open":
            return 0
        await ideas.close(ctx.conn, row.idea_id, now)
        text = (
            f"Idea #{row.idea_id} reached its deadline without launching, so it is closed: "
            f"{quote(row.text)}"
        )
        ctx.notify(
            await subscriptions.subscribers(ctx.conn, row.idea_id),
            "deadline_closed",
            text,
            idea_id=row.idea_id,
        )
        if not row.hidden:
            ctx.announce("closed", text, idea_id=row.idea_id)
        logger.info("idea %s closed at its deadline", row.idea_id)
        return 1
