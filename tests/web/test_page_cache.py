"""The public pages are kept as rendered (bot.web.cache) and still show every change: a new
signature, vote or edit shows on the next request, whether the bot made it or another
process wrote to the database; a deadline that passes shows with nothing written; every
cached answer carries the same protective headers as a fresh one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from bot.web.cache import SharedReads
from bot.web.server import HEADERS
from commands.framework.rules import Rules
from storage.db import Database
from storage.repos import campaigns
from tests.web.conftest import Web

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


async def launch(web: Web) -> None:
    chat = web.chat
    for person in ("admin", "alice", "bob", "carol", "dave"):
        await chat.join(person)
    assert "idea #1" in await chat.dm("alice", "pitch Fair pay for surveys")
    await chat.dm("bob", "upvote 1")
    assert "campaign" in await chat.dm("carol", "upvote 1")
    assert "open" in await chat.dm("alice", "petition 1 We ask requesters to pay the minimum wage.")


async def twice(web: Web, path: str) -> str:
    """The page, asked for twice: the second answer comes from the cache, the same bytes
    with the same headers."""
    status, first, headers = await web.get(path)
    again, second, cached_headers = await web.get(path)
    assert status == again == 200 and first == second
    for name, value in HEADERS.items():
        assert headers[name] == cached_headers[name] == value
    assert "Set-Cookie" not in cached_headers
    return second


async def test_a_cached_page_shows_each_new_signature_vote_and_edit(
    clock: time_machine.Traveller, web: Web
) -> None:
    chat = web.chat
    await launch(web)
    page = await twice(web, "/campaigns/1")
    assert "<strong>0 signatures</strong>" in page and "+2/-0" in page
    front = await twice(web, "/")
    assert "0 signatures" in front

    await chat.dm("bob", "sign 1")
    page = await twice(web, "/campaigns/1")
    assert "<strong>1 signature</strong>" in page
    assert "1 signature" in await twice(web, "/")

    await chat.dm("dave", "upvote 1")
    assert "+3/-0" in await twice(web, "/campaigns/1")

    assert "The document is empty" in await twice(web, "/campaigns/1/document")
    assert "revision 1" in await chat.dm("alice", "doc 1 edit # Our demands")
    document = await twice(web, "/campaigns/1/document")
    assert 'id="our-demands"' in document
    assert "r1" in await twice(web, "/campaigns/1/document/history")


async def test_a_write_from_another_process_shows_at_once(
    clock: time_machine.Traveller, web: Web, db: Database
) -> None:
    await launch(web)
    assert "Status</dt><dd>active" in await twice(web, "/campaigns/1")
    # Another process on the same database (an operator's tool, a second bot instance).
    other = Database(db.url, schema=db.schema, vault=db.vault)
    try:
        async with other.write() as conn:
            await campaigns.close(conn, 1, START)
    finally:
        await other.dispose()
    assert "Status</dt><dd>closed" in await twice(web, "/campaigns/1")


async def test_a_deadline_that_passes_shows_with_nothing_written(
    clock: time_machine.Traveller, web: Web
) -> None:
    await launch(web)
    assert "ends" in await web.chat.dm("admin", "mod deadline 1 discussion in 2d")
    assert "open until 2026-11-25 14:00 UTC" in await twice(web, "/campaigns/1")
    clock.move_to(START + timedelta(days=2, seconds=1))
    page = await twice(web, "/campaigns/1")
    assert "ended 2026-11-25 14:00 UTC, at its deadline" in page


async def test_a_request_never_takes_a_version_read_that_started_before_it() -> None:
    """A commit may land between the start of a read under way and a request that comes
    meanwhile: that request waits for the next read, which all who came meanwhile share."""
    reads: asyncio.Queue[asyncio.Event] = asyncio.Queue()  # each read, once it started
    count = 0

    async def read() -> int:
        nonlocal count
        count += 1
        mine, answer = count, asyncio.Event()
        await reads.put(answer)
        await answer.wait()
        return mine

    shared = SharedReads(read)
    first = asyncio.create_task(shared())
    answer = await reads.get()  # the first read is under way
    later = [asyncio.create_task(shared()) for _ in range(3)]
    answer.set()
    assert await first == 1
    (await reads.get()).set()  # the next read started once the first was done
    assert [await t for t in later] == [2, 2, 2]
    assert count == 2  # one read for the three
