"""Build the running bot from its config: the App plus one transport per configured space."""

from __future__ import annotations

import os
from collections.abc import Mapping

from bot.app import App
from bot.config import Config


def build_app(config: Config, *, environ: Mapping[str, str] = os.environ) -> App:
    """Every transport the config names. Raises ConfigError for what cannot start."""
    app = App(config)
    for network in config.irc:
        from bot.transports.irc.transport import IrcTransport

        app.add_transport(IrcTransport(app, network, environ=environ))
    if config.discord.enabled:
        from bot.transports.discord.transport import DiscordTransport

        app.add_transport(DiscordTransport(app, config.discord, environ=environ))
    return app
