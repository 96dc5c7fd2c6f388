"""Public answers: the same bytes in the channel whoever asks.

An observer who sees every public line wants to learn who is a member, who moderates, and
where members live. If `!idea 3` showed a moderator the hidden idea, showed a member the
deadline in their own time zone, or `!help` greeted strangers differently, each answer in
the channel would tell everyone what its asker is. So a stranger, a member with a private
time zone and a moderator (with another one) asking the same questions get byte-identical
lines.
"""

from __future__ import annotations

from datetime import timedelta

from tests.irc.client import IrcTestClient, Line
from tests.irc.conftest import MakeChat
from tests.irc.harness import BOT, CHANNEL, IrcChat

QUESTIONS = ("!help", "!idea 1", "!idea 2")
# The moderator asks first and ends with this: the answers before it are complete.
END = "!idea 99"
NO_SUCH = "There is no idea #99"


def in_channel(line: Line) -> bool:
    return (
        line.command == "PRIVMSG"
        and line.nick.lower().startswith(BOT)
        and line.params[0] == CHANNEL
    )


async def answers(chat: IrcChat, person: str, question: str, expected: int) -> list[bytes]:
    """The channel lines answering `person`'s `question`, as bytes on the wire."""
    watcher: IrcTestClient = chat.watchers["net1"]
    mark = watcher.mark()
    await chat.say(person, question)
    for _ in range(expected):
        await watcher.wait_for(in_channel)
    return [line.raw.encode() for line in watcher.received(in_channel, since=mark)]


async def test_a_stranger_a_member_and_a_moderator_get_the_same_answer(
    make_chat: MakeChat,
) -> None:
    chat = await make_chat()
    await chat.join("boss")  # an admin (see make_chat)
    await chat.join("mia")
    await chat.client("stan")  # never registers
    assert "Asia/Tokyo" in await chat.dm("mia", "timezone Asia/Tokyo")
    assert "America/Los_Angeles" in await chat.dm("boss", "timezone America/Los_Angeles")
    await chat.dm("mia", "pitch Hide me from the channel")
    await chat.dm("mia", "pitch Launch me by the deadline")
    assert "hidden" in (await chat.dm("boss", "mod hide 1")).lower()
    due = (chat.app.clock() + timedelta(days=200)).strftime("%Y-%m-%d 18:00")
    assert "must launch by" in await chat.dm("boss", f"mod deadline 2 {due}")
    await chat.announcement("Idea #2 has a deadline")

    # The moderator's answers, complete once the answer to END has come after them.
    watcher = chat.watchers["net1"]
    counts = {}
    for question in QUESTIONS:
        mark = watcher.mark()
        await chat.say("boss", question)
        await chat.say("boss", END)
        await watcher.wait_for(lambda line: in_channel(line) and NO_SUCH in line.text)
        lines = watcher.received(in_channel, since=mark)
        assert NO_SUCH in lines[-1].text
        counts[question] = len(lines) - 1
    assert counts["!idea 1"] == 1  # hidden: not even a moderator sees it in public
    # Stan, a stranger, is answered within his share of the output (12 lines at once).
    assert sum(counts.values()) <= 12

    heard = {
        person: {q: await answers(chat, person, q, counts[q]) for q in QUESTIONS}
        for person in ("boss", "mia", "stan")
    }
    assert heard["stan"] == heard["mia"] == heard["boss"]
    idea_2 = b"\n".join(heard["stan"]["!idea 2"])
    # In the configured zone, for everyone: neither Mia's nor the moderator's.
    assert b"Deadline" in idea_2 and b"UTC" in idea_2
    assert b"JST" not in idea_2 and b"PDT" not in idea_2 and b"PST" not in idea_2
    assert NO_SUCH.replace("99", "1").encode() in heard["stan"]["!idea 1"][0]
