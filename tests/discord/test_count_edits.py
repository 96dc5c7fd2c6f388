"""Counts on announcements don't time a vote: with `[privacy] max_public_delay` set, a vote
or a signature is carried out at a random moment later (commands.framework.deferral), and
the edit of the count follows that moment, not the click; a rush of clicks still becomes few edits.
With no delay configured the edit follows the click at once, as before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.config import Config
from commands.framework.privacy import NO_DELAY, Privacy
from commands.framework.rules import Rules
from storage.db import Database
from tests.delays import Scripted
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
) -> AsyncIterator[DiscordChat]:
    config = Config(rules=rules, privacy=privacy, discord=discord_settings(standin))
    chat = DiscordChat(standin, db, config)
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


async def test_a_rush_of_votes_shows_only_when_they_are_carried_out(
    standin: StandIn, db: Database, rules: Rules
) -> None:
    privacy = Scripted(max_public_delay="2s")
    async with bot(standin, db, rules, privacy=privacy) as chat:
        await chat.join("ada")
        voters = ["bea", "cleo", "dan"]
        for name in voters:
            await chat.join(name)
        await chat.ask("ada", "pitch", text="Pay for qualification tests")
        posts = [await chat.announcement(1, g) for g in (0, 1)]
        await settled(chat)
        before = [len(edits_of(chat, post)) for post in posts]

        privacy.upcoming[:] = [DELAY, DELAY, DELAY]
        loop = asyncio.get_running_loop()
        clicked = loop.time()
        answers = await asyncio.gather(
            *(chat.click_reply(name, posts[0], "dynamo:vote:up:1") for name in voters)
        )
        assert all(a.startswith("Your upvote on #1 counts within 2 s") for a in answers), answers
        # Nothing shows the votes while they wait their turn.
        assert [len(edits_of(chat, post)) for post in posts] == before

        await chat.standin.wait_for(lambda: all(shows(chat, p, "▲ 3 · ▼ 0") for p in posts))
        for post, earlier in zip(posts, before, strict=True):
            edits = edits_of(chat, post)[earlier:]
            assert 1 <= len(edits) <= 3, edits  # at most one for each vote
            assert edits[0].at - clicked >= DELAY  # never before the votes' moment


async def test_a_signature_count_waits_too(standin: StandIn, db: Database, rules: Rules) -> None:
    privacy = Scripted(max_public_delay="2s")
    async with bot(standin, db, rules, privacy=privacy) as chat:
        names = ["ada", "bea", "cleo", "dan", "eve"]
        for name in names:
            await chat.join(name)
        await chat.ask("ada", "pitch", text="Pay for qualification tests")
        post = await chat.announcement(1)
        for name in names:
            await chat.click_reply(name, post, "dynamo:vote:up:1")
        # The votes are carried out (at once: no delay drawn yet), and it launches.
        await chat.standin.wait_for(lambda: chat.threads(1), what="the campaign's thread")
        answer = await chat.ask("ada", "petition", campaign=1, text="We ask for pay.")
        assert "goes up within 2 s" in answer.content

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
        privacy.upcoming[:] = [DELAY]
        loop = asyncio.get_running_loop()
        clicked = loop.time()
        answer = await chat.click_reply("bea", sign_post, "dynamo:sign:1")
        assert "counts within 2 s" in answer
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
    await chat.standin.wait_for(lambda: shows(chat, post, "▲ 1 · ▼ 0"))
    assert len(edits_of(chat, post)) == earlier + 1
