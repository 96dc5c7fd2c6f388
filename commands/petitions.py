"""Petitions: organizers set the statement, members sign with one command."""

from __future__ import annotations

from commands import lookup, shown_names
from commands.context import CommandError, Ctx, Reply, Role
from commands.formatting import plural, quote
from commands.ideas import check_text
from commands.registry import CommandSet, Param
from storage.repos import activity, campaigns, ledger, petitions, subscriptions

spec = CommandSet()

CATEGORIES = ("worker", "researcher", "ally")
# Followers are told when a petition reaches each of these (once, however people sign and
# unsign around it).
MILESTONES = (10, 25, 50, 100, 250, 500, 1000)


STATEMENT = Param("text", "text", "The petition statement", max_chars="petition_max_chars")
SHOWN_NAME = Param(
    "name",
    "text",
    "A name to show",
    required=False,
    keyword="as",
    shape="name",
    max_chars="name_max_chars",
    form_hint="Listed among the signers, never next to your pseudonym",
)


@spec.command(
    "petition",
    "Set a campaign's petition statement (organizers).",
    params=(
        Param("campaign", "int", "The campaign's number"),
        STATEMENT,
    ),
    examples=("petition 3 We ask requesters to pay at least the federal minimum wage.",),
    later="The petition statement of campaign #{campaign} goes up",
    tell_after=True,
    form_title="Petition of campaign #{campaign}",
)
async def petition(ctx: Ctx, campaign: int, text: str) -> Reply:
    row = await lookup.campaign(ctx, campaign)
    await lookup.require_organizer(ctx, campaign)
    if row.status != "active":
        raise CommandError(f"Campaign #{campaign} is closed.")
    text = check_text(
        text, STATEMENT.limit(ctx.rules), "petition statement", f"petition {campaign} We ask..."
    )
    await campaigns.set_petition(ctx.conn, campaign, text, ctx.now)
    verb = "updated" if row.petition_text else "is open"
    ctx.announce(
        "petition_set",
        f"The petition of campaign #{campaign} {verb}: {quote(text)} — sign it privately with "
        f"`sign {campaign}`.",
        campaign_id=campaign,
        statement=text,
        signatures=row.signature_count,
    )
    return Reply(f"Petition for campaign #{campaign} {verb}. It has been announced.")


@spec.command(
    "sign",
    "Sign a campaign's petition, optionally as a category and with a name you choose to show.",
    params=(
        Param("campaign", "int", "The campaign's number"),
        Param("category", "choice", "Who you sign as", required=False, choices=CATEGORIES),
        SHOWN_NAME,
    ),
    examples=("sign 3", "sign 3 researcher", 'sign 3 as "Kristy M., Turker since 2011"'),
    later="Your signature on campaign #{campaign}'s petition counts",
    form_title="Sign campaign #{campaign} with a name",
    details="Your signature counts under your pseudonym; no one sees which pseudonym signed. "
    "With `as NAME` the name you give is listed among the signers (not linked to your "
    "pseudonym). Category is worker (default), researcher or ally.",
)
async def sign(ctx: Ctx, campaign: int, category: str | None, name: str | None) -> Reply:
    row = await lookup.campaign(ctx, campaign)
    if not row.petition_text:
        raise CommandError(f"Campaign #{campaign} has no petition yet.")
    if row.status != "active":
        raise CommandError(f"Campaign #{campaign} is closed; its petition no longer takes names.")
    if name is not None:
        name = await shown_names.check(
            ctx, name, f'sign {campaign} as "Kristy M., Turker"', SHOWN_NAME.limit(ctx.rules)
        )
    new = await petitions.sign(
        ctx.conn,
        campaign_id=campaign,
        member_id=ctx.member_id,
        category=category or "worker",
        display_name=name,
        now=ctx.now,
    )
    total = row.signature_count
    if new:
        total = await campaigns.add_signatures(ctx.conn, campaign, 1)
        await subscriptions.subscribe(ctx.conn, ctx.member_id, campaign, ctx.now)
        await _milestone(ctx, campaign, total)
    await activity.touch(ctx.conn, campaign, ctx.now)
    shown = f', showing "{quote(name)}"' if name else ""
    lead = "Signed" if new else "Your signature is updated"
    return Reply(
        f"{lead}: campaign #{campaign}'s petition, as {category or 'worker'}{shown}. "
        f"It has {plural(total, 'signature')}.",
        data={"campaign_id": campaign, "signatures": total, "new": new},
    )


async def _milestone(ctx: Ctx, campaign: int, total: int) -> None:
    if total not in MILESTONES:
        return
    if not await ledger.claim(
        ctx.conn, "petition_milestone", f"campaign-{campaign}:{total}", ctx.now
    ):
        return
    ctx.notify(
        [m for m in await subscriptions.subscribers(ctx.conn, campaign) if m != ctx.member_id],
        "petition_milestone",
        f"The petition of campaign #{campaign}, which you follow, passed "
        f"{plural(total, 'signature')}. Ask others to sign: `sign {campaign}`.",
        campaign_id=campaign,
        signatures=total,
    )


@spec.command(
    "unsign",
    "Take your signature off a petition.",
    params=(Param("campaign", "int", "The campaign's number"),),
    examples=("unsign 3",),
    later="Your signature comes off campaign #{campaign}'s petition",
)
async def unsign(ctx: Ctx, campaign: int) -> Reply:
    await lookup.campaign(ctx, campaign)
    if not await petitions.unsign(ctx.conn, campaign, ctx.member_id):
        return Reply.unchanged(f"You had not signed campaign #{campaign}'s petition.")
    total = await campaigns.add_signatures(ctx.conn, campaign, -1)
    return Reply(
        f"Your signature is removed from campaign #{campaign}'s petition "
        f"({plural(total, 'signature')} now).",
        data={"campaign_id": campaign, "signatures": total},
    )


@spec.command(
    "signers",
    "Who signed a petition: counts by category and the names people chose to show.",
    params=(Param("campaign", "int", "The campaign's number"),),
    examples=("signers 3",),
    min_role=Role.NOBODY,
    private=False,
    writes=False,
)
async def signers(ctx: Ctx, campaign: int) -> Reply:
    row = await lookup.campaign(ctx, campaign)
    if not row.petition_text:
        return Reply(f"Campaign #{campaign} has no petition yet.")
    counts = await petitions.counts_by_category(ctx.conn, campaign)
    total = sum(counts.values())
    detail = ", ".join(plural(counts.get(c, 0), c) for c in CATEGORIES)
    lines = [f"Petition #{campaign}: {plural(total, 'signature')} ({detail})."]
    names = await petitions.shown_names(ctx.conn, campaign, limit=50)
    if names:
        lines.append(
            "Signed openly by: "
            + "; ".join(f"{quote(n.display_name)} ({n.category})" for n in names)
        )
    return Reply("\n".join(lines))
