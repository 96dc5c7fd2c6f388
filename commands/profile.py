"""A member's view of themself, and self-disclosure by choice."""

from __future__ import annotations

from commands import accounts, shown_names
from commands.framework.context import Ctx
from commands.framework.formatting import plural, quote, who
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply
from storage.repos import members, reports, subscriptions

spec = CommandSet()


@spec.command(
    "whoami",
    "Show your pseudonym, role and linked accounts (only to you).",
    examples=("whoami",),
    writes=False,
)
async def whoami(ctx: Ctx) -> Reply:
    assert ctx.member is not None
    linked = await accounts.numbered(ctx)
    followed = await subscriptions.of_member(ctx.conn, ctx.member_id)
    lines = [
        f"You are **{ctx.pseudonym}**, {ctx.role.label}, member since "
        f"{ctx.member.created_at:%Y-%m-%d}. You follow {plural(len(followed), 'idea')}.",
        "Your linked accounts (`unlink N` removes one):",
        *accounts.listing(ctx, linked, await ctx.zone()),
    ]
    if ctx.member.revealed_name:
        lines.append(
            f'You show the name "{quote(ctx.member.revealed_name)}" beside your pseudonym '
            f"(`unreveal` to stop)."
        )
    else:
        lines.append("You are anonymous: nobody sees a name beside your pseudonym.")
    return Reply("\n".join(lines))


NAME = Param("name", "text", "The name to show", shape="name", max_chars="name_max_chars")


@spec.command(
    "reveal",
    "Show a name of your choice beside your pseudonym from now on.",
    params=(NAME,),
    examples=("reveal Kristy M.",),
    later="Your name shows beside your pseudonym",
    details="This is self-disclosure: everyone will see this name next to your pseudonym on "
    "ideas, campaigns and listings. `unreveal` removes it.",
)
async def reveal(ctx: Ctx, name: str) -> Reply:
    name = await shown_names.check(ctx, name, "reveal Kristy M.", NAME.limit(ctx.rules))
    await _not_hidden_by_reports(ctx, name)
    await members.set_revealed_name(ctx.conn, ctx.member_id, name)
    return Reply(f"From now on you appear as {who(ctx.pseudonym, name)}. `unreveal` takes it back.")


async def _not_hidden_by_reports(ctx: Ctx, name: str) -> None:
    """Refuse a name while reports hide the one shown before, and one moderators hid."""
    item = await reports.item(ctx.conn, "name", ctx.member_id)
    if item is None:
        return
    if item.status == "hidden":
        raise CommandError(
            f"Reports hid the name you showed until a moderator decides (report {item.id}); "
            f"until then you can't show one. `appeal {item.id} WHY` if it was wrong."
        )
    if item.status == "removed" and shown_names.squashed(name) == shown_names.squashed(
        item.hidden_name or ""
    ):
        raise CommandError("The moderators hid that name; please choose another.")


@spec.command(
    "unreveal",
    "Stop showing a name beside your pseudonym.",
    examples=("unreveal",),
    later="Your name stops showing beside your pseudonym",
)
async def unreveal(ctx: Ctx) -> Reply:
    if ctx.member is None or ctx.member.revealed_name is None:
        return Reply.unchanged(f"You show no name: you appear as {ctx.pseudonym} only.")
    await members.set_revealed_name(ctx.conn, ctx.member_id, None)
    return Reply(f"You appear as {ctx.pseudonym} only, from now on.")
