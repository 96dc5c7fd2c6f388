"""Joining on Discord: /register in private, flip through pseudonyms with buttons, choose."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.transports.discord import interactions
from commands.framework.invoker import Invoker
from commands.framework.reply import Reply
from tests.discord.harness import DiscordChat


async def test_register_another_choose_by_buttons(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    offer = await chat.ask("alice", "register", guild=None, code=await chat.mint())
    assert offer.ephemeral
    first = re.search(r"could be \*\*([a-z]+_[a-z]+)\*\*", offer.content)
    assert first, offer.content
    assert offer.custom_ids == ["dynamo:run:another", "dynamo:run:choose"]
    labels = [c["label"] for c in offer.components[0]["components"]]
    assert labels == ["Another name", "Choose this"]
    # Commands in replies read as slash commands on Discord.
    assert "`/another`" in offer.content and "`/choose`" in offer.content

    # "Another name" replaces the private offer with a new one, buttons and all.
    another = await chat.click("alice", offer, "dynamo:run:another")
    assert (await another.response())["type"] == 7  # the offer is edited in place
    second = re.search(r"could be \*\*([a-z]+_[a-z]+)\*\*", chat.standin.message(offer.id).content)
    assert second and second.group(1) != first.group(1)
    assert chat.standin.message(offer.id).custom_ids == offer.custom_ids

    # "Choose this" takes the name on offer; the buttons go away.
    chosen = await chat.click("alice", chat.standin.message(offer.id), "dynamo:run:choose")
    await chosen.response()
    confirmed = chat.standin.message(offer.id)
    assert f"You are **{second.group(1)}**" in confirmed.content
    assert confirmed.custom_ids == []

    whoami = await chat.ask("alice", "whoami")
    assert whoami.ephemeral and second.group(1) in whoami.content
    # Nothing of this was public: no post anywhere but the private answers.
    assert all(m.ephemeral for m in chat.bot_messages())


async def test_register_in_a_server_is_private_too(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    offer = await chat.ask("bob", "register", code=await chat.mint())  # in #general
    assert offer.ephemeral and "could be" in offer.content
    general = chat.standin.guilds[0].channel_id("general")
    assert chat.standin.messages_in(general) == []  # what everyone in #general sees


async def test_slow_answers_think_first_then_arrive(
    discord_chat: DiscordChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a command takes too long for Discord's 3 seconds, the bot says "thinking…" in
    time and sends the answer after; a button's answer still replaces its message."""
    monkeypatch.setattr(interactions, "DEFER_AFTER", 0.0)
    invoke = Invoker.invoke

    async def slowly(self: Invoker, *args: Any, **kwargs: Any) -> Reply:
        # A command that has to wait (a busy database): one that never waits is answered
        # at once, even with no time allowed (SQLite statements run inline).
        await asyncio.sleep(0.05)
        return await invoke(self, *args, **kwargs)

    monkeypatch.setattr(Invoker, "invoke", slowly)
    chat = discord_chat
    handle = await chat.slash("cleo", "register", guild=None, code=await chat.mint())
    assert (await handle.response())["type"] == 5 and handle.ephemeral  # deferred, privately
    offer = await handle.reply()
    assert "could be" in offer.content and not offer.loading
    assert offer.custom_ids == ["dynamo:run:another", "dynamo:run:choose"]

    chosen = await chat.click("cleo", offer, "dynamo:run:choose")
    assert (await chosen.response())["type"] == 6  # deferred update of the offer
    await chat.standin.wait_for(lambda: "You are **" in chat.standin.message(offer.id).content)
    assert chat.standin.message(offer.id).custom_ids == []
