"""A movement with something on every page, made the way members make it: in chat.

The bot runs its scheduler and mails through a real SMTP server (so members verify real
addresses and the weekly update goes out), and the clock is moved with time-machine, never
by sleeping. Names people chat under are distinctive, so a page that leaked one would show.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest
import time_machine

from bot.web.assemble import web_server
from bot.web.settings import WebSettings
from storage.db import Database
from tests.momentum.conftest import (
    MONDAY,
    MomentumChat,
    SmtpServer,
    free_port,
    momentum_config,
)
from tests.web.conftest import Web

# The people, as they chat (console identities "console:NAME"), and their addresses.
PEOPLE = ("admin", "quintessa", "borislav", "caradoc", "dagny")
ADDRESSES = {p: f"{p}.private@mail.example" for p in PEOPLE[1:]}
WEEKLY_TIME = MONDAY + timedelta(hours=1)  # the default weekly update, mon 15:00 UTC


@dataclass
class Story:
    web: Web
    chat: MomentumChat
    names: dict[str, str]  # person -> pseudonym


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The wall clock, frozen at MONDAY; the story moves it."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    server = SmtpServer(free_port())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def story(
    db: Database, smtp: SmtpServer, clock: time_machine.Traveller
) -> AsyncIterator[Story]:
    """The story below, told to a running bot that serves the web on a free port."""
    config = dataclasses.replace(
        momentum_config(smtp.port),
        web=WebSettings(listen="127.0.0.1:0", public_url="https://dynamo.example.org"),
    )
    chat = MomentumChat(db, config)
    chat.app.web = web_server(chat.app)
    await chat.start()
    try:
        assert chat.app.web.port is not None
        async with aiohttp.ClientSession() as http:
            web = Web(chat, f"http://127.0.0.1:{chat.app.web.port}", http)
            yield await build(web, chat, smtp, clock)
    finally:
        await chat.stop()


async def tell(chat: MomentumChat, person: str, line: str, expect: str) -> None:
    reply = await chat.dm(person, line)
    assert expect in reply, reply


async def build(
    web: Web, chat: MomentumChat, smtp: SmtpServer, clock: time_machine.Traveller
) -> Story:
    """Campaign #1 "Fair pay for surveys" with two petition versions, named and unnamed
    signers, a document in three revisions, a petition deadline, an adopted next step and a
    weekly update that went out; idea #2 open; idea #3 hidden by a moderator."""
    names = {p: await chat.join(p) for p in PEOPLE}
    quintessa, borislav, caradoc, dagny = PEOPLE[1:]
    for person, address in ADDRESSES.items():
        assert "verified" in await chat.verify(person, smtp.inbox, address)
    await tell(chat, quintessa, "reveal Kristy M.", "Kristy M.")
    await tell(chat, quintessa, "pitch Fair pay for surveys", "idea #1")
    await tell(chat, borislav, "upvote 1", "upvoted")
    await tell(chat, caradoc, "upvote 1", "campaign")
    await tell(chat, dagny, "pitch Publish a requester rating list", "idea #2")
    await tell(chat, borislav, "pitch Something the moderators take down", "idea #3")
    await tell(chat, "admin", "mod hide 3", "hidden")

    await tell(chat, quintessa, "petition 1 We ask requesters to pay the minimum wage.", "open")
    await tell(chat, borislav, "sign 1", "Signed")
    await tell(chat, caradoc, 'sign 1 researcher as "Dr. Rosa P., Uni X"', "Signed")
    await tell(chat, quintessa, "petition 1 We ask requesters to pay at least $15 an hour.", "2")
    await tell(chat, dagny, 'sign 1 ally as "Sam K."', "Signed")
    await tell(chat, borislav, "sign 1", "Signed the new statement")
    await tell(chat, "admin", "mod deadline 1 petition in 3d", "ends 2026-11-26 14:00 UTC")
    await tell(chat, "admin", "mod deadline 1 discussion in 2d", "ends 2026-11-25 14:00 UTC")

    await tell(chat, quintessa, "doc 1 edit # Our demands", "revision 1")
    await tell(chat, quintessa, "doc 1 append 1. Pay for qualification tests.", "revision 2")
    await tell(chat, dagny, "doc 1 append ## Timeline", "revision 3")
    await tell(chat, dagny, "doc 1 append See [the guide](https://example.org/guide).", "4")

    await tell(chat, quintessa, "update 1 We wrote to the requester.", "Saved revision 1")
    await tell(chat, quintessa, "nextstep 1 Email the requester our demands --window 1h", "Prop")
    for at in (WEEKLY_TIME + timedelta(seconds=5), WEEKLY_TIME + timedelta(minutes=10)):
        clock.move_to(at)
        await chat.settle()
    assert any(a.startswith("Next step adopted") for a in chat.announcements)
    assert any(a.startswith("Weekly update") for a in chat.announcements)
    return Story(web, chat, names)


# Every page a reader can reach in the story, and what each must say.
PAGES = (
    "/",
    "/ideas/1",
    "/ideas/2",
    "/campaigns/1",
    "/campaigns/1/document",
    "/campaigns/1/document/history",
    "/campaigns/1/document/diff/1",
    "/campaigns/1/document/diff/2",
    "/campaigns/1/document/diff/3",
    "/campaigns/1/document/diff/4",
    "/modlog",
)
MISSING = ("/ideas/3", "/ideas/99", "/campaigns/2", "/campaigns/3", "/campaigns/99")
