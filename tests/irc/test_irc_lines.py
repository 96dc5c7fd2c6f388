"""The one parser (bot/transports/irc/lines.py) reads every line as the irc library does.

The library's reader is fed the same bytes through its public `process_data`, its events
caught with a global handler: the source, command, parameters, tags and the text around
CTCP must be the same.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.transports.irc.library import AioConnection, AioReactor, Event
from bot.transports.irc.lines import Line, parse, texts

LINES = [
    ":ann!a@h PRIVMSG dynamo :ideas top 2",
    ":ann!a@h PRIVMSG dynamo ideas",
    ":ann!a@h PRIVMSG #dynamo :in the channel",
    ":ann!a@h PRIVMSG @#dynamo :to the ops",
    ":ann!a@h PRIVMSG dynamo :",
    ":ann!a@h PRIVMSG dynamo ::-) a smile",
    ":ann!a@h  PRIVMSG  dynamo  :spaced  out",
    "@account=AnnAcct :ann!a@h PRIVMSG dynamo :tagged",
    "@time=2026-12-02T10:00:00Z;account=a\\sb\\:c;flag :ann!a@h PRIVMSG dynamo :escaped",
    ":ann!a@h PRIVMSG dynamo :\x01VERSION\x01",
    ":ann!a@h PRIVMSG dynamo :\x01ACTION waves\x01",
    ":ann!a@h PRIVMSG dynamo :before \x01PING 1\x01 after",
    ":ann!a@h PRIVMSG dynamo :quoted \x10n line \x10\x10",
    ":ann!a@h NOTICE dynamo :a notice",
    ":fake.test NOTICE * :*** Looking up your hostname",
    ":fake.test 001 dynamo :Welcome dynamo!bot@bot.host",
    ":fake.test 005 dynamo CASEMAPPING=ascii PREFIX=(ov)@+ WHOX :are supported",
    ":fake.test CAP * LS * :sasl=PLAIN,EXTERNAL multi-prefix",
    ":fake.test CAP dynamo ACK :account-tag extended-join",
    "AUTHENTICATE +",
    ":fake.test 353 dynamo = #dynamo :@dynamo +ann bob",
    ":fake.test 366 dynamo #dynamo :End of NAMES list",
    ":fake.test 354 dynamo 173 ann AnnAcct",
    ":fake.test 330 dynamo ann AnnAcct :is logged in as",
    ":fake.test 474 dynamo #closed :Cannot join channel (+b)",
    ":max!m@h JOIN #dynamo MaxAcct :Max",
    ":max!m@h JOIN :#dynamo",
    ":max!m@h PART #dynamo :bye",
    ":op!o@h KICK #dynamo max :out",
    ":max!m@h NICK :maxi",
    ":max!m@h ACCOUNT *",
    ":max!m@h QUIT :Quit: gone",
    "PING :fake.test",
    "ERROR :Closing link (ping timeout)",
]


async def library_events(line: str) -> list[Event]:
    """What the irc library makes of `line`, through its public API: connected (to a
    listener that says nothing), then fed the line as if the server had sent it."""
    accepted: list[asyncio.StreamWriter] = []
    listener = await asyncio.start_server(lambda r, w: accepted.append(w), "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    reactor = AioReactor(loop=asyncio.get_running_loop())
    seen: list[Event] = []

    def keep(conn: Any, event: Event) -> None:
        if event.type != "all_raw_messages":
            seen.append(event)

    reactor.add_global_handler("all_events", keep)
    conn: AioConnection = reactor.server()
    try:
        await conn.connect("127.0.0.1", port, "dynamo")
        conn.process_data(line.encode() + b"\r\n")
    finally:
        conn.disconnect()
        listener.close()
        for writer in accepted:
            writer.close()
        await listener.wait_closed()
        await asyncio.sleep(0)  # the client's transport finishes closing
    return [event for event in seen if event.type != "disconnect"]


@pytest.mark.parametrize("raw", LINES)
async def test_every_line_reads_as_the_library_reads_it(raw: str) -> None:
    line = parse(raw)
    assert isinstance(line, Line)
    events = await library_events(raw)
    assert events
    first = events[0]
    assert (first.source or "") == line.source
    assert {t["key"]: t["value"] for t in first.tags} == line.tags
    if line.command in ("PRIVMSG", "NOTICE"):
        said, had_ctcp = texts(line.params[1])
        assert all(event.target == line.params[0] for event in events)
        ctcp = ("ctcp", "ctcpreply", "action")
        assert [e.arguments[0] for e in events if e.type not in ctcp] == said
        assert any(e.type in ctcp for e in events) == had_ctcp
        return
    assert len(events) == 1
    if line.command == "QUIT":
        assert first.arguments == line.params[:1]
    elif line.command == "PING":
        assert [first.target] == line.params[:1]
    else:
        assert [first.target, *first.arguments] == line.params


def test_a_line_without_a_command_is_nothing() -> None:
    assert parse("") is None
    assert parse(":only.a.source") is None
    assert parse("@tag=1 ") is None


def test_a_lone_ctcp_mark_neither_cuts_nor_splits_what_was_said() -> None:
    """`say 1 hello\\x01upvote 4` used to post `hello` and drop the rest, or run `upvote 4`
    as a second command: a lone \\x01 opens no CTCP, so it is only dropped."""
    assert texts("say 1 hello\x01upvote 4") == (["say 1 helloupvote 4"], False)
    assert texts("\x01ACTION waves\x01") == ([], True)  # a real CTCP is still not passed on
