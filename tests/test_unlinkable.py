"""The attacker's story: someone walks off with a copy of the database. It must not tie a
single pseudonym to an IRC nick, a Discord account or an email address.

Members here use every kind of account: the console, an IRC nick (``irc:net1:alice``, with
the connection it came by), a Discord id, a pending registration, wrong codes, a verified
email address. Then the attacker reads the SQLite file and its WAL byte by byte, or every
row of every table on PostgreSQL, and looks for any of them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from commands.framework.reply import IdentityRef
from storage.db import Database
from storage.models import metadata
from tests.harness import ConsoleChat
from tests.momentum.conftest import SmtpServer, free_port, momentum_config

IRC = IdentityRef("irc:net1:alice", "irc", connection="irc:net1 ~alice@198.51.100.7")
DISCORD = IdentityRef("discord:123456789012345678", "discord")
DRIFTER = IdentityRef("irc:net1:bobnick", "irc", connection="irc:net1 ~bob@203.0.113.9")
ADDRESS = "firstname.lastname@example.org"
# What must appear nowhere, in any encoding the database might use for text.
SECRETS = (
    "alice",
    "bobnick",
    "123456789012345678",
    "firstname.lastname",
    "example.org",
    "198.51.100.7",
    "203.0.113.9",
)


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    server = SmtpServer(free_port())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def chat(db: Database, smtp: SmtpServer) -> AsyncIterator[ConsoleChat]:
    harness = ConsoleChat(db, momentum_config(smtp.port))
    await harness.start()
    yield harness
    await harness.stop()


async def say(chat: ConsoleChat, who: IdentityRef, line: str) -> str:
    reply = await chat.app.invoker.handle(who, line, where="dm")
    return reply.text


async def everyone_everywhere(chat: ConsoleChat, smtp: SmtpServer) -> str:
    """The scenario; returns alice's pseudonym."""
    alice = await chat.join("alice")
    code = re.search(r"`([A-Z2-9-]{14})`", await chat.dm("alice", "link"))
    assert code, "no link code"
    assert alice in await say(chat, IRC, f"link {code.group(1)}")
    await chat.deliver()  # the console account hears of the link
    (fresh,) = await chat.mint()
    assert "could be" in await say(chat, DISCORD, f"register {fresh}")
    assert "You are" in await say(chat, DISCORD, "choose")
    (waiting,) = await chat.mint()
    assert "could be" in await say(chat, DRIFTER, f"register {waiting}")  # never chooses
    assert "not valid" in await say(chat, DRIFTER, "link ABCD-EFGH-JKMN")
    assert "mailing a code" in await say(chat, IRC, f"email {ADDRESS}")
    mailer = chat.app.mailer
    assert mailer is not None
    await mailer.drain()
    assert "is verified" in await say(chat, IRC, f"verify {smtp.inbox.code_for(ADDRESS)}")
    return alice


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [s for s in SECRETS if s in lowered]


async def test_a_copy_of_the_database_links_nobody(
    chat: ConsoleChat, db: Database, smtp: SmtpServer
) -> None:
    alice = await everyone_everywhere(chat, smtp)
    # The bot itself still knows everyone: members recognised, and mail addressed rightly.
    assert alice in await say(chat, IRC, "whoami") and alice in await chat.dm("alice", "whoami")
    assert [r.to for r in smtp.inbox.received] == [ADDRESS]

    if db.is_sqlite:
        path = Path(db.path)
        files = [path, path.with_name(path.name + "-wal")]
        raw = b"".join(f.read_bytes() for f in files if f.exists())
        assert alice.encode() in raw  # what is meant to be there is readable
        found = [s for s in SECRETS for text in (raw, raw.lower()) if s.encode() in text]
        found += [s for s in SECRETS if s.encode("utf-16-le") in raw]
        assert found == [], f"the SQLite file holds {found}"
        return
    dump = []
    async with db.read() as conn:
        for table in metadata.sorted_tables:
            rows = await conn.execute(sa.select(table))
            dump.append(f"{table.name}: {[tuple(row) for row in rows]!r}")
    everything = "\n".join(dump)
    assert "identity" in everything and alice in everything  # the dump is not empty
    assert leaks(everything) == [], f"the tables hold {leaks(everything)}"
