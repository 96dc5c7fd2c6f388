"""The IRC connection against a real ngircd (and a scripted server for IRCv3 features).

A tiny echo handler stands in for the command layer: it answers a private message with
"echo: <text>". Test members are raw-socket clients (tests/irc/client.py).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.transports.irc.connection import IncomingMessage, IrcConnection
from bot.transports.irc.settings import IrcNetworkSettings
from tests.irc.client import IrcTestClient
from tests.irc.conftest import NgircdFactory, ScriptedIrcd
from tests.irc.ngircd import NgircdServer
from tests.waiting import eventually

WAIT = 5.0
# What the log says of an outage (bot/transports/irc/outage.py).
OUTAGE_LOG = "bot.transports.irc.outage"


def said(
    caplog: pytest.LogCaptureFixture, *, since: int = 0, level: int = logging.DEBUG
) -> list[str]:
    """The outage log's lines from record ``since`` on, at ``level`` or above."""
    return [
        f"{r.levelname} {r.getMessage()}"
        for r in caplog.records[since:]
        if r.name == OUTAGE_LOG and r.levelno >= level
    ]


@dataclass
class Recorder:
    """What the bot's callbacks saw, with bounded waits."""

    messages: list[IncomingMessage] = field(default_factory=list)
    joins: list[tuple[str, str, str | None, str]] = field(default_factory=list)
    ready: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def note(self, update: Callable[[], None]) -> None:
        async with self.changed:
            update()
            self.changed.notify_all()

    async def wait(self, predicate: Callable[[], bool], what: str) -> None:
        try:
            async with asyncio.timeout(WAIT), self.changed:
                await self.changed.wait_for(predicate)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}: {self}") from None


Reply = Callable[[IncomingMessage], str | None]


def echo(msg: IncomingMessage) -> str | None:
    return f"echo: {msg.text}" if msg.private else None


@dataclass
class Bot:
    conn: IrcConnection
    seen: Recorder

    async def ready(self, count: int = 1) -> None:
        await self.seen.wait(lambda: self.seen.ready >= count, f"on_ready #{count}")


BotFactory = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def make_bot() -> AsyncIterator[BotFactory]:
    bots: list[IrcConnection] = []

    async def make(
        host: str,
        port: int,
        *,
        reply: Reply = echo,
        environ: dict[str, str] | None = None,
        reconnect_base_delay: float = 0.05,
        rng: random.Random | None = None,
        **overrides: Any,
    ) -> Bot:
        options: dict[str, Any] = {
            "name": "testnet",
            "channels": ("#dynamo",),
            "rate": 20.0,
            "regain_nick_interval": 0.2,
            # ngircd has no services accounts (the scripted server's tests choose "account").
            "identity": "nick",
        }
        options.update(overrides)
        settings = IrcNetworkSettings(host=host, port=port, **options)
        seen = Recorder()
        conn: IrcConnection

        async def on_message(msg: IncomingMessage) -> None:
            await seen.note(lambda: seen.messages.append(msg))
            answer = reply(msg)
            if answer is not None:
                await conn.send_privmsg(msg.nick if msg.private else msg.target, answer)

        async def on_join(network: str, nick: str, identity: str | None, channel: str) -> None:
            await seen.note(lambda: seen.joins.append((network, nick, identity, channel)))

        async def on_ready(network: str) -> None:
            def bump() -> None:
                seen.ready += 1

            await seen.note(bump)

        conn = IrcConnection(
            settings,
            on_message=on_message,
            on_join=on_join,
            on_ready=on_ready,
            environ=environ or {},
            reconnect_base_delay=reconnect_base_delay,
            rng=rng,
            join_timeout=WAIT,
        )
        bots.append(conn)
        await conn.start()
        return Bot(conn, seen)

    yield make
    for conn in bots:
        await conn.stop(grace=0.5)


