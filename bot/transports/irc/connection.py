"""One long-lived connection to one IRC network, made of parts with one job each.

- link.py: the socket, keepalive PINGs and reconnects with backoff and jitter (wire.py:
  the irc library's connection under it; outage.py: what the log says while away);
- auth.py: IRCv3 capabilities, SASL PLAIN or NickServ, the bot's nick and regaining it;
- isupport.py: what the server says about itself (casemapping, prefixes, WHOX);
- roster.py: the bot's channels, who shares them, and each one's services account;
- dispatch.py: every line read through one parser (lines.py) to its handlers, and the
  callbacks below run in order per nick;
- output.py and flood.py: what the bot says, checked, split and queued in the paced,
  fair send queue through which every user-visible line goes.

`IrcConnection` wires them together and is what the transport uses. Callbacks (all
optional, all async, passed to the constructor, and swappable as attributes):

- ``on_message(msg: IncomingMessage)``: a PRIVMSG from a user, to a channel the bot is in
  (``private=False``, ``target`` is the channel) or to the bot (``private=True``,
  ``target`` is the bot's nick; reply to ``msg.nick``). CTCP and NOTICEs are not passed on:
  bots must never answer a NOTICE.
- ``on_join(network, nick, identity, channel)``: another user joined a channel the bot is
  in, so notices queued for that member can be delivered.
- ``on_ready(network)``: registration finished and the configured channels were joined
  (or refused, or `join_timeout` passed). Called again after every reconnect, so the
  outbox can be flushed.
- ``on_gone(network, nick)``: someone the bot could see quit, changed nick (``nick`` is
  the old one) or left the last channel it shares with the bot. Whatever was kept for that
  nick must be dropped: the next holder of the nick may be someone else. Lines queued to
  that nick are dropped by the connection itself, at once and again once the nick's
  callbacks in flight have finished (they may have queued a reply meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Mapping
from typing import Any

from bot.transports.irc.auth import Registration
from bot.transports.irc.dispatch import (
    Callbacks,
    Dispatcher,
    GoneHandler,
    IncomingMessage,
    JoinHandler,
    MessageHandler,
    ReadyHandler,
)
from bot.transports.irc.flood import FloodQueue, SendDropped
from bot.transports.irc.isupport import ServerInfo
from bot.transports.irc.lines import Line
from bot.transports.irc.link import Link
from bot.transports.irc.output import Output
from bot.transports.irc.roster import Roster
from bot.transports.irc.settings import IrcNetworkSettings
from bot.transports.irc.text import check_target, sanitize
from bot.transports.irc.wire import quiet_library_loggers

__all__ = [
    "IncomingMessage",
    "IrcConnection",
    "SendDropped",
    "quiet_library_loggers",
]

logger = logging.getLogger(__name__)


def _callback(name: str) -> Any:
    """An attribute of IrcConnection that is the dispatcher's callback of that name."""
    return property(
        lambda self: getattr(self._callbacks, name),
        lambda self, value: setattr(self._callbacks, name, value),
    )


