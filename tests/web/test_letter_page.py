"""bob writes his letter to action #1's target in his browser session (issue 14): the editor
lists the actions that take letters, his page shows his own letter and nobody else's, a
save runs the chat's `letter 1 TEXT` (the same limit, the same sealing), and once the action
has triggered it takes no more."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import pytest

from commands.framework.rules import Rules
from storage.db import Database
from tests.web.conftest import Web
from tests.web.editing import FORM_TOKEN, Clock, campaign_one, serve, sign_in


@pytest.fixture
async def web(db: Database) -> AsyncIterator[Web]:
    async for served in serve(db, Clock(), rules=Rules(launch_upvotes=2, letter_max_chars=60)):
        yield served


def shown(body: str) -> str:
    found = re.search(r'<textarea id="letter" name="text"[^>]*>\n?(.*?)</textarea>', body, re.S)
    assert found, body
    return html.unescape(found.group(1))


async def test_a_member_writes_their_own_letter_on_the_web(web: Web) -> None:
    await campaign_one(web)
    await web.chat.dm("alice", "action 1 needs 2 by 14d target team@example.org Pay for tests")
    await web.chat.dm("alice", "action 1 needs 2 by 14d Without a target")
    bob = await sign_in(web, "bob")
    status, home = await bob.get("/editor")
    assert status == 200 and "Your pledge and letter for action #1: Pay for tests" in home
    assert "Your pledge for action #2: Without a target" in home

    status, body = await bob.get("/actions/1/letter")
    assert status == 200 and shown(body) == ""
    token = FORM_TOKEN.search(body)
    assert token
    status, body = await bob.post(
        "/actions/1/letter", {"form_token": token.group(1), "text": "Tests are work: <pay>."}
    )
    assert status == 200 and "is kept, sealed" in body
    assert "Tests are work: <pay>." in await web.chat.dm("bob", "letter 1")
    status, body = await bob.get("/actions/1/letter")
    assert shown(body) == "Tests are work: <pay>." and "&lt;pay&gt;" in body

    carol = await sign_in(web, "carol")
    status, body = await carol.get("/actions/1/letter")
    assert shown(body) == "" and "Tests are work" not in body
    token = FORM_TOKEN.search(body)
    assert token
    status, body = await carol.post(
        "/actions/1/letter", {"form_token": token.group(1), "text": "x" * 61}
    )
    assert status == 400 and "the limit is 60" in body and shown(body) == "x" * 61
    status, body = await carol.post("/actions/1/letter", {"form_token": "1.bad", "text": "Hi"})
    assert status != 200 and "written no letter" in await web.chat.dm("carol", "letter 1")

    status, body = await bob.get("/actions/2/letter")
    assert "has no target" in body
    assert (await bob.get("/actions/9/letter"))[0] == 404
    assert (await web.get("/actions/1/letter"))[0] == 403  # signed out

    await web.chat.dm("bob", "pledge 1")
    await web.chat.dm("carol", "pledge 1")
    status, body = await bob.get("/actions/1/letter")
    assert (
        "takes no more letters: it has triggered" in body
        and '<form method="post" action="/actions' not in body
    )
