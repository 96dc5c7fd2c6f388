"""Items 3 and 5: pitching ideas and looking around."""

from __future__ import annotations

import pytest

from commands.framework.rules import Rules
from tests.harness import ConsoleChat


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=3, pitches_per_day=3)


async def test_pitch_is_announced_with_pseudonym_not_identity(chat: ConsoleChat) -> None:
    pseudonym = await chat.join("alice")
    reply = await chat.dm("alice", "pitch Requesters should pay for qualification tests")
    assert "idea #1" in reply
    (announcement,) = chat.announcements
    assert "#1" in announcement and pseudonym in announcement
    assert "Requesters should pay for qualification tests" in announcement
    assert "+0/-0" in announcement
    assert "alice" not in chat.everything_public()


async def test_pitch_length_limits_with_counts(chat: ConsoleChat) -> None:
    await chat.join("alice")
    long = "x" * 141
    reply = await chat.dm("alice", f"pitch {long}")
    assert "141 characters" in reply and "limit is 140" in reply
    assert "needs the idea" in (await chat.dm("alice", "pitch   ")).lower()
    assert "idea #1" in await chat.dm("alice", "pitch " + "y" * 140)
    assert len(chat.announcements) == 1


async def test_pitches_per_day_limit(chat: ConsoleChat) -> None:
    await chat.join("alice")
    for i in range(3):
        assert f"idea #{i + 1}" in await chat.dm("alice", f"pitch Idea number {i}")
    refused = await chat.dm("alice", "pitch One too many")
    assert "limit is 3" in refused
    assert len(chat.announcements) == 3


async def test_pitch_text_stored_exactly(chat: ConsoleChat) -> None:
    await chat.join("alice")
    text = 'Say "no" to <b>unpaid</b> trials — ½ pay @everyone 🙂'
    await chat.dm("alice", f"pitch {text}")
    assert text in await chat.dm("alice", "idea 1")


async def test_listings(chat: ConsoleChat) -> None:
    await chat.join("alice")
    await chat.join("bob")
    await chat.dm("alice", "pitch First idea")
    await chat.dm("alice", "pitch Second idea")
    await chat.dm("bob", "upvote 2")
    top = await chat.dm("bob", "ideas")
    assert top.index("#2") < top.index("#1")
    assert "needs 2 more upvotes" in top and "needs 3 more upvotes" in top
    new = await chat.dm("bob", "ideas new")
    assert new.index("#2") < new.index("#1")
    one = await chat.dm("bob", "idea 2")
    assert "+1/-0" in one and "You upvoted it" in one
    assert "There is no idea #9" in await chat.dm("bob", "idea 9")
    assert "not an idea number" in await chat.dm("bob", "idea abc")


async def test_public_read_commands_answered_in_channel(chat: ConsoleChat) -> None:
    await chat.join("alice")
    await chat.dm("alice", "pitch Shared idea")
    answer = await chat.channel("bob", "!ideas")
    assert answer is not None and "Shared idea" in answer
    assert "Shared idea" in (await chat.channel("bob", "!idea 1") or "")
    assert "No campaigns yet" in (await chat.channel("bob", "!campaigns") or "")


async def test_public_pitch_is_refused_privately_and_not_acted_on(chat: ConsoleChat) -> None:
    await chat.join("alice")
    assert await chat.channel("alice", "!pitch Leaky idea") is None
    assert "private message" in chat.last_dm("alice")
    assert chat.announcements == []
    assert "No open ideas" in await chat.dm("alice", "ideas")


async def test_empty_listings_say_what_to_do(chat: ConsoleChat) -> None:
    assert "pitch YOUR IDEA" in await chat.dm("visitor", "ideas")
    assert "register first" in await chat.dm("visitor", "pitch hi")


async def test_a_pitch_says_something_and_says_it_once(chat: ConsoleChat) -> None:
    await chat.join("alice")
    await chat.join("bob")
    short = await chat.dm("alice", "pitch x")
    assert "at least 4 characters besides spaces" in short and "`pitch " in short
    assert "is empty" in await chat.dm("alice", "pitch \u200b\u200b\u200b")
    assert "#1" in await chat.dm("alice", "pitch Pay for rejected work")
    again = await chat.dm("bob", "pitch  pay FOR rejected   work ")
    assert "already open as #1" in again and "`upvote 1`" in again
    assert "No open" not in await chat.dm("bob", "ideas")
    assert "#2" not in await chat.dm("bob", "ideas new")
