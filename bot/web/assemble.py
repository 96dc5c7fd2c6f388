"""The public site of a built App: its pages, on the App's database, rules and clock."""

from __future__ import annotations

from typing import Any

from bot.web import exports, pages
from bot.web.leaving import Leaving
from bot.web.outside import Outside
from bot.web.server import Site, WebServer, application, templates


def web_server(app: Any) -> WebServer:
    """The public pages of a built App (bot.app.App), on its config's ``[web]`` table."""
    settings = app.config.web
    site = Site(
        db=app.db,
        settings=settings,
        rules=app.config.rules,
        clock=app.clock,
        templates=templates(),
        transports=app.dispatcher.space_states,
    )

    def wake() -> None:
        # A request or a confirmation queued a mail or a signature's moment.
        if app.mailer is not None:
            app.mailer.wake()
        app.later.wake()

    outside = Outside(
        privacy=app.config.privacy,
        zone=app.config.schedule.zone,
        reserved_names=app.config.reserved_names,
        available=app.mailer is not None and bool(settings.public_url),
        wake=wake,
    )
    tables = [pages.routes, outside.routes(), Leaving(app.jobs, wake).routes(), exports.routes]
    return WebServer(application(site, *tables), settings)
