"""The public site of a built App: its pages, on the App's database, rules and clock."""

from __future__ import annotations

from typing import Any

from bot.web import editor, pages
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
    served = application(site, pages.routes, editor.routes)
    served[editor.EDITOR] = editor.Editor(invoker=app.invoker)
    return WebServer(served, settings)
