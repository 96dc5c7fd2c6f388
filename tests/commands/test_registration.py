"""Item 1-2: codes and private registration with pseudonym choice, and linking accounts."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from commands import codes, pseudonyms
from commands.framework.reply import IdentityRef
from storage.models import Identity, Member, RegistrationCode
from tests.harness import ConsoleChat

ALICE_IRC = IdentityRef("irc:net1:alice", "irc", connection="irc:net1 ~alice@198.51.100.7")
OFFER = re.compile(r"could be \*\*([a-z]+_[a-z]+)\*\*")


def offered(reply: str) -> str:
    match = OFFER.search(reply)
    assert match, reply
    return match.group(1)


async def test_register_flip_and_choose(chat: ConsoleChat) -> None:
    (code,) = await chat.mint()
    first = offered(await chat.dm("alice", f"register {code}"))
    second = offered(await chat.dm("alice", "another"))
    third = offered(await chat.dm("alice", "another"))
    assert first != second != third
    assert first.split("_")[0] in pseudonyms.words("adjectives")
    assert first.split("_")[1] in pseudonyms.words("animals")
    chosen = await chat.dm("alice", "choose")
    assert f"You are **{third}**" in chosen
    assert f"already registered as **{third}**" in await chat.dm("alice", f"register {code}")
    assert third in await chat.dm("alice", "whoami")


async def test_codes_are_case_and_dash_insensitive_and_single_use(chat: ConsoleChat) -> None:
    (code,) = await chat.mint()
    typed = code.replace("-", "").lower()
    assert "could be" in await chat.dm("alice", f"register {typed}")
    assert "already been used" in await chat.dm("bob", f"register {code}")
    spaced = " ".join(code.split("-"))
    assert "already been used" in await chat.dm("carol", f"register {spaced}")


async def test_codes_stored_hashed(chat: ConsoleChat) -> None:
    (code,) = await chat.mint()
    async with chat.db.read() as conn:
        stored = (await conn.execute(sa.select(RegistrationCode.__table__))).all()
    assert len(stored) == 1
    assert code not in repr(stored) and code.replace("-", "") not in repr(stored)
    assert stored[0].code_hash == codes.digest(codes.normalize(code) or "")


def test_code_shape() -> None:
    code = codes.generate()
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
    assert not set("01OIL") & set(code)
    assert len(codes.ALPHABET) ** 16 >= 2**60


async def test_wrong_expired_used_codes_say_which(chat: ConsoleChat) -> None:
    now = chat.app.clock()
    (old,) = await chat.mint(expires_at=now - timedelta(days=1))
    assert "expired on" in await chat.dm("alice", f"register {old}")
    assert "not valid" in await chat.dm("alice", "register ABCD-EFGH-JKMN-PQRS")
    assert "doesn't look like a registration code" in await chat.dm("alice", "register hello!")
    assert "Start with `register" in await chat.dm("alice", "choose")


async def test_five_failures_lock_out_without_checking(chat: ConsoleChat) -> None:
    (good,) = await chat.mint()
    for _ in range(5):
        assert "not valid" in await chat.dm("mallory", "register ABCD-EFGH-JKMN-PQRS")
    locked = await chat.dm("mallory", f"register {good}")
    assert "Too many wrong codes" in locked
    # The good code was not even looked at: someone else can still use it.
    assert "could be" in await chat.dm("alice", f"register {good}")


async def test_offers_never_taken_names(chat: ConsoleChat) -> None:
    taken = {await chat.join(f"p{i}") for i in range(6)}
    (code,) = await chat.mint()
    names = {offered(await chat.dm("newbie", f"register {code}"))}
    for _ in range(20):
        names.add(offered(await chat.dm("newbie", "another")))
    assert not names & taken


async def test_invite_code_kind_visible_to_moderators_only(chat: ConsoleChat) -> None:
    helper = await chat.join("helper", kind="invite")
    await chat.join("admin")
    assert "an invite code" in await chat.dm("admin", f"mod member {helper}")
    assert "invite" not in await chat.dm("helper", "whoami")


async def test_link_attaches_another_identity(chat: ConsoleChat) -> None:
    pseudonym = await chat.join("alice")
    reply = await chat.dm("alice", "link")
    code = re.search(r"`([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})`", reply)
    assert code, reply
    linked = await chat.dm("alice_irc", f"link {code.group(1)}")
    assert pseudonym in linked
    assert pseudonym in await chat.dm("alice_irc", "whoami")
    assert "not valid" in await chat.dm("eve", f"link {code.group(1)}")
    async with chat.db.read() as conn:
        members = (await conn.execute(sa.select(sa.func.count()).select_from(Member))).scalar()
        hashes = set((await conn.execute(sa.select(Identity.__table__.c.key_hash))).scalars())
    assert members == 1
    assert hashes == {chat.db.vault.digest(k) for k in ("console:alice", "console:alice_irc")}


async def as_(chat: ConsoleChat, who: IdentityRef, line: str) -> str:
    return (await chat.app.invoker.handle(who, line, where="dm")).text


async def link_code(chat: ConsoleChat, person: str) -> str:
    match = re.search(r"`([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})`", await chat.dm(person, "link"))
    assert match, "no link code"
    return match.group(1)


async def test_wrong_codes_count_against_the_connection_whatever_the_nick(
    chat: ConsoleChat,
) -> None:
    via = "irc:net1 ~mallory@203.0.113.9"
    for n in range(5):
        nick = IdentityRef(f"irc:net1:mallory{n}", "irc", connection=via)
        assert "not valid" in await as_(chat, nick, "register ABCD-EFGH-JKMN-PQRS")
    (good,) = await chat.mint()
    fresh_nick = IdentityRef("irc:net1:totally_new", "irc", connection=via)
    assert "Too many wrong codes" in await as_(chat, fresh_nick, f"register {good}")
    assert "Too many wrong codes" in await as_(chat, fresh_nick, "link ABCD-EFGH-JKMN")
    # The same nick from elsewhere is held by its own count; other people are not held.
    elsewhere = IdentityRef("irc:net1:mallory0", "irc", connection="irc:net1 ~m@192.0.2.1")
    assert "Too many wrong codes" not in await as_(chat, elsewhere, "link ABCD-EFGH-JKMN")
    assert "could be" in await as_(chat, ALICE_IRC, f"register {good}")


async def test_wrong_link_codes_count_against_the_connection_too(chat: ConsoleChat) -> None:
    via = "irc:net1 ~eve@203.0.113.66"
    for n in range(5):
        nick = IdentityRef(f"irc:net1:eve{n}", "irc", connection=via)
        assert "not valid" in await as_(chat, nick, "link ABCD-EFGH-JKMN")
    await chat.join("alice")
    code = await link_code(chat, "alice")
    thief = IdentityRef("irc:net1:eve_again", "irc", connection=via)
    assert "Too many wrong codes" in await as_(chat, thief, f"link {code}")
