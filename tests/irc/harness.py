"""The IRC chat harness: the same stories as the console harness, told on a real ngircd.

chat = IrcChat(...); await chat.start()
pseudonym = await chat.join("alice")              # register + choose, by private message
await chat.dm("alice", "pitch Pay for qualification tests")
line = await chat.announcement("New idea #1")     # seen in the channel, on every network
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

from bot.app import App
from bot.config import Config
from bot.transports.irc.settings import IrcNetworkSettings
from bot.transports.irc.transport import IrcTransport
from commands import admin
from storage.db import Database
from tests.irc.client import IrcTestClient, Line
from tests.irc.ngircd import NgircdServer

CHANNEL = "#dynamo"
BOT = "dynamo"


def network_settings(name: str, server: NgircdServer, **overrides: Any) -> IrcNetworkSettings:
    options: dict[str, Any] = {
        "name": name,
        "host": server.host,
        "port": server.port,
        "nick": BOT,
        "alt_nicks": ("dynamo_",),
        "channels": (CHANNEL,),
        "burst": 20,
        "rate": 50.0,
        "ping_timeout": 30.0,
        # ngircd has no services: a member is their nick there, and that must be chosen.
        "identity": "nick",
    }
    options.update(overrides)
    return IrcNetworkSettings(**options)


@dataclass
class IrcChat:
    db: Database
    config: Config
    servers: dict[str, NgircdServer]
    app: App = field(init=False)
    transports: dict[str, IrcTransport] = field(init=False)
    people: dict[tuple[str, str], IrcTestClient] = field(default_factory=dict)
    watchers: dict[str, IrcTestClient] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.app = App(self.config, db=self.db)
        self.transports = {}
        for settings in self.config.irc:
            transport = IrcTransport(
                self.app, settings, environ={}, reconnect_base_delay=0.05, join_timeout=5.0
            )
            self.transports[settings.name] = transport
            self.app.add_transport(transport)

    async def start(self) -> None:
        await self.app.start(schedule=False)
        async with asyncio.timeout(15):
            for transport in self.transports.values():
                await transport.conn.wait_ready()
        for name, server in self.servers.items():
            # A silent member in each announce channel records what everyone sees there.
            watcher = await IrcTestClient.connect(server.host, server.port, f"watch{name[-1]}")
            await watcher.join(CHANNEL)
            self.watchers[name] = watcher

    async def stop(self) -> None:
        for client in [*self.people.values(), *self.watchers.values()]:
            with contextlib.suppress(Exception):
                await client.quit()
        try:
            async with asyncio.timeout(30):
                await self.app.stop()
        except TimeoutError:
            for task in asyncio.all_tasks():
                task.print_stack()
            raise

    # -- acting -------------------------------------------------------------------------
    async def client(self, person: str, network: str | None = None) -> IrcTestClient:
        network = network or next(iter(self.servers))
        key = (person, network)
        if key not in self.people:
            server = self.servers[network]
            client = await IrcTestClient.connect(server.host, server.port, person)
            await client.join(CHANNEL)
            self.people[key] = client
        return self.people[key]

    async def mint(self, kind: str = "worker") -> str:
        (code,) = await admin.mint(
            self.db, 1, kind=kind, batch="irc-test", now=self.app.clock(), expires_at=None
        )
        return code

    async def dm(self, person: str, line: str, network: str | None = None) -> str:
        """Send the bot a private message; returns the first line of its private answer."""
        client = await self.client(person, network)
        mark = client.mark()
        await client.privmsg(self.bot_nick(network), line)
        # Generous: on a loaded machine (two test workers, other servers) a reply can lag.
        reply = await client.wait_for(self._from_bot_to(client.nick), timeout=15, since=mark)
        return reply.text

    async def say(self, person: str, channel_line: str, network: str | None = None) -> None:
        client = await self.client(person, network)
        await client.privmsg(CHANNEL, channel_line)

    async def join(self, person: str, network: str | None = None) -> str:
        offer = await self.dm(person, f"register {await self.mint()}", network)
        assert "could be" in offer, offer
        chosen = await self.dm(person, "choose", network)
        match = re.search(r"You are \x02([a-z]+_[a-z]+)\x02", chosen)
        assert match, chosen
        return match.group(1)

    # -- reading ------------------------------------------------------------------------
    def bot_nick(self, network: str | None = None) -> str:
        network = network or next(iter(self.servers))
        return self.transports[network].conn.current_nick

    def _from_bot_to(self, target: str) -> Any:
        def match(line: Line) -> bool:
            return (
                line.command == "PRIVMSG"
                and line.nick.lower().startswith(BOT)
                and line.params[0].lower() == target.lower()
            )

        return match

    async def announcement(
        self, pattern: str, network: str | None = None, within: float = 10.0
    ) -> Line:
        """Wait until the announce channel shows a line from the bot matching ``pattern``."""
        watcher = self.watchers[network or next(iter(self.servers))]
        regex = re.compile(pattern)
        return await watcher.wait_for(
            lambda line: self._from_bot_to(CHANNEL)(line) and bool(regex.search(line.text)),
            timeout=within,
            since=0,
        )

    def channel_lines(self, network: str | None = None) -> list[str]:
        watcher = self.watchers[network or next(iter(self.servers))]
        return [line.text for line in watcher.received(self._from_bot_to(CHANNEL))]
