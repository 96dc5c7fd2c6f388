"""/ideas/N: one idea as `idea N` shows it in chat, the same to every reader."""

from __future__ import annotations

from aiohttp import web

from bot.web import lookup
from bot.web.cache import cached
from bot.web.links import IDEA, route
from bot.web.server import SITE
from commands.framework import calendar
from commands.framework.formatting import needed_text, plain, score, who
from storage.repos import campaigns, deadlines, subscriptions

routes = web.RouteTableDef()


@routes.get(route(IDEA))
@cached
async def idea_page(request: web.Request) -> web.Response:
    site = request.app[SITE]
    idea_id = lookup.number(request)
    async with site.db.read() as conn:
        row = await lookup.idea(conn, idea_id)
        if row is None:
            return lookup.no_idea(site, idea_id)
        followers = await subscriptions.count(conn, row.id)
        due = await deadlines.get(conn, row.id) if row.status == "open" else None
        # A campaign that closed closed its idea too: the page still leads to it.
        launched = row.launched_at is not None
        campaign = await campaigns.get(conn, row.id) if launched else None
    return site.render(
        "idea.html",
        idea=row,
        author=plain(who(row.pseudonym, row.author_revealed)),
        votes=score(row.up, row.down),
        followers=followers,
        needed=needed_text(site.rules, row.up, row.down),
        launch_upvotes=site.rules.launch_upvotes,
        deadline=calendar.show(due, site.zone) if due is not None else None,
        campaign_status=campaign.status if campaign is not None else None,
    )
