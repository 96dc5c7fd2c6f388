"""Deadlines on a campaign's discussion and petition (the paper's moderators "set deadlines
for discussions, so participants knew when to gear towards building consensus").

A moderator sets one with `mod deadline N discussion|petition WHEN` (commands.deadlines
declares the command). Followers are reminded ahead; at the deadline the discussion stops
taking `say`, the petition stops taking `sign` and `unsign` and its final count is
announced. What was sent before the deadline and waits for its random moment
(commands.framework.deferral) still counts: the part ends once it has been carried out.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from commands.framework import calendar, lookup
from commands.framework.context import Ctx
from commands.framework.formatting import plural, quote
from commands.framework.job_env import sweep_deadlines
from commands.framework.reply import CommandError, Reply
from commands.subscriptions import followers_but_me
from storage.repos import campaign_deadlines, ledger, outbox, petitions, subscriptions
from storage.repos.campaign_deadlines import PARTS

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from commands.framework.job_env import JobEnv

logger = logging.getLogger(__name__)

# What each part stops taking at its deadline.
TAKES = {"discussion": "messages (`say`)", "petition": "signatures (`sign`, `unsign`)"}


def _key(campaign_id: int, part: str, due_at: datetime) -> str:
    # A moved deadline is a new deadline: it gets its own reminder and its own end.
    return f"campaign-{campaign_id}-{part}@{due_at:%Y%m%dT%H%M%SZ}"


def has_ended(row: Any, now: datetime, carried_out: bool = False) -> bool:
    """Whether a deadline row means the part has ended, at ``now``."""
    if row.ended_at is not None:
        return True
    # A command asked for before the deadline and carried out after it still counts.
    return row.due_at <= now and not carried_out


def _ended(ctx: Ctx, row: Any) -> bool:
    """Whether a deadline row means the part has ended for this command."""
    return has_ended(row, ctx.now, ctx.carried_out)


async def ended_when(ctx: Ctx, campaign_id: int, part: str) -> str | None:
    """When the part ended at its deadline, in the member's zone; None while it takes part."""
    row = await campaign_deadlines.get(ctx.conn, campaign_id, part)
    if row is None or not _ended(ctx, row):
        return None
    return calendar.show(row.due_at, await ctx.zone())


async def summary(ctx: Ctx, campaign_id: int) -> dict[str, tuple[bool, str]]:
    """For `campaign N`: each part with a deadline, whether it has ended, and when it ends
    or ended (in the zone of whoever asks)."""
    parts, _ = await shown(ctx.conn, campaign_id, ctx.now, await ctx.zone(), ctx.carried_out)
    return parts


async def shown(
    conn: Any, campaign_id: int, now: datetime, zone: ZoneInfo, carried_out: bool = False
) -> tuple[dict[str, tuple[bool, str]], datetime | None]:
    """Each part of a campaign with a deadline: whether it has ended at ``now``, and when it
    ends or ended in ``zone`` (the campaign's page reads the same as `campaign N`); and the
    first moment one of them ends after ``now`` (from then on they read differently, even
    with nothing written), or None."""
    rows = await campaign_deadlines.of_campaign(conn, campaign_id)
    parts = {
        part: (has_ended(row, now, carried_out), calendar.show(row.due_at, zone))
        for part, row in rows.items()
    }
    ends = [row.due_at for row in rows.values() if not has_ended(row, now, carried_out)]
    return parts, min(ends, default=None)


