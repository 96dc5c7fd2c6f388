"""alice writes campaign #1's document in her browser: she asks for a link privately, opens
it, edits section 2, previews, saves; the link never works again; bob, whose page still
shows the old revision, is refused with what changed and keeps his text; `web logout` ends
her session; a link older than 15 minutes opens nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from playwright.async_api import Browser, Page

from storage.db import Database
from tests.web.conftest import Web
from tests.web.editing import DOCUMENT, Clock, campaign_one, login_link, serve, sign_in


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def web(db: Database, clock: Clock) -> AsyncIterator[Web]:
    async for served in serve(db, clock):
        yield served


async def open_link(page: Page, web: Web, path: str) -> None:
    await page.goto(web.url + path)
    await page.get_by_role("button", name="Open my session").click()
    await page.wait_for_url(web.url + "/editor")


async def test_alice_edits_a_section_and_bob_is_refused_with_the_diff(
    web: Web, page: Page, browser: Browser, clock: Clock
) -> None:
    await campaign_one(web)
    carol = await sign_in(web, "carol")
    await carol.save(1, DOCUMENT)

    link = await login_link(web, "alice")
    await open_link(page, web, link)
    assert await page.context.cookies() != []
    await page.get_by_role("link", name="Edit the document of #1").click()
    assert await page.title() == "Dynamo: edit the document of campaign #1"

    bob_context = await browser.new_context()
    bob_page = await bob_context.new_page()
    await open_link(bob_page, web, await login_link(web, "bob"))
    await bob_page.goto(web.url + "/campaigns/1/document/edit")

    section = page.get_by_role("region", name="Section 2: Timeline")
    await section.get_by_label("Section 2").fill("# Timeline\nBy **February**, not March.\n")
    await section.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview (not saved)")
    assert await preview.locator("strong").inner_text() == "February"
    assert "By **February**" in await page.get_by_label("Section 2").input_value()
    await page.get_by_role("button", name="Save").click()
    assert "Saved revision 2" in await page.get_by_role("status").inner_text()
    assert "February" in await web.chat.dm("carol", "doc 1")
    assert "Pay for qualification tests." in await web.chat.dm("carol", "doc 1")

    await page.goto(web.url + link)
    assert "This link does not work" in await page.content()

    first = bob_page.get_by_role("region", name="Section 1: Demands")
    await first.get_by_label("Section 1").fill("# Demands\nPay for every test, bob says.\n")
    await first.get_by_role("button", name="Save").click()
    assert (
        "changed since you started from revision 1"
        in await bob_page.get_by_role("alert").inner_text()
    )
    changes = bob_page.get_by_role("region", name="What changed since you started")
    assert "+ By **February**, not March." in await changes.locator(".diff-add").all_inner_texts()
    assert "- By March." in await changes.locator(".diff-del").all_inner_texts()
    kept = await bob_page.get_by_label("Section 1").input_value()
    assert kept == "# Demands\nPay for every test, bob says.\n"
    assert "bob says" not in await web.chat.dm("carol", "doc 1")
    await bob_context.close()

    assert "Ended 1 web session" in await web.chat.dm("alice", "web logout")
    await page.goto(web.url + "/campaigns/1/document/edit")
    assert "Not signed in" in await page.content()

    late = await login_link(web, "alice")
    clock.move(timedelta(minutes=16))
    await page.goto(web.url + late)
    assert "This link does not work" in await page.content()
    assert await page.get_by_role("button", name="Open my session").count() == 0
