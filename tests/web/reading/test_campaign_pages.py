"""Anyone can read a campaign on the web as members see it in chat: its organizers, votes,
petition with every statement and its count, the names signers chose to show, the weekly
updates, adopted next steps and deadlines; its document with a table of contents, the
revisions and what each changed; and each idea. Numbers that name nothing, or something a
moderator hid, get a page that says so."""

from __future__ import annotations

from playwright.async_api import Page

from tests.web.reading.conftest import MISSING, Story


async def test_a_reader_follows_a_campaign_from_the_front_page_to_its_revisions(
    story: Story, page: Page
) -> None:
    web, names = story.web, story.names
    status, _, headers = await web.get("/campaigns/1")
    assert status == 200 and "Set-Cookie" not in headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]

    await page.goto(web.url + "/")
    await page.get_by_role("link", name="#1 Fair pay for surveys").click()
    assert await page.title() == "Campaign #1: Fair pay for surveys - Dynamo"
    main = await page.get_by_role("main").inner_text()
    # The name she chose to show stands beside her pseudonym, as in chat.
    assert f"Organizers\n{names['quintessa']} (Kristy M.)" in main
    assert "Votes\n+2/-0, 4 followers" in main
    assert "Discussion\nopen until 2026-11-25 14:00 UTC" in main

    petition = await page.get_by_role("region", name="Petition").inner_text()
    assert "We ask requesters to pay at least $15 an hour." in petition
    assert "Version 2: 2 signatures (1 worker, 0 researchers, 1 ally)." in petition
    assert "send the Dynamo bot sign 1, until 2026-11-26 14:00 UTC" in petition
    assert "Sam K. (ally)" in petition
    # Dr. Rosa P. signed version 1: `signers 1` in chat names only the current version's.
    assert "Dr. Rosa P." not in petition
    assert "Version 1, 1 signature: We ask requesters to pay the minimum wage." in petition

    steps = await page.get_by_role("region", name="Next steps").inner_text()
    assert "Adopted 2026-11-23 15:00 UTC: Email the requester our demands" in steps
    updates = await page.get_by_role("region", name="Weekly updates").inner_text()
    assert f"2026-W48, by {names['quintessa']}" in updates
    assert "We wrote to the requester." in updates

    nav = page.get_by_role("navigation", name="This campaign")
    assert (
        await nav.get_by_role("link", name="Sign the petition by email").get_attribute("href")
        == "/campaigns/1/sign"
    )
    assert (
        await nav.get_by_role("link", name="Export (Markdown)").get_attribute("href")
        == "/campaigns/1/export.md"
    )

    await nav.get_by_role("link", name="The document").click()
    assert await page.locator("h2#our-demands").inner_text() == "Our demands"
    contents = page.get_by_role("navigation", name="Contents")
    assert await contents.get_by_role("link").all_inner_texts() == ["Our demands", "Timeline"]
    await contents.get_by_role("link", name="Timeline").click()
    assert page.url.endswith("/campaigns/1/document#timeline")
    guide = page.get_by_role("link", name="the guide")
    assert await guide.get_attribute("href") == "https://example.org/guide"
    assert await guide.get_attribute("rel") == "nofollow noopener"
    assert await page.locator("ol > li").inner_text() == "Pay for qualification tests."
    assert f"Revision 4 by {names['dagny']}" in await page.get_by_role("main").inner_text()

    await page.get_by_role("link", name="Its revisions").click()
    rows = await page.get_by_role("row").all_inner_texts()
    assert rows[1].split("\t")[:3] == ["r4", "append", names["dagny"]]
    assert rows[4].split("\t")[:3] == ["r1", "edit", names["quintessa"]]
    await page.get_by_role("link", name="r2", exact=True).click()
    assert await page.locator("pre.diff ins").all_inner_texts() == [
        "+ 1. Pay for qualification tests."
    ]
    assert await page.locator("pre.diff del").count() == 0
    assert "1 line added, 0 lines removed, compared with revision 1" in (
        await page.get_by_role("main").inner_text()
    )
    assert await page.context.cookies() == []


async def test_an_idea_page_says_what_chat_says(story: Story, page: Page) -> None:
    web, names = story.web, story.names
    await page.goto(web.url + "/ideas/2")
    main = await page.get_by_role("main").inner_text()
    assert "Idea #2: Publish a requester rating list" in main
    assert f"Pitched by\n{names['dagny']}, 2026-11-23" in main
    assert "open, needs 2 more upvotes (launches at 2 upvotes with more up than down)" in main

    await page.goto(web.url + "/ideas/1")
    main = await page.get_by_role("main").inner_text()
    assert f"Pitched by\n{names['quintessa']} (Kristy M.), 2026-11-23" in main
    assert "launched as a campaign (active): campaign #1" in main
    await page.get_by_role("link", name="campaign #1").click()
    assert page.url == web.url + "/campaigns/1"


async def test_a_closed_campaign_reads_as_closed(story: Story, page: Page) -> None:
    web = story.web
    assert "Campaign #1 is closed" in await story.chat.dm("admin", "mod close 1")
    await page.goto(web.url + "/campaigns/1")
    main = await page.get_by_role("main").inner_text()
    assert "Status\nclosed, launched 2026-11-23" in main
    assert "The campaign is closed: its petition takes no more names." in main
    assert "frozen since the campaign closed" in main
    nav = page.get_by_role("navigation", name="This campaign")
    assert await nav.get_by_role("link").all_inner_texts() == [
        "The document",
        "Its revisions",
        "Export (Markdown)",
    ]
    await page.goto(web.url + "/ideas/1")
    assert "launched as a campaign (closed): campaign #1" in (
        await page.get_by_role("main").inner_text()
    )


async def test_what_is_not_there_gets_a_plain_404(story: Story, page: Page) -> None:
    web = story.web
    huge = "/ideas/99999999999"
    for path in (*MISSING, "/campaigns/1/document/diff/9", huge, "/campaigns/1/document/diff/0"):
        status, _, headers = await web.get(path)
        assert status == 404, path
        assert "Content-Security-Policy" in headers
    assert "Something the moderators take down" not in (await web.get("/ideas/3"))[1]
    assert "There is no idea #99999999999" in (await web.get(huge))[1]
    await page.goto(web.url + "/ideas/3")
    assert await page.get_by_role("heading", level=1).inner_text() == "There is no idea #3"
    await page.goto(web.url + "/campaigns/2")
    heading = await page.get_by_role("heading", level=1).inner_text()
    assert heading == "#2 is still an idea, not a campaign"
    await page.get_by_role("link", name="See idea #2").click()
    assert page.url == web.url + "/ideas/2"
