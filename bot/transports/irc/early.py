"""Connect to IRC first, load the rest of the bot meanwhile.

Importing the database layer and the commands takes most of a second; an IRC bot should be
in its channels long before that. ``dynamo run`` starts an ``EarlyConnection`` per network
before importing anything heavy, waits (briefly) until it has joined, and only then loads
the rest, so loading never competes with the handshake. It keeps what people say until the
transport takes over and answers it, in order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.transports.irc.connection import IncomingMessage, IrcConnection
from bot.transports.irc.settings import IrcNetworkSettings

MessageHandler = Callable[[IncomingMessage], Awaitable[None]]
JoinHandler = Callable[[str, str, str | None, str], Awaitable[None]]
ReadyHandler = Callable[[str], Awaitable[None]]
GoneHandler = Callable[[str, str], Awaitable[None]]

# Messages kept while loading; beyond this the oldest are dropped (a flood at start-up).
KEEP = 500


class EarlyConnection:
    def __init__(self, settings: IrcNetworkSettings, environ: Mapping[str, str]) -> None:
        self.settings = settings
        self._events: list[tuple[str, tuple[Any, ...]]] = []
        self._ready = False
        # The transport's handlers once it has taken over. A line read just before that may
        # reach a keeper after the hand-over (its callback is a task that runs a moment
        # later): it goes straight to the transport then, never into a list nobody reads.
        self._handlers: tuple[MessageHandler, JoinHandler, GoneHandler] | None = None
        self.conn = IrcConnection(
            settings,
            on_message=self._keep_message,
            on_join=self._keep_join,
            on_ready=self._keep_ready,
            on_gone=self._keep_gone,
            environ=environ,
        )

    async def start(self) -> None:
        await self.conn.start()

    async def _keep_message(self, msg: IncomingMessage) -> None:
        if self._handlers is not None:
            await self._handlers[0](msg)
            return
        self._events.append(("message", (msg,)))
        del self._events[:-KEEP]

    async def _keep_join(self, network: str, nick: str, identity: str | None, channel: str) -> None:
        if self._handlers is not None:
            await self._handlers[1](network, nick, identity, channel)
            return
        self._events.append(("join", (network, nick, identity, channel)))
        del self._events[:-KEEP]

    async def _keep_gone(self, network: str, nick: str) -> None:
        # Kept in order with the messages: a nick that spoke and then left must not keep
        # what its answer pages (a new holder of the nick could read it).
        if self._handlers is not None:
            await self._handlers[2](network, nick)
            return
        self._events.append(("gone", (network, nick)))
        del self._events[:-KEEP]

    async def _keep_ready(self, network: str) -> None:
        self._ready = True

    async def hand_over(
        self,
        on_message: MessageHandler,
        on_join: JoinHandler,
        on_ready: ReadyHandler,
        on_gone: GoneHandler,
    ) -> None:
        """From now on events go to the transport; first, replay what was kept."""
        conn = self.conn
        conn.on_message, conn.on_join, conn.on_ready = on_message, on_join, on_ready
        conn.on_gone = on_gone
        self._handlers = (on_message, on_join, on_gone)
        events, self._events = self._events, []
        for kind, args in events:
            if kind == "message":
                await on_message(*args)
            elif kind == "join":
                await on_join(*args)
            else:
                await on_gone(*args)
        if self._ready:
            await on_ready(self.settings.name)
