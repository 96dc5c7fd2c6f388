"""Fixtures for IRC tests: real ngircd servers, and a scripted server for IRCv3 features.

`ngircd` is one server with ngircd's default penalties (the throttling real networks
apply); `ngircd_factory(penalties=False, tls=False)` starts as many as a test needs, each
on its own free port. ngircd has no SASL, account-tag or WHOX, so `scripted_ircd` plays a
services-enabled network from a small script instead. `make_chat(...)` runs the whole bot
(the IRC harness, tests/irc/harness.py) against fresh ngircd servers.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.config import AdminSettings, Config
from bot.web.settings import WebSettings
from commands.framework.privacy import NO_DELAY
from commands.framework.rules import Rules
from storage.db import Database
from storage.vault import Vault
from tests.databases import sqlite_copy
from tests.irc.harness import IrcChat, network_settings
from tests.irc.ngircd import NgircdServer, make_self_signed_cert, ngircd_binary

NgircdFactory = Callable[..., Awaitable[NgircdServer]]
MakeChat = Callable[..., Awaitable[IrcChat]]


@pytest.fixture
async def ngircd_factory(tmp_path: Path) -> AsyncIterator[NgircdFactory]:
    if ngircd_binary() is None:
        pytest.skip("ngircd is not installed: apt-get install ngircd (CI installs it)")
    servers: list[NgircdServer] = []

    async def start(*, penalties: bool = True, tls: bool = False) -> NgircdServer:
        directory = tmp_path / f"ngircd{len(servers) + 1}"
        directory.mkdir()
        tls_files = None
        if tls:
            tls_files = make_self_signed_cert(directory)
            if tls_files is None:
                pytest.skip("openssl is not installed; it makes the test certificate")
        server = NgircdServer(directory, penalties=penalties, tls_files=tls_files)
        servers.append(server)
        await server.start()
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def ngircd(ngircd_factory: NgircdFactory) -> NgircdServer:
    """One ngircd with its default penalties on."""
    return await ngircd_factory()


@pytest.fixture
async def make_chat(
    ngircd_factory: NgircdFactory, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[MakeChat]:
    """The whole bot on fresh ngircd servers (net1, net2, ...); "irc:net1:boss" is an admin.

    `penalties=True` keeps ngircd's default throttling; other keywords are network settings.
    """
    chats: list[IrcChat] = []

    async def make(
        networks: int = 1,
        *,
        penalties: bool = False,
        rules: Rules | None = None,
        web: WebSettings | None = None,
        **overrides: object,
    ) -> IrcChat:
        servers = {
            f"net{i + 1}": await ngircd_factory(penalties=penalties) for i in range(networks)
        }
        config = Config(
            privacy=NO_DELAY,
            rules=rules or Rules(),
            admins=AdminSettings(identities=("irc:net1:boss",)),
            irc=tuple(network_settings(n, s, **overrides) for n, s in servers.items()),
            web=web or WebSettings(listen=""),
        )
        db = Database(sqlite_copy(sqlite_template, tmp_path), vault=Vault.from_environ())
        chat = IrcChat(db, config, servers)
        chats.append(chat)
        await chat.start()
        return chat

    yield make
    for chat in chats:
        await chat.stop()


class ScriptedIrcd:
    """A one-client fake IRC server speaking just enough IRCv3 for the bot's features.

    It offers `caps` (or answers CAP with 421 when `caps` is None), accepts SASL PLAIN for
    `sasl_account`/`sasl_password`, announces WHOX, answers WHO %tna and WHOIS from
    `accounts` (nick -> services account), and lists `members` in NAMES of every channel.
    Tests push further lines with `send` and read what the bot sent in `received`.
    """

    def __init__(
        self,
        *,
        caps: str | None = "sasl=PLAIN account-tag extended-join account-notify multi-prefix",
        sasl_account: str = "dynamo",
        sasl_password: str = "s3cret",
        accounts: dict[str, str] | None = None,
        members: tuple[str, ...] = (),
    ) -> None:
        self.caps = caps
        self.sasl_account = sasl_account
        self.sasl_password = sasl_password
        self.accounts = accounts or {}
        self.members = members
        self.received: list[str] = []
        self.nick = ""
        self.host = "127.0.0.1"
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()
        self._enabled: set[str] = set()
        self._negotiating = False
        self._user = False
        self._registered = False

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def send(self, line: str) -> None:
        assert self._writer is not None, "no client connected"
        self._writer.write(line.encode() + b"\r\n")
        await self._writer.drain()

    async def wait_for(self, pattern: str, timeout: float = 5.0) -> str:  # noqa: ASYNC109
        """The first line the bot sent matching `pattern` (searched from the start)."""
        regex = re.compile(pattern)
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for line in self.received:
                    if regex.search(line):
                        return line
                await self._changed.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writer = writer
        self._enabled.clear()
        self._negotiating = self._user = self._registered = False
        try:
            while data := await reader.readline():
                line = data.decode().rstrip("\r\n")
                async with self._changed:
                    self.received.append(line)
                    self._changed.notify_all()
                await self._respond(line)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()
            self._handlers.discard(task)

    async def _respond(self, line: str) -> None:
        words = line.split(" ")
        command, args = words[0].upper(), words[1:]
        me = f"{self.nick}!bot@bot.host"
        if command == "CAP" and args[:1] == ["LS"]:
            if self.caps is None:
                await self.send(":fake.test 421 * CAP :Unknown command")
                return
            self._negotiating = True
            await self.send(f":fake.test CAP * LS :{self.caps}")
        elif command == "CAP" and args[:1] == ["REQ"]:
            wanted = line.split(":", 1)[1].split()
            self._enabled.update(wanted)
            await self.send(f":fake.test CAP {self.nick or '*'} ACK :{' '.join(wanted)}")
        elif command == "CAP" and args[:1] == ["END"]:
            self._negotiating = False
            await self._maybe_welcome()
        elif command == "AUTHENTICATE" and args == ["PLAIN"]:
            await self.send("AUTHENTICATE +")
        elif command == "AUTHENTICATE":
            expected = f"{self.sasl_account}\0{self.sasl_account}\0{self.sasl_password}"
            if base64.b64decode(args[0]).decode() == expected:
                await self.send(
                    f":fake.test 900 {self.nick} {me} {self.sasl_account} :You are now logged in"
                )
                await self.send(f":fake.test 903 {self.nick} :SASL authentication successful")
            else:
                await self.send(f":fake.test 904 {self.nick} :SASL authentication failed")
        elif command == "NICK":
            self.nick = args[0]
            await self._maybe_welcome()
        elif command == "USER":
            self._user = True
            await self._maybe_welcome()
        elif command == "JOIN":
            for channel in args[0].split(","):
                await self._join(channel)
        elif command == "WHO" and len(args) >= 2 and args[1].startswith("%"):
            token = args[1].split(",", 1)[1] if "," in args[1] else ""
            for nick in self.members:
                account = self.accounts.get(nick, "0")
                await self.send(f":fake.test 354 {self.nick} {token} {nick} {account}")
            await self.send(f":fake.test 315 {self.nick} {args[0]} :End of WHO list")
        elif command == "WHOIS":
            nick = args[0]
            if nick in self.accounts:
                await self.send(f":fake.test 311 {self.nick} {nick} u h * :real")
                await self.send(
                    f":fake.test 330 {self.nick} {nick} {self.accounts[nick]} :is logged in as"
                )
            await self.send(f":fake.test 318 {self.nick} {nick} :End of WHOIS")
        elif command == "PING":
            await self.send(f":fake.test PONG fake.test :{line.split(' ', 1)[1].lstrip(':')}")

    async def _maybe_welcome(self) -> None:
        if self._registered or self._negotiating or not (self.nick and self._user):
            return
        self._registered = True
        await self.send(f":fake.test 001 {self.nick} :Welcome {self.nick}!bot@bot.host")
        await self.send(
            f":fake.test 005 {self.nick} CASEMAPPING=rfc1459 PREFIX=(ov)@+ WHOX TOPICLEN=300"
            " :are supported by this server"
        )
        await self.send(f":fake.test 376 {self.nick} :End of MOTD")

    async def _join(self, channel: str) -> None:
        me = f"{self.nick}!bot@bot.host"
        if "extended-join" in self._enabled:
            await self.send(f":{me} JOIN {channel} {self.sasl_account} :Dynamo bot")
        else:
            await self.send(f":{me} JOIN {channel}")
        names = " ".join(["@" + self.nick, *self.members])
        await self.send(f":fake.test 353 {self.nick} = {channel} :{names}")
        await self.send(f":fake.test 366 {self.nick} {channel} :End of NAMES list")


@pytest.fixture
async def scripted_ircd() -> AsyncIterator[Callable[..., Awaitable[ScriptedIrcd]]]:
    servers: list[ScriptedIrcd] = []

    async def start(**options: object) -> ScriptedIrcd:
        server = ScriptedIrcd(**options)  # type: ignore[arg-type]
        servers.append(server)
        await server.start()
        return server

    yield start
    for server in servers:
        await server.close()
