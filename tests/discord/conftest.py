"""Fixtures for the Discord tests: the local stand-in with two guilds, and the chat harness
running the real transport (and the real discord.py client) against it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Config
from commands.framework.privacy import NO_DELAY
from commands.framework.rules import Rules
from storage.db import Database
from tests.discord.harness import GUILDS, DiscordChat, discord_settings
from tests.discord_standin import StandIn, patched_discord


@pytest.fixture
async def standin() -> AsyncIterator[StandIn]:
    # patched_discord as well as the transport's own api_base/gateway_url override: belt and
    # braces, so nothing in a test can ever reach discord.com.
    async with StandIn(guilds=GUILDS) as running, patched_discord(running):
        yield running


@pytest.fixture
async def discord_chat(db: Database, standin: StandIn, rules: Rules) -> AsyncIterator[DiscordChat]:
    chat = DiscordChat(
        standin, db, Config(rules=rules, privacy=NO_DELAY, discord=discord_settings(standin))
    )
    await chat.start()
    await chat.transport.client.tree.sync()  # what `dynamo discord sync` does
    yield chat
    await chat.stop()