class IrcConnection:
    """The bot's presence on one IRC network; see the module docstring for callbacks.

    `start()` returns at once and connects in the background, reconnecting until
    `stop()`. Nothing here raises because the network is down: sends are queued until the
    next connection.

    `environ` is where `settings.password_env` is looked up (default: os.environ);
    `reconnect_base_delay` is the first backoff ceiling in seconds (doubling up to
    `settings.reconnect_max_delay`); `connect_timeout` bounds the TCP/TLS connect;
    `join_timeout` is how long to wait for join confirmations before `on_ready` anyway;
    `max_queued_per_target` caps each target's send queue (oldest lines dropped).
    """

    def __init__(
        self,
        settings: IrcNetworkSettings,
        *,
        on_message: MessageHandler | None = None,
        on_join: JoinHandler | None = None,
        on_ready: ReadyHandler | None = None,
        on_gone: GoneHandler | None = None,
        environ: Mapping[str, str] | None = None,
        reconnect_base_delay: float = 2.0,
        connect_timeout: float = 30.0,
        join_timeout: float = 30.0,
        max_queued_per_target: int = 500,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._join_timeout = join_timeout
        rng = rng or random.Random()
        self._callbacks = Callbacks(on_message, on_join, on_ready, on_gone)
        self._ready = asyncio.Event()
        self._stopping = False
        self.ready_count = 0
        self._link = Link(
            settings,
            on_line=lambda line: self._dispatcher.feed(line),
            on_connecting=self._on_connecting,
            on_down=self._on_down,
            first_nick=lambda: self._auth.first_nick(),
            base_delay=reconnect_base_delay,
            connect_timeout=connect_timeout,
            rng=rng,
        )
        self._flood = FloodQueue(
            self._link.write,
            burst=settings.burst,
            rate=settings.rate,
            max_per_target=max_queued_per_target,
            can_see=lambda key: self._roster.can_see(key),
            name=f"irc-{settings.name}-flood",
        )
        self._flood.pause()
        self._server = ServerInfo(on_casemapping=lambda: self._roster.refold())
        self._output = Output(self._flood, fold=self.fold, topiclen=lambda: self._server.topiclen)
        self._auth = Registration(
            settings,
            send_now=self._link.send_now,
            fold=self.fold,
            registered=lambda: self._link.is_registered,
            environ=os.environ if environ is None else environ,
            rng=rng,
        )
        self._roster = Roster(
            settings,
            self._server,
            is_me=lambda nick: self.fold(nick) == self.fold(self.current_nick),
            caps=lambda: self._auth.caps_enabled,
            control=self._output.control,
            connected=lambda: self.connected,
            on_arrived=lambda nick, channel: self._dispatcher.arrived(nick, channel),
            on_departed=lambda nick: self._dispatcher.departed(nick),
            on_settled=self._become_ready,
        )
        self._dispatcher = Dispatcher(
            settings,
            self._server,
            self._auth,
            self._roster,
            self._callbacks,
            current_nick=lambda: self.current_nick,
            forget=self._flood.forget,
        )
        for handlers in (
            self._auth.handlers(),
            self._server.handlers(),
            self._roster.handlers(),
            {"001": self._on_welcome, "PING": self._on_ping, "ERROR": self._on_error},
        ):
            self._dispatcher.add(handlers)

    # ------------------------------------------------------------- callbacks

    on_message = _callback("on_message")
    on_join = _callback("on_join")
    on_ready = _callback("on_ready")
    on_gone = _callback("on_gone")

    # ----------------------------------------------------------------- state

    @property
    def network(self) -> str:
        return self.settings.name

    @property
    def connected(self) -> bool:
        """True while registered with the server (not merely TCP-connected)."""
        return self._link.up and self._link.is_registered

    @property
    def ready(self) -> bool:
        """True once registered and done joining; False again after a disconnect."""
        return self._ready.is_set()

    @property
    def current_nick(self) -> str:
        if self._link.is_registered and self._auth.nick:
            return self._auth.nick
        return self.settings.nick

    @property
    def channels(self) -> list[str]:
        """Channels the bot is in right now."""
        return list(self._roster.joined.values())

    @property
    def started(self) -> bool:
        """Whether `start` was called (a connection is started once: make a new one)."""
        return self._link.started or self._stopping

    @property
    def stopped(self) -> bool:
        return self._stopping

    # ------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Begin connecting in the background; returns immediately."""
        if self._link.started:
            raise RuntimeError("IrcConnection already started")
        if self._stopping:
            raise RuntimeError("IrcConnection was stopped; make a new one")
        quiet_library_loggers()
        if self.settings.identity == "nick":
            logger.warning(
                'irc[%s]: identity = "nick": whoever holds a nick on %s acts as its member',
                self.network,
                self.network,
            )
        self._flood.start()
        self._link.start()

    async def wait_ready(self) -> None:
        """Wait until registered and joined (bound it with `asyncio.timeout`)."""
        await self._ready.wait()

    async def stop(self, message: str = "Dynamo bot shutting down", grace: float = 2.0) -> None:
        """Finish in-flight callbacks and queued lines (each within `grace` seconds),
        QUIT, and cancel every task this connection runs."""
        if self._stopping:
            return
        self._stopping = self._link.stopping = True
        # In-flight commands may still queue their replies.
        await self._dispatcher.finish(grace)
        if self.connected:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    await self._flood.drain()
        await self._link.close(sanitize(message), grace)
        await self._flood.close()
        logger.info("irc[%s]: stopped", self.network)

    def _on_connecting(self) -> None:
        self._auth.reset()
        self._server.reset()
        self._roster.reset()

    def _on_down(self) -> None:
        self._ready.clear()
        self._flood.pause()
        self._roster.reset()

    def _on_welcome(self, line: Line) -> None:
        self._link.registered()
        self._auth.welcomed(line)
        logger.info("irc[%s]: registered as %s", self.network, self.current_nick)
        for join in self._roster.join_lines():
            self._link.send_now(join)
        self._flood.resume()
        self._link.spawn(self._auth.regain_loop(), "regain")
        if self._roster.join_pending:
            self._link.spawn(self._join_deadline(), "join-deadline")
        else:
            self._become_ready()

    def _on_ping(self, line: Line) -> None:
        self._link.send_now(f"PONG :{line.param(0) or ''}")

    def _on_error(self, line: Line) -> None:
        self._link.closed_by_server(line.param(0) or "")

    async def _join_deadline(self) -> None:
        await asyncio.sleep(self._join_timeout)
        if self._link.is_registered and not self._ready.is_set():
            missing = ", ".join(sorted(self._roster.join_pending.values()))
            logger.warning("irc[%s]: no join confirmation for %s", self.network, missing)
            self._roster.join_pending.clear()
            self._become_ready()

    def _become_ready(self) -> None:
        if self._ready.is_set():
            return
        self._ready.set()
        self.ready_count += 1
        logger.info("irc[%s]: ready in %d channel(s)", self.network, len(self._roster.joined))
        self._link.outage.over(first=self.ready_count == 1)
        self._dispatcher.ready()

    # ---------------------------------------------------------------- sending

    async def send_privmsg(
        self,
        target: str,
        text: str,
        *,
        wait: bool = False,
        stranger: bool = False,
        charge: str | None = None,
    ) -> int:
        """Queue `text` for `target`, sanitized and split into as many lines as needed
        (at "\\n" first; see `room` to split it yourself).

        Returns the number of lines queued. With `wait=True`, returns only once the last
        line has been written to the server connection (raises `SendDropped` if it was
        discarded instead). `stranger=True` marks lines to (or, in a channel, asked for by)
        someone who is not a member in good standing: they go after everything else and
        within a small share each (see bot/transports/irc/flood.py). `charge` is the nick
        whose turn and share the lines take (default: `target`; a public answer is charged
        to whoever asked). Raises ValueError for a target that is not a nick or channel,
        RuntimeError after `stop()`.
        """
        return await self._output.text(
            "PRIVMSG", target, text, wait=wait, stranger=stranger, charge=charge
        )

    async def send_notice(
        self,
        target: str,
        text: str,
        *,
        wait: bool = False,
        stranger: bool = False,
        charge: str | None = None,
    ) -> int:
        """Like `send_privmsg`, as NOTICE (which other bots must not answer)."""
        return await self._output.text(
            "NOTICE", target, text, wait=wait, stranger=stranger, charge=charge
        )

    def room(self, target: str, command: str = "PRIVMSG") -> int:
        """How many bytes of text fit in one `command` line to `target`, whatever prefix
        the server puts before it when relaying."""
        return self._output.room(target, command)

    def fold(self, name: str) -> str:
        """A nick, channel or account folded the way this server compares them (its
        CASEMAPPING; rfc1459 until it has said)."""
        return self._server.fold(name)

    async def join(self, channel: str) -> None:
        """Join `channel` now (or on connecting) and after every reconnect."""
        check_target(channel, channel=True)
        if self._roster.want(channel) and self._link.is_registered:
            self._output.control(f"JOIN {channel}")

    async def set_topic(self, channel: str, text: str) -> None:
        """Set the topic (needs the right to: channel operator, or mode -t)."""
        self._output.topic(channel, text)

    # -------------------------------------------------------------- who is who

    def identity_of(self, nick: str) -> str | None:
        """The identity key of `nick`: its folded nick, or (identity="account") the folded
        services account, None when not logged in or not known."""
        return self._roster.identity_of(nick)

    def nick_of(self, identity_key: str) -> str | None:
        """The current nick of someone with this identity who shares a channel with the
        bot, or None (the member is offline as far as the bot can see)."""
        return self._roster.nick_of(identity_key)

    def is_online(self, identity_key: str) -> bool:
        """Whether someone with this identity shares a channel with the bot right now.

        Users who share no channel are invisible to a client (no QUIT reaches us), so
        they count as offline even if they are on the network.
        """
        return self._roster.is_online(identity_key)
