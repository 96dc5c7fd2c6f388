"""bob pledges to action #1 from his browser (issue 14): signed in with a `web` link, his
own page for the action has a Pledge and a Withdraw button that run the chat's `pledge 1
[as NAME]` / `unpledge 1` as him; the answer shows on his page, the count moves, and the
campaign's public page reads the same to a reader without a session and to bob himself,
never saying who pledged."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page

from commands.framework.rules import Rules
from storage.db import Database
from tests.web.conftest import Web
from tests.web.editing import Clock, campaign_one, login_link, serve, sign_in

# Parts of the public page that change with every request are none: it is compared whole.


@pytest.fixture
async def web(db: Database) -> AsyncIterator[Web]:
    async for served in serve(db, Clock(), rules=Rules(launch_upvotes=2)):
        yield served


async def open_link(page: Page, web: Web, path: str) -> None:
    await page.goto(web.url + path)
    await page.get_by_role("button", name="Open my session").click()
    await page.wait_for_url(web.url + "/editor")


async def public(web: Web) -> str:
    status, body, _ = await web.get("/campaigns/1")
    assert status == 200
    return body


async def test_bob_pledges_and_withdraws_in_his_browser(web: Web, page: Page) -> None:
    await campaign_one(web)
    await web.chat.dm("alice", "action 1 needs 3 by 14d target team@example.org Pay for tests")
    await web.chat.dm("carol", "pledge 1")
    before = await public(web)
    assert "1 of 3 pledges" in before
    assert "members pledge privately by sending the bot <code>pledge 1</code>" in before
    assert "signed in on the web (send the bot <code>web</code>)" in before
    assert "<form" not in before.split('id="actions"')[1]

    await open_link(page, web, await login_link(web, "bob"))
    await page.get_by_role("link", name="Your pledge and letter for action #1").click()
    pledge = page.get_by_role("region", name="Your pledge")
    assert "You have no pledge that counts yet" in await pledge.inner_text()
    await pledge.get_by_label("Name me, when it is delivered, as").fill("Bob R., Turker")
    await pledge.get_by_role("button", name="Pledge", exact=True).click()
    answer = await page.get_by_role("status").inner_text()
    assert "You pledged to action #1; it has 2 of 3" in answer, answer
    assert 'named "Bob R., Turker"' in answer
    assert "Your pledge counts." in await pledge.inner_text()
    assert "It has 2 of 3 pledges" in await pledge.inner_text()
    assert "You have pledged to action #1 already" in await web.chat.dm("bob", "pledge 1")

    # The public page: the count moved, nothing else; the same for bob in his session as
    # for a reader without one.
    after = await public(web)
    assert after == before.replace("1 of 3 pledges", "2 of 3 pledges")
    await page.goto(web.url + "/campaigns/1")
    assert re.sub(r"\s+", " ", await page.content()).count("2 of 3 pledges") == 1
    assert "Withdraw" not in await page.content() and "Bob R." not in await page.content()

    await page.goto(web.url + "/actions/1/letter")
    await page.get_by_role("button", name="Withdraw my pledge").click()
    answer = await page.get_by_role("status").inner_text()
    assert "Your pledge to action #1 is withdrawn; it has 1 of 3." in answer, answer
    assert (
        "You have no pledge that counts yet"
        in await page.get_by_role("region", name="Your pledge").inner_text()
    )
    await page.get_by_role("button", name="Withdraw my pledge").click()
    assert "You have no pledge on action #1" in await page.get_by_role("alert").inner_text()
    assert await public(web) == before


async def test_a_pledge_form_without_its_token_or_session_does_nothing(web: Web) -> None:
    await campaign_one(web)
    await web.chat.dm("alice", "action 1 needs 3 by 14d Stop unpaid tests")
    bob = await sign_in(web, "bob")
    status, _ = await bob.post("/actions/1/pledge", {"form_token": "1.bad", "do": "pledge"})
    assert status != 200
    status, body = await bob.get("/actions/1/letter")
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', body)
    assert token
    status, _ = await bob.post(
        "/actions/1/pledge", {"form_token": token.group(1), "do": "pledge"}, origin="https://evil"
    )
    assert status != 200
    async with web.http.post(web.url + "/actions/1/pledge", data={"do": "pledge"}) as response:
        assert response.status == 403
    assert "0 of 3 pledges" in await public(web)
    status, body = await bob.post(
        "/actions/1/pledge", {"form_token": token.group(1), "do": "pledge"}
    )
    assert status == 200 and "it has 1 of 3" in body
    assert "1 of 3 pledges" in await public(web)