@pytest.fixture
async def clients() -> AsyncIterator[list[IrcTestClient]]:
    """Test members; whatever a test leaves connected is closed afterwards."""
    connected: list[IrcTestClient] = []
    yield connected
    for client in connected:
        await client.close()


async def member(server: Any, nick: str, clients: list[IrcTestClient]) -> IrcTestClient:
    client = await IrcTestClient.connect(server.host, server.port, nick)
    clients.append(client)
    return client


def from_bot(nick: str = "dynamo", command: str = "PRIVMSG") -> Callable[[Any], bool]:
    return lambda line: line.command == command and line.nick == nick


# --------------------------------------------------------------------- basics


async def test_joins_channels_and_answers_a_private_message(
    ngircd: NgircdServer, make_bot: BotFactory, clients: list[IrcTestClient]
) -> None:
    """Against ngircd's default penalties, as on a real network."""
    bot = await make_bot(ngircd.host, ngircd.port, channels=("#dynamo", "#dynamo-lobby"))
    await bot.ready()
    assert bot.conn.connected and bot.conn.current_nick == "dynamo"
    assert sorted(bot.conn.channels) == ["#dynamo", "#dynamo-lobby"]

    alice = await member(ngircd, "Alice", clients)
    await alice.join("#dynamo")
    assert "dynamo" in await alice.names("#dynamo")
    await alice.privmsg("dynamo", "hello there")
    reply = await alice.wait_for(from_bot())
    assert reply.params == ("Alice", "echo: hello there")

    [msg] = bot.seen.messages
    assert msg == IncomingMessage(
        "testnet", "Alice", "alice", "dynamo", "hello there", True, "~Alice@127.0.0.1"
    )


async def test_channel_messages_arrive_as_not_private(
    ngircd_factory: NgircdFactory, make_bot: BotFactory, clients: list[IrcTestClient]
) -> None:
    server = await ngircd_factory(penalties=False)
    bot = await make_bot(server.host, server.port)
    await bot.ready()
    bob = await member(server, "bob", clients)
    await bob.join("#dynamo")
    await bob.privmsg("#Dynamo", "anyone here?")
    await bot.seen.wait(lambda: bool(bot.seen.messages), "a channel message")
    [msg] = bot.seen.messages
    assert (msg.nick, msg.target, msg.text, msg.private) == (
        "bob",
        "#dynamo",
        "anyone here?",
        False,
    )
    assert not bob.received(from_bot())  # the echo handler answers only private messages


async def test_is_online_follows_join_part_kick_quit_and_nick(
    ngircd_factory: NgircdFactory, make_bot: BotFactory, clients: list[IrcTestClient]
) -> None:
    server = await ngircd_factory(penalties=False)
    bot = await make_bot(server.host, server.port)
    await bot.ready()
    conn = bot.conn
    assert not conn.is_online("carol")

    carol = await member(server, "Carol", clients)
    await carol.join("#dynamo")
    await eventually(lambda: conn.is_online("carol"), "carol online after JOIN")
    await bot.seen.wait(lambda: bool(bot.seen.joins), "on_join")
    assert bot.seen.joins == [("testnet", "Carol", "carol", "#dynamo")]
    assert conn.identity_of("CAROL") == "carol"

    await carol.change_nick("Caro")
    await eventually(lambda: conn.is_online("caro"), "new nick online")
    assert not conn.is_online("carol")

    await carol.part("#dynamo")
    await eventually(lambda: not conn.is_online("caro"), "offline after PART")

    # A member who was already in a channel when the bot joined comes from NAMES.
    op = await member(server, "opal", clients)
    await op.join("#kick")
    await carol.join("#kick")
    await conn.join("#kick")
    await eventually(lambda: conn.is_online("caro") and conn.is_online("opal"), "NAMES")
    await op.send("KICK #kick Caro :out")
    await eventually(lambda: not conn.is_online("caro"), "offline after KICK")

    await op.quit()
    await eventually(lambda: not conn.is_online("opal"), "offline after QUIT")


