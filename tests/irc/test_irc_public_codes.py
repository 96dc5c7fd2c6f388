"""Codes said in public: a registration or link code seen in a channel is burned at once.

Newcomers paste their code in the wrong window, or ask the channel "my code is K7QF-...,
why doesn't it work?". Eve watches the channel and races to use it by private message, to
take the newcomer's place (or, with a link code, to attach her nick to someone else's
membership). The bot burns every code it sees in a channel it is in, commands and ordinary
chat alike, tells the sayer privately, and does nothing else with that line.
"""

from __future__ import annotations

from commands.registration import BURNED_IN_PUBLIC
from tests.irc.client import Line
from tests.irc.conftest import MakeChat
from tests.irc.harness import BOT, CHANNEL, IrcChat


def private_to(nick: str):
    def match(line: Line) -> bool:
        return (
            line.command == "PRIVMSG"
            and line.nick.lower().startswith(BOT)
            and line.params[0].lower() == nick.lower()
        )

    return match


async def said_in_public(chat: IrcChat, person: str, text: str) -> str:
    """`person` says `text` in the channel; returns what the bot then tells them privately."""
    client = await chat.client(person)
    mark = client.mark()
    await chat.say(person, text)
    told = await client.wait_for(private_to(person), since=mark)
    return told.text


async def test_codes_said_in_a_channel_no_longer_work_for_anyone(make_chat: MakeChat) -> None:
    chat = await make_chat()
    watcher = chat.watchers["net1"]
    register_code, chatted_code = await chat.mint(), await chat.mint()

    # A command in the wrong window, and a code in ordinary chat.
    assert await said_in_public(chat, "newbie", f"!register {register_code}") == BURNED_IN_PUBLIC
    told = await said_in_public(chat, "other", f"my code is {chatted_code.lower()}, help?")
    assert told == BURNED_IN_PUBLIC

    # A member's link code, pasted in the channel from their second nick.
    await chat.join("alice")
    offer = await chat.dm("alice", "link")
    link_code = offer.split("`")[1]
    assert await said_in_public(chat, "alice2", f"!link {link_code}") == BURNED_IN_PUBLIC

    # Eve saw them all: none works for her, nor for those who said them.
    for code in (register_code, chatted_code):
        answer = await chat.dm("eve", f"register {code}")
        assert "shown in a public channel" in answer and "could be" not in answer
    assert "not valid" in await chat.dm("eve", f"link {link_code}")
    assert "could be" not in await chat.dm("newbie", f"register {register_code}")
    assert "not valid" in await chat.dm("alice2", f"link {link_code}")

    # Nothing was answered in the channel: the line was not acted on as a command.
    assert chat.channel_lines() == []
    assert not watcher.received(private_to(CHANNEL))
