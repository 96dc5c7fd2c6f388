"""The editor's guards, over plain HTTP: forms from elsewhere, people who may not edit, the
public pages, the length a document may have, and the delay before others see an edit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from commands.framework.privacy import Privacy
from storage.db import Database
from storage.repos import documents
from tests.web.conftest import Web
from tests.web.editing import DOCUMENT, FORM_TOKEN, Clock, campaign_one, serve, sign_in


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def web(db: Database, clock: Clock) -> AsyncIterator[Web]:
    async for served in serve(db, clock):
        yield served


async def head_text(web: Web, campaign: int = 1) -> str | None:
    async with web.chat.db.read() as conn:
        head = await documents.head(conn, campaign)
    return None if head is None else head.text


async def test_a_member_signs_in_and_saves_the_whole_document(web: Web) -> None:
    await campaign_one(web)
    alice = await sign_in(web, "alice")
    status, body = await alice.save(1, DOCUMENT)
    assert status == 200, body
    assert "Saved revision 1 of campaign #1&#39;s document" in body
    assert await head_text(web) == DOCUMENT.strip("\n")
    assert "Pay for qualification tests." in await web.chat.dm("bob", "doc 1")


async def test_a_form_without_the_session_token_or_from_another_site_is_refused(web: Web) -> None:
    await campaign_one(web)
    alice = await sign_in(web, "alice")
    path = "/campaigns/1/document/edit"
    fields = await alice.form(path)
    edit = {"base": fields["base"], "scope": "all", "text": "Overwritten", "do": "save"}
    status, body = await alice.post(path, edit)
    assert status == 403 and "not acted on" in body
    status, body = await alice.post(path, {**edit, "form_token": "0" * 64})
    assert status == 403 and "not acted on" in body
    status, body = await alice.post(
        path, {**edit, "form_token": fields["form_token"]}, origin="https://evil.example"
    )
    assert status == 403 and "another site" in body
    # bob's own session does not make alice's form token his.
    bob = await sign_in(web, "bob")
    status, _ = await bob.post(path, {**edit, "form_token": fields["form_token"]})
    assert status == 403
    status, _ = await alice.post("/logout", {"form_token": "0" * 64})
    assert status == 403
    assert await head_text(web) is None
    status, _ = await alice.post(path, {**edit, "form_token": fields["form_token"]})
    assert status == 200
    assert await head_text(web) == "Overwritten"


async def test_only_members_in_good_standing_edit(web: Web) -> None:
    await campaign_one(web)
    assert "register first" in await web.chat.dm("stranger", "web")
    status, body, headers = await web.get("/campaigns/1/document/edit")
    assert status == 403 and "Not signed in" in body
    assert "Set-Cookie" not in headers
    async with web.http.post(
        web.url + "/campaigns/1/document/edit",
        data={"base": "0", "scope": "all", "text": "Mine now", "do": "save"},
        allow_redirects=False,
    ) as response:
        assert response.status == 403
    alice = await sign_in(web, "alice")
    fields = await alice.form("/campaigns/1/document/edit")
    await web.chat.join("mona")
    assert "banned" in await web.chat.dm("mona", f"mod ban {await pseudonym(web, 'alice')}")
    status, body = await alice.post(
        "/campaigns/1/document/edit", {**fields, "scope": "all", "text": "Mine", "do": "save"}
    )
    assert status == 403 and "Not signed in" in body
    assert await head_text(web) is None
    assert "suspended" in await web.chat.dm("alice", "web")


async def pseudonym(web: Web, person: str) -> str:
    reply = await web.chat.dm(person, "whoami")
    return reply.split("**")[1]


async def test_public_pages_show_nothing_of_a_session(web: Web) -> None:
    await campaign_one(web)
    alice = await sign_in(web, "alice")
    await alice.save(1, DOCUMENT)
    status, anonymous, headers = await web.get("/")
    assert status == 200 and "Set-Cookie" not in headers
    async with web.http.get(web.url + "/", headers=alice.headers) as response:
        assert response.status == 200 and "Set-Cookie" not in response.headers
        assert await response.text() == anonymous
    assert "Editing as" not in anonymous and "form_token" not in anonymous


async def test_the_cookie_is_http_only_strict_and_secure_under_https(web: Web) -> None:
    await campaign_one(web)
    path = "/login/" + (await web.chat.dm("alice", "web")).rsplit("/login/", 1)[1]
    status, _, headers = await web.get(path)
    assert status == 200 and "Set-Cookie" not in headers
    assert headers["Cache-Control"] == "no-store"
    async with web.http.post(
        web.url + path, headers={"Origin": web.url}, allow_redirects=False
    ) as response:
        assert response.status == 303 and response.headers["Location"] == "/editor"
        cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" in cookie and "Path=/" in cookie
    async with web.http.post(
        web.url + path, headers={"Origin": web.url}, allow_redirects=False
    ) as response:
        assert response.status == 410 and "Set-Cookie" not in response.headers


async def test_a_document_of_200000_characters_saves(web: Web) -> None:
    await campaign_one(web)
    alice = await sign_in(web, "alice")
    paragraph = "Wir fordern faire Bezahlung für Qualifikationstests — ohne Ausnahme.\n"
    long = (paragraph * (200_000 // len(paragraph) + 1))[:199_999] + "."
    assert len(long) == 200_000
    status, body = await alice.save(1, long)
    assert status == 200, body[:500]
    assert "200000 characters" in body
    assert await head_text(web) == long
    status, body = await alice.save(1, long + "!")
    assert status == 200 and "the limit is 200000" in body
    assert await head_text(web) == long


async def test_a_web_edit_waits_its_random_moment_like_a_chat_edit(
    db: Database, clock: Clock
) -> None:
    async for web in serve(db, clock, privacy=Privacy(max_public_delay="90s")):
        # Pitch and votes wait their own moments too.
        for person in ("alice", "bob", "carol"):
            await web.chat.join(person)
        await web.chat.dm("alice", "pitch Pay for qualification tests")
        clock.move(timedelta(minutes=2))
        await web.chat.deliver()
        await web.chat.dm("bob", "upvote 1")
        await web.chat.dm("carol", "upvote 1")
        clock.move(timedelta(minutes=2))
        await web.chat.deliver()
        alice = await sign_in(web, "alice")
        status, body = await alice.save(1, DOCUMENT)
        assert status == 200 and "within 90 s, at a random moment" in body
        assert await head_text(web) is None
        # Her edit waits; she sees so, and a second save onto the old revision would be
        # refused at its moment: it is refused now, with her text kept.
        status, body = await alice.save(1, "A second thought")
        assert "waiting for its random moment" in body and "A second thought</textarea>" in body
        # Nobody else can tell that an edit waits (its moment would point to her).
        _, bobs = await (await sign_in(web, "bob")).get("/campaigns/1/document/edit")
        assert "waiting" not in bobs and "document is empty" in bobs
        clock.move(timedelta(seconds=91))
        await web.chat.deliver()
        assert await head_text(web) == DOCUMENT.strip("\n")
        assert "Saved revision 1 of campaign #1" in web.chat.last_dm("alice")
        _, page = await alice.get("/campaigns/1/document/edit")
        assert "waiting for its random moment" not in page


async def test_signing_out_ends_the_session_at_once(web: Web) -> None:
    await campaign_one(web)
    alice = await sign_in(web, "alice")
    _, home = await alice.get("/editor")
    token = FORM_TOKEN.search(home)
    assert token, home
    status, body = await alice.post("/logout", {"form_token": token.group(1)})
    assert status == 200 and "Signed out" in body
    status, body = await alice.get("/campaigns/1/document/edit")
    assert status == 403 and "Not signed in" in body
    assert "no web session open" in await web.chat.dm("alice", "web logout")


async def test_a_closed_campaigns_document_stays_as_it_was(web: Web) -> None:
    await campaign_one(web)
    alice = await sign_in(web, "alice")
    await alice.save(1, DOCUMENT)
    fields = await alice.form("/campaigns/1/document/edit")
    await web.chat.join("mona")
    assert "closed" in await web.chat.dm("mona", "mod close 1")
    status, body = await alice.get("/campaigns/1/document/edit")
    assert status == 200 and "is closed" in body and "<textarea" not in body
    status, body = await alice.post(
        "/campaigns/1/document/edit", {**fields, "scope": "1", "text": "# Gone", "do": "save"}
    )
    assert "is closed" in body and "# Gone</textarea>" in body
    assert await head_text(web) == DOCUMENT.strip("\n")


async def test_a_chat_edit_that_went_first_is_never_overwritten_by_a_web_edit(
    db: Database, clock: Clock
) -> None:
    async for web in serve(db, clock, privacy=Privacy(max_public_delay="90s")):
        for person in ("alice", "bob", "carol"):
            await web.chat.join(person)
        await web.chat.dm("alice", "pitch Pay for qualification tests")
        clock.move(timedelta(minutes=2))
        await web.chat.deliver()
        await web.chat.dm("bob", "upvote 1")
        await web.chat.dm("carol", "upvote 1")
        clock.move(timedelta(minutes=2))
        await web.chat.deliver()
        alice = await sign_in(web, "alice")
        fields = await alice.form("/campaigns/1/document/edit")
        assert "is saved within 90 s" in await web.chat.dm("bob", "doc 1 edit Bob's draft")
        status, body = await alice.post(
            "/campaigns/1/document/edit",
            {**fields, "scope": "all", "text": DOCUMENT, "do": "save"},
        )
        assert status == 200 and "within 90 s" in body
        # Both wait; bob's comes out first (they keep their order), and alice's, written
        # against the empty document, is refused at its moment and she is told privately.
        clock.move(timedelta(minutes=4))
        await web.chat.deliver()
        assert await head_text(web) == "Bob's draft"
        told = web.chat.last_dm("alice")
        assert "didn't go through" in told and "changed since you started" in told


async def test_a_session_ends_after_two_idle_hours_and_after_twelve_in_use(
    web: Web, clock: Clock
) -> None:
    await campaign_one(web)
    alice = await sign_in(web, "alice")
    for _ in range(7):  # used every hour and a half: it lasts, up to 10.5 hours
        clock.move(timedelta(minutes=90))
        status, _ = await alice.get("/editor")
        assert status == 200
    clock.move(timedelta(minutes=90))  # 12 hours after it opened
    status, _ = await alice.get("/editor")
    assert status == 403
    bob = await sign_in(web, "bob")
    clock.move(timedelta(minutes=119))
    status, _ = await bob.get("/editor")
    assert status == 200
    clock.move(timedelta(hours=2))
    status, body = await bob.get("/editor")
    assert status == 403 and "Not signed in" in body
