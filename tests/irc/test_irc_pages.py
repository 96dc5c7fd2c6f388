"""`more` pages reach only their owner.

Vic, a member, asks the bot for something long by private message; the bot shows five
lines and keeps the rest for her `more`. Pages were kept by nick, folded as rfc1459 while
ngircd compares nicks as ASCII: `vic{` read what was paged for `vic[`. They never expired
and survived nick changes, so whoever took `vic[` after her read the rest. Now a private
page belongs to Vic's identity and her user@host, folded as the server folds, is dropped
when she changes nick or quits, and expires after ten minutes.
"""

from __future__ import annotations

from bot.transports.irc.connection import IncomingMessage
from bot.transports.irc.early import EarlyConnection
from bot.transports.irc.settings import IrcNetworkSettings
from commands.framework.rules import Rules
from tests.irc.client import IrcTestClient, Line
from tests.irc.conftest import MakeChat
from tests.irc.harness import BOT, CHANNEL, IrcChat

VIC = "vic["
LOOKALIKE = "vic{"
NOTHING = "Nothing more to show."


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def private_to(nick: str):
    def match(line: Line) -> bool:
        return (
            line.command == "PRIVMSG"
            and line.nick.lower().startswith(BOT)
            and line.params[0].lower() == nick.lower()
        )

    return match


async def with_ideas(make_chat: MakeChat) -> IrcChat:
    chat = await make_chat(rules=Rules(pitches_per_day=20))
    await chat.join("author")
    for i in range(8):
        await chat.dm("author", f"pitch Secretly paged idea {i}")
    return chat


async def paged(chat: IrcChat, client: IrcTestClient) -> None:
    """`client` asks for the 8 ideas: 5 lines now, and the hint that more are kept."""
    mark = client.mark()
    await client.privmsg(chat.bot_nick(), "ideas")
    await client.wait_for(lambda line: "more line" in line.text, since=mark)


async def more(chat: IrcChat, client: IrcTestClient) -> list[str]:
    """What `more` shows `client`, up to the end of its answer."""
    mark = client.mark()
    await client.privmsg(chat.bot_nick(), "more")
    await client.wait_for(
        lambda line: (
            private_to(client.nick)(line) and ("idea 0" in line.text or NOTHING in line.text)
        ),
        since=mark,
    )
    return [line.text for line in client.received(private_to(client.nick), since=mark)]


async def stranger(chat: IrcChat, nick: str) -> IrcTestClient:
    """Someone else, from the same host with the same user name: all a page could be told
    apart by, besides the identity."""
    server = chat.servers["net1"]
    client = await IrcTestClient.connect(server.host, server.port, nick)
    chat.people[(f"other {nick}", "net1")] = client
    await client.join(CHANNEL)
    return client


async def test_a_lookalike_nick_reads_nothing_of_vics(make_chat: MakeChat) -> None:
    chat = await with_ideas(make_chat)
    await chat.join(VIC)
    vic = await chat.client(VIC)
    await paged(chat, vic)
    lookalike = await stranger(chat, LOOKALIKE)
    assert await more(chat, lookalike) == [NOTHING]
    rest = await more(chat, vic)
    assert any("Secretly paged idea 0" in text for text in rest) and NOTHING not in rest


async def test_a_page_is_dropped_when_its_nick_changes_or_quits(make_chat: MakeChat) -> None:
    chat = await with_ideas(make_chat)
    await chat.join(VIC)
    vic = await chat.client(VIC)
    await paged(chat, vic)
    await vic.change_nick("vicky")
    assert await more(chat, vic) == [NOTHING]  # gone with the nick, even for her
    # On a network without services the heir of the nick is Vic as far as the bot can
    # tell, from the same host with the same user name: only the drop keeps her page.
    heir = await stranger(chat, VIC)
    assert await more(chat, heir) == [NOTHING]

    await paged(chat, heir)
    await heir.quit()
    again = await stranger(chat, VIC)
    assert await more(chat, again) == [NOTHING]


async def test_a_page_expires_after_ten_minutes(make_chat: MakeChat) -> None:
    chat = await with_ideas(make_chat)
    clock = Clock()
    chat.transports["net1"].pages.clock = clock
    await chat.join(VIC)
    vic = await chat.client(VIC)
    await paged(chat, vic)
    clock.now += 9 * 60
    rest = await more(chat, vic)
    assert any("Secretly paged idea 0" in text for text in rest)
    await paged(chat, vic)
    clock.now += 10 * 60 + 1
    assert await more(chat, vic) == [NOTHING]


async def test_what_happened_while_loading_is_handed_over_in_order() -> None:
    """`dynamo run` answers what was said while it loaded: a nick that asked and then left
    meanwhile is forgotten after its question is answered, not before."""
    settings = IrcNetworkSettings(name="net1", host="127.0.0.1", identity="nick")
    early = EarlyConnection(settings, environ={})
    asked = IncomingMessage("net1", VIC, "vic[", "dynamo", "ideas", True, "~vic@127.0.0.1")
    assert early.conn.on_message is not None and early.conn.on_gone is not None
    await early.conn.on_message(asked)
    await early.conn.on_gone("net1", VIC)
    seen: list[tuple[str, object]] = []

    async def on_message(msg: IncomingMessage) -> None:
        seen.append(("message", msg))

    async def on_join(network: str, nick: str, identity: str | None, channel: str) -> None:
        seen.append(("join", nick))

    async def on_ready(network: str) -> None:
        seen.append(("ready", network))

    async def on_gone(network: str, nick: str) -> None:
        seen.append(("gone", nick))

    # A line read just before the hand-over has its callback (the keeper) bound already and
    # runs a moment after: it must still reach the transport (it was lost, found by a
    # `dynamo run` test whose `ideas` came in right after the JOIN).
    keeper = early.conn.on_message
    await early.hand_over(on_message, on_join, on_ready, on_gone)
    assert seen == [("message", asked), ("gone", VIC)]
    assert early.conn.on_gone is on_gone
    late = IncomingMessage("net1", "ann", "ann", "dynamo", "ideas new", True, "~ann@127.0.0.1")
    await keeper(late)
    assert seen[-1] == ("message", late)
