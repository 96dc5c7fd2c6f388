"""``dynamo discord sync [--guild ID]``: register the slash commands with Discord.

An explicit step, run after an upgrade that changes commands, not on every start (Discord
rate-limits command registration, and a sync replaces the whole set). Without ``--guild``
the commands are global (every server the bot is in, and DMs with the bot); with it they are
registered in that one server only, which shows changes at once while trying things out.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import discord

from bot.config import ConfigError
from commands.catalog import build_registry
from commands.framework.registry import Registry

from .client import DynamoClient
from .settings import DiscordSettings, missing_token
from .transport import ApiOverride, refused_token


async def sync_commands(
    settings: DiscordSettings,
    *,
    environ: Mapping[str, str] = os.environ,
    guild_id: int | None = None,
    registry: Registry | None = None,
) -> list[str]:
    """Overwrite the bot's slash commands with the registry's; returns their names."""
    token = (environ.get(settings.token_env) or "").strip()
    if not token:
        raise ConfigError(missing_token(settings.token_env))
    api = ApiOverride(settings)
    api.apply()
    client = DynamoClient(registry or build_registry(), None)
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            raise ConfigError(refused_token(settings.token_env)) from None
        if guild_id is None:
            synced = await client.tree.sync()
        else:
            guild = discord.Object(guild_id)
            client.tree.copy_global_to(guild=guild)
            synced = await client.tree.sync(guild=guild)
        return sorted(c.name for c in synced)
    finally:
        await client.close()
        api.restore()


async def sync_main(
    settings: DiscordSettings,
    guild_id: int | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
) -> int:
    """The ``dynamo discord sync`` command: sync, say what happened, return the exit code."""
    if not settings.enabled:
        print(
            "dynamo: configuration error: no [[discord.guilds]] table in the config, so there "
            "is no Discord bot to register commands for (see config.example.toml)",
            file=sys.stderr,
        )
        return 2
    try:
        names = await sync_commands(settings, environ=environ, guild_id=guild_id)
    except ConfigError as exc:
        print(f"dynamo: configuration error: {exc}", file=sys.stderr)
        return 2
    except discord.HTTPException as exc:
        print(f"dynamo: Discord refused the commands: {exc.status} {exc.text}", file=sys.stderr)
        return 1
    print(sync_summary(names, guild_id))
    return 0


def sync_summary(names: list[str], guild_id: int | None) -> str:
    where = f"in server {guild_id}" if guild_id is not None else "globally"
    return f"registered {len(names)} slash commands {where}: " + ", ".join(f"/{n}" for n in names)
