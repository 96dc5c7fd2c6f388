"""On Discord a post's title links to its page when `[web] public_url` is set."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Config
from bot.web.settings import WebSettings
from commands.framework.privacy import NO_DELAY
from commands.framework.rules import Rules
from storage.db import Database
from tests.discord.harness import DiscordChat, discord_settings
from tests.discord_standin import StandIn, StoredMessage

PUBLIC = "https://dynamo.example.org"


@pytest.fixture
async def linked_discord(db: Database, standin: StandIn) -> AsyncIterator[DiscordChat]:
    config = Config(
        rules=Rules(launch_upvotes=2),
        privacy=NO_DELAY,
        discord=discord_settings(standin),
        web=WebSettings(listen="", public_url=PUBLIC),
    )
    chat = DiscordChat(standin, db, config)
    await chat.start()
    await chat.transport.client.tree.sync()  # what `dynamo discord sync` does
    yield chat
    await chat.stop()


async def test_discord_posts_link_their_titles_to_the_pages(linked_discord: DiscordChat) -> None:
    chat = linked_discord
    for person in ("alice", "bob", "carol"):
        await chat.join(person)
    await chat.ask("alice", "pitch", text="Fair pay for surveys")
    post = await chat.announcement(1)
    assert post.embeds[0]["url"] == f"{PUBLIC}/ideas/1"
    await chat.ask("bob", "upvote", idea=1)
    await chat.ask("carol", "upvote", idea=1)

    def launched() -> StoredMessage | None:
        return next(
            (
                m
                for m in chat.announcements()
                if m.embeds and "now a campaign" in m.embeds[0]["title"]
            ),
            None,
        )

    launch = await chat.standin.wait_for(launched, within=10, what="the launch post")
    assert launch.embeds[0]["url"] == f"{PUBLIC}/campaigns/1"
