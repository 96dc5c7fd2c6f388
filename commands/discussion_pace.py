"""Slowing down a heated discussion: moderators set a campaign's discussion to slow mode
(one `say` per member per interval) or lock it for a cooling-off period. The channel and
thread are told why; `say` refuses within the interval, saying when it can, and while
locked, saying until when. Each change goes in the moderation log.

What a member sent before and waits for its random moment (commands.framework.deferral)
was checked when they sent it, so it is carried out whatever the pace is by then.
"""

from __future__ import annotations

from datetime import timedelta

from commands.framework import calendar, lookup
from commands.framework.context import Ctx
from commands.framework.formatting import plural, quote
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply, Role
from storage.repos import discussion, moderation, outbox

spec = CommandSet()

REASON_MAX_CHARS = 300
SLOW_RANGE = (timedelta(seconds=10), timedelta(days=1))
LOCK_RANGE = (timedelta(minutes=1), timedelta(days=14))
OFF = ("off", "none")


def _params(what: str) -> tuple[Param, ...]:
    return (
        Param("campaign", "int", "The campaign's number"),
        Param("span", "word", f"{what}, like 10m, 2h or 1d; or off"),
        Param(
            "reason",
            "text",
            "Why, told to the channel and thread",
            required=False,
            max_chars=REASON_MAX_CHARS,
        ),
    )


def _span(text: str, bounds: tuple[timedelta, timedelta]) -> timedelta:
    try:
        span = calendar.parse_duration(text)
    except calendar.TimeError as exc:
        raise CommandError(str(exc)) from exc
    low, high = bounds
    if not low <= span <= high:
        raise CommandError(
            f"Pick between {_show_interval(low)} and {_show_interval(high)}, or `off`."
        )
    return span


def _why(reason: str | None) -> str:
    return f" Why: {quote(reason.strip())}" if reason and reason.strip() else ""


async def _campaign(ctx: Ctx, campaign: int) -> object:
    row = await lookup.campaign(ctx, campaign)
    if row.status != "active":
        raise CommandError(f"Campaign #{campaign} is closed; its discussion is over.")
    return row


async def _log(ctx: Ctx, action: str, campaign: int, detail: str) -> None:
    await moderation.log(
        ctx.conn,
        actor_id=ctx.member_id,
        action=action,
        target=f"campaign #{campaign}",
        detail=detail,
        now=ctx.now,
    )


def _tell(ctx: Ctx, hidden: bool, campaign: int, text: str) -> None:
    if not hidden:
        ctx.announce("discussion_paced", text, campaign_id=campaign)


@spec.command(
    "mod slow",
    "Slow a campaign's discussion: one `say` per member per interval (`mod slow N 10m "
    "WHY`), or `off`.",
    params=_params("How long between one member's messages"),
    examples=("mod slow 3 10m Let's give each other time to read.", "mod slow 3 off"),
    min_role=Role.MODERATOR,
)
async def slow(ctx: Ctx, campaign: int, span: str, reason: str | None = None) -> Reply:
    row = await _campaign(ctx, campaign)
    hidden = bool(getattr(row, "hidden", False))
    if span.strip().lower() in OFF:
        pace = await discussion.pace(ctx.conn, campaign)
        if pace is None or pace.slow_seconds is None:
            return Reply(f"Campaign #{campaign}'s discussion is not in slow mode.")
        await discussion.set_pace(ctx.conn, campaign, slow_seconds=None)
        await _log(ctx, "slow", campaign, f"off{_detail(reason)}")
        _tell(
            ctx,
            hidden,
            campaign,
            f"The moderators ended slow mode in campaign #{campaign}'s discussion.{_why(reason)}",
        )
        return Reply(f"Campaign #{campaign}'s discussion is no longer in slow mode.")
    interval = _span(span, SLOW_RANGE)
    await discussion.set_pace(ctx.conn, campaign, slow_seconds=int(interval.total_seconds()))
    shown = _show_interval(interval)
    await _log(ctx, "slow", campaign, f"{shown}{_detail(reason)}")
    _tell(
        ctx,
        hidden,
        campaign,
        f"The moderators slowed campaign #{campaign}'s discussion: one `say` per member every "
        f"{shown}.{_why(reason)}",
    )
    return Reply(
        f"Campaign #{campaign}'s discussion is in slow mode: one `say` per member every {shown}."
    )


