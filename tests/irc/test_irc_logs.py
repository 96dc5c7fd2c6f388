"""Logs: no line at any level pairs a member's words or pseudonym with their nick or host.

Whoever reads the bot's logs (an operator, a backup, a leak) must not learn who is behind a
pseudonym. At DEBUG the irc library logs every line it reads with its sender
(``source: qwixel!~qwixel@host arguments: ['pitch ...']``); its loggers are kept at INFO
whatever level the bot logs at, and the bot's own IRC log lines name no nick beside what
a member said or is called.

Every line goes through the bot's one parser (bot/transports/irc/lines.py); a CTCP quote
(\\x10\\x10, which reads as one \\x10, a control character the bot drops) sends Qwixel's
pitch and say through the library's CTCP dequoting too.
"""

from __future__ import annotations

import logging

import pytest

from commands.framework.rules import Rules
from tests.irc.conftest import MakeChat
from tests.irc.harness import CHANNEL

NICK, HOST = "qwixel", "127.0.0.1"
RENAMED = "qwixel2"
PITCH = "Requesters must answer within a week"
SAID = "Drafting the letter tonight"
CTCP_QUOTED = "\x10\x10"
EVERY_LOGGER = ("", "irc", "irc.client", "irc.client_aio", "bot", "commands", "storage")


async def test_a_whole_story_at_debug_logs_no_nick_beside_words_or_pseudonym(
    make_chat: MakeChat, caplog: pytest.LogCaptureFixture
) -> None:
    for name in EVERY_LOGGER:
        caplog.set_level(logging.DEBUG, logger=name)
    chat = await make_chat(rules=Rules(launch_upvotes=1), campaign_channels=True)
    pseudonym = await chat.join(NICK)
    await chat.dm(NICK, f"pitch {PITCH}{CTCP_QUOTED}")
    await chat.dm(NICK, "upvote 1")
    await chat.announcement(f"is now a campaign with \\+1/-0: {PITCH} \\(")
    said = await chat.dm(NICK, f"say 1 {SAID}{CTCP_QUOTED}")
    assert "Said in campaign #1" in said
    for command in ("!ideas", "!idea 1", "!campaign 1", "!help", "!more", "!pitch Leak me"):
        await chat.say(NICK, command)
    await chat.announcement(r"more line")
    client = await chat.client(NICK)
    await client.change_nick(RENAMED)
    for line in ("help", "more"):  # paged, as a stranger now
        mark = client.mark()
        await client.privmsg(chat.bot_nick(), line)
        await client.wait_for(lambda line: line.params[0] == RENAMED, since=mark)
    await client.part(CHANNEL)

    formatter = logging.Formatter("%(name)s %(message)s")
    records = [formatter.format(record) for record in caplog.records]
    assert any("irc.client" in r or "irc[net1]" in r for r in records)  # logs were on
    who = (NICK, RENAMED, f"~{NICK}@{HOST}")
    what = (pseudonym, PITCH, SAID, "Leak me")
    for record in records:
        lowered = record.lower()
        if any(name in lowered for name in who):
            assert not any(words.lower() in lowered for words in what), record
    assert logging.getLogger("irc").getEffectiveLevel() >= logging.INFO
