"""The public site of a built App: its pages, on the App's database, rules and clock."""

from __future__ import annotations

from typing import Any

from bot.web import (
    campaign_pages,
    document_pages,
    editor,
    exports,
    feed,
    idea_pages,
    moderation_log,
    pages,
)
from bot.web.leaving import Leaving
from bot.web.metrics import Metrics
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
        zone=app.config.schedule.zone,
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
    tables = [
        pages.routes,
        idea_pages.routes,
        campaign_pages.routes,
        document_pages.routes,
        feed.routes,
        editor.routes,
        outside.routes(),
        Leaving(app.jobs, wake).routes(),
        exports.routes,
        moderation_log.routes,
    ]
    if settings.metrics:
        tables.append(Metrics(app).routes())
    served = application(site, *tables)
    served[editor.EDITOR] = editor.Editor(invoker=app.invoker)
    return WebServer(served, settings)
