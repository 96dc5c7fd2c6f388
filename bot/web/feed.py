"""``/feed.atom``: the movement's news for feed readers (RFC 4287), newest first.

The same for everyone, like every page: campaigns launched and closed, petition
statements, adopted next steps and published weekly updates, each linking to its campaign's
page. No author but the movement: who did what is never in it.
"""

from __future__ import annotations

from aiohttp import web

from bot.web.server import SITE
from storage.repos import news

routes = web.RouteTableDef()

ENTRIES = 50
TITLES = {
    "launched": "Campaign #{id} launched",
    "closed": "Campaign #{id} closed",
    "petition": "Campaign #{id}: petition statement, version {number}",
    "next_step": "Campaign #{id}: next step adopted",
    "update": "Campaign #{id}: weekly update",
}


@routes.get("/feed.atom")
async def feed(request: web.Request) -> web.Response:
    site = request.app[SITE]
    async with site.db.read() as conn:
        items = await news.recent(conn, ENTRIES)
    base = site.settings.public_url or str(request.url.origin())
    entries = [
        {
            "id": f"{base}/campaigns/{item.campaign_id}#{item.kind}-{item.number}",
            "title": TITLES[item.kind].format(id=item.campaign_id, number=item.number),
            "link": f"{base}/campaigns/{item.campaign_id}",
            "updated": item.at.isoformat(timespec="seconds"),
            "summary": item.text or item.campaign_text,
            "campaign": item.campaign_text,
        }
        for item in items
    ]
    updated = entries[0]["updated"] if entries else site.clock().isoformat(timespec="seconds")
    xml = site.templates.get_template("feed.atom").render(
        base=base, entries=entries, updated=updated
    )
    return web.Response(text=xml, content_type="application/atom+xml", charset="utf-8")
