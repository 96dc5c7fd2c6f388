"""A channel command gets the same answer whoever asks, and a code seen in public is burned.

The observer reads every public line: if `!help` answered a moderator differently, or a
banned member with "your membership is suspended", the channel would learn who is what.
"""

from __future__ import annotations

import pytest

from bot.config import Config
from commands.framework.calendar import Schedule
from commands.framework.privacy import NO_DELAY
from commands.framework.reply import IdentityRef
from commands.framework.rules import Rules
from storage.db import Database
from tests.harness import ConsoleChat

ASKERS = ("stranger", "member", "moderator", "banned")


@pytest.fixture
async def world(db: Database) -> ConsoleChat:
    chat = ConsoleChat(
        db, Config(rules=Rules(launch_upvotes=2), privacy=NO_DELAY, schedule=_schedule())
    )
    await chat.start()
    await chat.join("admin")
    await chat.join("member")
    moderator = await chat.join("moderator")
    banned = await chat.join("banned")
    await chat.dm("admin", f"mod promote {moderator} moderator")
    await chat.dm("admin", f"mod ban {banned}")
    await chat.dm("member", "pitch Visible idea")
    await chat.dm("member", "pitch Idea to hide")
    await chat.dm("moderator", "mod hide 2")
    await chat.dm("moderator", "mod deadline 1 2030-06-01 18:00")
    # Private choices that must not shape a public answer.
    await chat.dm("moderator", "timezone Asia/Tokyo")
    await chat.dm("member", "timezone America/Los_Angeles")
    yield chat
    await chat.stop()


def _schedule() -> Schedule:
    return Schedule(timezone="Europe/Berlin")


async def answers(chat: ConsoleChat, line: str) -> dict[str, str | None]:
    return {who: await chat.channel(who, line) for who in ASKERS}


@pytest.mark.parametrize(
    "line", ["!help", "!help mod ban", "!ideas", "!idea 1", "!idea 2", "!campaigns", "!signers 1"]
)
async def test_every_public_answer_is_the_same_whoever_asks(world: ConsoleChat, line: str) -> None:
    seen = await answers(world, line)
    assert seen["stranger"] is not None
    assert set(seen.values()) == {seen["stranger"]}, seen
    assert "suspended" not in seen["stranger"]
    assert "Idea to hide" not in seen["stranger"]


async def test_public_times_are_in_the_configured_zone(world: ConsoleChat) -> None:
    seen = await world.channel("moderator", "!idea 1")
    assert seen is not None and "2030-06-01 18:00 CEST" in seen
    # Privately each reads it in their own zone.
    assert "2030-06-02 01:00 JST" in await world.dm("moderator", "idea 1")


async def test_members_replies_are_flagged_for_priority_but_say_the_same(
    world: ConsoleChat,
) -> None:
    invoker = world.app.invoker
    replies = {
        who: await invoker.handle(
            IdentityRef(f"console:{who}", "console"), "ideas", where="channel"
        )
        for who in ASKERS
    }
    assert {who: r.member for who, r in replies.items()} == {
        "stranger": False,
        "member": True,
        "moderator": True,
        "banned": False,
    }
    assert len({r.text for r in replies.values()}) == 1


async def test_a_registration_code_said_in_public_is_burned(chat: ConsoleChat) -> None:
    (code,) = await chat.mint()
    await chat.become("alice")
    await chat.console.line(f"/channel !register {code}")
    told = chat.last_dm("alice")
    assert "no longer works" in told and "privately" in told
    # Whoever read it in the channel tries it first: it is dead for everyone.
    assert "shown in a public channel" in await chat.dm("mallory", f"register {code}")
    assert "shown in a public channel" in await chat.dm("alice", f"register {code}")


async def test_a_code_in_ordinary_chat_is_burned_however_it_is_written(chat: ConsoleChat) -> None:
    (code,) = await chat.mint()
    await chat.become("alice")
    await chat.console.line(f"/channel oops, my code is {code.lower().replace('-', ' ')} right?")
    assert "no longer works" in chat.last_dm("alice")
    assert "shown in a public channel" in await chat.dm("alice", f"register {code}")


async def test_a_link_code_said_in_public_is_burned(chat: ConsoleChat) -> None:
    await chat.join("alice")
    offer = await chat.dm("alice", "link")
    code = offer.split("`")[1]
    await chat.become("alice")
    await chat.console.line(f"/channel !link {code}")
    assert "no longer works" in chat.last_dm("alice")
    assert "not valid" in await chat.dm("mallory", f"link {code}")


async def test_ordinary_chat_and_spent_codes_are_left_alone(chat: ConsoleChat) -> None:
    (code,) = await chat.mint()
    await chat.dm("alice", f"register {code}")
    await chat.dm("alice", "choose")
    before = len(chat.dms_of("alice"))
    await chat.become("alice")
    await chat.console.line(f"/channel I registered with {code} earlier")
    await chat.console.line("/channel WHAT-WERE-THEY-SURE about? Good morning all")
    assert len(chat.dms_of("alice")) == before
