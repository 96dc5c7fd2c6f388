"""Anyone can read what the movement is doing: the front page lists the active campaigns
with their petition counts and the ideas close to launch, with no cookie, no script and no
asset from anywhere else."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from commands.framework.rules import Rules
from tests.web.conftest import Web


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=3)


async def test_a_reader_sees_campaigns_and_ideas_close_to_launch(web: Web, page: Page) -> None:
    chat = web.chat
    for person in ("alice", "bob", "carol", "dave"):
        await chat.join(person)
    await chat.dm("alice", "pitch Fair pay for surveys")
    for voter in ("bob", "carol", "dave"):
        await chat.dm(voter, "upvote 1")
    await chat.dm("alice", "petition 1 We ask requesters to pay the minimum wage.")
    await chat.dm("bob", "sign 1")
    await chat.dm("carol", "pitch Publish a requester rating list")
    await chat.dm("dave", "upvote 2")

    status, body, headers = await web.get("/")
    assert status == 200
    assert "Set-Cookie" not in headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "<script" not in body

    await page.goto(web.url + "/")
    assert await page.title() == "Dynamo: campaigns and ideas"
    campaigns = page.get_by_role("region", name="Active campaigns")
    assert "#1 Fair pay for surveys" in await campaigns.inner_text()
    assert "1 signature" in await campaigns.inner_text()
    near = page.get_by_role("region", name="Ideas close to launch")
    assert "#2 Publish a requester rating list" in await near.inner_text()
    assert "needs 2 more" in await near.inner_text()
    assert await page.context.cookies() == []


async def test_health_says_whether_the_database_answers(web: Web) -> None:
    status, body, _ = await web.get("/healthz")
    assert status == 200
    assert body == '{"database": "ok", "transports": {"console": "up"}}'