async def deadline(ctx: Ctx, campaign: int, part: str | None, when: str | None) -> Reply:
    """`mod deadline N [discussion|petition] [WHEN|off]` on a campaign."""
    row = await lookup.campaign(ctx, campaign)
    if part is None:
        return await _show_all(ctx, campaign)
    if when is None:
        return await _show(ctx, campaign, part)
    if row.status != "active":
        raise CommandError(
            f"Campaign #{campaign} is closed; its discussion and petition ended with it."
        )
    if when.strip().lower() in ("off", "none"):
        return await _lift(ctx, row, part)
    if part == "petition" and not row.petition_text:
        raise CommandError(
            f"Campaign #{campaign} has no petition yet; once its organizers set one "
            f"(`petition {campaign} STATEMENT`) it can have a deadline."
        )
    zone = await ctx.zone()
    try:
        due_at = calendar.parse_moment(when, ctx.now, zone)
    except calendar.TimeError as exc:
        raise CommandError(str(exc)) from exc
    if due_at <= ctx.now:
        raise CommandError(f"{calendar.show(due_at, zone)} has passed; pick a later time.")
    await campaign_deadlines.set_due(ctx.conn, campaign, part, due_at, ctx.member_id, ctx.now)
    what = f"The {part} of campaign #{campaign}"
    if not row.hidden:
        public = _until(part, campaign, calendar.show(due_at, ctx.schedule.zone))
        ctx.announce(
            "campaign_deadline_set",
            f"{what} has a deadline: {public}: {quote(row.text)}",
            campaign_id=campaign,
            part=part,
            due_at=due_at.isoformat(),
        )
    await ctx.notify_in_zones(
        await followers_but_me(ctx, campaign),
        "campaign_deadline_set",
        lambda z: (
            f"{what}, which you follow, has a deadline: "
            f"{_until(part, campaign, calendar.show(due_at, z))}: {quote(row.text)}"
        ),
        campaign_id=campaign,
    )
    return Reply(
        f"{what} ends {calendar.show(due_at, zone)} (in {calendar.show_span(due_at - ctx.now)}); "
        f"then it takes no more {TAKES[part]}. Its followers are reminded "
        f"{calendar.show_span(ctx.schedule.reminder)} before."
    )


async def upcoming(conn: Any, now: datetime, within: timedelta) -> list[dict[str, Any]]:
    """The campaign deadlines of the coming ``within``, as the daily digest and the weekly
    update carry them (hidden campaigns left out)."""
    due = await campaign_deadlines.running_due_before(conn, now + within)
    return [
        {
            "campaign_id": r.campaign_id,
            "part": r.part,
            "text": r.text,
            "due_at": r.due_at.isoformat(),
        }
        for r in due
        if not r.hidden and r.due_at > now
    ]


def upcoming_line(item: dict[str, Any], when: str) -> str:
    """What the digest and the weekly update say of a coming campaign deadline, lower-case
    first, no full stop: "the discussion of campaign #3 ends ... (`say 3 ...` before then)"."""
    campaign = item["campaign_id"]
    if item["part"] == "discussion":
        return (
            f"the discussion of campaign #{campaign} ends {when} (`say {campaign} ...` before then)"
        )
    return f"the petition of campaign #{campaign} takes signatures until {when} (`sign {campaign}`)"


def _until(part: str, campaign: int, when: str) -> str:
    if part == "discussion":
        return f"it ends {when}, so say what you have to before then (`say {campaign} ...`)"
    return f"it takes signatures until {when} (`sign {campaign}`)"


async def _show(ctx: Ctx, campaign: int, part: str) -> Reply:
    row = await campaign_deadlines.get(ctx.conn, campaign, part)
    what = f"The {part} of campaign #{campaign}"
    if row is None:
        return Reply(f"{what} has no deadline. Set one: `mod deadline {campaign} {part} in 14d`.")
    when = calendar.show(row.due_at, await ctx.zone())
    if _ended(ctx, row):
        return Reply(
            f"{what} ended {when}, at its deadline. To open it again: "
            f"`mod deadline {campaign} {part} off`, or a later time."
        )
    return Reply(f"{what} ends {when}; then it takes no more {TAKES[part]}.")


async def _show_all(ctx: Ctx, campaign: int) -> Reply:
    shown = await summary(ctx, campaign)
    if not shown:
        return Reply(
            f"Campaign #{campaign}'s discussion and petition have no deadline. Set one: "
            f"`mod deadline {campaign} discussion in 14d` or "
            f"`mod deadline {campaign} petition in 14d`."
        )
    parts = "; ".join(
        f"its {part} {'ended' if shown[part][0] else 'ends'} {shown[part][1]}"
        for part in PARTS
        if part in shown
    )
    return Reply(f"Campaign #{campaign}: {parts}.")


