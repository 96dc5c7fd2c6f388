"""One long-lived connection to one IRC network.

Built on `irc.client_aio` (the parser, the event names and the socket plumbing) and adds
what that client lacks and a bot that runs for months needs: IRCv3 capability negotiation
and SASL PLAIN, NickServ IDENTIFY, nick fallback and regain, membership and services-
account tracking, a keepalive watchdog, reconnects with exponential backoff and full
jitter, and a paced, fair send queue through which every user-visible line goes.

Callbacks (all optional, all async, passed to the constructor):

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

Callbacks run as tasks: those concerning one nick run in the order the server sent them,
those of different nicks concurrently, and a failing callback is logged, never fatal.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import random
import re
import ssl
import sys
import traceback
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot import eager
from bot.durations import spoken
from bot.transports.irc.flood import FloodQueue, SendDropped
from bot.transports.irc.library import (
    AioConnection,
    AioFactory,
    AioReactor,
    Event,
    FeatureSet,
    IrcProtocol,
    ServerNotConnectedError,
    buffer,
)
from bot.transports.irc.settings import IrcNetworkSettings
from bot.transports.irc.text import irc_lower, sanitize, split_message, truncate_bytes

__all__ = [
    "IncomingMessage",
    "IrcConnection",
    "SendDropped",
    "backoff_delay",
    "quiet_library_loggers",
]

logger = logging.getLogger(__name__)

# Capabilities that improve identity and membership tracking, requested when offered.
WANTED_CAPS = frozenset({"account-tag", "extended-join", "account-notify", "multi-prefix"})

# RFC 1459: 512 bytes per line including CR LF.
LINE_LIMIT = 510
# What the server prepends when relaying our line: ":" nick "!" user "@" host " ". Hosts
# change (cloaks after identifying), so reserve the worst case instead of measuring ours.
PREFIX_RESERVE = 1 + 30 + 1 + 11 + 1 + 63 + 1
# Token in our WHOX queries, so replies to anyone else's WHO are not mistaken for ours.
WHOX_TOKEN = "173"
# A connection that stayed registered this long resets the reconnect backoff; a server
# that accepts and then kills us at once must not be hammered at the base delay.
STABLE_AFTER = 60.0
# While a network stays unreachable, the log says so again this often; each retry in between
# logs at DEBUG only, unless it fails for a reason not seen yet in this outage.
AWAY_REMINDER = 3600.0
WHOIS_TIMEOUT = 5.0
MAX_PENDING_CALLBACKS = 1000
# The control lines (JOIN, TOPIC, WHO...) share the flood queue under this target, which
# no nick or channel can be.
CONTROL_TARGET = ""

_NICK_REJECTED = frozenset(
    {"nicknameinuse", "erroneusnickname", "unavailresource", "nickcollision"}
)
_JOIN_REFUSED = frozenset(
    {
        "nosuchchannel",
        "toomanychannels",
        "channelisfull",
        "inviteonlychan",
        "bannedfromchan",
        "badchannelkey",
        "badchanmask",
        "nochanmodes",  # 477: on modern servers "you need a registered nick to join"
    }
)
_SASL_FAILED = frozenset({"saslfail", "sasltoolong", "saslaborted", "nicklocked"})
# Events whose sender's account-tag (or its absence) tells us their current account.
_TAGGED_EVENTS = frozenset(
    {"privmsg", "pubmsg", "privnotice", "pubnotice", "ctcp", "action", "join"}
)


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

# The irc library logs every line it reads or writes at DEBUG, the sender's nick and host
# beside what they wrote ("source: alice!~alice@host arguments: ['pitch ...']"): a log at
# DEBUG would pair nicks with pitches. Its loggers are kept at INFO whatever the bot's level.
LIBRARY_LOG_LEVEL = logging.INFO


@dataclass
class _Member:
    """A user sharing at least one channel with the bot."""

    nick: str
    channels: set[str] = field(default_factory=set)
    account: str | None = None
    account_known: bool = False


class _Features(FeatureSet):
    # The library's ISUPPORT parser raises on values it does not expect, which would lose
    # the whole 005 line; we parse what we need ourselves, so ignore what it cannot.
    def load_feature(self, feature: str) -> None:
        with contextlib.suppress(ValueError, IndexError):
            super().load_feature(feature)


class _Protocol(IrcProtocol):
    def __init__(self, connection: _Connection, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(connection, loop)
        self.transport: asyncio.BaseTransport | None = None
        self.closed: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        # AioConnection.connect only sets this once it resumes; a reply arriving in between
        # must already be answerable.
        self.connection.transport = transport
        # CAP LS must reach the server before NICK/USER, which AioConnection.connect sends
        # right after this returns: it makes IRCv3 servers hold registration until CAP END.
        # Servers without CAP answer 421 and register as usual.
        transport.write(b"CAP LS 302\r\n")  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        # Only the current socket may tear the connection down: a late notice from the
        # previous one must not disconnect its replacement.
        if self.connection.transport is self.transport:
            self.connection.disconnect(f"connection lost: {exc}" if exc else "closed by server")


class _Connection(AioConnection):
    protocol_class = _Protocol
    # Servers relay whatever bytes users send; fall back to latin-1 instead of raising.
    buffer_class = buffer.LenientDecodingLineBuffer
    transport: Any = None
    protocol: Any = None

    def __init__(self, reactor: AioReactor) -> None:
        super().__init__(reactor)
        self.features = _Features()
        # Set by IrcConnection: handles a plain PRIVMSG given (source, target, text).
        self.on_plain_privmsg: Callable[[str, str, str], None] | None = None

    def process_data(self, new_data: bytes) -> None:
        self.buffer.feed(new_data)
        for line in self.buffer:
            if not line:
                continue
            try:
                if not self._plain_privmsg(line):
                    self._process_line(line)
            except Exception as exc:
                # asyncio closes the transport when data_received raises: one malformed
                # line (or a bug in a handler) must cost that line, not the connection.
                logger.warning("could not process a line from the server: %s", _where(exc))

    def _plain_privmsg(self, line: str) -> bool:
        """Hand the most frequent line, ``:nick!user@host PRIVMSG target :text``, straight
        to its handler; the library's general parser (regular expressions, CTCP dequoting,
        an event through the reactor) costs several times more. Anything unusual (tags,
        CTCP, CTCP quoting) is left to the library."""
        handler = self.on_plain_privmsg
        if handler is None or not line.startswith(":"):
            return False
        parts = line.split(" ", 3)
        if len(parts) != 4 or parts[1] != "PRIVMSG" or "!" not in parts[0]:
            return False
        text = parts[3]
        if text.startswith(":"):
            text = text[1:]
        elif " " in text:
            return False
        if "\x01" in text or "\x10" in text or not text:
            return False
        handler(parts[0][1:], parts[2], text)
        return True

    def send_raw(self, string: str) -> None:
        # Unlike the library's version this never logs the line: it may hold a password.
        if self.transport is None:
            raise ServerNotConnectedError("Not connected.")
        if self.transport.is_closing():
            return
        self.transport.write(self._prep_message(string))


class _Reactor(AioReactor):
    connection_class = _Connection


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
        self.on_message = on_message
        self.on_join = on_join
        self.on_ready = on_ready
        self.on_gone = on_gone
        self._environ = os.environ if environ is None else environ
        self._base_delay = reconnect_base_delay
        self._connect_timeout = connect_timeout
        self._join_timeout = join_timeout
        self._rng = rng or random.Random()
        self._flood = FloodQueue(
            self._write_queued,
            burst=settings.burst,
            rate=settings.rate,
            max_per_target=max_queued_per_target,
            can_see=self._can_see,
            name=f"irc-{settings.name}-flood",
        )
        self._flood.pause()

        self._reactor: _Reactor | None = None
        self._conn: _Connection | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._link_tasks: set[asyncio.Task[None]] = set()
        self._callback_tasks: set[asyncio.Task[None]] = set()
        self._chains: dict[object, asyncio.Task[None]] = {}
        self._stopping = False
        self._ready = asyncio.Event()
        self._link_down = asyncio.Event()

        # Channels to be in: the configured ones plus any join()ed since, rejoined after
        # every reconnect. Keyed by folded name.
        self._wanted: dict[str, str] = {}
        for channel in settings.channels:
            self._wanted.setdefault(irc_lower(channel), channel)

        self.ready_count = 0
        # The outage in progress: since when (loop time) the network has been unreachable,
        # when the log last said so, and the reasons it gave.
        self._away_since: float | None = None
        self._away_noted_at = 0.0
        self._away_reasons: set[str] = set()
        self._reset_link_state()

    # ----------------------------------------------------------------- public API

    @property
    def network(self) -> str:
        return self.settings.name

    @property
    def connected(self) -> bool:
        """True while registered with the server (not merely TCP-connected)."""
        return self._link_up and self._registered

    @property
    def ready(self) -> bool:
        """True once registered and done joining; False again after a disconnect."""
        return self._ready.is_set()

    @property
    def current_nick(self) -> str:
        if self._conn is not None and self._registered:
            return self._conn.get_nickname()
        return self.settings.nick

    @property
    def channels(self) -> list[str]:
        """Channels the bot is in right now."""
        return list(self._joined.values())

    async def start(self) -> None:
        """Begin connecting in the background; returns immediately."""
        if self._supervisor is not None:
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
        loop = asyncio.get_running_loop()
        self._reactor = _Reactor(loop=loop)
        self._conn = self._reactor.server()
        self._conn.on_plain_privmsg = self._on_plain_privmsg
        self._reactor.add_global_handler("all_events", self._on_event, 0)
        self._flood.start()
        self._supervisor = loop.create_task(
            self._supervise(), name=f"irc-{self.network}-supervisor"
        )

    async def wait_ready(self) -> None:
        """Wait until registered and joined (bound it with `asyncio.timeout`)."""
        await self._ready.wait()

    @property
    def started(self) -> bool:
        """Whether `start` was called (a connection is started once: make a new one)."""
        return self._supervisor is not None or self._stopping

    @property
    def stopped(self) -> bool:
        return self._stopping

    async def stop(self, message: str = "Dynamo bot shutting down", grace: float = 2.0) -> None:
        """Finish in-flight callbacks and queued lines (each within `grace` seconds),
        QUIT, and cancel every task this connection runs."""
        if self._stopping:
            return
        self._stopping = True  # no new callbacks from here on
        if self._callback_tasks:
            # In-flight commands may still queue their replies.
            _done, pending = await asyncio.wait(list(self._callback_tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.connected:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    await self._flood.drain()
        closed = self._protocol_closed()
        if self._link_up and self._conn is not None:
            self._conn.disconnect(sanitize(message))
        if closed is not None:
            # Let the transport finish closing so its socket does not outlive the loop.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(closed), grace)
        tasks = [t for t in (self._supervisor, *self._link_tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._link_tasks.clear()
        await self._flood.close()
        logger.info("irc[%s]: stopped", self.network)

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
        return await self._send_text("PRIVMSG", target, text, wait, stranger, charge)

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
        return await self._send_text("NOTICE", target, text, wait, stranger, charge)

    def room(self, target: str, command: str = "PRIVMSG") -> int:
        """How many bytes of text fit in one `command` line to `target`, whatever prefix
        the server puts before it when relaying."""
        return LINE_LIMIT - PREFIX_RESERVE - len(f"{command} {target} :".encode())

    def fold(self, name: str) -> str:
        """A nick, channel or account folded the way this server compares them (its
        CASEMAPPING; rfc1459 until it has said)."""
        return irc_lower(name, self._casemapping)

    async def join(self, channel: str) -> None:
        """Join `channel` now (or on connecting) and after every reconnect."""
        _check_name(channel, channel=True)
        key = self._fold(channel)
        self._wanted.setdefault(key, channel)
        if self._registered and key not in self._joined:
            self._flood.put(CONTROL_TARGET, f"JOIN {channel}")

    async def set_topic(self, channel: str, text: str) -> None:
        """Set the topic (needs the right to: channel operator, or mode -t)."""
        _check_name(channel, channel=True)
        room = LINE_LIMIT - PREFIX_RESERVE - len(f"TOPIC {channel} :".encode())
        topic = truncate_bytes(text, min(room, self._topiclen))
        self._flood.put(CONTROL_TARGET, f"TOPIC {channel} :{topic}")

    def identity_of(self, nick: str) -> str | None:
        """The identity key of `nick`: its folded nick, or (identity="account") the folded
        services account, None when not logged in or not known."""
        if self.settings.identity == "nick":
            return self._fold(nick)
        member = self._members.get(self._fold(nick))
        if member is None or member.account is None:
            return None
        return self._fold(member.account)

    def nick_of(self, identity_key: str) -> str | None:
        """The current nick of someone with this identity who shares a channel with the
        bot, or None (the member is offline as far as the bot can see)."""
        key = self._fold(identity_key)
        if self.settings.identity == "nick":
            member = self._members.get(key)
            return member.nick if member is not None else None
        for member in self._members.values():
            if member.account is not None and self._fold(member.account) == key:
                return member.nick
        return None

    def is_online(self, identity_key: str) -> bool:
        """Whether someone with this identity shares a channel with the bot right now.

        Users who share no channel are invisible to a client (no QUIT reaches us), so
        they count as offline even if they are on the network.
        """
        key = self._fold(identity_key)
        if self.settings.identity == "nick":
            return key in self._members
        return any(
            m.account is not None and self._fold(m.account) == key for m in self._members.values()
        )

    # ------------------------------------------------------- connection lifecycle

    def _reset_link_state(self) -> None:
        self._link_up = False
        self._registered = False
        self._registered_at: float | None = None
        self._last_received = 0.0
        self._ping_outstanding = False
        self._caps_offered: dict[str, str | None] = {}
        self._caps_enabled: set[str] = set()
        self._cap_negotiating = False
        self._sasl_state = "off"  # off -> requested -> mechanism -> sent -> done | failed
        self._nick_candidates: Iterator[str] = self._nick_sequence()
        self._joined: dict[str, str] = {}
        self._join_pending: dict[str, str] = {}
        self._names_pending: dict[str, dict[str, str]] = {}
        self._members: dict[str, _Member] = {}
        self._whois_pending: dict[str, asyncio.Future[str | None]] = {}
        self._whois_found: dict[str, str | None] = {}
        self._casemapping = "rfc1459"
        self._prefix_chars = "~&@%+"
        self._statusmsg = ""
        self._whox = False
        self._topiclen = 390

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        attempt = 0
        while not self._stopping:
            try:
                await self._open()
                await self._link_down.wait()
            except (OSError, TimeoutError) as exc:
                # ssl.SSLError (bad certificate) is an OSError too.
                self._note_away(
                    f"could not connect to {self.settings.host}:{self.settings.port}: "
                    f"{exc or type(exc).__name__}"
                )
                self._close_half_open()
            except Exception:
                # Whatever went wrong, the bot must keep trying: it runs for months.
                logger.exception("irc[%s]: unexpected error in the connection", self.network)
                self._drop("Internal error")
                self._close_half_open()
            if self._stopping:
                break
            registered_at = self._registered_at
            if registered_at is not None and loop.time() - registered_at >= STABLE_AFTER:
                attempt = 0
            delay = backoff_delay(
                attempt,
                base=self._base_delay,
                cap=self.settings.reconnect_max_delay,
                rng=self._rng,
            )
            attempt += 1
            logger.debug("irc[%s]: reconnecting in %.2fs", self.network, delay)
            await asyncio.sleep(delay)

    async def _open(self) -> None:
        assert self._conn is not None
        self._reset_link_state()
        self._link_down.clear()
        settings = self.settings
        if settings.tls:
            factory = AioFactory(ssl=self._tls_context(), server_hostname=settings.host)
        else:
            factory = AioFactory()
        # Every attempt while the network is away would say it again: the outage is logged
        # by _note_away, and its end by _become_ready.
        logger.log(
            logging.DEBUG if self._away_since is not None else logging.INFO,
            "irc[%s]: connecting to %s:%d%s",
            self.network,
            settings.host,
            settings.port,
            " (TLS)" if settings.tls else "",
        )
        self._cap_negotiating = True
        # asyncio.timeout, not wait_for: wait_for can swallow stop()'s cancellation (3.11).
        async with asyncio.timeout(self._connect_timeout):
            await self._conn.connect(
                settings.host,
                settings.port,
                next(self._nick_candidates),
                username=settings.nick,
                ircname=settings.realname,
                connect_factory=factory,
            )
        if not self._conn.connected:
            # The server hung up before connect() even returned.
            raise ConnectionResetError("connection closed during registration")
        loop = asyncio.get_running_loop()
        self._link_up = True
        self._last_received = loop.time()
        self._spawn_link_task(self._keepalive(), "keepalive")

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.settings.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _close_half_open(self) -> None:
        # A failed or timed-out connect may leave a transport behind: close it.
        if self._conn is not None and self._conn.transport is not None:
            with contextlib.suppress(Exception):
                self._conn.transport.close()

    def _protocol_closed(self) -> asyncio.Future[None] | None:
        protocol = self._conn.protocol if self._conn is not None else None
        return protocol.closed if isinstance(protocol, _Protocol) else None

    def _drop(self, reason: str) -> None:
        if self._conn is not None and self._conn.connected:
            self._conn.disconnect(reason)  # fires the "disconnect" event
        elif self._link_up:
            # The library already considers itself disconnected; make sure we do too, or
            # the supervisor would wait forever for an event that never comes.
            self._on_disconnect(Event("disconnect", self.settings.host, "", [reason]))

    def _on_disconnect(self, event: Event) -> None:
        # Only the current socket can produce this event (see _Protocol.connection_lost),
        # so it always ends the current attempt, even one still in connect().
        self._link_down.set()
        if not self._link_up:
            return
        reason = event.arguments[0] if event.arguments else ""
        said = f"disconnected ({reason})" if reason else "disconnected"
        if self._stopping:
            logger.info("irc[%s]: %s", self.network, said)
        else:
            self._note_away(said)
        self._link_up = False
        self._registered = False
        self._ready.clear()
        self._flood.pause()
        current = asyncio.current_task()
        for task in self._link_tasks:
            if task is not current:
                task.cancel()
        for future in self._whois_pending.values():
            if not future.done():
                future.set_result(None)
        self._whois_pending.clear()
        # Membership is unknown while away; NAMES rebuilds it after the rejoin.
        self._members.clear()
        self._joined.clear()

    async def _keepalive(self) -> None:
        """PING when the server is quiet; drop the link when it stays silent too long."""
        loop = asyncio.get_running_loop()
        timeout = self.settings.ping_timeout
        period = min(timeout / 4, 15.0)
        while self._link_up:
            await asyncio.sleep(period)
            idle = loop.time() - self._last_received
            if idle >= timeout:
                logger.warning(
                    "irc[%s]: nothing from the server for %.1fs; reconnecting", self.network, idle
                )
                self._drop("Ping timeout")
                return
            if idle >= timeout / 2 and self._registered and not self._ping_outstanding:
                self._ping_outstanding = True
                self._send_now("PING :keepalive")

    def _spawn_link_task(self, coro: Awaitable[None], what: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(f"irc-{self.network}-{what}")
        self._link_tasks.add(task)
        task.add_done_callback(self._link_tasks.discard)

    # ------------------------------------------------------------------ sending

    def _send_now(self, line: str) -> None:
        """Write a line at once, bypassing the queue: registration, PONG, QUIT, auth."""
        if self._conn is None:
            return
        try:
            self._conn.send_raw(line)
        except ServerNotConnectedError:
            logger.debug("irc[%s]: not connected; line not sent", self.network)

    def _write_queued(self, line: str) -> bool:
        conn = self._conn
        if not self.connected or conn is None or conn.transport is None:
            return False
        if conn.transport.is_closing():
            return False
        conn.send_raw(line)
        return True

    async def _send_text(
        self,
        command: str,
        target: str,
        text: str,
        wait: bool,
        stranger: bool,
        charge: str | None,
    ) -> int:
        _check_name(target, channel=None)
        if charge is not None:
            _check_name(charge, channel=False)
        pieces = split_message(text, self.room(target, command))
        to = None if target[0] in _CHANNEL_STARTS else self._fold(target)
        key = self._fold(charge) if charge is not None else self._fold(target)
        waiter = None
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            waiter = self._flood.put(
                key, f"{command} {target} :{piece}", wait=wait and last, stranger=stranger, to=to
            )
        if waiter is not None:
            await waiter
        return len(pieces)

    # ------------------------------------------------------------ event routing

    def _on_event(self, conn: _Connection, event: Event) -> None:
        if conn is not self._conn:
            return
        try:
            if event.type == "all_raw_messages":
                self._note_received()
                return
            handler = self._handlers.get(str(event.type))
            if handler is not None:
                handler(self, event)
            if event.type in _TAGGED_EVENTS and "account-tag" in self._caps_enabled:
                # extended-join states the account outright; a JOIN without the tag from
                # a server that forgot to tag it must not undo that.
                if not (event.type == "join" and "extended-join" in self._caps_enabled):
                    self._note_account_tag(event)
        except Exception as exc:
            logger.warning(
                "irc[%s]: failed to handle a %s event: %s", self.network, event.type, _where(exc)
            )

    # ---------------------------------------------------- registration and auth

    def _password(self) -> str | None:
        name = self.settings.password_env
        if not name:
            return None
        password = self._environ.get(name)
        if password and any(ch in password for ch in "\r\n\0"):
            logger.error("irc[%s]: %s contains a line break; not using it", self.network, name)
            return None
        return password or None

    def _on_cap(self, event: Event) -> None:
        args = list(event.arguments)
        if not args:
            return
        sub = args[0].upper()
        caps = _parse_caps(args[-1]) if len(args) > 1 else {}
        if sub == "LS":
            self._caps_offered.update(caps)
            if len(args) > 2 and args[1] == "*":
                return  # CAP LS 302 continues on another line
            self._request_caps()
        elif sub == "ACK":
            self._caps_enabled.update(caps)
            if "sasl" in caps and self._sasl_state == "requested":
                self._sasl_state = "mechanism"
                self._send_now("AUTHENTICATE PLAIN")
            else:
                self._cap_end()
        elif sub == "NAK":
            logger.info("irc[%s]: server refused capabilities %s", self.network, " ".join(caps))
            if self._sasl_state == "requested":
                self._sasl_state = "off"
            self._cap_end()
        elif sub == "NEW":
            self._caps_offered.update(caps)
            wanted = sorted(c for c in caps if c in WANTED_CAPS and c not in self._caps_enabled)
            if wanted:
                self._send_now("CAP REQ :" + " ".join(wanted))
        elif sub == "DEL":
            self._caps_enabled.difference_update(caps)

    def _request_caps(self) -> None:
        wanted = {cap for cap in WANTED_CAPS if cap in self._caps_offered}
        if self.settings.sasl and self._password() and "sasl" in self._caps_offered:
            mechanisms = self._caps_offered["sasl"]
            if mechanisms is None or "PLAIN" in mechanisms.upper().split(","):
                wanted.add("sasl")
                self._sasl_state = "requested"
            else:
                logger.warning("irc[%s]: server offers no SASL PLAIN", self.network)
        if wanted:
            self._send_now("CAP REQ :" + " ".join(sorted(wanted)))
        else:
            self._cap_end()

    def _cap_end(self) -> None:
        if self._cap_negotiating and not self._registered:
            self._send_now("CAP END")
        self._cap_negotiating = False

    def _on_authenticate(self, event: Event) -> None:
        if self._sasl_state != "mechanism" or event.target != "+":
            return
        password = self._password() or ""
        login = self.settings.sasl_login
        payload = base64.b64encode(f"{login}\0{login}\0{password}".encode()).decode()
        # AUTHENTICATE carries at most 400 bytes; a payload of exactly a multiple of 400
        # is terminated by "+".
        chunks = [payload[i : i + 400] for i in range(0, len(payload), 400)]
        if len(payload) % 400 == 0:
            chunks.append("+")
        for chunk in chunks:
            self._send_now(f"AUTHENTICATE {chunk}")
        self._sasl_state = "sent"

    def _on_sasl_success(self, event: Event) -> None:
        if self._sasl_state in ("mechanism", "sent"):
            self._sasl_state = "done"
            logger.info("irc[%s]: SASL authentication succeeded", self.network)
            self._cap_end()

    def _on_sasl_failure(self, event: Event) -> None:
        if self._sasl_state in ("mechanism", "sent"):
            self._sasl_state = "failed"
            logger.warning("irc[%s]: SASL authentication failed (%s)", self.network, event.type)
            self._cap_end()

    def _on_logged_in(self, event: Event) -> None:
        # 900 <nick> <mask> <account> :You are now logged in as <account>
        account = event.arguments[1] if len(event.arguments) > 1 else "?"
        logger.info("irc[%s]: logged in to services as %s", self.network, account)

    def _nick_sequence(self) -> Iterator[str]:
        base = self.settings.nick
        yield base
        yield from self.settings.alt_nicks
        for underscores in range(1, 4):
            yield base + "_" * underscores
        while True:
            yield f"{base[:6]}{self._rng.randrange(1000):03d}"

    def _on_nick_rejected(self, event: Event) -> None:
        if self._registered:
            # Our regain attempt failed: the nick is still taken. Try again later.
            logger.debug("irc[%s]: nick %s still unavailable", self.network, self.settings.nick)
            return
        nick = next(self._nick_candidates)
        logger.info("irc[%s]: nick taken or refused; trying %s", self.network, nick)
        self._send_now(f"NICK {nick}")

    def _on_unknown_command(self, event: Event) -> None:
        if event.arguments and event.arguments[0].upper() == "CAP":
            # A server without IRCv3 registers us without waiting for CAP END.
            self._cap_negotiating = False

    def _on_welcome(self, event: Event) -> None:
        loop = asyncio.get_running_loop()
        self._registered = True
        self._registered_at = loop.time()
        self._cap_negotiating = False
        logger.info("irc[%s]: registered as %s", self.network, self.current_nick)
        password = self._password()
        if password and self._sasl_state not in ("done", "failed"):
            # Before any JOIN, so channels that need an identified nick let us in.
            self._send_now(f"PRIVMSG NickServ :IDENTIFY {self.settings.sasl_login} {password}")
        self._join_pending = dict(self._wanted)
        for line in _join_lines(list(self._wanted.values())):
            self._send_now(line)
        self._flood.resume()
        self._spawn_link_task(self._regain_loop(), "regain")
        if self._join_pending:
            self._spawn_link_task(self._join_deadline(), "join-deadline")
        else:
            self._become_ready()

    def _on_isupport(self, event: Event) -> None:
        for token in event.arguments[:-1]:
            name, _, value = token.partition("=")
            name = name.upper()
            if name == "CASEMAPPING" and value and value.lower() != self._casemapping:
                self._casemapping = value.lower()
                self._refold()
            elif name == "PREFIX" and ")" in value:
                self._prefix_chars = value.split(")", 1)[1]
            elif name == "STATUSMSG":
                self._statusmsg = value
            elif name == "WHOX":
                self._whox = True
            elif name == "-WHOX":
                self._whox = False
            elif name == "TOPICLEN" and value.isdigit():
                self._topiclen = int(value)

    def _refold(self) -> None:
        """Re-key by the new casemapping: 005 arrives after we started joining."""
        self._wanted = {self._fold(name): name for name in self._wanted.values()}
        self._join_pending = {self._fold(name): name for name in self._join_pending.values()}
        old_joined = self._joined
        self._joined = {self._fold(name): name for name in old_joined.values()}
        self._names_pending.clear()
        members = list(self._members.values())
        self._members = {}
        for member in members:
            member.channels = {self._fold(old_joined.get(c, c)) for c in member.channels}
            self._members[self._fold(member.nick)] = member

    def _on_error(self, event: Event) -> None:
        reason = event.target or (event.arguments[0] if event.arguments else "")
        if self._stopping:
            logger.info("irc[%s]: server closed the link: %s", self.network, reason)
        else:
            self._note_away(f"server closed the link: {reason}")

    def _note_away(self, what: str) -> None:
        """Log why the network is unreachable: at WARNING when an outage starts, for each
        new reason during it, and every AWAY_REMINDER it lasts; at DEBUG for every retry
        that fails the same way (a night-long outage would otherwise fill the log)."""
        now = asyncio.get_running_loop().time()
        if self._away_since is None:
            self._away_since, self._away_noted_at, self._away_reasons = now, now, {what}
            logger.warning(
                "irc[%s]: %s; reconnecting, at growing intervals of up to %.0f s",
                self.network,
                what,
                self.settings.reconnect_max_delay,
            )
        elif what not in self._away_reasons:
            self._away_reasons.add(what)
            self._away_noted_at = now
            logger.warning("irc[%s]: %s", self.network, what)
        elif now - self._away_noted_at >= AWAY_REMINDER:
            self._away_noted_at = now
            logger.warning(
                "irc[%s]: still away after %s: %s",
                self.network,
                spoken(now - self._away_since),
                what,
            )
        else:
            logger.debug("irc[%s]: %s", self.network, what)

    async def _join_deadline(self) -> None:
        await asyncio.sleep(self._join_timeout)
        if self._registered and not self._ready.is_set():
            missing = ", ".join(sorted(self._join_pending.values()))
            logger.warning("irc[%s]: no join confirmation for %s", self.network, missing)
            self._join_pending.clear()
            self._become_ready()

    def _become_ready(self) -> None:
        if self._ready.is_set():
            return
        self._ready.set()
        self.ready_count += 1
        logger.info("irc[%s]: ready in %d channel(s)", self.network, len(self._joined))
        if self._away_since is not None:
            # Measured from the first failure to being back in the channels. What the bot
            # then delivers is the outbox dispatcher's to say.
            away = spoken(asyncio.get_running_loop().time() - self._away_since)
            self._away_since = None
            self._away_reasons = set()
            if self.ready_count > 1:
                logger.info("irc[%s]: back after %s", self.network, away)
            else:
                logger.info("irc[%s]: connected after %s of trying", self.network, away)
        if self.on_ready is not None:
            callback = self.on_ready
            self._dispatch(("ready",), lambda: callback(self.network), "on_ready")

    async def _regain_loop(self) -> None:
        while self._registered:
            await asyncio.sleep(self.settings.regain_nick_interval)
            self._try_regain()

    def _try_regain(self) -> None:
        wanted = self.settings.nick
        if self._registered and self._fold(self.current_nick) != self._fold(wanted):
            self._send_now(f"NICK {wanted}")

    # ------------------------------------------------------- membership tracking

    def _fold(self, name: str) -> str:
        return irc_lower(name, self._casemapping)

    def _is_me(self, nick: str) -> bool:
        return self._conn is not None and self._fold(nick) == self._fold(self.current_nick)

    def _member(self, nick: str) -> _Member:
        key = self._fold(nick)
        member = self._members.get(key)
        if member is None:
            member = self._members[key] = _Member(nick)
        else:
            member.nick = nick
        return member

    def _leave(self, nick: str, channel_key: str) -> None:
        key = self._fold(nick)
        member = self._members.get(key)
        if member is None:
            return
        member.channels.discard(channel_key)
        if not member.channels:
            del self._members[key]
            self._departed(nick)

    def _can_see(self, key: str) -> bool:
        return key in self._members

    def _departed(self, nick: str) -> None:
        """`nick` quit, changed nick or shares no channel any more: what was meant for it
        must not reach whoever holds it next."""
        key = self._fold(nick)
        self._flood.forget(key)
        callback = self.on_gone

        async def after_callbacks_in_flight() -> None:
            # A command of this nick's may still be running and queue its reply: this runs
            # after it (same chain), and drops that reply too.
            self._flood.forget(key)
            if callback is not None:
                await callback(self.network, nick)

        self._dispatch(("nick", key), after_callbacks_in_flight, "on_gone")

    def _set_account(self, nick: str, account: str | None) -> None:
        member = self._members.get(self._fold(nick))
        if member is not None:
            member.account = account
            member.account_known = True

    def _on_join(self, event: Event) -> None:
        nick = event.source.nick
        channel = event.target
        key = self._fold(channel)
        if self._is_me(nick):
            self._joined[key] = channel
            self._names_pending[key] = {}
            logger.info("irc[%s]: joined %s", self.network, channel)
            return
        member = self._member(nick)
        member.channels.add(key)
        if "extended-join" in self._caps_enabled and event.arguments:
            account = event.arguments[0]
            self._set_account(nick, None if account == "*" else account)
        if self.on_join is not None:
            callback = self.on_join

            async def deliver() -> None:
                identity = await self._resolve_identity(nick)
                await callback(self.network, nick, identity, channel)

            self._dispatch(("nick", self._fold(nick)), deliver, "on_join")

    def _on_part(self, event: Event) -> None:
        self._on_leave(event.source.nick, event.target)

    def _on_kick(self, event: Event) -> None:
        if event.arguments:
            self._on_leave(event.arguments[0], event.target)

    def _on_leave(self, nick: str, channel: str) -> None:
        key = self._fold(channel)
        if self._is_me(nick):
            logger.info("irc[%s]: left %s", self.network, channel)
            self._joined.pop(key, None)
            self._names_pending.pop(key, None)
            for other in list(self._members.values()):
                self._leave(other.nick, key)
            return
        self._leave(nick, key)

    def _on_quit(self, event: Event) -> None:
        nick = event.source.nick
        if self._members.pop(self._fold(nick), None) is not None:
            self._departed(nick)
        if self._fold(nick) == self._fold(self.settings.nick):
            self._try_regain()

    def _on_nick(self, event: Event) -> None:
        old, new = event.source.nick, event.target
        # The library has already renamed us when this runs, so compare the new nick.
        if self._is_me(new):
            logger.info("irc[%s]: now known as %s", self.network, new)
            return
        member = self._members.pop(self._fold(old), None)
        if member is not None:
            member.nick = new
            self._members[self._fold(new)] = member
            if self._fold(old) != self._fold(new):
                self._departed(old)
        if self._fold(old) == self._fold(self.settings.nick):
            self._try_regain()

    def _on_account(self, event: Event) -> None:
        account = event.target
        self._set_account(event.source.nick, None if account in ("*", None) else account)

    def _note_account_tag(self, event: Event) -> None:
        source = event.source
        if not source or "!" not in source:
            return
        self._set_account(source.nick, _tag(event, "account"))

    def _on_namreply(self, event: Event) -> None:
        # 353 <me> <symbol> <channel> :[prefixes]nick ...
        if len(event.arguments) < 3:
            return
        key = self._fold(event.arguments[1])
        if key not in self._joined:
            return
        pending = self._names_pending.setdefault(key, {})
        for token in event.arguments[2].split():
            nick = token.lstrip(self._prefix_chars).split("!", 1)[0]
            if nick:
                pending[self._fold(nick)] = nick

    def _on_endofnames(self, event: Event) -> None:
        if not event.arguments:
            return
        channel = event.arguments[0]
        key = self._fold(channel)
        names = self._names_pending.pop(key, None)
        if names is not None and key in self._joined:
            for member_key, member in list(self._members.items()):
                if key in member.channels and member_key not in names:
                    self._leave(member.nick, key)
            for nick in names.values():
                if not self._is_me(nick):
                    self._member(nick).channels.add(key)
            if self.settings.identity == "account" and self._whox:
                self._flood.put(CONTROL_TARGET, f"WHO {channel} %tna,{WHOX_TOKEN}")
        self._channel_settled(key)

    def _on_join_refused(self, event: Event) -> None:
        if not event.arguments:
            return
        channel = event.arguments[0]
        key = self._fold(channel)
        if key in self._join_pending:
            logger.warning("irc[%s]: cannot join %s (%s)", self.network, channel, event.type)
            self._channel_settled(key)

    def _channel_settled(self, key: str) -> None:
        if key in self._join_pending:
            del self._join_pending[key]
            if not self._join_pending:
                self._become_ready()

    def _on_whox(self, event: Event) -> None:
        # 354 <me> <token> <nick> <account>; account "0" means not logged in.
        args = event.arguments
        if len(args) >= 3 and args[0] == WHOX_TOKEN:
            self._set_account(args[1], None if args[2] == "0" else args[2])

    # ------------------------------------------------------- identity lookups

    async def _resolve_identity(self, nick: str) -> str | None:
        if self.settings.identity == "nick":
            return self._fold(nick)
        member = self._members.get(self._fold(nick))
        if member is not None and member.account_known:
            return self.identity_of(nick)
        account = await self._whois_account(nick)
        return self._fold(account) if account else None

    async def _whois_account(self, nick: str) -> str | None:
        if not self.connected:
            return None
        key = self._fold(nick)
        future = self._whois_pending.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._whois_pending[key] = future
            self._whois_found[key] = None
            self._flood.put(CONTROL_TARGET, f"WHOIS {nick}")
        try:
            return await asyncio.wait_for(asyncio.shield(future), WHOIS_TIMEOUT)
        except TimeoutError:
            if self._whois_pending.get(key) is future:
                del self._whois_pending[key]
                future.set_result(None)
            return None

    def _on_whoisaccount(self, event: Event) -> None:
        # 330 <me> <nick> <account> :is logged in as
        if len(event.arguments) >= 2:
            nick, account = event.arguments[0], event.arguments[1]
            self._whois_found[self._fold(nick)] = account
            self._set_account(nick, account)

    def _on_endofwhois(self, event: Event) -> None:
        if not event.arguments:
            return
        nick = event.arguments[0]
        key = self._fold(nick)
        account = self._whois_found.pop(key, None)
        if account is None:
            self._set_account(nick, None)
        future = self._whois_pending.pop(key, None)
        if future is not None and not future.done():
            future.set_result(account)

    def _on_nosuchnick(self, event: Event) -> None:
        if event.arguments:
            key = self._fold(event.arguments[0])
            self._whois_found.pop(key, None)
            future = self._whois_pending.pop(key, None)
            if future is not None and not future.done():
                future.set_result(None)

    # ------------------------------------------------------------- messages

    def _on_privmsg(self, event: Event) -> None:
        source = event.source
        if not source or "!" not in source or not event.arguments:
            return
        account = _tag(event, "account") if "account-tag" in self._caps_enabled else None
        self._privmsg(source.nick, source.userhost, event.target, event.arguments[0], account)

    def _on_plain_privmsg(self, source: str, target: str, text: str) -> None:
        """A PRIVMSG without tags (see _Connection._plain_privmsg)."""
        self._note_received()
        nick, _, userhost = source.partition("!")
        if "account-tag" in self._caps_enabled:
            # No tag: not logged in (what _on_event notes for a tagged event without one).
            self._set_account(nick, None)
        self._privmsg(nick, userhost, target, text, None)

    def _privmsg(
        self, nick: str, userhost: str, target: str, text: str, account: str | None
    ) -> None:
        folded, me = self._fold(nick), self._fold(self.current_nick)
        if folded == me or self.on_message is None:
            return
        private = self._fold(target) == me
        if not private:
            target = target.lstrip(self._statusmsg) or target
        callback = self.on_message
        key = ("nick", folded)
        identity: str | None = None
        if self.settings.identity == "nick":
            identity = folded
        elif "account-tag" in self._caps_enabled:
            identity = self._fold(account) if account else None
        else:

            async def resolved() -> None:
                found = await self._resolve_identity(nick)
                await callback(
                    IncomingMessage(self.network, nick, found, target, text, private, userhost)
                )

            self._dispatch(key, resolved, "on_message")
            return
        message = IncomingMessage(self.network, nick, identity, target, text, private, userhost)
        self._dispatch(key, lambda: callback(message), "on_message")

    def _note_received(self) -> None:
        self._last_received = asyncio.get_running_loop().time()
        self._ping_outstanding = False

    def _dispatch(self, key: object, factory: Callable[[], Awaitable[None]], what: str) -> None:
        """Run a callback as a task, after the previous one with the same key (in the order
        the server sent them)."""
        if self._stopping:
            return
        if len(self._callback_tasks) >= MAX_PENDING_CALLBACKS:
            logger.warning("irc[%s]: too many pending callbacks; dropped a %s", self.network, what)
            return
        previous = self._chains.get(key)
        name = f"irc-{self.settings.name}-{what}"
        if previous is None or previous.done():
            # Nothing to wait for: start it now, so a command that never waits is answered
            # within the data_received call that brought it (see bot/eager.py).
            task = eager.start(self._run_callback(None, factory, what), name=name)
        else:
            task = asyncio.get_running_loop().create_task(
                self._run_callback(previous, factory, what), name=name
            )
        self._chains[key] = task
        self._callback_tasks.add(task)
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
        self._callback_tasks.discard(task)
        if self._chains.get(key) is task:
            del self._chains[key]

    _handlers: dict[str, Callable[[IrcConnection, Event], None]] = {
        "disconnect": _on_disconnect,
        "error": _on_error,
        "cap": _on_cap,
        "authenticate": _on_authenticate,
        "saslsuccess": _on_sasl_success,
        "saslalready": _on_sasl_success,
        **dict.fromkeys(_SASL_FAILED, _on_sasl_failure),
        "loggedin": _on_logged_in,
        **dict.fromkeys(_NICK_REJECTED, _on_nick_rejected),
        "unknowncommand": _on_unknown_command,
        "welcome": _on_welcome,
        "featurelist": _on_isupport,
        "join": _on_join,
        "part": _on_part,
        "kick": _on_kick,
        "quit": _on_quit,
        "nick": _on_nick,
        "account": _on_account,
        "namreply": _on_namreply,
        "endofnames": _on_endofnames,
        **dict.fromkeys(_JOIN_REFUSED, _on_join_refused),
        "whospcrpl": _on_whox,
        "whoisaccount": _on_whoisaccount,
        "endofwhois": _on_endofwhois,
        "nosuchnick": _on_nosuchnick,
        "privmsg": _on_privmsg,
        "pubmsg": _on_privmsg,
    }


def quiet_library_loggers() -> None:
    """Keep the irc library's loggers at INFO or above (see LIBRARY_LOG_LEVEL), through the
    standard logging API: "irc" itself (what its modules inherit) and any of its modules'
    loggers someone set lower."""
    library = logging.getLogger("irc")
    if library.level < LIBRARY_LOG_LEVEL:
        # Set, not inherited: the bot's own level may be lowered later (and NOTSET is 0).
        library.setLevel(max(LIBRARY_LOG_LEVEL, library.getEffectiveLevel()))
    # A copy: the rest of the bot may be importing in another thread (see bot/cli.py).
    for name in [name for name in sys.modules.copy() if name.startswith("irc.")]:
        child = logging.getLogger(name)
        if child.level != logging.NOTSET and child.level < LIBRARY_LOG_LEVEL:
            child.setLevel(LIBRARY_LOG_LEVEL)


def _where(exc: BaseException) -> str:
    """An exception's type and the line that raised it, without its message: one raised
    while reading a line may quote the line, sender and text together."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    last = frames[-1]
    return f"{type(exc).__name__} at {last.filename}:{last.lineno} in {last.name}"


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform over [0, min(cap, base * 2**attempt)].

    Jitter spreads the reconnects of many bots (or many networks of one bot) after a
    server restart instead of having them all arrive in the same second.
    """
    return rng.uniform(0, min(cap, base * 2 ** min(attempt, 30)))


def _parse_caps(text: str) -> dict[str, str | None]:
    """ "sasl=PLAIN,EXTERNAL multi-prefix" -> {"sasl": "PLAIN,EXTERNAL", "multi-prefix": None}"""
    caps: dict[str, str | None] = {}
    for token in text.split():
        name, sep, value = token.partition("=")
        caps[name.lstrip("-~=").lower()] = value if sep else None
    return caps


def _tag(event: Event, key: str) -> str | None:
    for tag in event.tags or ():
        if tag.get("key") == key:
            return tag.get("value")
    return None


def _join_lines(channels: list[str]) -> list[str]:
    """JOIN lines for many channels, as few as fit in the line limit."""
    lines: list[str] = []
    batch: list[str] = []
    for channel in channels:
        candidate = f"JOIN {','.join([*batch, channel])}"
        if batch and len(candidate.encode()) > LINE_LIMIT:
            lines.append(f"JOIN {','.join(batch)}")
            batch = []
        batch.append(channel)
    if batch:
        lines.append(f"JOIN {','.join(batch)}")
    return lines


_CHANNEL_STARTS = "#&+!"
# A comma lists several targets; white space or a control character ends the parameter.
_BREAKS_TARGET = re.compile(r"[,\s\x00-\x1f\x7f]")


def _check_name(name: str, *, channel: bool | None) -> None:
    """Refuse a target that could break the line or address someone unintended.

    `channel=True` demands a channel, False a nick, None accepts either.
    """
    if not name or name[0] == ":" or _BREAKS_TARGET.search(name):
        raise ValueError(f"not a valid IRC target: {name!r}")
    is_channel = name[0] in _CHANNEL_STARTS
    if channel is True and not is_channel:
        raise ValueError(f"not a channel name: {name!r}")
    if channel is False and is_channel:
        raise ValueError(f"not a nick: {name!r}")
