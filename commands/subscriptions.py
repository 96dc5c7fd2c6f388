"""Following ideas and campaigns."""

from __future__ import annotations

from commands.framework import lookup
from commands.framework.context import Ctx
from commands.framework.formatting import quote
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import Reply
from storage.repos import subscriptions

spec = CommandSet()


@spec.command(
    "subscribe",
    "Follow an idea or campaign to hear about its progress.",
    params=(Param("idea", "int", "The idea or campaign number"),),
    examples=("subscribe 12",),
    later="You join #{idea}'s followers",
)
async def subscribe(ctx: Ctx, idea: int) -> Reply:
    await lookup.idea(ctx, idea)
    if await subscriptions.subscribe(ctx.conn, ctx.member_id, idea, ctx.now):
        return Reply(f"You now follow #{idea}.")
    return Reply.unchanged(f"You already follow #{idea}.")


@spec.command(
    "unsubscribe",
    "Stop following an idea or campaign.",
    params=(Param("idea", "int", "The idea or campaign number"),),
    examples=("unsubscribe 12",),
    later="You leave #{idea}'s followers",
)
async def unsubscribe(ctx: Ctx, idea: int) -> Reply:
    if await subscriptions.unsubscribe(ctx.conn, ctx.member_id, idea):
        return Reply(f"You no longer follow #{idea}.")
    return Reply.unchanged(f"You were not following #{idea}.")


@spec.command(
    "subscriptions",
    "List what you follow.",
    examples=("subscriptions",),
    writes=False,
)
async def list_subscriptions(ctx: Ctx) -> Reply:
    rows = await subscriptions.of_member(ctx.conn, ctx.member_id)
    if not rows:
        return Reply("You follow nothing yet. Voting on an idea follows it: send `ideas`.")
    lines = ["You follow:"]
    lines += [
        f"#{r.id} ({'campaign' if r.status == 'campaign' else r.status}) {quote(r.text)}"
        for r in rows
    ]
    return Reply("\n".join(lines))


async def followers_but_me(ctx: Ctx, number: int) -> list[int]:
    """Who follows an idea or campaign, but the member acting (told by the reply instead)."""
    return [m for m in await subscriptions.subscribers(ctx.conn, number) if m != ctx.member_id]
