"""A campaign's document: the current revision rendered from Markdown, the list of its
revisions (as `doc N history` shows them in chat) and what each revision changed.

A revision never changes once written, so each page of one is the same for as long as the
revision stands; the rendering is cached by the text (bot.web.markdown).
"""

from __future__ import annotations

from aiohttp import web

from bot.web import diff, lookup, markdown
from bot.web.cache import cached
from bot.web.links import CAMPAIGN, route
from bot.web.server import SITE
from commands.framework import calendar
from commands.framework.formatting import shown_pseudonym
from storage.repos import documents

routes = web.RouteTableDef()

HISTORY = 100


@routes.get(route(CAMPAIGN + "/document"))
@cached
async def document_page(request: web.Request) -> web.Response:
    site = request.app[SITE]
    campaign_id = lookup.number(request)
    async with site.db.read() as conn:
        campaign = await lookup.campaign(conn, campaign_id)
        if campaign is None:
            return await lookup.no_campaign(site, conn, campaign_id)
        head = await documents.head(conn, campaign_id)
    return site.render(
        "document.html",
        campaign=campaign,
        head=head,
        at=calendar.show(head.created_at, site.zone) if head is not None else None,
        doc=markdown.render(head.text) if head is not None else None,
    )


@routes.get(route(CAMPAIGN + "/document/history"))
@cached
async def history_page(request: web.Request) -> web.Response:
    site = request.app[SITE]
    campaign_id = lookup.number(request)
    async with site.db.read() as conn:
        campaign = await lookup.campaign(conn, campaign_id)
        if campaign is None:
            return await lookup.no_campaign(site, conn, campaign_id)
        rows = await documents.history(conn, campaign_id, limit=HISTORY)
    return site.render(
        "history.html",
        campaign=campaign,
        revisions=[
            {
                "rev": r.rev,
                "action": _action(r.action),
                "by": shown_pseudonym(r.pseudonym),
                "at": calendar.show(r.created_at, site.zone),
                "length": r.length,
            }
            for r in rows
        ],
    )


@routes.get(route(CAMPAIGN + r"/document/diff/{rev:\d+}"))
@cached
async def diff_page(request: web.Request) -> web.Response:
    site = request.app[SITE]
    campaign_id = lookup.number(request)
    rev = lookup.number(request, "rev")
    async with site.db.read() as conn:
        campaign = await lookup.campaign(conn, campaign_id)
        if campaign is None:
            return await lookup.no_campaign(site, conn, campaign_id)
        this = await documents.get(conn, campaign_id, rev) if lookup.storable(rev) else None
        before = await documents.get(conn, campaign_id, rev - 1) if rev > 1 else None
    if this is None:
        return lookup.missing(
            site,
            f"Campaign #{campaign_id}'s document has no revision {rev}",
            "No revision has this number.",
            (f"/campaigns/{campaign_id}/document/history", "See its revisions"),
        )
    shown = diff.lines(before.text if before is not None else "", this.text)
    added, removed = diff.counts(shown)
    return site.render(
        "diff.html",
        campaign=campaign,
        rev=this.rev,
        action=_action(this.action),
        by=shown_pseudonym(this.pseudonym),
        at=calendar.show(this.created_at, site.zone),
        lines=shown,
        added=added,
        removed=removed,
    )


def _action(action: str) -> str:
    """How a revision was made: "edit", "append", or "revert to r2"."""
    kind, _, rev = action.partition(":")
    return f"revert to r{rev}" if kind == "revert" else kind
