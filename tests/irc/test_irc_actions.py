"""An action on IRC (issue 14): members pledge in private messages; a `!pledge` in the
channel is refused with a private hint; the channel hears only the count."""

from __future__ import annotations

from commands.framework.rules import Rules
from tests.irc.conftest import MakeChat
from tests.irc.harness import IrcChat


async def told(chat: IrcChat, person: str, line: str, expected: str) -> str:
    """Send the bot a private message and wait for its answer containing ``expected`` (a
    notice about something else may come first)."""
    client = await chat.client(person)
    mark = client.mark()
    await client.privmsg(chat.bot_nick(), line)
    reply = await client.wait_for(
        lambda said: (
            said.command == "PRIVMSG"
            and said.params[0].lower() == client.nick.lower()
            and expected in said.text
        ),
        timeout=15,
        since=mark,
    )
    return reply.text


async def test_pledges_by_private_message_trigger_and_the_channel_hears_the_count(
    make_chat: MakeChat,
) -> None:
    chat = await make_chat(rules=Rules(launch_upvotes=2))
    names = {p: await chat.join(p) for p in ("ann", "ben", "cat")}
    assert "idea #1" in await chat.dm("ann", "pitch Fair pay for surveys")
    await chat.dm("ben", "upvote 1")
    assert "launched it" in await chat.dm("cat", "upvote 1")
    await told(
        chat, "ann", "action 1 needs 2 by 14d Write to the MTurk team", "Action #1 on campaign"
    )
    await chat.announcement(r"Action #1 of campaign #1 happens if 2 members pledge")

    client = await chat.client("ben")
    mark = client.mark()
    await chat.say("ben", "!pledge 1")
    hint = await client.wait_for(
        lambda line: line.command in ("PRIVMSG", "NOTICE") and "private message" in line.text,
        timeout=15,
        since=mark,
    )
    assert hint.params[0].lower() == client.nick.lower()
    await told(chat, "ben", "pledge 1", "it has 1 of 2")
    await told(chat, "cat", 'pledge 1 as "Cat C."', "it's on")
    await chat.announcement(r"Action #1 of campaign #1 is on: 2 members stood together")
    public = "\n".join(chat.channel_lines())
    assert names["ben"] not in public and names["cat"] not in public and "Cat C." not in public