async def test_names_compare_the_way_the_server_announces(
    ngircd_factory: NgircdFactory, make_bot: BotFactory, clients: list[IrcTestClient]
) -> None:
    # ngircd says CASEMAPPING=ascii, so "[" and "{" differ (under rfc1459 they would not).
    server = await ngircd_factory(penalties=False)
    started = time.monotonic()
    bot = await make_bot(server.host, server.port, channels=("#Dyn[amo]",))
    await bot.ready()
    assert time.monotonic() - started < WAIT / 2  # confirmed, not given up on at the deadline
    zed = await member(server, "Zed[1]", clients)
    await zed.join("#dyn[amo]")
    await eventually(lambda: bot.conn.is_online("zed[1]"), "Zed[1] online")
    assert not bot.conn.is_online("zed{1}")
    assert bot.conn.identity_of("ZED[1]") == "zed[1]"


async def test_taken_nick_falls_back_then_regains_it(
    ngircd_factory: NgircdFactory, make_bot: BotFactory, clients: list[IrcTestClient]
) -> None:
    server = await ngircd_factory(penalties=False)
    squatter = await member(server, "dynamo", clients)
    bot = await make_bot(server.host, server.port, alt_nicks=("dynbot",))
    # Without alternatives (and not retrying during this test): the main nick plus "_".
    plain = await make_bot(server.host, server.port, name="plain", regain_nick_interval=60)
    await bot.ready()
    await plain.ready()
    assert bot.conn.current_nick == "dynbot"
    assert plain.conn.current_nick == "dynamo_"

    await squatter.quit()
    await eventually(lambda: bot.conn.current_nick == "dynamo", "nick regained")
    alice = await member(server, "alice", clients)
    await alice.privmsg("dynamo", "are you back?")
    reply = await alice.wait_for(from_bot("dynamo"))
    assert reply.text == "echo: are you back?"


# ------------------------------------------------------------- hostile text


async def test_cr_injection_stays_inert_text(
    ngircd_factory: NgircdFactory, make_bot: BotFactory, clients: list[IrcTestClient]
) -> None:
    server = await ngircd_factory(penalties=False)
    bot = await make_bot(server.host, server.port, reply=lambda msg: "innocent\rJOIN #injected")
    await bot.ready()
    mallory = await member(server, "mallory", clients)
    await mallory.join("#injected")
    await mallory.join("#dynamo")
    start = mallory.mark()
    await mallory.privmsg("dynamo", "say something")
    # A CR is a space: one harmless message, never a second command (only the bot's own
    # "\n" starts a new message).
    reply = await mallory.wait_for(from_bot(), since=start)
    assert reply.text == "innocent JOIN #injected"

    # The same through every other path that carries user text.
    await bot.conn.send_notice("mallory", "n1\r\nPART #dynamo\0x")
    await bot.conn.set_topic("#dynamo", "topic\rJOIN #injected")
    await bot.conn.send_privmsg("mallory", "two\nlines", wait=True)
    notices = [(await mallory.wait_for(from_bot(command="NOTICE"))).text for _ in range(2)]
    assert notices == ["n1", "PART #dynamo x"]
    assert (await mallory.wait_for(from_bot())).text == "two"
    assert (await mallory.wait_for(from_bot())).text == "lines"
    topic = await mallory.wait_for(from_bot(command="TOPIC"), since=start)
    assert topic.params == ("#dynamo", "topic JOIN #injected")

    assert "dynamo" not in await mallory.names("#injected")
    assert not mallory.received(lambda line: line.command == "JOIN" and line.nick == "dynamo")
    assert bot.conn.channels == ["#dynamo"]


