"""Voting on ideas, and the launch it can trigger."""

from __future__ import annotations

from commands import campaigns
from commands.framework import lookup
from commands.framework.context import Ctx
from commands.framework.formatting import needed_text, quote, score
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply
from storage.repos import activity, ideas, votes

spec = CommandSet()

# Ideas are announced when they come this close to launching (once per idea), so a vote
# storm costs a channel at most this line and the launch.
MILESTONE_NEEDED = 5


async def _vote(ctx: Ctx, idea_id: int, value: int) -> Reply:
    # Looking at the idea, the vote, following and the counters: one step (storage.repos.votes).
    cast = await votes.vote(ctx.conn, idea_id, ctx.member_id, value, ctx.now)
    row = lookup.shown_idea(ctx, cast.idea, idea_id)
    if row.hidden:
        raise CommandError(f"Idea #{idea_id} is hidden by a moderator; it can't be voted on.")
    if row.status == "closed":
        raise CommandError(f"Idea #{idea_id} is closed; it can't be voted on any more.")
    word = "upvoted" if value > 0 else "downvoted"
    outcome, up, down = cast.outcome, cast.up, cast.down
    if outcome == "same":
        return Reply.unchanged(
            f"You already {word} #{idea_id}. `unvote {idea_id}` takes your vote back."
        )
    text = f"You {word} #{idea_id}: now {score(up, down)}"
    news = False
    if row.status == "open":
        launched = await _maybe_launch(ctx, row, up, down)
        if launched:
            text += f". That vote launched it: #{idea_id} is now a campaign!"
            news = True  # worth telling the voter even when the vote ran later
        else:
            text += f", {needed_text(ctx.rules, up, down)}."
    else:
        await activity.touch(ctx.conn, idea_id, ctx.now)
        text += "."
    if cast.followed:
        text += " You now follow it."
    return Reply(text, data={"idea_id": idea_id, "up": up, "down": down, "news": news})


async def _maybe_launch(ctx: Ctx, row: object, up: int, down: int) -> bool:
    idea_id = row.id  # type: ignore[attr-defined]
    needed = ctx.rules.upvotes_needed(up, down)
    if needed == 0:
        if await ideas.mark_launched(ctx.conn, idea_id, ctx.now):
            await campaigns.launch(ctx, row, up, down)
            return True
        return False
    if (
        needed <= MILESTONE_NEEDED
        and ctx.rules.launch_upvotes > MILESTONE_NEEDED * 2
        and await ideas.mark_milestone(ctx.conn, idea_id, ctx.now)
    ):
        ctx.announce(
            "idea_milestone",
            f"Idea #{idea_id} needs {needed} more upvote{'s' if needed != 1 else ''} to "
            f"launch: {quote(row.text)}",  # type: ignore[attr-defined]
            idea_id=idea_id,
            up=up,
            down=down,
            needed=needed,
        )
    return False


@spec.command(
    "upvote",
    "Support an idea (you also follow it).",
    params=(Param("idea", "int", "The idea's number"),),
    examples=("upvote 12",),
    later="Your upvote on #{idea} counts",
)
async def upvote(ctx: Ctx, idea: int) -> Reply:
    return await _vote(ctx, idea, 1)


@spec.command(
    "downvote",
    "Vote against an idea (you also follow it).",
    params=(Param("idea", "int", "The idea's number"),),
    examples=("downvote 12",),
    later="Your downvote on #{idea} counts",
)
async def downvote(ctx: Ctx, idea: int) -> Reply:
    return await _vote(ctx, idea, -1)


@spec.command(
    "unvote",
    "Take back your vote on an idea.",
    params=(Param("idea", "int", "The idea's number"),),
    examples=("unvote 12",),
    later="Your vote on #{idea} is taken back",
)
async def unvote(ctx: Ctx, idea: int) -> Reply:
    await lookup.idea(ctx, idea)
    old = await votes.retract(ctx.conn, idea, ctx.member_id)
    if old is None:
        return Reply.unchanged(f"You have no vote on #{idea} to take back.")
    up, down = await ideas.add_to_counts(ctx.conn, idea, -1 if old > 0 else 0, -1 if old < 0 else 0)
    return Reply(
        f"Your vote on #{idea} is withdrawn: now {score(up, down)}.",
        data={"idea_id": idea, "up": up, "down": down},
    )
