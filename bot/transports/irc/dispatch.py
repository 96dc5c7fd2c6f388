"""From the lines the server sends to the transport's callbacks.

Every line is read by `lines.parse` and goes to the handlers registered for its command,
in the order they were added (each part of the connection registers its own). PRIVMSG is
handled here: a message from a user becomes an `IncomingMessage` for `on_message`, with
the sender's identity. A sender's account-tag (or its absence) on a message, a notice or
a JOIN tells their current account.

Callbacks run as tasks: those concerning one nick run in the order the server sent them,
those of different nicks concurrently, and a failing callback is logged, never fatal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.transports.irc.auth import Registration
from bot.transports.irc.isupport import ServerInfo
from bot.transports.irc.lines import Line, parse, texts
from bot.transports.irc.roster import Roster
from bot.transports.irc.settings import IrcNetworkSettings
from bot.transports.irc.wire import where

__all__ = ["Callbacks", "Dispatcher", "IncomingMessage"]

logger = logging.getLogger(__name__)

MAX_PENDING_CALLBACKS = 1000
# Lines whose sender's account-tag (or its absence) tells us their current account.
_TAGGED = frozenset({"PRIVMSG", "NOTICE", "JOIN"})


@dataclass(frozen=True)
class IncomingMessage:
    """`userhost` is the sender's ``user@host`` from the message prefix: unlike the nick,
    it stays the same when they change nick."""

    network: str
    nick: str
    identity: str | None
    target: str
    text: str
    private: bool
    userhost: str


MessageHandler = Callable[[IncomingMessage], Awaitable[None]]
JoinHandler = Callable[[str, str, str | None, str], Awaitable[None]]
ReadyHandler = Callable[[str], Awaitable[None]]
GoneHandler = Callable[[str, str], Awaitable[None]]


@dataclass
class Callbacks:
    """What the transport is told (see connection.py); each may be swapped at any time."""

    on_message: MessageHandler | None = None
    on_join: JoinHandler | None = None
    on_ready: ReadyHandler | None = None
    on_gone: GoneHandler | None = None


class Dispatcher:
    def __init__(
        self,
        settings: IrcNetworkSettings,
        server: ServerInfo,
        auth: Registration,
        roster: Roster,
        callbacks: Callbacks,
        *,
        current_nick: Callable[[], str],
        forget: Callable[[str], object],
    ) -> None:
        self.settings = settings
        self.network = settings.name
        self.server = server
        self.auth = auth
        self.callbacks = callbacks
        self.roster = roster
        self._current_nick = current_nick
        self._forget = forget
        self._routes: dict[str, list[Callable[[Line], None]]] = {"PRIVMSG": [self._on_privmsg]}
        self._tasks: set[asyncio.Task[None]] = set()
        self._chains: dict[object, asyncio.Task[None]] = {}
        self.stopping = False

    def add(self, handlers: dict[str, Callable[[Line], None]]) -> None:
        """Route lines of these commands to these handlers too (after those added before)."""
        for command, handler in handlers.items():
            self._routes.setdefault(command, []).append(handler)

    def feed(self, text: str) -> None:
        """Handle one line read from the server."""
        line = parse(text)
        if line is None:
            return
        try:
            for handler in self._routes.get(line.command, ()):
                handler(line)
            if line.command in _TAGGED and "account-tag" in self.auth.caps_enabled:
                # extended-join states the account outright; a JOIN without the tag from
                # a server that forgot to tag it must not undo that.
                if not (line.command == "JOIN" and "extended-join" in self.auth.caps_enabled):
                    self._note_account_tag(line)
        except Exception as exc:
            logger.warning(
                "irc[%s]: failed to handle a %s line: %s", self.network, line.command, where(exc)
            )

    def _note_account_tag(self, line: Line) -> None:
        if line.from_user:
            self.roster.set_account(line.nick, line.tags.get("account"))

    # ------------------------------------------------------------------ messages

    def _on_privmsg(self, line: Line) -> None:
        if not line.from_user or len(line.params) < 2:
            return
        said, _ctcp = texts(line.params[1])
        # CTCP is never passed on (nor answered): only what was said around it.
        for text in said:
            self._privmsg(line, text)

    def _privmsg(self, line: Line, text: str) -> None:
        nick, target = line.nick, line.params[0]
        fold = self.server.fold
        folded, me = fold(nick), fold(self._current_nick())
        callback = self.callbacks.on_message
        if folded == me or callback is None:
            return
        private = fold(target) == me
        if not private:
            target = target.lstrip(self.server.statusmsg) or target
        userhost = line.userhost
        key = ("nick", folded)
        identity: str | None = None
        if self.settings.identity == "nick":
            identity = folded
        elif "account-tag" in self.auth.caps_enabled:
            account = line.tags.get("account")
            identity = fold(account) if account else None
        else:
            roster = self.roster

            async def resolved() -> None:
                found = await roster.resolve_identity(nick)
                await callback(
                    IncomingMessage(self.network, nick, found, target, text, private, userhost)
                )

            self.run(key, resolved, "on_message")
            return
        message = IncomingMessage(self.network, nick, identity, target, text, private, userhost)
        self.run(key, lambda: callback(message), "on_message")

    # -------------------------------------------------------- what others caused

    def arrived(self, nick: str, channel: str) -> None:
        """Someone joined one of the bot's channels: `on_join`, with their identity."""
        callback, roster = self.callbacks.on_join, self.roster
        if callback is None:
            return

        async def deliver() -> None:
            identity = await roster.resolve_identity(nick)
            await callback(self.network, nick, identity, channel)

        self.run(("nick", self.server.fold(nick)), deliver, "on_join")

    def departed(self, nick: str) -> None:
        """`nick` quit, changed nick or shares no channel any more: what was meant for it
        must not reach whoever holds it next (`forget` drops the lines queued to it)."""
        key = self.server.fold(nick)
        forget = self._forget
        forget(key)
        callback = self.callbacks.on_gone

        async def after_callbacks_in_flight() -> None:
            # A command of this nick's may still be running and queue its reply: this runs
            # after it (same chain), and drops that reply too.
            forget(key)
            if callback is not None:
                await callback(self.network, nick)

        self.run(("nick", key), after_callbacks_in_flight, "on_gone")

    def ready(self) -> None:
        callback = self.callbacks.on_ready
        if callback is not None:
            self.run(("ready",), lambda: callback(self.network), "on_ready")

    # ----------------------------------------------------------- callback tasks

    def run(self, key: object, factory: Callable[[], Awaitable[None]], what: str) -> None:
        """Run a callback as a task, after the previous one with the same key (in the order
        the server sent them)."""
        if self.stopping:
            return
        if len(self._tasks) >= MAX_PENDING_CALLBACKS:
            logger.warning("irc[%s]: too many pending callbacks; dropped a %s", self.network, what)
            return
        previous = self._chains.get(key)
        name = f"irc-{self.network}-{what}"
        waits_for = None if previous is None or previous.done() else previous
        task = asyncio.get_running_loop().create_task(
            self._run_callback(waits_for, factory, what), name=name
        )
        self._chains[key] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._callback_done(key, done))

    async def _run_callback(
        self,
        previous: asyncio.Task[None] | None,
        factory: Callable[[], Awaitable[None]],
        what: str,
    ) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        try:
            await factory()
        except Exception:
            logger.exception("irc[%s]: %s callback failed", self.network, what)

    def _callback_done(self, key: object, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._chains.get(key) is task:
            del self._chains[key]

    async def finish(self, grace: float) -> None:
        """No new callbacks; those in flight get `grace` seconds (they may still queue
        replies), then are cancelled."""
        self.stopping = True
        if self._tasks:
            _done, pending = await asyncio.wait(list(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
