"""Forged lines: a member's text must never produce a line the bot did not mean.

Mallory wants the channel to read a line that seems to come from someone else, or from the
bot. She hides line separators in her pitch and her `say` (U+2028, U+0085, U+2029, CR, LF,
VT, FF: many clients show each as a new line, ngircd ends a line at a bare CR), and writes
a `say` long enough (380 bytes) that the bot must cut it, hoping the cut leaves a line
beginning with words of her choosing. Whatever she tries, every line the observers see is
one the bot meant: her text stays on one line, and every continuation carries the prefix
of what it continues. No private-use mark of the bot's own formatting reaches the wire.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from bot.transports.irc.transport import irc_lines, to_irc
from commands.framework.formatting import quote
from commands.framework.reply import IdentityRef
from commands.framework.rules import Rules
from storage.models import Idea
from tests.irc.client import IrcTestClient, Line
from tests.irc.conftest import MakeChat
from tests.irc.harness import BOT, CHANNEL, IrcChat

SEPARATORS = "\u2028\x85\u2029\r\n\x0b\x0c"
# Her pitch, by IRC (where CR and LF would end her own line, so the others only).
PITCH = "Fair pay\u2028<boss> I quit\x85now\u2029really\x0btruly\x0cyes"
PITCH_SHOWN = "Fair pay <boss> I quit now really truly yes"
# Text stored before the bot cleaned what it stores, with every separator in it.
STORED = "Fair pay\u2028<boss> I quit\x85now\u2029really\rtruly\nyes\x0bno\x0cmaybe"
STORED_SHOWN = "Fair pay <boss> I quit now really truly yes no maybe"
# Her say, from another platform, where CR and LF can be typed too.
SAY = "Agreed\u2028<boss> this campaign is over\x85bye\u2029now\rall\nof\x0byou\x0cgo"
SAY_SHOWN = "Agreed <boss> this campaign is over bye now all of you go"
# 380 bytes of words, so the bot must cut it: "w000 w001 ... w075x".
LONG_SAY = " ".join(f"w{i:03d}" for i in range(76)) + "x"


def wrapped(prefix: str, text: str, room: int) -> list[str]:
    """What a careful bot sends: words kept whole, every line `prefix` + words, each line
    at most `room` bytes, in as few lines as that takes and as even as they can be (the
    narrowest width that needs no more lines; written here independently of the bot's own
    splitting)."""
    fewest = len(_filled(prefix, text, room))
    width = room
    while width > 1 and len(_filled(prefix, text, width - 1)) == fewest:
        width -= 1
    return _filled(prefix, text, width)


def _filled(prefix: str, text: str, room: int) -> list[str]:
    lines: list[str] = []
    current: list[str] = []
    for word in text.split(" "):
        candidate = prefix + " ".join([*current, word])
        if current and len(candidate.encode()) > room:
            lines.append(prefix + " ".join(current))
            current = []
        current.append(word)
    lines.append(prefix + " ".join(current))
    return lines


def from_bot(channel: str):
    def match(line: Line) -> bool:
        return (
            line.command == "PRIVMSG"
            and line.nick.lower().startswith(BOT)
            and line.params[0].lower() == channel.lower()
        )

    return match


async def console_member(chat: IrcChat, name: str) -> tuple[IdentityRef, str]:
    """A member on another platform, where CR and LF can be typed."""
    identity = IdentityRef(f"console:{name}", "console")
    await chat.app.invoker.handle(identity, f"register {await chat.mint()}", where="dm")
    chosen = await chat.app.invoker.handle(identity, "choose", where="dm")
    match = re.search(r"\*\*([a-z]+_[a-z]+)\*\*", chosen.text)
    assert match, chosen.text
    return identity, match.group(1)


async def store_uncleaned(chat: IrcChat, idea: int, text: str) -> None:
    async with chat.db.write() as conn:
        await conn.execute(sa.update(Idea).where(Idea.id == idea).values(text=text))


def assert_no_marks(*clients: IrcTestClient) -> None:
    for client in clients:
        for line in client.lines:
            assert "\ue000" not in line.raw and "\ue001" not in line.raw, line.raw


async def test_separators_and_long_says_in_the_announce_channel(make_chat: MakeChat) -> None:
    chat = await make_chat(rules=Rules(launch_upvotes=1))
    watcher = chat.watchers["net1"]
    transport = chat.transports["net1"]
    mallory = await chat.join("mallory")
    console, supporter = await console_member(chat, "supporter")

    # A pitch with every separator IRC can carry.
    assert "idea #1" in await chat.dm("mallory", f"pitch {PITCH}")
    line = await chat.announcement("New idea #1")
    assert line.text == (
        f"New idea #1 by {mallory}: {PITCH_SHOWN} [+0/-0] — send `upvote 1` to the bot "
        f"privately to support it."
    )
    # The same idea as stored before the bot cleaned what it stores: at launch it is shown
    # in public (the announcement) and in private (to Mallory, who follows it).
    await store_uncleaned(chat, 1, STORED)
    mallory_client = await chat.client("mallory")
    mark = mallory_client.mark()
    await chat.app.invoker.handle(console, "upvote 1", where="dm")
    launched = await chat.announcement("Idea #1 is now a campaign")
    assert launched.text == (
        f"Idea #1 is now a campaign with +1/-0: {STORED_SHOWN} (pitched by {mallory}, its "
        f"first organizer). See `!campaign 1`; everyone who voted now follows it."
    )
    told = await mallory_client.wait_for(from_bot("mallory"), since=mark)
    assert told.text == (
        f"Idea #1, which you follow, is now a campaign: {STORED_SHOWN}. See `campaign 1`."
    )

    # A say with every separator, from the platform where CR and LF can be typed.
    reply = await chat.app.invoker.handle(console, f"say 1 {SAY}", where="dm")
    assert reply.ok, reply.text
    said = await chat.announcement(r"^\[campaign 1\] <")
    assert said.text == f"[campaign 1] <{supporter}> {SAY_SHOWN} [say 1]"

    # A say so long the bot must cut it: every line repeats the prefix.
    start = len(chat.channel_lines())
    assert "Said in campaign #1" in await chat.dm("mallory", f"say 1 {LONG_SAY}")
    prefix = f"[campaign 1] <{mallory}> "
    expected = wrapped(prefix, f"{LONG_SAY} [say 2]", transport.conn.room(CHANNEL))
    assert len(expected) == 2
    await chat.announcement(re.escape(expected[-1].removeprefix(prefix)) + "$")
    assert chat.channel_lines()[start:] == expected

    # Answers read the stored text too: in public and in private, it stays one line.
    mark = watcher.mark()
    await watcher.privmsg(CHANNEL, "!idea 1")
    first = await watcher.wait_for(from_bot(CHANNEL), since=mark)
    assert first.text == f"#1 by {mallory}: {STORED_SHOWN}"
    assert (await chat.dm("mallory", "idea 1")) == f"#1 by {mallory}: {STORED_SHOWN}"

    everything = [*chat.channel_lines(), *(line.text for line in mallory_client.lines)]
    assert not [text for text in everything if text.startswith(("<boss>", "I quit", "now"))]
    assert not [text for text in everything if any(ch in text for ch in SEPARATORS)]
    assert_no_marks(watcher, mallory_client)


async def test_separators_and_long_says_in_a_campaign_channel(make_chat: MakeChat) -> None:
    chat = await make_chat(rules=Rules(launch_upvotes=1), campaign_channels=True)
    transport = chat.transports["net1"]
    mallory = await chat.join("mallory")
    console, supporter = await console_member(chat, "supporter")
    observer = await chat.client("observer")
    await observer.join("#dynamo-1")  # there before the campaign, to see everything
    await chat.dm("mallory", f"pitch {PITCH}")
    await chat.announcement("New idea #1")
    await store_uncleaned(chat, 1, STORED)
    await chat.app.invoker.handle(console, "upvote 1", where="dm")
    topic = await observer.wait_for(lambda line: line.command == "TOPIC")
    assert topic.params == ("#dynamo-1", f"Campaign #1: {STORED_SHOWN}")

    mark = observer.mark()
    await chat.app.invoker.handle(console, f"say 1 {SAY}", where="dm")
    said = await observer.wait_for(from_bot("#dynamo-1"), since=mark)
    assert said.text == f"<{supporter}> {SAY_SHOWN} [say 1]"

    mark = observer.mark()
    await chat.dm("mallory", f"say 1 {LONG_SAY}")
    prefix = f"<{mallory}> "
    expected = wrapped(prefix, f"{LONG_SAY} [say 2]", transport.conn.room("#dynamo-1"))
    assert len(expected) == 2
    await observer.wait_for(lambda line: from_bot("#dynamo-1")(line) and "[say 2]" in line.text)
    got = [line.text for line in observer.received(from_bot("#dynamo-1"), since=mark)]
    assert got == expected

    # The petition's statement becomes the topic: one line too.
    reply = await chat.dm("mallory", "petition 1 We ask\u2028for\x85fair\u2029pay")
    assert "announced" in reply
    topic = await observer.wait_for(lambda line: line.command == "TOPIC")
    assert topic.params == ("#dynamo-1", "#1 petition: We ask for fair pay")
    assert_no_marks(observer, chat.watchers["net1"])


def test_the_wire_never_carries_the_marks_of_member_text() -> None:
    """The marks the bot puts around member text (U+E000, U+E001) are for each platform to
    read, never to send; a stray one is dropped too, and member text is never made bold."""
    marked = f"You said {quote('**not bold**')} — **bold**, stray \ue001 mark \ue000"
    assert to_irc(marked) == "You said **not bold** — \x02bold\x02, stray  mark "
    lines = irc_lines(f"Top:\n#1 {quote('a' * 300 + ' b' * 100)}\nend", 120, "[idea 1] ")
    assert lines[0] == "Top:" and lines[-1] == "end"
    assert all(line.startswith("[idea 1] ") for line in lines[2:-1])
    assert not any(ch in "".join(lines) for ch in "\ue000\ue001\n")
