"""Item 4: votes, and the launch they trigger exactly once."""

from __future__ import annotations

import pytest

from commands.framework.rules import Rules
from storage.repos import votes
from tests.harness import ConsoleChat


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=3)


async def test_vote_change_and_retract(chat: ConsoleChat) -> None:
    await chat.join("alice")
    await chat.join("bob")
    await chat.dm("alice", "pitch An idea")
    assert "+1/-0" in await chat.dm("bob", "upvote 1")
    assert "already upvoted" in await chat.dm("bob", "upvote 1")
    assert "+0/-1" in await chat.dm("bob", "downvote 1")
    assert "+0/-0" in await chat.dm("bob", "unvote 1")
    assert "no vote on #1" in await chat.dm("bob", "unvote 1")
    async with chat.db.read() as conn:
        assert await votes.counts(conn, 1) == (0, 0)


async def test_voting_subscribes(chat: ConsoleChat) -> None:
    await chat.join("alice")
    await chat.join("bob")
    await chat.dm("alice", "pitch An idea")
    assert "follow nothing" in await chat.dm("bob", "subscriptions")
    assert "You now follow it" in await chat.dm("bob", "downvote 1")
    assert "#1" in await chat.dm("bob", "subscriptions")


async def test_only_a_vote_that_starts_following_says_so(chat: ConsoleChat) -> None:
    await chat.join("alice")
    await chat.join("bob")
    await chat.dm("alice", "pitch An idea")
    assert "follow" not in await chat.dm("alice", "upvote 1")  # its author follows already
    await chat.dm("bob", "subscribe 1")
    assert "follow" not in await chat.dm("bob", "downvote 1")
    await chat.dm("bob", "unvote 1")
    await chat.dm("bob", "unsubscribe 1")
    assert "You now follow it" in await chat.dm("bob", "upvote 1")


async def test_launch_at_threshold_exactly_once(chat: ConsoleChat) -> None:
    author = await chat.join("author")
    voters = [f"v{i}" for i in range(5)]
    for v in voters:
        await chat.join(v)
    await chat.dm("author", "pitch Launch me")
    await chat.dm("v0", "upvote 1")
    await chat.dm("v1", "upvote 1")
    assert not any("now a campaign" in a for a in chat.announcements)
    reply = await chat.dm("v2", "upvote 1")
    assert "launched it" in reply
    await chat.dm("v3", "upvote 1")
    await chat.dm("v3", "unvote 1")
    await chat.dm("v3", "upvote 1")
    launches = [a for a in chat.announcements if "now a campaign" in a]
    assert len(launches) == 1 and author in launches[0]
    campaign = await chat.dm("v4", "campaign 1")
    assert f"Organizers: {author}" in campaign
    for person in ["author", "v0", "v1", "v2"]:
        assert "#1 (campaign)" in await chat.dm(person, "subscriptions")


async def test_no_launch_without_more_up_than_down(chat: ConsoleChat) -> None:
    for i in range(7):
        await chat.join(f"m{i}")
    await chat.dm("m0", "pitch Contested")
    for i in range(1, 4):
        await chat.dm(f"m{i}", "downvote 1")
    for i in (4, 5, 6):
        await chat.dm(f"m{i}", "upvote 1")
    assert not any("now a campaign" in a for a in chat.announcements)
    assert "needs 1 more upvote" in await chat.dm("m0", "idea 1")
    await chat.dm("m1", "upvote 1")
    assert sum("now a campaign" in a for a in chat.announcements) == 1


async def test_hidden_and_closed_ideas_cannot_be_voted(chat: ConsoleChat) -> None:
    await chat.join("admin")
    await chat.join("bob")
    await chat.dm("admin", "pitch Idea one")
    await chat.dm("admin", "pitch Idea two")
    await chat.dm("admin", "mod hide 1")
    assert "no idea #1" in await chat.dm("bob", "upvote 1")
    assert "One" not in await chat.dm("bob", "ideas")
    await chat.dm("admin", "mod close 2")
    assert "closed" in await chat.dm("bob", "upvote 2")


@pytest.mark.parametrize("rules", [Rules(launch_upvotes=12)])
async def test_vote_storm_costs_one_milestone_and_one_launch(chat: ConsoleChat) -> None:
    await chat.join("author")
    for i in range(14):
        await chat.join(f"v{i}")
    await chat.dm("author", "pitch Storm")
    before = len(chat.announcements)
    for i in range(14):
        await chat.dm(f"v{i}", "upvote 1")
        if i == 8:  # swing back below the milestone and up again: still announced once
            await chat.dm("v8", "unvote 1")
            await chat.dm("v8", "upvote 1")
    lines = chat.announcements[before:]
    assert len(lines) == 2, lines
    assert "needs 5 more upvotes" in lines[0]
    assert "now a campaign" in lines[1]
