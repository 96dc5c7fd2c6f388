"""Petitions: organizers set the statement, members sign with one command."""

from __future__ import annotations

from commands import campaign_deadlines, shown_names
from commands.framework import lookup
from commands.framework.context import Ctx
from commands.framework.formatting import plural, quote
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply, Role
from commands.ideas import check_text
from storage.repos import activity, campaigns, ledger, petitions, subscriptions

spec = CommandSet()

CATEGORIES = ("worker", "researcher", "ally")
# Followers are told when a petition reaches each of these (once, however people sign and
# unsign around it).
MILESTONES = (10, 25, 50, 100, 250, 500, 1000)
# How many of the names signers chose to show `signers` lists (the web page lists as many).
SHOWN_NAMES = 50


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
    ended = await campaign_deadlines.ended_when(ctx, campaign, "petition")
    if ended is not None:
        raise CommandError(
            f"The petition of campaign #{campaign} closed at its deadline, {ended}; its "
            f"statement stays as it was signed. A moderator can open it again: "
            f"`mod deadline {campaign} petition off`."
        )
    text = check_text(
        text, STATEMENT.limit(ctx.rules), "petition statement", f"petition {campaign} We ask..."
    )
    if row.petition_text == text:
        return Reply.unchanged(f"Campaign #{campaign}'s petition already says exactly that.")
    # Once someone has signed the statement, it stays as they signed it: a new one is the
    # next version, and starts with no signatures.
    version = row.petition_version
    if version == 0 or row.signature_count > 0:
        version += 1
    await petitions.set_statement(ctx.conn, campaign, version, text, ctx.now)
    earlier = await petitions.signers_before(ctx.conn, campaign, version)
    if version == row.petition_version:
        verb = "is reworded (nobody had signed it yet)"
    elif version == 1:
        verb = "is open"
    else:
        verb = f"has a new statement, version {version}"
    if earlier and version != row.petition_version:
        ctx.notify(
            earlier,
            "petition_changed",
            f"The petition of campaign #{campaign} that you signed has a new statement "
            f"(version {version}): {quote(text)} Your signature stays on the statement you "
            f"signed. To sign the new one: `sign {campaign}`.",
            campaign_id=campaign,
            version=version,
        )
    kept = (
        f" {plural(len(earlier), 'signature')} stay{'s' if len(earlier) == 1 else ''} on "
        f"the earlier version{'s' if version > 2 else ''}."
        if earlier
        else ""
    )
    ctx.announce(
        "petition_set",
        f"The petition of campaign #{campaign} {verb}: {quote(text)} — sign it privately with "
        f"`sign {campaign}`.{kept}",
        campaign_id=campaign,
        statement=text,
        version=version,
        signatures=0 if version != row.petition_version else row.signature_count,
    )
    told = (
        f" Its {plural(len(earlier), 'signer')} of earlier versions are told privately and "
        f"can sign the new one with `sign {campaign}`."
        if earlier and version != row.petition_version
        else ""
    )
    return Reply(f"Petition for campaign #{campaign} {verb}. It has been announced.{told}")


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
    await _refuse_if_ended(ctx, campaign)
    if name is not None:
        name = await shown_names.check(
            ctx, name, f'sign {campaign} as "Kristy M., Turker"', SHOWN_NAME.limit(ctx.rules)
        )
    outcome = await petitions.sign(
        ctx.conn,
        campaign_id=campaign,
        member_id=ctx.member_id,
        version=row.petition_version,
        category=category or "worker",
        display_name=name,
        now=ctx.now,
    )
    total = row.signature_count
    if outcome != "updated":
        total = await campaigns.add_signatures(ctx.conn, campaign, 1)
        await subscriptions.subscribe(ctx.conn, ctx.member_id, campaign, ctx.now)
        await _milestone(ctx, campaign, total)
    await activity.touch(ctx.conn, campaign, ctx.now)
    shown = f', showing "{quote(name)}"' if name else ""
    lead = {
        "new": "Signed",
        "moved": f"Signed the new statement (version {row.petition_version})",
        "updated": "Your signature is updated",
    }[outcome]
    return Reply(
        f"{lead}: campaign #{campaign}'s petition, as {category or 'worker'}{shown}. "
        f"It has {plural(total, 'signature')}.",
        data={"campaign_id": campaign, "signatures": total, "new": outcome != "updated"},
    )


async def _refuse_if_ended(ctx: Ctx, campaign: int) -> None:
    ended = await campaign_deadlines.ended_when(ctx, campaign, "petition")
    if ended is not None:
        raise CommandError(
            f"The petition of campaign #{campaign} closed at its deadline, {ended}; "
            f"signatures can no longer be added or taken off (`campaign {campaign}` shows "
            f"its final count)."
        )


async def earlier_versions(ctx: Ctx, campaign: int, version: int) -> str | None:
    """A line with the signatures that stay on earlier statements, or None."""
    counts = await petitions.counts_by_version(ctx.conn, campaign)
    older = [(v, n) for v, n in sorted(counts.items(), reverse=True) if v < version]
    if not older:
        return None
    return (
        "Signed on earlier statements: "
        + ", ".join(f"version {v}, {plural(n, 'signature')}" for v, n in older)
        + "."
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
    row = await lookup.campaign(ctx, campaign)
    await _refuse_if_ended(ctx, campaign)
    version = await petitions.unsign(ctx.conn, campaign, ctx.member_id)
    if version is None:
        return Reply.unchanged(f"You had not signed campaign #{campaign}'s petition.")
    total = row.signature_count
    if version == row.petition_version:
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
    version = row.petition_version
    counts = await petitions.counts_by_category(ctx.conn, campaign, version)
    total = sum(counts.values())
    detail = ", ".join(plural(counts.get(c, 0), c) for c in CATEGORIES)
    of = f", version {version}" if version > 1 else ""
    lines = [f"Petition #{campaign}{of}: {plural(total, 'signature')} ({detail})."]
    earlier = await earlier_versions(ctx, campaign, version)
    if earlier:
        lines.append(earlier)
    names = await petitions.shown_names(ctx.conn, campaign, version, limit=SHOWN_NAMES)
    if names:
        lines.append(
            "Signed openly by: "
            + "; ".join(f"{quote(n.display_name)} ({n.category})" for n in names)
        )
    return Reply("\n".join(lines))
