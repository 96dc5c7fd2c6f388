"""Campaigns: the launch itself, and looking at them."""

from __future__ import annotations

from typing import Any

from commands import campaign_deadlines
from commands import petitions as petition_commands
from commands.framework import lookup
from commands.framework.context import Ctx
from commands.framework.formatting import plain, plural, quote, score, shown_pseudonym, who
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import Reply, Role
from storage.repos import campaigns, documents, ideas, petitions, subscriptions

spec = CommandSet()


async def launch(ctx: Ctx, row: Any, up: int, down: int) -> None:
    """Turn an idea into a campaign. Called once, by the vote that qualified it."""
    await campaigns.create(ctx.conn, row.id, ctx.now)
    await campaigns.add_organizer(ctx.conn, row.id, row.author_id, ctx.now)
    await subscriptions.subscribe(ctx.conn, row.author_id, row.id, ctx.now)
    await subscriptions.subscribe_voters(ctx.conn, row.id, ctx.now)
    author = who(row.pseudonym, row.author_revealed)
    ctx.announce(
        "campaign_launched",
        f"Idea #{row.id} is now a campaign with {score(up, down)}: {quote(row.text)} "
        f"(pitched by {author}, its first organizer). See `campaign {row.id}`; "
        f"everyone who voted now follows it.",
        idea_id=row.id,
        author=plain(author),
        idea_text=row.text,
        up=up,
        down=down,
    )
    followers = await subscriptions.subscribers(ctx.conn, row.id)
    ctx.notify(
        [m for m in followers if m != ctx.member_id],
        "followed_idea_launched",
        f"Idea #{row.id}, which you follow, is now a campaign: {quote(row.text)}. See "
        f"`campaign {row.id}`.",
        idea_id=row.id,
    )


@spec.command(
    "campaigns",
    "List the active campaigns (or `campaigns all` to include closed ones).",
    params=(Param("which", "choice", "Which ones", required=False, choices=("all",)),),
    examples=("campaigns", "campaigns all"),
    min_role=Role.NOBODY,
    private=False,
    writes=False,
)
async def list_campaigns(ctx: Ctx, which: str | None) -> Reply:
    rows = await campaigns.list_all(
        ctx.conn, limit=ctx.rules.listing_size * 2, include_closed=which == "all"
    )
    if not rows:
        closed = await campaigns.count_closed(ctx.conn)
        if closed:
            return Reply(
                f"No active campaigns; {plural(closed, 'campaign')} closed: `campaigns all` "
                "lists them."
            )
        return Reply(
            "No campaigns yet. An idea becomes a campaign at "
            f"{ctx.rules.launch_upvotes} upvotes: send `ideas` and vote."
        )
    lines = ["Campaigns:"]
    for r in rows:
        petition = f", petition {plural(r.signature_count, 'signature')}" if r.petition_text else ""
        closed = " (closed)" if r.status == "closed" else ""
        lines.append(f"#{r.id}{closed} [{score(r.up, r.down)}{petition}] {quote(r.text)}")
    return Reply("\n".join(lines))


@spec.command(
    "campaign",
    "Show a campaign: status, organizers, document and petition.",
    params=(Param("campaign", "int", "The campaign's number"),),
    examples=("campaign 3",),
    min_role=Role.NOBODY,
    private=False,
    writes=False,
)
async def show_campaign(ctx: Ctx, campaign: int) -> Reply:
    row = await lookup.campaign(ctx, campaign)
    organizers = await campaigns.organizer_names(ctx.conn, campaign)
    head = await documents.head(ctx.conn, campaign)
    followers = await subscriptions.count(ctx.conn, campaign)
    idea_row = await ideas.get(ctx.conn, campaign)
    lines = [
        f"Campaign #{row.id} ({row.status}, launched {row.launched_at:%Y-%m-%d}): "
        f"{quote(row.text)}",
        f"Organizers: {', '.join(who(o.pseudonym, o.revealed_name) for o in organizers)}. "
        f"Votes {score(row.up, row.down)}, {plural(followers, 'follower')}.",
    ]
    if idea_row is not None:
        lines[0] += f" (pitched by {who(idea_row.pseudonym, idea_row.author_revealed)})"
    deadlines = await campaign_deadlines.summary(ctx, campaign)
    if "discussion" in deadlines and row.status == "active":
        ended, when = deadlines["discussion"]
        lines.append(
            f"Discussion: ended {when}, at its deadline."
            if ended
            else f"Discussion: open until {when} — `say {campaign} ...`."
        )
    if head is None and row.status == "closed":
        lines.append("Document: empty (the campaign closed without one).")
    elif head is None:
        lines.append(f"Document: empty — start it with `doc {campaign} edit TEXT`.")
    elif row.status == "closed":
        lines.append(
            f"Document: {plural(len(head.text), 'character')}, frozen at revision {head.rev} "
            f"since the campaign closed — `doc {campaign}` to read it."
        )
    else:
        lines.append(
            f"Document: {plural(len(head.text), 'character')}, revision {head.rev} by "
            f"{shown_pseudonym(head.pseudonym)} — `doc {campaign}` to read it."
        )
    if row.petition_text:
        version = row.petition_version
        counts = await petitions.counts_by_category(ctx.conn, campaign, version)
        detail = ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
        of = f" (version {version})" if version > 1 else ""
        if row.status == "closed":
            how = "closed: it takes no more names"
        elif "petition" not in deadlines:
            how = f"sign it privately: `sign {campaign}`"
        elif deadlines["petition"][0]:
            how = f"closed at its deadline, {deadlines['petition'][1]}: it takes no more names"
        else:
            how = f"sign it privately until {deadlines['petition'][1]}: `sign {campaign}`"
        lines.append(
            f"Petition{of}: {quote(row.petition_text)} — "
            f"{plural(row.signature_count, 'signature')}"
            f"{f' ({detail})' if detail else ''}; {how}."
        )
        earlier = await petition_commands.earlier_versions(ctx, campaign, version)
        if earlier:
            lines.append(earlier)
    elif row.status == "closed":
        lines.append("Petition: none (the campaign closed without one).")
    else:
        lines.append(f"Petition: none yet (organizers: `petition {campaign} STATEMENT`).")
    return Reply("\n".join(lines))
