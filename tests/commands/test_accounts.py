"""Linked accounts, as their owner (and an intruder) sees them.

- Linking a new account tells every account already on the membership, privately, each by
  itself: whoever took a link code, the owner hears of it wherever they are.
- `unlink` lists the accounts numbered (masked: the owner tells them apart, a reader over
  the shoulder learns no name) and `unlink N` removes one, never the last.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from bot.config import Config
from commands.framework.formatting import plain
from commands.framework.privacy import NO_DELAY
from commands.framework.reply import IdentityRef
from storage.db import Database
from storage.models import Outbox
from storage.repos import members, outbox
from storage.types import utcnow
from tests.harness import ConsoleChat

outbox_t = Outbox.__table__
ALICE_IRC = IdentityRef("irc:net1:alice", "irc", connection="irc:net1 ~alice@198.51.100.7")
ALICE_DISCORD = IdentityRef("discord:123456789012345678", "discord")


class IrcLikeSink:
    """A transport for ``irc:net1:`` accounts that can be taken offline."""

    platform = "irc"
    spaces = ()

    def __init__(self) -> None:
        self.online = False
        self.delivered: list[tuple[str, str]] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver_announcement(self, space: str, event: str, payload: dict) -> None:
        raise AssertionError("this transport serves no space")

    def can_reach(self, identity_key: str) -> bool:
        return self.online and identity_key.startswith("irc:net1:")

    async def deliver_dm(self, identity_key: str, event: str, payload: dict[str, Any]) -> None:
        self.delivered.append((identity_key, plain(payload["text"])))


def dm(member_id: int, text: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "kind": "dm",
        "space": None,
        "stream": None,
        "member_id": member_id,
        "event": "test",
        "payload": {"text": text},
        "created_at": now,
        "available_at": now,
        "attempts": 0,
    }


async def as_(chat: ConsoleChat, who: IdentityRef, line: str) -> str:
    return plain((await chat.app.invoker.handle(who, line, where="dm")).text)


async def link_code(chat: ConsoleChat, person: str) -> str:
    match = re.search(r"`([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})`", await chat.dm(person, "link"))
    assert match, "no link code"
    return match.group(1)


async def dm_rows(db: Database) -> list[Any]:
    async with db.read() as conn:
        query = sa.select(outbox_t).where(outbox_t.c.kind == "dm").order_by(outbox_t.c.id)
        return list(await conn.execute(query))


async def test_every_account_already_linked_hears_of_a_new_one_by_itself(
    chat: ConsoleChat,
) -> None:
    pseudonym = await chat.join("alice")
    await chat.dm("alice_phone", f"link {await link_code(chat, 'alice')}")
    assert "Another account" in chat.last_dm("alice")  # the first link was told, too
    before = len(chat.dms_of("alice"))

    linked = await chat.dm("intruder", f"link {await link_code(chat, 'alice_phone')}")
    assert pseudonym in linked and "`unlink` lists them" in linked
    for owner in ("alice", "alice_phone"):
        notice = chat.last_dm(owner)
        assert (
            "Another account was just linked to your Dynamo membership: console account in…"
            in notice
        )
        assert "`unlink 3`" in notice and "tell a moderator" in notice
        assert "intruder" not in notice
    assert len(chat.dms_of("alice")) == before + 1  # once, and not again to anyone else
    assert not any("Another account" in dm for dm in chat.dms_of("intruder"))

    # One row per earlier account, pinned to it by its row id: no key in the outbox.
    rows = [r for r in await dm_rows(chat.db) if r.event == "account_linked"]
    async with chat.db.read() as conn:
        ids = {a.key: a.id for a in await members.identities_of(conn, chat.db.vault, 1)}
    pinned = [r.payload["identity_id"] for r in rows[-2:]]
    assert pinned == [ids["console:alice"], ids["console:alice_phone"]]
    assert all(r.sent_at is not None for r in rows)
    assert not any("console:" in repr(r.payload) for r in rows)


async def test_a_notice_pinned_to_an_offline_account_waits_for_it(db: Database) -> None:
    chat = ConsoleChat(db, Config(privacy=NO_DELAY))
    irc = IrcLikeSink()
    chat.app.add_transport(irc)  # type: ignore[arg-type]
    await chat.start()
    try:
        await chat.join("alice")
        assert "now linked" in await as_(chat, ALICE_IRC, f"link {await link_code(chat, 'alice')}")
        await chat.deliver()
        chat.console.seen.clear()
        assert "now linked" in await as_(
            chat, ALICE_DISCORD, f"link {await link_code(chat, 'alice')}"
        )
        await chat.deliver()
        # The console account hears at once; the IRC one is offline, and its notice is not
        # handed to the console instead: it waits.
        assert sum("Discord account 12…" in dm for dm in chat.dms_of("alice")) == 1
        assert irc.delivered == []
        irc.online = True
        await chat.app.dispatcher.release(identity_key=ALICE_IRC.key)  # alice joins on IRC
        await chat.deliver()
        ((key, text),) = irc.delivered
        assert key == ALICE_IRC.key and "Discord account 12…" in text  # transports get keys
        assert sum("Discord account" in dm for dm in chat.dms_of("alice")) == 1

        # A DM that is not pinned goes to her most recently seen account that is reachable:
        # Discord (no transport here), then IRC while it is online, else the console.
        for text in ("while online", "while offline"):
            async with db.write() as conn:
                await outbox.add(conn, [dm(1, text)])
            await chat.deliver()
            irc.online = False
        assert irc.delivered[-1] == (ALICE_IRC.key, "while online")
        assert chat.last_dm("alice") == "while offline"
    finally:
        await chat.stop()


async def test_unlink_lists_masked_accounts_and_removes_one_never_the_last(
    chat: ConsoleChat,
) -> None:
    pseudonym = await chat.join("alice")
    assert "now linked" in await as_(chat, ALICE_IRC, f"link {await link_code(chat, 'alice')}")
    assert "now linked" in await as_(chat, ALICE_DISCORD, f"link {await link_code(chat, 'alice')}")

    listing = await chat.dm("alice", "unlink")
    lines = listing.splitlines()
    assert lines[1].startswith("1. console account al…, linked ") and "(this account)" in lines[1]
    assert lines[2].startswith("2. IRC account on net1 al…, linked ")
    assert "this account" not in lines[2]
    assert lines[3].startswith("3. Discord account 12…, linked ") and "last seen" in lines[3]
    assert "alice" not in listing and "123456789012345678" not in listing
    assert "(this account)" in (await as_(chat, ALICE_IRC, "unlink")).splitlines()[2]
    whoami = await chat.dm("alice", "whoami")
    assert pseudonym in whoami and "\n".join(lines[1:4]) in whoami

    assert "You have 3 linked accounts" in await chat.dm("alice", "unlink 4")
    assert "is not an account number" in await chat.dm("alice", "unlink two")
    removed = await chat.dm("alice", "unlink 3")
    assert "the Discord account 12… is no longer linked" in removed
    assert "You need to register first" in await as_(chat, ALICE_DISCORD, "whoami")

    own = await as_(chat, ALICE_IRC, "unlink 2")
    assert "this account (IRC account on net1 al…) is no longer linked" in own
    assert "register first" in await as_(chat, ALICE_IRC, "whoami")
    refused = await chat.dm("alice", "unlink 1")
    assert "That is your only linked account" in refused and pseudonym in refused
    assert pseudonym in await chat.dm("alice", "whoami")


async def test_a_notice_to_an_account_removed_meanwhile_is_dropped_with_the_reason(
    db: Database,
) -> None:
    chat = ConsoleChat(db, Config(privacy=NO_DELAY))
    irc = IrcLikeSink()
    chat.app.add_transport(irc)  # type: ignore[arg-type]
    await chat.start()
    try:
        await chat.join("alice")
        await as_(chat, ALICE_IRC, f"link {await link_code(chat, 'alice')}")
        await as_(chat, ALICE_DISCORD, f"link {await link_code(chat, 'alice')}")
        await chat.deliver()  # the IRC account is offline: its notice waits
        assert "is no longer linked" in await chat.dm("alice", "unlink 2")
        irc.online = True
        async with db.write() as conn:  # due now, as after a wait
            await conn.execute(
                sa.update(outbox_t)
                .where(outbox_t.c.sent_at.is_(None))
                .values(available_at=sa.func.now())
            )
        await chat.deliver()
        assert irc.delivered == []  # nobody else gets it
        (row,) = [r for r in await dm_rows(db) if r.sent_at is None and r.event == "account_linked"]
        assert row.failed_at is not None and "unlinked" in row.last_error
    finally:
        await chat.stop()


async def test_an_account_linked_with_a_stolen_code_cant_push_the_owner_out(
    chat: ConsoleChat,
) -> None:
    await chat.join("alice")
    code = await link_code(chat, "alice")
    # Mallory read the code over alice's shoulder and links his own account first.
    mallory = IdentityRef("discord:999999999999999999", "discord")
    assert "now linked" in await as_(chat, mallory, f"link {code}")
    refused = await as_(chat, mallory, "unlink 1")
    assert "was linked before this one, so it can't be removed from here" in refused
    # Alice's account, the older one, removes his; she is told, and so would be any other.
    assert "is no longer linked" in await chat.dm("alice", "unlink 2")
    assert "You need to register first" in await as_(chat, mallory, "whoami")


async def test_the_other_accounts_hear_when_one_is_removed(db: Database) -> None:
    chat = ConsoleChat(db, Config(privacy=NO_DELAY))
    irc = IrcLikeSink()
    irc.online = True
    chat.app.add_transport(irc)  # type: ignore[arg-type]
    await chat.start()
    try:
        await chat.join("alice")
        await as_(chat, ALICE_IRC, f"link {await link_code(chat, 'alice')}")
        await as_(chat, ALICE_DISCORD, f"link {await link_code(chat, 'alice')}")
        await chat.deliver()
        irc.delivered.clear()
        await chat.dm("alice", "unlink 3")
        await chat.deliver()
        ((key, text),) = irc.delivered
        assert key == ALICE_IRC.key
        assert text.startswith("An account was removed from your Dynamo membership: Discord")
    finally:
        await chat.stop()
