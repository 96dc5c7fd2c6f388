"""Every announcement in chat links to its page when `[web] public_url` is set: the idea's
page for news of an idea, the campaign's for a campaign's; a member's words in a discussion
are chat and carry none. Followed in a browser, the link opens that page."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from bot.web.settings import WebSettings
from commands.framework.rules import Rules
from tests.web.conftest import Web

PUBLIC = "https://dynamo.example.org"


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


async def test_console_announcements_link_to_their_pages(web: Web, page: Page) -> None:
    chat = web.chat
    for person in ("alice", "bob", "carol"):
        await chat.join(person)
    await chat.dm("alice", "pitch Fair pay for surveys")
    assert chat.announcements[-1].endswith(f" {PUBLIC}/ideas/1")
    await chat.dm("bob", "upvote 1")
    await chat.dm("carol", "upvote 1")
    assert chat.announcements[-1].endswith(f" {PUBLIC}/campaigns/1")
    await chat.dm("bob", "say 1 Shall we write to them?")
    said = [a for a in chat.announcements if "Shall we write" in a]
    assert said and PUBLIC not in said[-1]

    # A reader follows the launch's link (to the server this test runs) to the campaign.
    launch = next(a for a in chat.announcements if "now a campaign" in a)
    link = launch.rsplit(" ", 1)[1]
    response = await page.goto(link.replace(PUBLIC, web.url))
    assert response is not None and response.status == 200
    heading = await page.get_by_role("heading", level=1).inner_text()
    assert "Fair pay for surveys" in heading


@pytest.mark.parametrize("web_settings", [WebSettings(listen="127.0.0.1:0")])
async def test_without_a_public_url_announcements_carry_no_link(web: Web) -> None:
    chat = web.chat
    await chat.join("alice")
    await chat.dm("alice", "pitch Fair pay for surveys")
    assert "http" not in chat.announcements[-1]
