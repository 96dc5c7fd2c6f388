"""People without a chat account sign and follow a campaign from its page, confirm by a
mailed link (received by a real aiosmtpd server), and leave any mailing in one click; a
campaign downloads as files. Their address appears nowhere."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import time_machine
from playwright.async_api import Page

from bot.config import AdminSettings, Config, EmailSettings
from bot.web.assemble import web_server
from bot.web.settings import WebSettings
from commands import outsiders as outside
from commands import updates
from commands.framework.privacy import NO_DELAY, Privacy
from commands.framework.rules import Rules
from storage.db import Database
from storage.repos import outsiders
from tests.harness import ConsoleChat
from tests.momentum.conftest import (  # noqa: F401 (fixtures)
    SENDER,
    Inbox,
    SmtpServer,
    clock,
    smtp,
)
from tests.web.conftest import Web

PUBLIC = "https://dynamo.example.org"
DANA = "dana.reyes@cs.state.edu"
STRANGER = "someone.else@example.net"
SAM = {"name": "Sam Ally", "affiliation": "", "category": "ally"}


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=3)


@pytest.fixture
def privacy() -> Privacy:
    return NO_DELAY


@pytest.fixture
async def site(
    db: Database,
    rules: Rules,
    privacy: Privacy,
    smtp: SmtpServer,  # noqa: F811
) -> AsyncIterator[Web]:
    config = Config(
        rules=rules,
        privacy=privacy,
        admins=AdminSettings(identities=("console:admin",)),
        web=WebSettings(listen="127.0.0.1:0", public_url=PUBLIC, academic_domains=(".edu",)),
        email=EmailSettings(
            host="127.0.0.1", port=smtp.port, starttls=False, sender=SENDER, timeout=5.0
        ),
    )
    chat = ConsoleChat(db, config)
    chat.app.web = web_server(chat.app)
    await chat.start()
    assert chat.app.web.port is not None
    async with aiohttp.ClientSession() as http:
        yield Web(chat, f"http://127.0.0.1:{chat.app.web.port}", http)
    await chat.stop()


async def campaign_with_petition(web: Web, time: time_machine.Traveller | None = None) -> None:
    """Campaign #1 with a petition bob signed; with a public delay, each step waits for
    its moment (``time`` moves past it)."""
    chat = web.chat

    async def done() -> None:
        if time is not None:
            time.shift(timedelta(minutes=2))
        await chat.deliver()

    for person in ("alice", "bob", "carol", "dave"):
        await chat.join(person)
    await chat.dm("alice", "pitch Fair pay for surveys")
    await done()
    for voter in ("bob", "carol", "dave"):
        await chat.dm(voter, "upvote 1")
    await done()
    await chat.dm("alice", "petition 1 We ask requesters to pay the minimum wage.")
    await done()
    await chat.dm("bob", "sign 1")
    await done()


async def mail(web: Web) -> None:
    """Carry out what is due (a signature's moment) and send every mail that is due."""
    assert web.chat.app.mailer is not None
    for _ in range(5):
        if await web.chat.app.later.drain() + await web.chat.app.mailer.drain() == 0:
            return


def local(link: str, web: Web) -> str:
    """A link from a mail, on this test's server instead of the public address."""
    return web.url + link.removeprefix(PUBLIC)


def link_in(inbox: Inbox, address: str, subject: str, path: str) -> str:
    found = [m for m in inbox.to(address) if subject in m.subject]
    assert len(found) == 1, [m.subject for m in inbox.to(address)]
    match = re.search(rf"{re.escape(PUBLIC)}/{path}/[A-Za-z0-9_-]+", found[0].part("plain"))
    assert match, found[0].part("plain")
    return match.group(0)


async def form_post(web: Web, path: str, fields: dict[str, str]) -> tuple[int, str]:
    _, body, _ = await web.get(path)
    match = re.search(r'name="form" value="([^"]+)"', body)
    assert match, body
    async with web.http.post(web.url + path, data={"form": match.group(1), **fields}) as r:
        return r.status, await r.text()


async def test_an_outsider_signs_from_the_page_and_the_count_grows(
    site: Web,
    page: Page,
    smtp: SmtpServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    web = site
    await campaign_with_petition(web)

    await page.goto(web.url + "/campaigns/1/sign")
    await page.get_by_label("Name to show").fill("Dana Reyes")
    await page.get_by_label("Affiliation (optional)").fill("State University")
    await page.get_by_label("researcher").check()
    await page.get_by_label("Email address").fill(DANA)
    await page.get_by_role("button", name="Sign").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Check your mail"
    await mail(web)

    link = link_in(smtp.inbox, DANA, "confirm your signature", "confirm")
    await page.goto(local(link, web))
    assert "showing “Dana Reyes, State University”" in await page.locator("main").inner_text()
    _, before, _ = await web.get("/")
    assert "2 signatures" not in before
    await page.get_by_role("button", name="Confirm").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Confirmed"
    await mail(web)

    _, front, _ = await web.get("/")
    assert "2 signatures" in front
    signers = await web.chat.dm("carol", "signers 1")
    assert "1 worker, 1 researcher" in signers
    assert "Dana Reyes, State University (researcher, verified academic address)" in signers
    counted = [m for m in smtp.inbox.to(DANA) if "counts" in m.subject]
    assert len(counted) == 1
    assert counted[0].message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # The link works once; the same address can't sign again, and gets no second mail.
    status, _, _ = await web.get(link.removeprefix(PUBLIC))
    assert status == 404
    status, body = await form_post(
        web,
        "/campaigns/1/sign",
        {"name": "Dana R.", "affiliation": "", "category": "ally", "email": DANA},
    )
    assert status == 200 and "Check your mail" in body
    await mail(web)
    assert len(smtp.inbox.to(DANA)) == 2
    _, front, _ = await web.get("/")
    assert "2 signatures" in front

    # Her address is nowhere: no page, no export, no log line, no chat line.
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]  # not aiosmtpd's
    seen = [front, signers, web.chat.everything_public(), *(r.getMessage() for r in ours)]
    for path in ("/campaigns/1/sign", "/campaigns/1/export.md", "/campaigns/1/export.csv"):
        seen.append((await web.get(path))[1])
    for text in seen:
        assert DANA not in text and "dana.reyes" not in text
    assert "Dana Reyes, State University" in seen[-1]


async def test_a_strangers_address_gets_one_mail_however_often_it_is_given(
    site: Web,
    smtp: SmtpServer,  # noqa: F811
) -> None:
    web = site
    await campaign_with_petition(web)
    # Case and a +tag reach the same mailbox: they are the same address here.
    for address in (STRANGER, "Someone.Else+again@example.net"):
        status, body = await form_post(web, "/campaigns/1/follow", {"email": address})
        assert status == 200 and "Check your mail" in body
        status, body = await form_post(
            web,
            "/campaigns/1/sign",
            {"name": "Not Me", "affiliation": "", "category": "ally", "email": address},
        )
        assert status == 200
    await mail(web)
    assert smtp.inbox.to("Someone.Else+again@example.net") == []
    subjects = sorted(m.subject for m in smtp.inbox.to(STRANGER))
    assert subjects == [
        "Dynamo: confirm that you follow a campaign",
        "Dynamo: confirm your signature",
    ]
    # A signature as a worker needs membership; the form says so and mails nobody.
    status, body = await form_post(
        web,
        "/campaigns/1/sign",
        {"name": "X", "affiliation": "", "category": "worker", "email": "w@example.org"},
    )
    assert status == 400 and "needs membership" in body
    # A form another site made (no token of ours) does nothing.
    async with web.http.post(
        web.url + "/campaigns/1/follow", data={"email": "victim@example.org"}
    ) as response:
        assert response.status == 400
    await mail(web)
    assert smtp.inbox.to("victim@example.org") == smtp.inbox.to("w@example.org") == []


async def test_the_form_is_rate_limited_per_address(
    site: Web,
    smtp: SmtpServer,  # noqa: F811
) -> None:
    web = site
    await campaign_with_petition(web)
    most, _ = outside.PER_ADDRESS
    for _ in range(most):
        status, _ = await form_post(web, "/campaigns/1/follow", {"email": STRANGER})
        assert status == 200
    status, body = await form_post(web, "/campaigns/1/follow", {"email": STRANGER})
    assert status == 429 and "Too many requests" in body


async def test_a_mail_providers_one_click_post_unsubscribes(
    site: Web,
    smtp: SmtpServer,  # noqa: F811
) -> None:
    web = site
    chat = web.chat
    await campaign_with_petition(web)
    await chat.dm("carol", "email carol@example.org")
    await mail(web)
    await chat.dm("carol", f"verify {smtp.inbox.code_for('carol@example.org')}")
    await form_post(web, "/campaigns/1/follow", {"email": STRANGER})
    await mail(web)
    link = link_in(smtp.inbox, STRANGER, "follow", "confirm")
    status, _ = await form_post(web, link.removeprefix(PUBLIC), {})
    assert status == 200

    await updates.weekly_update(chat.app.jobs, chat.app.clock() + timedelta(minutes=1))
    await mail(web)
    weekly = [m for m in smtp.inbox.to("carol@example.org") if "weekly update" in m.subject]
    followed = [m for m in smtp.inbox.to(STRANGER) if "this week in campaign #1" in m.subject]
    assert len(weekly) == 1 and len(followed) == 1
    assert "Fair pay for surveys" in followed[0].part("plain")

    for received in (weekly[0], followed[0]):
        header = str(received.message["List-Unsubscribe"])
        assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https, mailto = re.findall(r"<([^>]+)>", header)
        assert https.startswith(f"{PUBLIC}/unsubscribe/") and mailto.startswith("mailto:")
        # Opening the link only asks; the provider's POST acts.
        status, body, _ = await web.get(https.removeprefix(PUBLIC))
        assert status == 200 and "<button" in body
        async with web.http.post(
            local(https, web),
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as response:
            assert response.status == 200
            assert "Unsubscribed" in await response.text()

    assert "You have no email address with me" in await chat.dm("carol", "email")
    async with chat.app.db.read() as conn:
        assert await outsiders.followers(conn, 1) == []


@pytest.mark.parametrize("privacy", [Privacy(max_public_delay="90s")])
async def test_a_signature_counts_at_a_random_moment_and_can_be_withdrawn(
    site: Web,
    smtp: SmtpServer,  # noqa: F811
    clock: time_machine.Traveller,  # noqa: F811
) -> None:
    web = site
    await campaign_with_petition(web, clock)
    await form_post(web, "/campaigns/1/sign", {**SAM, "email": STRANGER})
    await mail(web)
    status, body = await form_post(
        web, link_in(smtp.inbox, STRANGER, "confirm", "confirm").removeprefix(PUBLIC), {}
    )
    assert status == 200 and "counts within 90 s, at a random moment" in body
    await mail(web)
    _, front, _ = await web.get("/")
    assert "1 signature" in front  # not yet: nobody can tell when it was confirmed
    clock.shift(timedelta(seconds=91))
    await mail(web)
    _, front, _ = await web.get("/")
    assert "2 signatures" in front
    assert "Sam Ally (ally)" in await web.chat.dm("carol", "signers 1")

    withdraw = link_in(smtp.inbox, STRANGER, "counts", "unsubscribe")
    async with web.http.post(local(withdraw, web)) as response:
        assert response.status == 200
        assert "petition is withdrawn" in await response.text()
    _, front, _ = await web.get("/")
    assert "1 signature" in front
    assert "Sam Ally" not in await web.chat.dm("carol", "signers 1")


async def test_a_petition_closed_at_its_deadline_takes_no_signature_from_outside(
    site: Web,
    smtp: SmtpServer,  # noqa: F811
    clock: time_machine.Traveller,  # noqa: F811
) -> None:
    web = site
    await campaign_with_petition(web)
    await web.chat.join("admin")
    await web.chat.dm("admin", "mod deadline 1 petition 2026-11-24 12:00")
    await form_post(web, "/campaigns/1/sign", {**SAM, "email": STRANGER})
    await mail(web)
    link = link_in(smtp.inbox, STRANGER, "confirm", "confirm").removeprefix(PUBLIC)
    clock.move_to(datetime(2026, 11, 25, tzinfo=UTC))

    closed = "The petition of campaign #1 closed at its deadline, 2026-11-24 12:00 UTC"
    _, page, _ = await web.get("/campaigns/1/sign")
    assert closed in page and "<form" not in page
    status, body = await form_post(web, link, {})
    assert status == 409 and closed in body
    status, body = await form_post(web, "/campaigns/1/follow", {"email": "f@example.org"})
    assert status == 200  # following still works: its updates go on


async def test_the_mailto_unsubscribe_of_an_outsiders_mail_works_by_mod_unsubscribe(
    site: Web,
    smtp: SmtpServer,  # noqa: F811
) -> None:
    web = site
    await campaign_with_petition(web)
    await web.chat.join("admin")
    await form_post(web, "/campaigns/1/follow", {"email": STRANGER})
    await mail(web)
    await form_post(
        web, link_in(smtp.inbox, STRANGER, "follow", "confirm").removeprefix(PUBLIC), {}
    )
    await mail(web)
    (following,) = [
        m for m in smtp.inbox.to(STRANGER) if m.subject == "Dynamo: you follow campaign #1"
    ]
    mailto = re.findall(r"<([^>]+)>", str(following.message["List-Unsubscribe"]))[1]
    token = mailto.rpartition("unsubscribe%20")[2]
    reply = await web.chat.dm("admin", f"mod unsubscribe {token}")
    assert reply == "Done: that address is forgotten and gets no more email."
    async with web.chat.app.db.read() as conn:
        assert await outsiders.followers(conn, 1) == []
