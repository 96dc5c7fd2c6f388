"""Build the running bot from its config: the App plus one transport per configured space."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.app import App
from bot.config import Config
from storage.vault import Vault

if TYPE_CHECKING:
    from bot.transports.irc.early import EarlyConnection


def build_app(
    config: Config,
    *,
    environ: Mapping[str, str] = os.environ,
    early: Mapping[str, EarlyConnection] | None = None,
) -> App:
    """Every transport the config names. Raises ConfigError for what cannot start, and
    SecretKeyError without a project secret in ``environ``.

    ``early``: IRC connections already started by ``dynamo run``, by network name.
    """
    app = App(config, vault=Vault.from_environ(environ))
    for network in config.irc:
        from bot.transports.irc.transport import IrcTransport

        connection = (early or {}).get(network.name)
        app.add_transport(IrcTransport(app, network, environ=environ, early=connection))
    if config.discord.enabled:
        from bot.transports.discord.transport import DiscordTransport

        app.add_transport(DiscordTransport(app, config.discord, environ=environ))
    if config.web.enabled:
        from bot.web.assemble import web_server

        app.web = web_server(app)
    return app
