"""An observer who reads every page learns no one's account, nick or email address, and no
pseudonym a member did not make public by acting in the open; every reader gets the same
page; and every page has the structure a screen reader needs."""

from __future__ import annotations

from itertools import pairwise

from playwright.async_api import Page

from tests.web.reading.conftest import ADDRESSES, MISSING, PAGES, PEOPLE, Story


async def every_page(story: Story) -> dict[str, str]:
    bodies = {}
    for path in (*PAGES, *MISSING):
        status, body, headers = await story.web.get(path)
        assert status == (404 if path in MISSING else 200), path
        assert "Set-Cookie" not in headers
        bodies[path] = body
    return bodies


async def test_no_page_links_a_pseudonym_to_an_account_a_nick_or_an_address(
    story: Story,
) -> None:
    bodies = await every_page(story)
    secrets = [
        *PEOPLE,  # the names they chat under
        *(f"console:{p}" for p in PEOPLE),  # their identity keys
        *ADDRESSES.values(),
        "mail.example",
    ]
    for path, body in bodies.items():
        lowered = body.lower()
        for secret in secrets:
            assert secret.lower() not in lowered, (path, secret)
    everything = "\n".join(bodies.values())
    # Acting in the open shows a pseudonym: pitching, organizing, editing the document.
    for public in ("quintessa", "dagny"):
        assert story.names[public] in everything
    # Voting, signing (named or not) do not; nor does pitching an idea a moderator hid.
    for private in ("borislav", "caradoc"):
        assert story.names[private] not in everything, private
    # A moderator's actions are public, in the moderation log only, under their pseudonym.
    assert story.names["admin"] in bodies["/modlog"]
    elsewhere = [b for path, b in bodies.items() if path != "/modlog"]
    assert all(story.names["admin"] not in b for b in elsewhere)
    assert "hid idea #3" in bodies["/modlog"] and "Something the moderators" not in everything
    assert "Dr. Rosa P." not in bodies["/campaigns/1"]  # her version 1 name, not the current


async def test_every_reader_gets_the_same_page(story: Story) -> None:
    web = story.web
    for path in (*PAGES, *MISSING):
        plain = await web.get(path)
        async with web.http.get(
            web.url + path,
            headers={"Cookie": "session=abc", "Accept-Language": "de", "User-Agent": "other"},
        ) as other:
            assert (other.status, await other.text()) == plain[:2], path


async def test_every_page_is_built_for_screen_readers(story: Story, page: Page) -> None:
    for path in (*PAGES, *MISSING):
        await page.goto(story.web.url + path)
        assert await page.locator("html").get_attribute("lang") == "en"
        assert await page.get_by_role("heading", level=1).count() == 1, path
        assert await page.get_by_role("main").count() == 1, path
        unnamed = "nav:not([aria-label]):not([aria-labelledby]), section:not([aria-labelledby])"
        assert await page.locator(unnamed).count() == 0, path
        assert await page.locator("th:not([scope])").count() == 0, path
        for link in await page.locator("a").all():
            assert (await link.inner_text()).strip(), (path, await link.get_attribute("href"))
        # Headings go down one level at a time (h1, then h2, ...), never skipping one.
        levels = await page.locator("h1, h2, h3, h4, h5, h6").evaluate_all(
            "hs => hs.map(h => Number(h.tagName[1]))"
        )
        assert all(b <= a + 1 for a, b in pairwise(levels)), (path, levels)
