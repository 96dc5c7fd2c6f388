"""/modlog: the public moderation log, as `modlog` shows it in chat — each moderator by
pseudonym only, what was done to what, and the stated reason; a ban says "a member" unless
the moderator chose to name them."""

from __future__ import annotations

from aiohttp import web

from bot.web.server import SITE
from commands.framework import calendar
from commands.moderation import PAGE, public_line
from storage.repos import moderation

routes = web.RouteTableDef()

# The deepest page served: a bounded read whatever the query says.
MAX_PAGE = 10_000


@routes.get("/modlog")
async def modlog_page(request: web.Request) -> web.Response:
    site = request.app[SITE]
    asked = request.query.get("page", "1")
    number = int(asked) if asked.isascii() and asked.isdigit() and len(asked) <= 5 else 0
    if not 1 <= number <= MAX_PAGE:
        return site.render(
            "missing.html",
            status=404,
            title="No such page of the moderation log",
            hint="The log's pages are numbered from 1.",
            link=("/modlog", "The newest moderation actions"),
        )
    async with site.db.read() as conn:
        rows = await moderation.page(conn, limit=PAGE, offset=(number - 1) * PAGE)
        total = await moderation.count(conn)
    return site.render(
        "modlog.html",
        entries=[
            {"at": calendar.show(r.created_at, site.zone), "said": public_line(r)} for r in rows
        ],
        number=number,
        newer=number - 1 if number > 1 else None,
        older=number + 1 if number * PAGE < total else None,
    )