async def _lift(ctx: Ctx, row: Any, part: str) -> Reply:
    campaign = int(row.id)
    removed = await campaign_deadlines.clear(ctx.conn, campaign, part)
    what = f"The {part} of campaign #{campaign}"
    if removed is None:
        return Reply(f"{what} had no deadline.")
    reopened = _ended(ctx, removed)
    again = f"; it takes {TAKES[part]} again" if reopened else ""
    ctx.notify(
        await followers_but_me(ctx, campaign),
        "campaign_deadline_cleared",
        f"{what}, which you follow, no longer has a deadline{again}: {quote(row.text)}",
        campaign_id=campaign,
    )
    if reopened and not row.hidden:
        ctx.announce(
            "campaign_deadline_cleared",
            f"{what} is open again, with no deadline: {quote(row.text)}",
            campaign_id=campaign,
            part=part,
        )
    return Reply(f"The deadline of campaign #{campaign}'s {part} is lifted{again}.")


async def sweep(env: JobEnv, now: datetime) -> int:
    """Remind ahead of campaign deadlines and end the parts at them, each exactly once."""
    async with env.db.read() as conn:
        due = await campaign_deadlines.running_due_before(conn, now + env.schedule.reminder)
    return await sweep_deadlines(
        due,
        now,
        env.schedule.reminder,
        at_deadline=lambda row: _end(env, row, now),
        remind=lambda row: _remind(env, row, now),
    )


async def _remind(env: JobEnv, row: Any, now: datetime) -> int:
    async with env.transaction(now) as ctx:
        key = _key(row.campaign_id, row.part, row.due_at)
        if not await ledger.claim(ctx.conn, "campaign_deadline_reminder", key, now):
            return 0
        left = calendar.show_span(row.due_at - now)

        def render(z: ZoneInfo) -> str:
            when = calendar.show(row.due_at, z)
            if row.part == "discussion":
                return (
                    f"Reminder: the discussion of campaign #{row.campaign_id} ends in {left} "
                    f"({when}); time to build consensus: {quote(row.text)}"
                )
            return (
                f"Reminder: the petition of campaign #{row.campaign_id} takes signatures for "
                f"{left} more (until {when}): {quote(row.text)}"
            )

        await ctx.notify_in_zones(
            await subscriptions.subscribers(ctx.conn, row.campaign_id),
            "campaign_deadline_reminder",
            render,
            campaign_id=row.campaign_id,
        )
        return 1


async def _end(env: JobEnv, row: Any, now: datetime) -> int:
    async with env.transaction(now) as ctx:
        campaign = row.campaign_id
        if await outbox.asked_before(ctx.conn, str(campaign), row.due_at):
            # A `say` or signature sent before the deadline waits for its random moment
            # (commands.framework.deferral): it counts, so the part ends once it has been
            # carried out.
            return 0
        key = _key(campaign, row.part, row.due_at)
        if not await ledger.claim(ctx.conn, "campaign_deadline_end", key, now):
            return 0
        current = await lookup.campaign(ctx, campaign)
        # It may have closed, or its deadline moved, since the sweep looked.
        if current.status != "active" or not await campaign_deadlines.end(
            ctx.conn, campaign, row.part, row.due_at
        ):
            return 0
        final = await _final_count(ctx, current) if row.part == "petition" else ""

        def ended(z: ZoneInfo) -> str:
            when = calendar.show(row.due_at, z)
            if row.part == "petition":
                return (
                    f"The petition of campaign #{campaign} closed at its deadline, {when}, "
                    f"with {final}: {quote(current.petition_text or '')}"
                )
            return (
                f"The discussion of campaign #{campaign} ended at its deadline, {when}: "
                f"{quote(current.text)}"
            )

        await ctx.notify_in_zones(
            await subscriptions.subscribers(ctx.conn, campaign),
            "campaign_deadline_ended",
            ended,
            campaign_id=campaign,
        )
        if not current.hidden:
            ctx.announce(
                "campaign_deadline_ended",
                ended(ctx.schedule.zone),
                campaign_id=campaign,
                part=row.part,
                signatures=current.signature_count,
            )
        logger.info("the %s of campaign %s ended at its deadline", row.part, campaign)
        return 1


async def _final_count(ctx: Ctx, current: Any) -> str:
    counts = await petitions.counts_by_category(ctx.conn, current.id, current.petition_version)
    detail = ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
    final = plural(current.signature_count, "signature")
    return f"{final} ({detail})" if detail else final
