"""The web server inside ``dynamo run``: one aiohttp application on ``[web] listen``.

Every response carries the same protective headers: a Content-Security-Policy that allows
only this site's own stylesheet and forms (no script at all, no frame, no third-party
asset), no referrer, no MIME sniffing. Readers get no cookie. Templates are Jinja2 with
autoescaping on, so text from members is always inert.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from bot.web.cache import PAGE_CACHE, PageCache
from bot.web.settings import WebError, WebSettings
from commands.framework.formatting import plural
from commands.framework.rules import Rules
from storage.db import Database

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Site:
    """What the pages work with; ``request.app[SITE]`` in a handler."""

    db: Database
    settings: WebSettings
    rules: Rules
    clock: Callable[[], datetime]
    templates: jinja2.Environment
    # Each transport's state for /healthz: name -> "up" / "down" and so on.
    transports: Callable[[], dict[str, str]]
    # The configured zone ([schedule] timezone): pages show every time in it, the same to all.
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    def render(self, template: str, status: int = 200, **values: Any) -> web.Response:
        html = self.templates.get_template(template).render(site=self.settings, **values)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


SITE = web.AppKey("site", Site)


@web.middleware
async def protective_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if isinstance(response, web.HTTPException) and response.status >= 400:
        raise response
    return response


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # `{{ n | plural("signature") }}` reads "1 signature", "2 signatures", as in chat.
    env.filters["plural"] = plural
    return env


def application(site: Site, *route_tables: web.RouteTableDef) -> web.Application:
    app = web.Application(middlewares=[protective_headers])
    app[SITE] = site
    app[PAGE_CACHE] = PageCache(site.db, site.clock)
    for table in route_tables:
        app.add_routes(table)
    static = app.router.add_static("/static/", HERE / "static", append_version=True)
    site.templates.globals["static"] = lambda name: str(static.url_for(filename=name))
    return app


class WebServer:
    """Started and stopped by the App, beside the chat transports."""

    def __init__(self, app: web.Application, settings: WebSettings) -> None:
        self.app = app
        self.settings = settings
        self.runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        host, port = self.settings.address()
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            await self.runner.cleanup()
            self.runner = None
            raise WebError(
                f"the web pages could not listen on {self.settings.listen} ({exc.strerror}): "
                f'set [web] listen to a free "HOST:PORT", or "" to turn the web off'
            ) from exc
        self.port = _bound_port(self.runner) or port
        logger.info("web pages served on http://%s:%d", host, self.port)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


def _bound_port(runner: web.AppRunner) -> int | None:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None
