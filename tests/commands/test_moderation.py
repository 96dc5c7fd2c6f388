"""Item 9: the role ladder and moderation, with its log."""

from __future__ import annotations

import pytest

from bot.config import AdminSettings, Config
from commands.framework.privacy import NO_DELAY
from commands.framework.reply import IdentityRef
from commands.framework.rules import Rules
from storage.db import Database
from storage.repos import members
from tests.harness import ConsoleChat


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=1)


async def test_roles_and_promotion(chat: ConsoleChat) -> None:
    await chat.join("admin")  # console:admin is an admin by config
    mod = await chat.join("mia")
    await chat.join("bob")
    assert "Only moderators" in await chat.dm("bob", "mod hide 1")
    assert "Only admins" in await chat.dm("mia", f"mod promote {mod} admin")
    assert "is now moderator" in await chat.dm("admin", f"mod promote {mod} moderator")
    assert "raised your role: you are now a moderator" in chat.last_dm("mia")
    assert "moderator" in await chat.dm("mia", "whoami")
    assert "No member is called" in await chat.dm("admin", "mod promote nobody_here moderator")


async def test_hide_unhide_close(chat: ConsoleChat) -> None:
    await chat.join("admin")
    await chat.join("bob")
    await chat.dm("bob", "pitch Spam spam")
    await chat.dm("bob", "pitch Real idea")
    assert "hidden" in await chat.dm("admin", "mod hide 1")
    assert "Spam" not in await chat.dm("bob", "ideas")
    assert "no idea #1" in await chat.dm("bob", "idea 1")
    assert "Spam" in await chat.dm("admin", "idea 1")  # moderators still see it
    assert "visible again" in await chat.dm("admin", "mod unhide 1")
    assert "Spam" in await chat.dm("bob", "ideas")
    await chat.dm("admin", "mod close 1")
    assert "closed" in await chat.dm("bob", "idea 1")
    assert "Spam" not in await chat.dm("bob", "ideas")


async def test_organizer_and_closing_a_campaign(chat: ConsoleChat) -> None:
    await chat.join("admin")
    await chat.join("alice")
    bob = await chat.join("bob")
    await chat.dm("alice", "pitch Campaign idea")
    await chat.dm("admin", "upvote 1")
    assert "Only organizers" in await chat.dm("bob", "petition 1 Text")
    assert "now organizes" in await chat.dm("admin", f"mod organizer 1 {bob}")
    assert "organizer of campaign #1" in chat.last_dm("bob")
    assert "is open" in await chat.dm("bob", "petition 1 We ask for fairness.")
    assert "closed" in await chat.dm("admin", "mod close 1")
    assert "closed" in await chat.dm("alice", "sign 1")
    assert "(closed)" in await chat.dm("alice", "campaigns all")


async def test_ban_blocks_every_identity(chat: ConsoleChat) -> None:
    await chat.join("admin")
    troll = await chat.join("troll")
    code_reply = await chat.dm("troll", "link")
    code = code_reply.split("`")[1]
    await chat.dm("troll_alt", f"link {code}")
    assert "is banned" in await chat.dm("admin", f"mod ban {troll}")
    assert "suspended" in await chat.dm("troll", "pitch More trolling")
    assert "suspended" in await chat.dm("troll_alt", "ideas")
    (fresh,) = await chat.mint()
    assert "suspended" in await chat.dm("troll_alt", f"register {fresh}")
    assert "can take part again" in await chat.dm("admin", f"mod unban {troll}")
    assert "idea #1" in await chat.dm("troll", "pitch Sorry")


async def test_moderators_cannot_ban_up_the_ladder(chat: ConsoleChat) -> None:
    await chat.join("admin")
    m1 = await chat.join("m1")
    m2 = await chat.join("m2")
    await chat.dm("admin", f"mod promote {m1} moderator")
    await chat.dm("admin", f"mod promote {m2} moderator")
    assert "Only an admin" in await chat.dm("m1", f"mod ban {m2}")
    assert "can't ban yourself" in await chat.dm("m1", f"mod ban {m1}")


async def test_mod_log_records_who_and_when(chat: ConsoleChat) -> None:
    admin = await chat.join("admin")
    bob = await chat.join("bob")
    await chat.dm("bob", "pitch Pay us")
    await chat.dm("admin", "mod hide 1")
    await chat.dm("admin", f"mod promote {bob} moderator")
    log = await chat.dm("bob", "mod log")
    assert f"{admin}: role {bob} (member -> moderator)" in log
    assert f"{admin}: hide #1" in log
    assert "UTC" in log


async def test_admins_named_by_key_are_recognised_by_its_digest(db: Database) -> None:
    """The config names admin accounts in plain text; the database knows them by digest."""
    boss = IdentityRef("irc:net1:boss", "irc")
    config = Config(privacy=NO_DELAY, admins=AdminSettings(identities=(boss.key,)))
    chat = ConsoleChat(db, config)
    await chat.start()
    try:
        (code,) = await chat.mint()
        await chat.app.invoker.handle(boss, f"register {code}", where="dm")
        await chat.app.invoker.handle(boss, "choose", where="dm")
        bob = await chat.join("bob")
        promoted = await chat.app.invoker.handle(boss, f"mod promote {bob} moderator", where="dm")
        assert "is now moderator" in promoted.text
        async with db.read() as conn:
            staff = await members.staff_ids(conn, chat.app.jobs.admin_hashes())
        assert staff == [1, 2]  # boss by the configured key, bob by his new role
    finally:
        await chat.stop()


async def test_role_notices_say_who_and_which_way(chat: ConsoleChat) -> None:
    await chat.join("admin")
    mia = await chat.join("mia")
    await chat.dm("admin", f"mod promote {mia} moderator")
    await chat.deliver()
    assert "An admin raised your role: you are now a moderator" in chat.last_dm("mia")
    await chat.dm("admin", f"mod promote {mia} member")
    await chat.deliver()
    assert "An admin lowered your role: you are now a member" in chat.last_dm("mia")
