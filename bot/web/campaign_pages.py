"""/campaigns/N: a campaign as chat shows it (`campaign N`, `signers N`, `nextstep N`,
`actions N`) plus what the weekly updates carried, the same to every reader.

Signers appear only as counts and as the names they chose to show, never tied to a
pseudonym; an action's pledgers only as its count (who pledged is sealed: commands.actions);
objections to a next step are not counted here (a count that moves when someone objects
would time their private message).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.web import lookup
from bot.web.cache import FRESH_UNTIL, cached
from bot.web.links import CAMPAIGN, route
from bot.web.server import SITE, Site
from commands import actions as action_commands
from commands import campaign_deadlines
from commands.framework import calendar
from commands.framework.formatting import plain, score, shown_pseudonym, who
from commands.petitions import CATEGORIES, SHOWN_NAMES
from storage.repos import (
    actions,
    campaigns,
    documents,
    ideas,
    nextsteps,
    petitions,
    subscriptions,
)
from storage.repos import updates as update_repo

routes = web.RouteTableDef()

UPDATES = 10
STEPS = 10


@routes.get(route(CAMPAIGN))
@cached
async def campaign_page(request: web.Request) -> web.Response:
    site = request.app[SITE]
    campaign_id = lookup.number(request)
    async with site.db.read() as conn:
        row = await lookup.campaign(conn, campaign_id)
        if row is None:
            return await lookup.no_campaign(site, conn, campaign_id)
        values = await _read(site, conn, row)
    changes_at = values.pop("changes_at")
    response = site.render("campaign.html", campaign=row, **values)
    if changes_at is not None:
        response[FRESH_UNTIL] = changes_at  # a deadline passes: the page reads "ended"
    return response


async def _read(site: Site, conn: AsyncConnection, row: Any) -> dict[str, Any]:
    campaign_id = int(row.id)
    idea_row = await ideas.get(conn, campaign_id)
    # The newest revision without its text: the page names it, the document page shows it.
    head = next(iter(await documents.history(conn, campaign_id, limit=1)), None)
    steps = await nextsteps.of_campaign(conn, campaign_id, limit=STEPS)
    deadlines, changes_at = await campaign_deadlines.shown(
        conn, campaign_id, site.clock(), site.zone
    )
    return {
        "pitched_by": plain(who(idea_row.pseudonym, idea_row.author_revealed)),
        "organizers": [
            plain(who(o.pseudonym, o.revealed_name))
            for o in await campaigns.organizer_names(conn, campaign_id)
        ],
        "votes": score(row.up, row.down),
        "followers": await subscriptions.count(conn, campaign_id),
        "deadlines": deadlines,
        "changes_at": changes_at,
        "document": (
            None
            if head is None
            else {
                "rev": head.rev,
                "by": shown_pseudonym(head.pseudonym),
                "at": _at(site, head.created_at),
            }
        ),
        "petition": await _petition(conn, row) if row.petition_text else None,
        "actions": [
            {
                "id": a.id,
                "text": a.text,
                "needs": a.needs,
                "pledges": a.pledge_count,
                "status": a.status,
                "until": _at(site, a.due_at),
                "closed": None if a.closed_at is None else _at(site, a.closed_at),
                # "; delivered to the target on ..." (never the address), or "".
                "delivery": action_commands.delivery_note(a, site.zone)
                if a.status == actions.TRIGGERED
                else "",
            }
            for a in await actions.of_campaign(conn, campaign_id)
        ],
        "updates": [
            {"week": u.published_in, "by": shown_pseudonym(u.pseudonym), "text": u.text}
            for u in await update_repo.published(conn, campaign_id, limit=UPDATES)
        ],
        "adopted": [
            {"text": s.text, "at": _at(site, s.decided_at)} for s in steps if s.status == "adopted"
        ],
        "proposed": [
            {"text": s.text, "until": _at(site, s.window_ends_at)}
            for s in steps
            if s.status == "proposed"
        ],
    }


async def _petition(conn: AsyncConnection, row: Any) -> dict[str, Any]:
    """What `signers N` says, with every version's statement beside its count."""
    campaign_id, current = int(row.id), int(row.petition_version)
    counts = await petitions.counts_by_category(conn, campaign_id, current)
    by_version = await petitions.counts_by_version(conn, campaign_id)
    return {
        "version": current,
        "text": row.petition_text,
        "signatures": row.signature_count,
        "categories": [(c, counts.get(c, 0)) for c in CATEGORIES],
        "earlier": [
            {"version": v.version, "text": v.text, "signatures": by_version.get(v.version, 0)}
            for v in reversed(await petitions.versions(conn, campaign_id))
            if v.version < current
        ],
        "names": [
            (n.display_name, n.category)
            for n in await petitions.shown_names(conn, campaign_id, current, limit=SHOWN_NAMES)
        ],
    }


def _at(site: Site, moment: Any) -> str:
    return calendar.show(moment, site.zone)