async def test_targets_that_could_break_a_line_are_refused(
    ngircd_factory: NgircdFactory, make_bot: BotFactory
) -> None:
    server = await ngircd_factory(penalties=False)
    bot = await make_bot(server.host, server.port)
    for target in ("a b", "x\rJOIN #y", "", ":x", "a,b"):
        with pytest.raises(ValueError):
            await bot.conn.send_privmsg(target, "hi")
    with pytest.raises(ValueError):
        await bot.conn.join("dynamo")
    with pytest.raises(ValueError):
        await bot.conn.send_privmsg("#dynamo", "hi", charge="#dynamo")


# --------------------------------------------------- reconnects and keepalive


async def test_reconnects_and_rejoins_after_the_server_restarts(
    ngircd_factory: NgircdFactory, make_bot: BotFactory, clients: list[IrcTestClient]
) -> None:
    server = await ngircd_factory(penalties=False)
    bot = await make_bot(server.host, server.port)
    await bot.ready()
    await bot.conn.join("#later")  # joined at runtime: must be rejoined too

    await server.restart()
    await bot.ready(2)
    assert sorted(bot.conn.channels) == ["#dynamo", "#later"]

    dave = await member(server, "dave", clients)
    await dave.join("#later")
    assert "dynamo" in await dave.names("#later")
    await dave.privmsg("dynamo", "still there?")
    assert (await dave.wait_for(from_bot())).text == "echo: still there?"


