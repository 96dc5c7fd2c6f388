"""Next steps with an objection window (the paper: "we suggested and committed to next steps
when efforts stalled but left space for participants to object, undo our action, and change
course").

An organizer or moderator proposes a step; it is announced in the campaign and its followers
are told. Members object privately. When the window ends with no objection the step is
adopted and announced; with objections it is disputed and the moderators get the reasons (not
who gave them) to mediate. An adopted step can be undone.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from commands.framework import calendar, lookup, notices
from commands.framework.context import Ctx
from commands.framework.formatting import quote
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply
from commands.ideas import check_text
from storage.repos import activity, campaigns, ledger, members, subscriptions
from storage.repos import nextsteps as steps

if TYPE_CHECKING:
    from commands.framework.job_env import JobEnv

logger = logging.getLogger(__name__)

spec = CommandSet()

STEP_MAX_CHARS = 500
REASON_MAX_CHARS = 500
SHORTEST_WINDOW = timedelta(hours=1)
LONGEST_WINDOW = timedelta(days=14)
_WINDOW = re.compile(r"\s--window[= ](\S+)\s*$")


@spec.command(
    "nextstep",
    "Propose a campaign's next step, open for objections (organizers and moderators): "
    "`nextstep N TEXT [--window 48h]`; `nextstep N` shows them; `nextstep N undo`.",
    params=(
        Param("campaign", "int", "The campaign's number"),
        Param("text", "text", "The step, or `undo`", required=False, max_chars=STEP_MAX_CHARS),
    ),
    examples=(
        "nextstep 3",
        "nextstep 3 Email the requester our demands on Friday",
        "nextstep 3 Start the petition drive on the forums --window 24h",
        "nextstep 3 undo",
    ),
    details="Everyone following the campaign hears of it and may object privately with "
    "`object N REASON` until the window ends. No objection: the step is adopted. Any "
    "objection: it is disputed and the moderators help sort it out. `nextstep N undo` "
    "reverses the last adopted step.",
    later="Campaign #{campaign}'s next steps change",
    later_if=lambda args: args.get("text") is not None,
    tell_after=True,
)
async def nextstep(ctx: Ctx, campaign: int, text: str | None) -> Reply:
    row = await lookup.campaign(ctx, campaign)
    zone = await ctx.zone()
    if text is None:
        return Reply(await _overview(ctx, campaign, zone))
    await lookup.require_organizer(ctx, campaign)
    if text.strip().lower() == "undo":
        return await _undo(ctx, campaign, row)
    if row.status != "active":
        raise CommandError(f"Campaign #{campaign} is closed.")
    window = ctx.schedule.window
    match = _WINDOW.search(" " + text)
    if match:
        try:
            window = calendar.parse_duration(match.group(1))
        except calendar.TimeError as exc:
            raise CommandError(str(exc)) from exc
        text = (" " + text)[: match.start()].strip()
    if not SHORTEST_WINDOW <= window <= LONGEST_WINDOW:
        raise CommandError("The objection window must be between 1 hour and 14 days.")
    text = check_text(text, STEP_MAX_CHARS, "next step", f"nextstep {campaign} Email the...")
    open_step = await steps.open_step(ctx.conn, campaign)
    if open_step is not None:
        raise CommandError(
            f"Campaign #{campaign} already has a proposed next step open for objections until "
            f"{calendar.show(open_step.window_ends_at, zone)}: {quote(open_step.text)}"
        )
    ends = ctx.now + window
    await steps.propose(
        ctx.conn,
        campaign_id=campaign,
        text=text,
        proposer_id=ctx.member_id,
        now=ctx.now,
        window_ends_at=ends,
    )
    await activity.touch(ctx.conn, campaign, ctx.now)
    ctx.announce(
        "nextstep_proposed",
        f"Proposed next step for campaign #{campaign}: {quote(text)} — if you object, tell me "
        f"privately with `object {campaign} REASON` before "
        f"{calendar.show(ends, ctx.schedule.zone)}.",
        campaign_id=campaign,
        step=text,
        window_ends_at=ends.isoformat(),
    )
    await ctx.notify_in_zones(
        [m for m in await subscriptions.subscribers(ctx.conn, campaign) if m != ctx.member_id],
        "nextstep_proposed",
        lambda z: (
            f"Campaign #{campaign}, which you follow, has a proposed next step: {quote(text)}. "
            f"If you object, send me `object {campaign} REASON` before {calendar.show(ends, z)}."
        ),
        campaign_id=campaign,
    )
    return Reply(
        f"Proposed. Objections are open for {calendar.show_span(window)}, until "
        f"{calendar.show(ends, zone)}; with none it is adopted then."
    )


async def _overview(ctx: Ctx, campaign: int, zone: Any) -> str:
    rows = await steps.of_campaign(ctx.conn, campaign, limit=10)
    if not rows:
        return (
            f"Campaign #{campaign} has no next steps yet. Organizers propose one with "
            f"`nextstep {campaign} TEXT`."
        )
    lines = [f"Next steps of campaign #{campaign}, newest first:"]
    for r in rows:
        if r.status == "proposed":
            # Not how many objected so far: a count that moves when someone objects would
            # time their private message (see commands.framework.privacy).
            state = (
                f"open for objections until {calendar.show(r.window_ends_at, zone)} "
                f"(`object {campaign} REASON`)"
            )
        else:
            state = r.status
        lines.append(f"- {quote(r.text)} [{state}]")
    return "\n".join(lines)


async def _undo(ctx: Ctx, campaign: int, row: Any) -> Reply:
    step = await steps.last_adopted(ctx.conn, campaign)
    if step is None or not await steps.undo(ctx.conn, step.id, ctx.member_id, ctx.now):
        raise CommandError(f"Campaign #{campaign} has no adopted next step to undo.")
    await activity.touch(ctx.conn, campaign, ctx.now)
    text = f"The next step of campaign #{campaign} is undone: {quote(step.text)}"
    ctx.announce("nextstep_undone", text, campaign_id=campaign, step=step.text)
    ctx.notify(
        [m for m in await subscriptions.subscribers(ctx.conn, campaign) if m != ctx.member_id],
        "nextstep_undone",
        text,
        campaign_id=campaign,
    )
    return Reply(f"Undone: {quote(step.text)}. It was announced; propose another any time.")


@spec.command(
    "object",
    "Object to a campaign's proposed next step, with your reason (privately).",
    params=(
        Param("campaign", "int", "The campaign's number"),
        Param("reason", "text", "Why you object", max_chars=REASON_MAX_CHARS),
    ),
    examples=("object 3 Friday is too soon; many of us work weekends",),
    details="Nobody learns who objected. If anyone objects before the window ends, the step "
    "is not adopted and the moderators see the reasons to help find a way forward.",
)
async def object_(ctx: Ctx, campaign: int, reason: str) -> Reply:
    await lookup.campaign(ctx, campaign)
    step = await steps.open_step(ctx.conn, campaign)
    if step is None or step.window_ends_at <= ctx.now:
        raise CommandError(
            f"Campaign #{campaign} has no next step open for objections. See `nextstep {campaign}`."
        )
    reason = check_text(reason, REASON_MAX_CHARS, "reason", f"object {campaign} Because...")
    new = await steps.object_to(ctx.conn, step.id, ctx.member_id, reason, ctx.now)
    await activity.touch(ctx.conn, campaign, ctx.now)
    lead = "Your objection is recorded" if new else "Your objection is updated"
    return Reply(
        f"{lead}. Unless it is resolved, the step will not be adopted and the moderators see "
        f"your reason (not who you are) to help find a way forward."
    )


async def sweep(env: JobEnv, now: datetime) -> int:
    """Decide every step whose objection window has ended, each exactly once."""
    async with env.db.read() as conn:
        ended = await steps.windows_ended(conn, now, limit=200)
    done = 0
    for step in ended:
        done += await _decide(env, step, now)
    return done


async def _decide(env: JobEnv, step: Any, now: datetime) -> int:
    async with env.transaction(now) as ctx:
        if not await ledger.claim(ctx.conn, "nextstep_decided", f"step-{step.id}", now):
            return 0
        reasons = await steps.objections(ctx.conn, step.id)
        status = "disputed" if reasons else "adopted"
        if not await steps.decide(ctx.conn, step.id, status, now):
            return 0
        campaign = step.campaign_id
        followers = await subscriptions.subscribers(ctx.conn, campaign)
        if status == "adopted":
            text = (
                f"Next step adopted for campaign #{campaign}, nobody objected: {quote(step.text)}. "
                f"(Organizers can still undo it with `nextstep {campaign} undo`.)"
            )
            ctx.announce("nextstep_adopted", text, campaign_id=campaign, step=step.text)
            ctx.notify(followers, "nextstep_adopted", text, campaign_id=campaign)
            return 1
        count = len(reasons)
        ctx.announce(
            "nextstep_disputed",
            f"The proposed next step for campaign #{campaign} drew "
            f"{count} objection{'s' if count != 1 else ''}, so it is not adopted; the "
            f"moderators will help find a way forward: {quote(step.text)}",
            campaign_id=campaign,
            step=step.text,
        )
        staff = await members.staff_ids(ctx.conn, env.admin_hashes())
        listed = "\n".join(f"- {quote(r)}" for r in reasons)
        ctx.notify(
            staff,
            "nextstep_disputed",
            f"Please mediate: the next step proposed for campaign #{campaign} drew "
            f"{count} objection{'s' if count != 1 else ''}.\nStep: {quote(step.text)}\nReasons:\n"
            f"{listed}\nReflect the arguments back in the campaign's discussion and propose a "
            f"way forward (`nextstep {campaign} TEXT`).",
            notice=notices.PERSONAL,
            campaign_id=campaign,
        )
        organizers = [o.id for o in await campaigns.organizer_names(ctx.conn, campaign)]
        ctx.notify(
            [m for m in {step.proposer_id, *organizers} if m not in staff],
            "nextstep_disputed",
            f"The next step you proposed for campaign #{campaign} drew objections and is not "
            f"adopted; the moderators will help: {quote(step.text)}",
            notice=notices.PERSONAL,
            campaign_id=campaign,
        )
        logger.info("next step %s disputed with %d objection(s)", step.id, count)
        return 1
