"""A journalist subscribes to the movement's feed: campaigns launched and closed and their
petition statements arrive as Atom entries linking to each campaign's page, newest first,
with nobody's name in them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from commands.framework.rules import Rules
from tests.web.conftest import Web

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


async def test_a_feed_reader_follows_what_the_movement_does(web: Web) -> None:
    chat = web.chat
    names = [await chat.join(person) for person in ("alice", "bob", "carol")]
    await chat.join("admin")
    await chat.dm("alice", "pitch Fair pay for surveys")
    await chat.dm("bob", "upvote 1")
    await chat.dm("carol", "upvote 1")
    await chat.dm("alice", "petition 1 We ask requesters to pay the minimum wage.")
    await chat.dm("alice", "pitch Publish a requester rating list")
    await chat.dm("bob", "upvote 2")
    await chat.dm("carol", "upvote 2")
    await chat.dm("carol", "pitch Hidden idea that launched")
    await chat.dm("alice", "upvote 3")
    await chat.dm("bob", "upvote 3")
    assert "hidden" in await chat.dm("admin", "mod hide 3")
    assert "closed" in (await chat.dm("admin", "mod close 2")).lower()

    status, body, headers = await web.get("/feed.atom")
    assert status == 200
    assert headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(body)
    entries = [
        (e.findtext(f"{ATOM}title"), e.find(f"{ATOM}link").get("href"))  # type: ignore[union-attr]
        for e in feed.findall(f"{ATOM}entry")
    ]
    base = "https://dynamo.example.org"
    assert entries[0] == ("Campaign #2 closed", f"{base}/campaigns/2")
    assert set(entries) == {
        ("Campaign #2 closed", f"{base}/campaigns/2"),
        ("Campaign #2 launched", f"{base}/campaigns/2"),
        ("Campaign #1: petition statement, version 1", f"{base}/campaigns/1"),
        ("Campaign #1 launched", f"{base}/campaigns/1"),
    }
    assert "We ask requesters to pay the minimum wage." in body
    # The hidden campaign is not news, and nobody is named.
    assert "Hidden idea" not in body
    assert not any(name in body for name in names)
    assert "alice" not in body


async def test_the_front_page_points_feed_readers_to_it(web: Web) -> None:
    _, body, _ = await web.get("/")
    assert '<link rel="alternate" type="application/atom+xml"' in body
    assert 'href="/feed.atom"' in body