@spec.command(
    "mod lock",
    "Lock a campaign's discussion for a cooling-off period (`mod lock N 24h WHY`), or `off`.",
    params=_params("How long it stays locked"),
    examples=("mod lock 3 24h A cooling-off day; we pick it up tomorrow.", "mod lock 3 off"),
    min_role=Role.MODERATOR,
)
async def lock(ctx: Ctx, campaign: int, span: str, reason: str | None = None) -> Reply:
    row = await _campaign(ctx, campaign)
    hidden = bool(getattr(row, "hidden", False))
    if span.strip().lower() in OFF:
        pace = await discussion.pace(ctx.conn, campaign)
        if pace is None or pace.locked_until is None or pace.locked_until <= ctx.now:
            return Reply(f"Campaign #{campaign}'s discussion is not locked.")
        await discussion.set_pace(ctx.conn, campaign, locked_until=None)
        await _log(ctx, "lock", campaign, f"off{_detail(reason)}")
        _tell(
            ctx,
            hidden,
            campaign,
            f"The moderators unlocked campaign #{campaign}'s discussion: `say` works again."
            f"{_why(reason)}",
        )
        return Reply(f"Campaign #{campaign}'s discussion is unlocked.")
    until = ctx.now + _span(span, LOCK_RANGE)
    await discussion.set_pace(ctx.conn, campaign, locked_until=until)
    await _log(ctx, "lock", campaign, f"until {until:%Y-%m-%d %H:%M} UTC{_detail(reason)}")
    _tell(
        ctx,
        hidden,
        campaign,
        f"The moderators locked campaign #{campaign}'s discussion for a cooling-off period, "
        f"until {calendar.show(until, ctx.schedule.zone)}.{_why(reason)}",
    )
    return Reply(
        f"Campaign #{campaign}'s discussion is locked until "
        f"{calendar.show(until, await ctx.zone())}."
    )


def _detail(reason: str | None) -> str:
    return f": {reason.strip()}" if reason and reason.strip() else ""


def _show_interval(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    if seconds < 60:
        return plural(seconds, "second")
    if seconds < 3600:
        return plural(max(1, round(seconds / 60)), "minute")
    return calendar.show_span(interval)


async def check(ctx: Ctx, campaign: int) -> None:
    """Refuse a `say` the discussion's pace does not allow now (CommandError says until when)."""
    if ctx.carried_out:
        return  # checked when it was sent
    pace = await discussion.pace(ctx.conn, campaign)
    if pace is None:
        return
    zone = await ctx.zone()
    if pace.locked_until is not None and pace.locked_until > ctx.now:
        raise CommandError(
            f"The moderators locked campaign #{campaign}'s discussion for a cooling-off period, "
            f"until {calendar.show(pace.locked_until, zone)}; you can say it then."
        )
    if pace.slow_seconds is None:
        return
    interval = timedelta(seconds=pace.slow_seconds)
    if await outbox.member_waiting(ctx.conn, ctx.member_id, "say", str(campaign)):
        raise CommandError(
            f"Campaign #{campaign}'s discussion is in slow mode (one `say` per member every "
            f"{_show_interval(interval)}) and your last message still waits to go out; send "
            "this one after it has."
        )
    last = await discussion.last_said(ctx.conn, campaign, ctx.member_id)
    if last is not None and last + interval > ctx.now:
        again = last + interval
        raise CommandError(
            f"Campaign #{campaign}'s discussion is in slow mode: one `say` per member every "
            f"{_show_interval(interval)}. You can say again at {calendar.show(again, zone)} "
            f"(in {_show_interval(again - ctx.now)})."
        )