async def test_a_silent_server_is_dropped_and_reconnected(
    ngircd_factory: NgircdFactory, make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = await ngircd_factory(penalties=False)
    bot = await make_bot(server.host, server.port, ping_timeout=0.6)
    await bot.ready()
    # Idle for well over ping_timeout: only the keepalive PINGs keep the link up.
    await asyncio.sleep(1.5)
    assert bot.conn.connected and bot.seen.ready == 1
    assert "server closed the link" not in caplog.text  # no "Excess Flood" ERROR

    server.pause()
    await eventually(lambda: not bot.conn.connected, "the silent link dropped", within=3)
    assert "nothing from the server" in caplog.text
    server.resume()
    await bot.ready(2)
    assert bot.conn.connected


class NoJitter(random.Random):
    """Always the longest backoff, so a test knows how long the bot stays away."""

    def uniform(self, a: float, b: float) -> float:
        return b


async def test_messages_queued_while_disconnected_are_sent_after_reconnect(
    ngircd_factory: NgircdFactory, make_bot: BotFactory, clients: list[IrcTestClient]
) -> None:
    server = await ngircd_factory(penalties=False)
    bot = await make_bot(server.host, server.port, reconnect_base_delay=1.0, rng=NoJitter())
    await bot.ready()
    await server.kill()
    await eventually(lambda: not bot.conn.connected, "disconnect noticed")
    await bot.conn.send_privmsg("#dynamo", "announcement while away")
    await server.start()
    # The bot waits a second before reconnecting: time for erin to be there first.
    erin = await member(server, "erin", clients)
    await erin.join("#dynamo")
    assert (await erin.wait_for(from_bot())).text == "announcement while away"
    await bot.ready(2)


async def test_an_outage_is_logged_when_it_starts_and_once_when_it_ends(
    ngircd_factory: NgircdFactory, make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=OUTAGE_LOG)
    server = await ngircd_factory(penalties=False)
    bot = await make_bot(server.host, server.port)
    await bot.ready()
    mark = len(caplog.records)
    await server.kill()

    def failed_tries() -> list[str]:
        return [line for line in said(caplog, since=mark) if "could not connect" in line]

    await eventually(lambda: len(failed_tries()) >= 3, "three failed reconnects")
    while_away = said(caplog, since=mark, level=logging.INFO)
    # Two lines for the whole outage, however many tries: how it began and why it lasts.
    assert len(while_away) == 2, while_away
    assert while_away[0].startswith("WARNING irc[testnet]: disconnected (")
    assert while_away[0].endswith("; reconnecting, at growing intervals of up to 300 s")
    assert while_away[1].startswith(f"WARNING irc[testnet]: could not connect to {server.host}")

    await server.start()
    await bot.ready(2)
    back = [line for line in said(caplog, since=mark) if "back after" in line]
    assert len(back) == 1
    assert re.fullmatch(r"INFO irc\[testnet\]: back after (less than a second|\d+ s)", back[0])


async def test_a_long_outage_is_recalled_now_and_then_and_a_late_start_said(
    ngircd_factory: NgircdFactory,
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG, logger=OUTAGE_LOG)
    monkeypatch.setattr("bot.transports.irc.outage.AWAY_REMINDER", 0.3)
    server = await ngircd_factory(penalties=False)
    await server.kill()
    # Down from the start; tries at most 0.4 s apart, so it is back soon after the server.
    bot = await make_bot(server.host, server.port, reconnect_max_delay=0.4)

    def reminders() -> list[str]:
        return [line for line in said(caplog) if "still away after" in line]

    await eventually(lambda: len(reminders()) >= 2, "two reminders")
    assert all(line.startswith("WARNING irc[testnet]: still away after ") for line in reminders())
    await server.start()
    await bot.ready()
    late = [line for line in said(caplog) if "of trying" in line]
    assert len(late) == 1 and late[0].startswith("INFO irc[testnet]: connected after ")


# ------------------------------------------------------------- flood control


async def test_a_long_listing_does_not_hold_up_a_short_reply(
    ngircd_factory: NgircdFactory, make_bot: BotFactory, clients: list[IrcTestClient]
) -> None:
    server = await ngircd_factory(penalties=False)
    bot = await make_bot(server.host, server.port, burst=2, rate=20.0)
    await bot.ready()
    gina = await member(server, "gina", clients)
    hank = await member(server, "hank", clients)
    await bot.conn.send_privmsg("gina", "\n".join(f"idea {i}" for i in range(40)))
    await bot.conn.send_privmsg("hank", "your vote is counted")
    await hank.wait_for(from_bot())
    got_by_then = len(gina.received(from_bot()))
    assert got_by_then < 10
    await gina.wait_for(lambda line: line.text == "idea 39")


# --------------------------------------------------------------- lifecycle


async def test_stop_sends_quit_and_leaves_no_task_behind(
    ngircd_factory: NgircdFactory, clients: list[IrcTestClient]
) -> None:
    server = await ngircd_factory(penalties=False)
    conn = IrcConnection(
        IrcNetworkSettings(name="t", host=server.host, port=server.port, channels=("#dynamo",))
    )
    await conn.start()
    async with asyncio.timeout(WAIT):
        await conn.wait_ready()
    ivy = await member(server, "ivy", clients)
    await ivy.join("#dynamo")
    await conn.send_privmsg("ivy", "a last word")
    await conn.stop("see you")
    assert (await ivy.wait_for(from_bot())).text == "a last word"  # flushed before QUIT
    quit_line = await ivy.wait_for(lambda line: line.command == "QUIT" and line.nick == "dynamo")
    assert "see you" in quit_line.text
    assert not conn.connected
    ours = [t for t in asyncio.all_tasks() if t.get_name().startswith("irc-t-")]
    assert ours == []
    with pytest.raises(RuntimeError):
        await conn.send_privmsg("ivy", "too late")


async def test_two_networks_at_once(
    ngircd_factory: NgircdFactory, make_bot: BotFactory, clients: list[IrcTestClient]
) -> None:
    first = await ngircd_factory(penalties=False)
    second = await ngircd_factory(penalties=False)
    one = await make_bot(first.host, first.port, name="one")
    two = await make_bot(second.host, second.port, name="two")
    await one.ready()
    await two.ready()
    jo = await member(second, "jo", clients)
    await jo.privmsg("dynamo", "hi from two")
    assert (await jo.wait_for(from_bot())).text == "echo: hi from two"
    assert [m.network for m in two.seen.messages] == ["two"]
    assert one.seen.messages == []


# ------------------------------------------------------------------- TLS


async def test_tls_without_verification_connects(
    ngircd_factory: NgircdFactory, make_bot: BotFactory
) -> None:
    server = await ngircd_factory(penalties=False, tls=True)
    assert server.tls_port is not None
    bot = await make_bot(server.host, server.tls_port, tls=True, tls_verify=False)
    await bot.ready()
    assert bot.conn.connected


async def test_tls_verification_refuses_an_untrusted_certificate(
    ngircd_factory: NgircdFactory,
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = await ngircd_factory(penalties=False, tls=True)
    assert server.tls_port is not None and server.tls_files is not None
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    bot = await make_bot(server.host, server.tls_port, tls=True)
    await eventually(lambda: "CERTIFICATE_VERIFY_FAILED" in caplog.text, "a refused certificate")
    assert not bot.conn.connected

    # The same server is accepted once its certificate is trusted.
    monkeypatch.setenv("SSL_CERT_FILE", str(server.tls_files[0]))
    trusting = await make_bot(server.host, server.tls_port, tls=True, name="trusting")
    await trusting.ready()


# ------------------------------------------- IRCv3, SASL, services accounts


async def test_sasl_and_identity_from_services_accounts(
    scripted_ircd: Callable[..., Awaitable[ScriptedIrcd]],
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = await scripted_ircd(accounts={"kim": "KimAcct"}, members=("kim", "lee"))
    bot = await make_bot(
        server.host,
        server.port,
        sasl=True,
        password_env="DYNAMO_IRC_PASSWORD",
        identity="account",
        environ={"DYNAMO_IRC_PASSWORD": "s3cret"},
    )
    await bot.ready()
    conn = bot.conn
    req = await server.wait_for("^CAP REQ")
    assert set(req.split(":", 1)[1].split()) == {
        "sasl",
        "account-tag",
        "extended-join",
        "account-notify",
        "multi-prefix",
    }
    await server.wait_for("^AUTHENTICATE PLAIN$")
    assert server.received.index("CAP END") > server.received.index("AUTHENTICATE PLAIN")
    assert not [line for line in server.received if "NickServ" in line]

    # WHOX after NAMES tells the accounts of those already there.
    await server.wait_for(r"^WHO #dynamo %tna,\d+$")
    await eventually(lambda: conn.is_online("kimacct"), "account from WHOX")
    assert conn.identity_of("kim") == "kimacct"
    assert conn.identity_of("lee") is None and not conn.is_online("lee")

    # extended-join carries the account of a newcomer.
    await server.send(":max!m@h JOIN #dynamo MaxAcct :Max")
    await bot.seen.wait(lambda: bool(bot.seen.joins), "on_join")
    assert bot.seen.joins == [("testnet", "max", "maxacct", "#dynamo")]
    # account-notify: logging out and in again.
    await server.send(":max!m@h ACCOUNT *")
    await eventually(lambda: not conn.is_online("maxacct"), "logout")
    await server.send(":max!m@h ACCOUNT MaxAcct")
    await eventually(lambda: conn.is_online("maxacct"), "login")

    # account-tag on a private message; no tag means not logged in.
    await server.send("@account=KimAcct :kim!k@h PRIVMSG dynamo :hi")
    await server.send(":lee!l@h PRIVMSG dynamo :me too")
    await bot.seen.wait(lambda: len(bot.seen.messages) == 2, "two messages")
    assert [(m.nick, m.identity) for m in bot.seen.messages] == [
        ("kim", "kimacct"),
        ("lee", None),
    ]
    # Secrets never reach the logs, not even at DEBUG.
    payload = base64.b64encode(b"dynamo\0dynamo\0s3cret").decode()
    assert "s3cret" not in caplog.text and payload not in caplog.text


async def test_whois_tells_the_account_when_the_server_has_no_account_tag(
    scripted_ircd: Callable[..., Awaitable[ScriptedIrcd]], make_bot: BotFactory
) -> None:
    server = await scripted_ircd(caps="multi-prefix", accounts={"nia": "NiaAcct"})
    bot = await make_bot(server.host, server.port, identity="account")
    await bot.ready()
    await server.send(":nia!n@h PRIVMSG dynamo :hello")
    await server.send(":oz!o@h PRIVMSG dynamo :hello")
    await bot.seen.wait(lambda: len(bot.seen.messages) == 2, "two messages")
    assert [(m.nick, m.identity) for m in bot.seen.messages] == [
        ("nia", "niaacct"),
        ("oz", None),
    ]
    assert "WHOIS nia" in server.received


async def test_every_shape_of_privmsg_arrives_as_the_library_reads_it(
    scripted_ircd: Callable[..., Awaitable[ScriptedIrcd]], make_bot: BotFactory
) -> None:
    """Plain lines, tags, CTCP and CTCP quoting all go through the one parser
    (bot/transports/irc/lines.py), which reads them as the irc library does."""
    server = await scripted_ircd(caps="multi-prefix")
    bot = await make_bot(server.host, server.port)
    await bot.ready()
    for line in (
        ":ann!a@h PRIVMSG dynamo :ideas top 2",
        ":ann!a@h PRIVMSG dynamo ideas",  # a last parameter without its colon
        "@time=2026-12-02T10:00:00Z :ann!a@h PRIVMSG dynamo :tagged",
        ":ann!a@h PRIVMSG dynamo :\x01VERSION\x01",  # CTCP: never a command
        ":ann!a@h PRIVMSG dynamo :\x01ACTION waves\x01",
        ":ann!a@h PRIVMSG dynamo :quoted \x10n line",  # CTCP low-level quoting
        ":ann!a@h PRIVMSG #dynamo :in the channel",
        ":dynamo!d@h PRIVMSG #dynamo :my own echo",
        ":ann!a@h PRIVMSG dynamo :",
        ":ann!a@h PRIVMSG dynamo :last",
    ):
        await server.send(line)
    await bot.seen.wait(lambda: any(m.text == "last" for m in bot.seen.messages), "all lines")
    assert [(m.text, m.private, m.identity) for m in bot.seen.messages] == [
        ("ideas top 2", True, "ann"),
        ("ideas", True, "ann"),
        ("tagged", True, "ann"),
        ("quoted \n line", True, "ann"),
        ("in the channel", False, "ann"),
        ("", True, "ann"),
        ("last", True, "ann"),
    ]


async def test_nickserv_identify_on_a_server_without_cap(
    scripted_ircd: Callable[..., Awaitable[ScriptedIrcd]], make_bot: BotFactory
) -> None:
    server = await scripted_ircd(caps=None)
    bot = await make_bot(
        server.host, server.port, sasl=True, password_env="PW", environ={"PW": "hunter2"}
    )
    await bot.ready()
    identify = await server.wait_for("NickServ")
    assert identify == "PRIVMSG NickServ :IDENTIFY dynamo hunter2"
    assert server.received.index(identify) < server.received.index("JOIN #dynamo")
    assert "CAP END" not in server.received


async def test_failed_sasl_still_registers_and_warns(
    scripted_ircd: Callable[..., Awaitable[ScriptedIrcd]],
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = await scripted_ircd(sasl_password="other")
    bot = await make_bot(
        server.host, server.port, sasl=True, password_env="PW", environ={"PW": "wrong"}
    )
    await bot.ready()
    assert "SASL authentication failed" in caplog.text
    assert "CAP END" in server.received


async def test_missing_password_means_no_sasl(
    scripted_ircd: Callable[..., Awaitable[ScriptedIrcd]], make_bot: BotFactory
) -> None:
    server = await scripted_ircd()
    bot = await make_bot(server.host, server.port, sasl=True, password_env="UNSET")
    await bot.ready()
    assert not [line for line in server.received if line.startswith("AUTHENTICATE")]
    assert "sasl" not in (await server.wait_for("^CAP REQ")).split(":", 1)[1].split()
