"""Leaving any mailing in one click (RFC 8058): every list mail carries
``List-Unsubscribe: <https://PUBLIC_URL/unsubscribe/TOKEN>, <mailto:...>`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (bot/transports/email/mime.py).

A mail provider POSTs ``List-Unsubscribe=One-Click`` to that address: it acts at once,
without a login, and answers 200. A person who opens the link gets a page with a button
(a GET never acts: mail scanners follow links). The token alone says whose mail stops:
a member's address is forgotten (as `mod unsubscribe` does), a person without a chat
account leaves the campaign they signed or followed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from bot.web.server import SITE
from commands.email import forget_by_token
from commands.framework.job_env import JobEnv

logger = logging.getLogger(__name__)

TOKEN = r"/unsubscribe/{token:[A-Za-z0-9_-]{1,120}}"


class Leaving:
    def __init__(self, jobs: JobEnv, wake: Callable[[], None]) -> None:
        self.jobs = jobs
        self.wake = wake

    def routes(self) -> web.RouteTableDef:
        routes = web.RouteTableDef()
        routes.get(TOKEN)(self.page)
        routes.post(TOKEN)(self.leave)
        return routes

    async def page(self, request: web.Request) -> web.Response:
        return request.app[SITE].render("unsubscribe.html")

    async def leave(self, request: web.Request) -> web.Response:
        site = request.app[SITE]
        async with self.jobs.transaction(site.clock()) as ctx:
            done = await forget_by_token(ctx, request.match_info["token"])
        logger.info("unsubscribe by link: %s", "done" if done else "nothing to do")
        self.wake()
        # 200 either way: a provider's one-click POST needs no more than that.
        return site.render(
            "outside_done.html",
            title="Unsubscribed" if done else "Nothing to do",
            message=done or "This link belongs to no address any more: it gets no mail from us.",
        )
