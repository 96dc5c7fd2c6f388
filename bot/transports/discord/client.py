"""The discord.py client the transport runs: minimal intents, no pings, the slash tree built
from the registry, the persistent buttons, and form submissions.

Intents: only ``guilds`` (not privileged). It keeps the guilds, channels, threads and roles
the bot needs in its cache (to create threads and webhooks and to check moderator roles).
Everything members do arrives as interactions, which need no intent; the bot never reads
messages, so it needs neither the message intents nor the privileged Message Content,
Server Members or Presence intents. The same intent brings the changes an admin makes to
channels and roles, and ``on_change`` hears of them (and of reconnections): a fix to a
channel the bot could not use lets what waited for it go out at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from commands.framework.registry import Registry

from .interactions import InteractionRunner
from .slash import build_tree
from .views import DYNAMIC_ITEMS

logger = logging.getLogger(__name__)


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


class DynamoClient(discord.Client):
    def __init__(
        self,
        registry: Registry,
        components: InteractionRunner | None,
        *,
        guild_ready_timeout: float = 2.0,
        on_change: Callable[[int | None], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
            max_messages=None,  # the bot never looks back at messages; keep no cache
            chunk_guilds_at_startup=False,
        )
        self.components = components
        self.tree = build_tree(self, registry, lambda _interaction: self.components)
        # Called with a guild's id when its channels or roles change, with None when the
        # connection is ready again.
        self.on_change = on_change

    async def setup_hook(self) -> None:
        self.add_dynamic_items(*DYNAMIC_ITEMS)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if custom_id.startswith("dynamo:") and self.components is not None:
            await self.components.form_submitted(interaction)

    async def _changed(self, guild_id: int | None) -> None:
        if self.on_change is not None:
            await self.on_change(guild_id)

    async def on_ready(self) -> None:
        await self._changed(None)

    async def on_resumed(self) -> None:
        await self._changed(None)

    async def on_guild_channel_update(
        self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        await self._changed(after.guild.id)

    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        await self._changed(after.guild.id)
