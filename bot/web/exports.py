"""A campaign as files to download (/campaigns/N/export.md, .html, .csv): the same files
as `dynamo export campaign N`, built by commands/export.py."""

from __future__ import annotations

from aiohttp import web

from bot.web.server import SITE
from commands import export

routes = web.RouteTableDef()


@routes.get(r"/campaigns/{number:\d+}/export.{fmt:md|html|csv}")
async def download(request: web.Request) -> web.Response:
    site = request.app[SITE]
    number = int(request.match_info["number"])
    fmt = request.match_info["fmt"]
    async with site.db.read() as conn:
        campaign = await export.gather(conn, number)
    if campaign is None:
        raise web.HTTPNotFound(text=f"There is no campaign #{number}.")
    return web.Response(
        text=export.render(campaign, fmt),
        content_type=export.MEDIA_TYPES[fmt],
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export.filename(number, fmt)}"'},
    )
