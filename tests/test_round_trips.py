"""PostgreSQL seen from the wire: a proxy in front of the real server counts the round trips
a vote costs, and breaks connections the way a restarting server or a failing network does.

No connection is pinged before use (that was three round trips per command): a connection
the server dropped fails at its first statement and the command runs again; a connection
lost while the COMMIT was on its way is never run again, since the server may have committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Config
from commands.framework.invoker import IN_DOUBT
from commands.framework.privacy import NO_DELAY
from commands.framework.reply import IdentityRef
from commands.framework.rules import Rules
from storage.db import Database
from storage.vault import Vault
from tests.databases import PG_URL, PostgresSchema
from tests.harness import ConsoleChat
from tests.round_trips import CountingProxy

BOB = IdentityRef(key="console:bob", platform="console")


@pytest.fixture
async def wire(pg_schema: PostgresSchema) -> AsyncIterator[tuple[ConsoleChat, CountingProxy]]:
    proxy = CountingProxy(PG_URL)
    url = await proxy.start()
    db = Database(url, schema=pg_schema.name, pool_size=2, vault=Vault.from_environ())
    await pg_schema.reset(db)
    chat = ConsoleChat(db, Config(rules=Rules(pitches_per_day=100), privacy=NO_DELAY))
    await chat.start()
    try:
        await chat.join("alice")
        await chat.join("bob")
        for n in range(1, 9):
            assert f"#{n}" in await chat.dm("alice", f"pitch Idea on the wire number {n}")
        yield chat, proxy
    finally:
        await chat.stop()
        await db.dispose()
        await proxy.close()


async def bob(chat: ConsoleChat, line: str) -> str:
    """Bob's command straight through the invoker (no console delivery after it)."""
    return (await chat.app.invoker.handle(BOB, line, where="dm")).text


async def test_a_vote_costs_at_most_four_round_trips(
    wire: tuple[ConsoleChat, CountingProxy],
) -> None:
    chat, proxy = wire
    for n in (1, 2, 3):  # each pooled connection prepares the statements once
        assert "You upvoted" in await bob(chat, f"upvote {n}")
    for line, answer in (
        ("upvote 4", "You upvoted #4: now +1/-0"),  # a new vote
        ("downvote 4", "You downvoted #4: now +0/-1"),  # a changed one
        ("downvote 4", "You already downvoted #4"),  # one already so
    ):
        before = proxy.round_trips
        assert answer in await bob(chat, line)
        # BEGIN, the member, the vote with its counters and following, COMMIT.
        assert proxy.round_trips - before <= 4, line


async def test_connections_the_server_dropped_are_replaced_and_the_vote_counts(
    wire: tuple[ConsoleChat, CountingProxy],
) -> None:
    chat, proxy = wire
    assert "You upvoted #1" in await bob(chat, "upvote 1")
    proxy.sever_all()  # every pooled connection is now dead
    assert "You upvoted #2: now +1/-0" in await bob(chat, "upvote 2")
    assert "You already upvoted #2" in await bob(chat, "upvote 2")


@pytest.mark.parametrize("committed", [True, False], ids=["server-committed", "never-arrived"])
async def test_a_connection_lost_during_commit_is_not_run_again(
    wire: tuple[ConsoleChat, CountingProxy], committed: bool
) -> None:
    chat, proxy = wire
    assert "You upvoted #1" in await bob(chat, "upvote 1")  # statements prepared
    proxy.cut_when_sent(b"COMMIT;", forward=committed)  # not BEGIN ... READ COMMITTED
    assert await bob(chat, "upvote 5") == IN_DOUBT
    # Whatever happened, the vote is there at most once, and checking tells which.
    again = await bob(chat, "upvote 5")
    if committed:
        assert "You already upvoted #5" in again
    else:
        assert "You upvoted #5: now +1/-0" in again


async def test_the_data_version_the_pages_check_costs_one_round_trip(
    wire: tuple[ConsoleChat, CountingProxy],
) -> None:
    """Every public page reads it first (bot.web.cache): no BEGIN, no ROLLBACK around it."""
    chat, proxy = wire
    db = chat.app.db
    for _ in range(3):  # each pooled connection prepares the statement once
        await db.data_version()
    before = proxy.round_trips
    # Other databases on the server may move it at any moment: only a change is certain.
    first = await db.data_version()
    assert proxy.round_trips - before <= 1
    assert "You upvoted #1" in await bob(chat, "upvote 1")
    assert await db.data_version() != first
