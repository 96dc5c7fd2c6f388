"""How a member hears from the bot: the notice channel and their time zone."""

from __future__ import annotations

from commands.email import NO_EMAIL
from commands.framework import calendar, notices
from commands.framework.context import Ctx
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply
from storage.repos import emails, prefs

spec = CommandSet()

_EXPLAIN = {
    "dm": "by private message",
    "email": "by email",
    "both": "by private message and by email",
    "digest": "collected into one daily digest message",
    "off": "not at all (except messages addressed to you personally)",
}


@spec.command(
    "notify",
    "Choose how you hear about what you follow: dm, email, both, digest or off.",
    params=(
        Param("how", "choice", "How notices reach you", required=False, choices=notices.CHOICES),
    ),
    examples=("notify", "notify email", "notify digest"),
    details="Notices: an idea you follow launches, a campaign you follow posts its update or "
    "a proposed next step, its petition passes 10, 25, 50, 100... signatures. Document edits "
    "only ever appear in the digest. `digest` sends one message a day instead of each notice.",
)
async def notify(ctx: Ctx, how: str | None) -> Reply:
    current = await prefs.get(ctx.conn, ctx.member_id)
    chosen = current.notify if current is not None else prefs.DEFAULT_NOTIFY
    if how is None:
        return Reply(
            f"You get notices {_EXPLAIN[chosen]}. Change it with "
            f"`notify {'|'.join(notices.CHOICES)}`."
        )
    if how in ("email", "both") and not ctx.email_enabled:
        raise CommandError(f"{NO_EMAIL} `notify dm` or `notify digest` will do.")
    await prefs.set_notify(ctx.conn, ctx.member_id, how)
    text = f"From now on you get notices {_EXPLAIN[how]}."
    if how in ("email", "both"):
        address = await emails.get(ctx.conn, ctx.member_id)
        if address is None or address.address is None or address.failed_at is not None:
            text += (
                " You have no working email address with me yet, so until you do they come "
                "by private message: send `email ADDRESS`."
            )
    if how == "digest":
        at = ctx.schedule.daily_in(await ctx.zone(), ctx.now)
        text += f" It comes daily at {at}." if at else " (The daily digest is switched off.)"
    return Reply(text)


@spec.command(
    "timezone",
    "Set the time zone I show you times in, e.g. `timezone Europe/Berlin`.",
    params=(
        Param("zone", "word", "A time zone name like Europe/Berlin, or reset", required=False),
    ),
    examples=("timezone", "timezone Europe/Berlin", "timezone America/Chicago", "timezone reset"),
)
async def timezone(ctx: Ctx, zone: str | None) -> Reply:
    if zone is None:
        mine = await prefs.timezone_of(ctx.conn, ctx.member_id)
        shown = calendar.show(ctx.now, await ctx.zone())
        if mine is None:
            return Reply(
                f"I show you times in {ctx.schedule.timezone}, the default (now: {shown}). "
                f"Set yours with `timezone Europe/Berlin`."
            )
        return Reply(f"I show you times in {mine} (now: {shown}). `timezone reset` undoes it.")
    if zone.lower() == "reset":
        await prefs.set_timezone(ctx.conn, ctx.member_id, None)
        return Reply(f"Times are shown in {ctx.schedule.timezone} again.")
    try:
        found = calendar.zone(zone)
    except calendar.TimeError as exc:
        raise CommandError(str(exc)) from exc
    await prefs.set_timezone(ctx.conn, ctx.member_id, found.key)
    return Reply(f"Times are now shown in {found.key}: it is {calendar.show(ctx.now, found)}.")
