"""The pages everyone sees the same: the front page, and the health check.

Every page is built from what the database holds now, read in one read transaction, and
shows nothing a member did not make public in chat: pseudonyms and chosen names, never an
account, a nick or an address.
"""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp import web

from bot.web.cache import cached
from bot.web.server import SITE
from storage.repos import campaigns, progress

routes = web.RouteTableDef()

FRONT_CAMPAIGNS = 50
FRONT_NEAR = 10


@routes.get("/")
@cached
async def front(request: web.Request) -> web.Response:
    site = request.app[SITE]
    rules = site.rules
    async with site.db.read() as conn:
        active = await campaigns.list_all(conn, limit=FRONT_CAMPAIGNS, include_closed=False)
        near = await progress.near_launch(conn, max(1, rules.launch_upvotes // 2), limit=FRONT_NEAR)
    return site.render(
        "front.html",
        campaigns=active,
        near=[(idea, rules.upvotes_needed(idea.up, idea.down)) for idea in near],
        launch_upvotes=rules.launch_upvotes,
    )


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers; each transport's state, for a monitor to read."""
    site = request.app[SITE]
    try:
        async with site.db.read() as conn:
            await conn.execute(sa.select(sa.literal(1)))
        database = "ok"
    except Exception as exc:  # any failure to reach it is what this page reports
        database = f"unreachable ({type(exc).__name__})"
    body = {"database": database, "transports": site.transports()}
    return web.json_response(body, status=200 if database == "ok" else 503)
