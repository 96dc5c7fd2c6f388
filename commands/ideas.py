"""Pitching ideas and looking around."""

from __future__ import annotations

from datetime import timedelta

from commands.framework import calendar, lookup, member_text
from commands.framework.context import Ctx
from commands.framework.formatting import idea_line, needed_text, plain, plural, quote, score, who
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply, Role
from storage.repos import campaigns, deadlines, ideas, subscriptions, votes

spec = CommandSet()


# A pitch shorter than this (spaces aside) can't say what it asks: "x", "!!!".
PITCH_MIN_VISIBLE = 4


def check_text(text: str, limit: int | None, what: str, example: str) -> str:
    """Length-check member text (the stored text is exactly what was accepted)."""
    if not member_text.visible(text):
        raise CommandError(f"Your {what} is empty. For example: `{example}`")
    if limit is not None and len(text) > limit:
        raise CommandError(
            f"Your {what} is {len(text)} characters; the limit is {limit}. "
            f"Please shorten it by {len(text) - limit} and send it again."
        )
    return text


PITCH = Param("text", "text", "The idea, in one short sentence", max_chars="pitch_max_chars")


@spec.command(
    "pitch",
    "Pitch an idea for everyone to vote on, in one short sentence.",
    params=(PITCH,),
    examples=("pitch Requesters should pay at least minimum wage for surveys",),
    later="Your idea goes up",
    tell_after=True,
    form_title="Pitch an idea",
)
async def pitch(ctx: Ctx, text: str) -> Reply:
    limit = PITCH.limit(ctx.rules)
    text = check_text(text, limit, "pitch", "pitch Pay for rejected work that was done right")
    if sum(not ch.isspace() for ch in text) < PITCH_MIN_VISIBLE:
        raise CommandError(
            f"A pitch needs at least {PITCH_MIN_VISIBLE} characters besides spaces, so others "
            f"can tell what it asks. For example: `pitch Pay for rejected work that was done "
            f"right`."
        )
    same = await ideas.open_with_text(ctx.conn, text)
    if same is not None:
        raise CommandError(
            f"That idea is already open as #{same}: support it with `upvote {same}` instead "
            f"(`idea {same}` shows it)."
        )
    per_day = ctx.rules.pitches_per_day
    recent = await ideas.count_by_author_since(ctx.conn, ctx.member_id, ctx.now - timedelta(days=1))
    if recent >= per_day:
        raise CommandError(
            f"You have pitched {plural(recent, 'idea')} in the last 24 hours; the limit is "
            f"{per_day}. Meanwhile, you can vote on others: send `ideas`."
        )
    if ctx.trial:
        return Reply("It can be pitched.")
    idea_id = await ideas.create(ctx.conn, ctx.member_id, text, ctx.now)
    await subscriptions.subscribe(ctx.conn, ctx.member_id, idea_id, ctx.now)
    author = who(ctx.pseudonym, ctx.member.revealed_name if ctx.member else None)
    needed = ctx.rules.upvotes_needed(0, 0)
    ctx.announce(
        "idea_pitched",
        f"New idea #{idea_id} by {author}: {quote(text)} [+0/-0] — send `upvote {idea_id}` "
        f"to the bot privately to support it.",
        idea_id=idea_id,
        author=plain(author),
        idea_text=text,
        up=0,
        down=0,
        needed=needed,
    )
    return Reply(
        f"Pitched as idea #{idea_id}. It launches as a campaign at "
        f"{ctx.rules.launch_upvotes} upvotes; you follow it automatically.",
        data={"idea_id": idea_id},
    )


@spec.command(
    "ideas",
    "List open ideas, best first (or `ideas new` for the newest).",
    params=(
        Param("order", "choice", "Sort order", required=False, choices=("top", "new")),
        Param("page", "int", "Page number", required=False),
    ),
    examples=("ideas", "ideas new", "ideas top 2"),
    min_role=Role.NOBODY,
    private=False,
    writes=False,
)
async def list_ideas(ctx: Ctx, order: str | None, page: int | None) -> Reply:
    size = ctx.rules.listing_size
    page = page or 1
    rows = await ideas.list_open(
        ctx.conn, newest=order == "new", limit=size, offset=(page - 1) * size
    )
    # A first page that is not full holds every open idea: no need to count them.
    total = len(rows) if page == 1 and len(rows) < size else await ideas.count_open(ctx.conn)
    if not rows:
        if total == 0:
            return Reply("No open ideas yet. Be the first: `pitch YOUR IDEA`.")
        return Reply(f"There are only {total} open ideas; page {page} is empty.")
    title = "Newest ideas" if order == "new" else "Top ideas"
    lines = [f"{title} ({total} open):"] + [idea_line(r, ctx.rules) for r in rows]
    if page * size < total:
        lines.append(f"More: `ideas {order or 'top'} {page + 1}`")
    return Reply("\n".join(lines))


@spec.command(
    "idea",
    "Show one idea with its votes.",
    params=(Param("idea", "int", "The idea's number"),),
    examples=("idea 12",),
    min_role=Role.NOBODY,
    private=False,
    writes=False,
)
async def show_idea(ctx: Ctx, idea: int) -> Reply:
    row = await lookup.idea(ctx, idea)
    followers = await subscriptions.count(ctx.conn, row.id)
    lines = [
        f"#{row.id} by {who(row.pseudonym, row.author_revealed)}: {quote(row.text)}",
        f"Votes {score(row.up, row.down)}, {plural(followers, 'follower')}, pitched "
        f"{row.created_at:%Y-%m-%d}.",
    ]
    if row.status == "open":
        lines.append(
            f"Status: open, {needed_text(ctx.rules, row.up, row.down)} "
            f"(launches at {ctx.rules.launch_upvotes} upvotes with more up than down)."
        )
        due = await deadlines.get(ctx.conn, row.id)
        if due is not None:
            shown = calendar.show(due, await ctx.zone())
            lines.append(f"Deadline: it must launch by {shown} or it closes.")
    elif row.status == "campaign":
        camp = await campaigns.get(ctx.conn, row.id)
        state = camp.status if camp else "active"
        lines.append(f"Status: launched as a campaign ({state}). See `campaign {row.id}`.")
    else:
        lines.append("Status: closed.")
    if row.hidden:
        lines.append("(Hidden by a moderator.)")
    if ctx.member is not None and ctx.where == "dm":
        mine = await votes.value_of(ctx.conn, row.id, ctx.member_id)
        if mine is not None:
            lines.append(f"You {'up' if mine > 0 else 'down'}voted it.")
    return Reply("\n".join(lines))
