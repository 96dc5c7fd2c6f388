"""The leaver's story, read back by an attacker: alice, with a console account, an IRC nick
and a verified email address, pitches, signs under a shown name, shows a name beside her
pseudonym, sets a time zone, follows an idea, is made organizer and is named in the
moderation log. She sends `leave`, confirms, and keeps her signature. Then every text and
JSON column of every table, every page and the campaign's exports are read: none holds her
pseudonym, her shown names, her address, her account keys or their digests. Her idea, vote
and signature still count, under "former member", and her pseudonym is never offered again.
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from commands import leaving, pseudonyms
from commands.framework.reply import IdentityRef
from storage.db import Database
from storage.repos import erasure
from tests.harness import ConsoleChat
from tests.momentum.conftest import SmtpServer
from tests.test_unlinkable import ADDRESS, IRC, chat, everyone_everywhere, say, smtp  # noqa: F401

SHOWN = "Alicia Quendraw"
SIGNED_AS = "Quendraw of Tasks"


async def dump(db: Database) -> str:
    """Every text and JSON value of every table (the member's own row's label aside)."""
    values = []
    async with db.read() as conn:
        for table, column in erasure.text_columns():
            for (value,) in await conn.execute(sa.select(sa.cast(column, sa.Text))):
                values.append(f"{table.name}.{column.name}={value}")
            for key in table.primary_key.columns:
                if isinstance(key.type, sa.String):
                    for (value,) in await conn.execute(sa.select(key)):
                        values.append(f"{table.name}.{key.name}={value}")
    return "\n".join(values)


async def digests_of(db: Database, pseudonym: str) -> list[str]:
    """The keyed digests of a member's account keys, and their sealed keys."""
    async with db.read() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT i.key_hash, i.handle FROM identity i JOIN member m ON m.id = i.member_id"
                " WHERE m.pseudonym = :p"
            ),
            {"p": pseudonym},
        )
        return [value for row in rows for value in row]


async def test_leave_erases_every_trace(
    chat: ConsoleChat,  # noqa: F811
    db: Database,
    smtp: SmtpServer,  # noqa: F811
) -> None:
    await chat.join("admin")
    bob = await chat.join("bob")
    alice = await everyone_everywhere(chat, smtp)
    await chat.dm("alice", f"reveal {SHOWN}")
    await chat.dm("alice", "timezone Europe/Berlin")
    await chat.dm("alice", "pitch Fair pay for every task")
    await chat.dm("bob", "upvote 1")
    await chat.dm("admin", "upvote 1")
    await chat.dm("alice", "upvote 1")
    assert "organizes" in await chat.dm("admin", f"mod organizer 1 {alice} she asked")
    assert "is open" in await chat.dm("alice", "petition 1 We ask for fair pay.")
    await chat.dm("alice", f'sign 1 as "{SIGNED_AS}"')
    await chat.dm("bob", "sign 1")
    await chat.dm("bob", f"pitch Thanks {alice} for the idea")
    await chat.dm("alice", "subscribe 2")
    await chat.deliver()
    digests = await digests_of(db, alice)
    assert len(digests) == 4  # the console account and the IRC nick
    before = await dump(db)
    assert alice in before and SIGNED_AS in before  # the dump sees what is there

    asked = await chat.dm("alice", "leave")
    confirm = re.search(r"`(leave keep [0-9a-f]{8})`", asked)
    assert confirm, asked
    assert "You have left" in await chat.dm("alice", confirm.group(1))
    await chat.deliver()

    everything = await dump(db)
    gone = [alice, SHOWN, SIGNED_AS, ADDRESS, IRC.key, "console:alice", *digests]
    found = [g for g in gone if g.lower() in everything.lower()]
    assert found == [], f"still in the database: {found}"
    assert bob in everything  # the others are untouched
    if db.is_sqlite:
        # Nor does the file, nor its WAL: no deleted copy is left in free pages.
        path = Path(db.path)
        raw = b"".join(
            f.read_bytes() for f in (path, path.with_name(path.name + "-wal")) if f.exists()
        )
        on_disk = [g for g in gone if g.encode() in raw or g.lower().encode() in raw.lower()]
        assert on_disk == [], f"still on disk: {on_disk}"
    # Her idea, vote and signature still count, under "former member".
    idea = await chat.dm("bob", "idea 1")
    assert "former member" in idea and alice not in idea
    campaign = await chat.dm("bob", "signers 1")
    assert "2" in campaign and SIGNED_AS not in campaign
    # Her accounts are strangers now.
    assert "register" in (await say(chat, IRC, "whoami")).lower()
    # The pseudonym is never offered again.
    async with db.write() as conn:
        digest = leaving.retired_digest(chat.app.vault, alice)
        assert await erasure.retired(conn, [digest]) == {digest}
    assert alice.count("_") == 1 and pseudonyms  # an adjective_animal name


async def test_withdrawn_signatures_stop_counting(chat: ConsoleChat) -> None:  # noqa: F811
    await chat.join("admin")
    alice = await chat.join("alice")
    await chat.dm("alice", "pitch Breaks between batches")
    await chat.dm("admin", "upvote 1")
    await chat.dm("alice", "upvote 1")
    await chat.dm("admin", f"mod organizer 1 {alice}")
    await chat.dm("alice", "petition 1 Breaks.")
    await chat.dm("alice", "sign 1")
    await chat.dm("admin", "sign 1")
    asked = await chat.dm("alice", "leave")
    confirm = re.search(r"`(leave withdraw [0-9a-f]{8})`", asked)
    assert confirm
    assert "1 signature withdrawn" in await chat.dm("alice", confirm.group(1))
    assert "1 signature" in await chat.dm("admin", "campaign 1")
    assert "2 signatures" not in await chat.dm("admin", "campaign 1")


async def test_an_admin_erases_on_request_and_the_name_is_never_offered_again(
    chat: ConsoleChat,  # noqa: F811
    monkeypatch,
) -> None:
    await chat.join("admin")
    carol = await chat.join("carol")
    admin = await chat.dm("admin", "whoami")
    assert "Only admins" in await chat.dm("carol", f"mod erase {carol} keep")
    own = re.search(r"[a-z]+_[a-z]+", admin)
    assert own and "use `leave`" in await chat.dm("admin", f"mod erase {own.group(0)} keep")
    assert "erased" in await chat.dm("admin", f"mod erase {carol} keep")
    assert "No member is called" in await chat.dm("admin", f"mod member {carol}")
    log = await chat.dm("admin", "modlog")
    assert "erased a member's data" in log and carol not in log
    # Registration draws only the retired name: it is refused, and another is found.
    offered = iter([carol] * 24 + ["quiet_newt"] * 24)
    monkeypatch.setattr(pseudonyms, "random_name", lambda: next(offered))
    (code,) = await chat.mint()
    newcomer = IdentityRef("console:dave", "console")
    reply = await say(chat, newcomer, f"register {code}")
    assert "quiet_newt" in reply and carol not in reply
