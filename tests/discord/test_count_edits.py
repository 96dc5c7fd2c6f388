"""Counts on announcements don't time a vote: after a click that changed a count, the edit
of the count waits a fresh random delay (``[privacy] max_public_delay``), so someone watching
the message cannot tie the change to the moment a member acted; a rush of clicks still
becomes one edit. With no delay configured the edit follows at once, as before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest

from bot.config import Config
from commands.privacy import NO_DELAY, Privacy
from commands.rules import Rules
from storage.db import Database
from tests.discord.harness import DiscordChat, discord_settings, field_value
from tests.discord_standin import RecordedRequest, StandIn, StoredMessage

# Longer than a burst of three clicks takes, even on a busy machine, so the three share it.
DELAY = 0.6


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=5)


@asynccontextmanager
async def bot(
    standin: StandIn,
    db: Database,
    rules: Rules,
    *,
    privacy: Privacy = NO_DELAY,
    count_delay: Callable[[], timedelta] | None = None,
) -> AsyncIterator[DiscordChat]:
    config = Config(rules=rules, privacy=privacy, discord=discord_settings(standin))
    chat = DiscordChat(standin, db, config, count_delay=count_delay)
    await chat.start()
    await chat.transport.client.tree.sync()
    try:
        yield chat
    finally:
        await chat.stop()


def edits_of(chat: DiscordChat, message: StoredMessage) -> list[RecordedRequest]:
    return chat.standin.requests_to(
        "PATCH", f"/channels/{message.channel_id}/messages/{message.id}"
    )


async def settled(chat: DiscordChat) -> None:
    """Wait until no edit is due or under way: edits counted from here are the clicks'."""
    await chat.standin.wait_for(lambda: chat.transport.edits.idle, what="the edits to settle")


def shows(chat: DiscordChat, message: StoredMessage, votes: str) -> bool:
    return field_value(chat.standin.message(message.id), "Votes") == votes


async def test_a_rush_of_votes_is_edited_once_after_the_delay(
    standin: StandIn, db: Database, rules: Rules
) -> None:
    async with bot(standin, db, rules, count_delay=lambda: timedelta(seconds=DELAY)) as chat:
        await chat.join("ada")
        voters = ["bea", "cleo", "dan"]
        for name in voters:
            await chat.join(name)
        await chat.ask("ada", "pitch", text="Pay for qualification tests")
        posts = [await chat.announcement(1, g) for g in (0, 1)]
        await settled(chat)
        before = [len(edits_of(chat, post)) for post in posts]

        loop = asyncio.get_running_loop()
        clicked = loop.time()
        answers = await asyncio.gather(
            *(chat.click_reply(name, posts[0], "dynamo:vote:up:1") for name in voters)
        )
        answered = loop.time()
        assert all(a.startswith("You upvoted #1") for a in answers)
        # Nothing shows the change while its delay runs.
        assert chat.transport.edits.waiting == 1
        assert [len(edits_of(chat, post)) for post in posts] == before

        await chat.standin.wait_for(lambda: all(shows(chat, p, "▲ 3 · ▼ 0") for p in posts))
        for post, earlier in zip(posts, before, strict=True):
            (edit,) = edits_of(chat, post)[earlier:]  # one edit for the three votes, each guild
            assert edit.at - clicked >= DELAY  # never before its delay
            assert edit.at - answered <= DELAY + 1.0  # and soon after it
        assert chat.transport.edits.waiting == 0


async def test_the_delay_is_drawn_from_the_privacy_setting(
    standin: StandIn, db: Database, rules: Rules
) -> None:
    async with bot(standin, db, rules, privacy=Privacy(max_public_delay="1s")) as chat:
        await chat.join("ada")
        await chat.join("bea")
        await chat.ask("ada", "pitch", text="Pay for qualification tests")
        post = await chat.announcement(1)
        await settled(chat)
        earlier = len(edits_of(chat, post))
        loop = asyncio.get_running_loop()
        clicked = loop.time()
        await chat.click_reply("bea", post, "dynamo:vote:up:1")
        await chat.standin.wait_for(lambda: shows(chat, post, "▲ 1 · ▼ 0"))
        (edit,) = edits_of(chat, post)[earlier:]
        assert 0 <= edit.at - clicked <= 1.0 + 1.0  # within the window (and some slack)


async def test_a_signature_count_waits_too(standin: StandIn, db: Database, rules: Rules) -> None:
    async with bot(standin, db, rules, count_delay=lambda: timedelta(seconds=DELAY)) as chat:
        names = ["ada", "bea", "cleo", "dan", "eve"]
        for name in names:
            await chat.join(name)
        await chat.ask("ada", "pitch", text="Pay for qualification tests")
        post = await chat.announcement(1)
        for name in names:
            await chat.click_reply(name, post, "dynamo:vote:up:1")
        await chat.ask("ada", "petition", campaign=1, text="We ask for pay.")

        def petition() -> StoredMessage | None:
            threads = chat.threads(1)
            if not threads:
                return None
            return next(
                (
                    m
                    for m in chat.standin.messages_in(int(threads[0]["id"]))
                    if m.custom_ids == ["dynamo:sign:1"]
                ),
                None,
            )

        sign_post = await chat.standin.wait_for(petition)
        await settled(chat)
        earlier = len(edits_of(chat, sign_post))
        loop = asyncio.get_running_loop()
        clicked = loop.time()
        await chat.click_reply("bea", sign_post, "dynamo:sign:1")
        assert chat.transport.edits.waiting == 1
        assert len(edits_of(chat, sign_post)) == earlier
        await chat.standin.wait_for(
            lambda: field_value(chat.standin.message(sign_post.id), "Signatures") == "1"
        )
        (edit,) = edits_of(chat, sign_post)[earlier:]
        assert edit.at - clicked >= DELAY


async def test_without_a_delay_the_count_is_edited_at_once(discord_chat: DiscordChat) -> None:
    chat = discord_chat  # [privacy] max_public_delay = "0s"
    await chat.join("ada")
    await chat.join("bea")
    await chat.ask("ada", "pitch", text="Pay for qualification tests")
    post = await chat.announcement(1)
    await settled(chat)
    earlier = len(edits_of(chat, post))
    await chat.click_reply("bea", post, "dynamo:vote:up:1")
    assert chat.transport.edits.waiting == 0  # marked at once, nothing held back
    await chat.standin.wait_for(lambda: shows(chat, post, "▲ 1 · ▼ 0"))
    assert len(edits_of(chat, post)) == earlier + 1
