"""The link to one IRC server: the socket, the keepalive and the reconnects.

`Link` opens the TCP (or TLS) connection through the irc library's asyncio client, hands
every line it reads to `on_line`, writes what it is given, PINGs a quiet server and drops
one that stays silent, and reconnects with exponential backoff and full jitter until
stopped. What the lines mean is not its business (see dispatch.py); when the link comes
up or goes down it says so through `on_connecting` and `on_down`, and outage.py logs
the outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Awaitable, Callable

from bot.transports.irc.library import (
    AioConnection,
    AioFactory,
    AioReactor,
    Event,
    ServerNotConnectedError,
)
from bot.transports.irc.outage import Outage
from bot.transports.irc.settings import IrcNetworkSettings
from bot.transports.irc.wire import LINE_LIMIT, Wire, WireProtocol
from storage.retry import Backoff

__all__ = ["LINE_LIMIT", "Link"]

logger = logging.getLogger(__name__)

# A connection that stayed registered this long resets the reconnect backoff; a server
# that accepts and then kills us at once must not be hammered at the base delay.
STABLE_AFTER = 60.0


class Link:
    """One network's socket, kept up until `stop()`.

    `on_line(line)` gets each line read; `on_connecting()` runs before each attempt (the
    parts above forget what they knew of the last connection); `on_down()` once the link
    is lost. `registered()` tells it registration finished, which enables keepalive PINGs
    and, after STABLE_AFTER, resets the backoff.
    """

    def __init__(
        self,
        settings: IrcNetworkSettings,
        *,
        on_line: Callable[[str], None],
        on_connecting: Callable[[], None],
        on_down: Callable[[], None],
        first_nick: Callable[[], str],
        base_delay: float,
        connect_timeout: float,
        rng: random.Random,
    ) -> None:
        self.settings = settings
        self.network = settings.name
        self._on_line = on_line
        self._on_connecting = on_connecting
        self._on_down = on_down
        self._first_nick = first_nick
        self._base_delay = base_delay
        self._connect_timeout = connect_timeout
        self._rng = rng
        self._conn: Wire | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._down = asyncio.Event()
        self.stopping = False
        self.up = False
        self.is_registered = False
        self._registered_at: float | None = None
        self._last_received = 0.0
        self._ping_outstanding = False
        self.outage = Outage(settings)

    @property
    def started(self) -> bool:
        return self._supervisor is not None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        reactor = AioReactor(loop=loop)
        # The library raises "disconnect" itself (disconnect(), a lost socket); every
        # line read goes to on_line instead (see Wire).
        reactor.add_global_handler("disconnect", self._on_disconnect_event, 0)
        self._conn = Wire(reactor, self._line)
        self._supervisor = loop.create_task(
            self._supervise(), name=f"irc-{self.network}-supervisor"
        )

    async def close(self, message: str, grace: float) -> None:
        """QUIT with `message`, wait (up to `grace`) for the socket to close, and cancel
        every task of the link."""
        self.stopping = True
        protocol = self._conn.protocol if self._conn is not None else None
        closed = protocol.closed if isinstance(protocol, WireProtocol) else None
        if self.up and self._conn is not None:
            self._conn.disconnect(message)
        if closed is not None:
            # Let the transport finish closing so its socket does not outlive the loop.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(closed), grace)
        tasks = [t for t in (self._supervisor, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def spawn(self, coro: Awaitable[None], what: str) -> None:
        """Run `coro` for as long as this connection lasts (cancelled when it drops)."""
        task = asyncio.ensure_future(coro)
        task.set_name(f"irc-{self.network}-{what}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def registered(self) -> None:
        self.is_registered = True
        self._registered_at = asyncio.get_running_loop().time()

    # ------------------------------------------------------------------ writing

    def send_now(self, line: str) -> None:
        """Write a line at once, bypassing the queue: registration, PONG, QUIT, auth."""
        if self._conn is None:
            return
        try:
            self._conn.send_raw(line)
        except ServerNotConnectedError:
            logger.debug("irc[%s]: not connected; line not sent", self.network)

    def write(self, line: str) -> bool:
        """Write a line of the send queue; False when there is no registered link for it."""
        conn = self._conn
        if not (self.up and self.is_registered) or conn is None or conn.transport is None:
            return False
        if conn.transport.is_closing():
            return False
        conn.send_raw(line)
        return True

    def drop(self, reason: str) -> None:
        if self._conn is not None and self._conn.connected:
            self._conn.disconnect(reason)  # fires the "disconnect" event
        elif self.up:
            # The library already considers itself disconnected; make sure we do too, or
            # the supervisor would wait forever for an event that never comes.
            self._went_down(reason)

    # ---------------------------------------------------------------- the link

    def _line(self, line: str) -> None:
        self._last_received = asyncio.get_running_loop().time()
        self._ping_outstanding = False
        self._on_line(line)

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        attempt = 0
        while not self.stopping:
            try:
                await self._open()
                await self._down.wait()
            except (OSError, TimeoutError) as exc:
                # ssl.SSLError (bad certificate) is an OSError too.
                self.outage.note(
                    f"could not connect to {self.settings.host}:{self.settings.port}: "
                    f"{exc or type(exc).__name__}"
                )
                self._close_half_open()
            except Exception:
                # Whatever went wrong, the bot must keep trying: it runs for months.
                logger.exception("irc[%s]: unexpected error in the connection", self.network)
                self.drop("Internal error")
                self._close_half_open()
            if self.stopping:
                break
            registered_at = self._registered_at
            if registered_at is not None and loop.time() - registered_at >= STABLE_AFTER:
                attempt = 0
            # Full jitter spreads the reconnects of many bots (or many networks of one bot)
            # after a server restart instead of having them all arrive in the same second.
            backoff = Backoff(self._base_delay, self.settings.reconnect_max_delay, jitter=True)
            delay = backoff.delay(attempt, self._rng)
            attempt += 1
            logger.debug("irc[%s]: reconnecting in %.2fs", self.network, delay)
            await asyncio.sleep(delay)

    async def _open(self) -> None:
        assert self._conn is not None
        self.up = self.is_registered = False
        self._registered_at = None
        self._ping_outstanding = False
        self._on_connecting()
        self._down.clear()
        settings = self.settings
        if settings.tls:
            factory = AioFactory(ssl=self._tls_context(), server_hostname=settings.host)
        else:
            factory = AioFactory()
        # Every attempt while the network is away would say it again: the outage is logged
        # by outage.py.
        logger.log(
            logging.DEBUG if self.outage.ongoing else logging.INFO,
            "irc[%s]: connecting to %s:%d%s",
            self.network,
            settings.host,
            settings.port,
            " (TLS)" if settings.tls else "",
        )
        # asyncio.timeout, not wait_for: wait_for can swallow stop()'s cancellation (3.11).
        async with asyncio.timeout(self._connect_timeout):
            await self._conn.connect(
                settings.host,
                settings.port,
                self._first_nick(),
                username=settings.nick,
                ircname=settings.realname,
                connect_factory=factory,
            )
        if not self._conn.connected:
            # The server hung up before connect() even returned.
            raise ConnectionResetError("connection closed during registration")
        self.up = True
        self._last_received = asyncio.get_running_loop().time()
        self.spawn(self._keepalive(), "keepalive")

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

    def _on_disconnect_event(self, conn: AioConnection, event: Event) -> None:
        if conn is self._conn:
            self._went_down(event.arguments[0] if event.arguments else "")

    def _went_down(self, reason: str) -> None:
        # Only the current socket can get here (see WireProtocol.connection_lost), so it
        # always ends the current attempt, even one still in connect().
        self._down.set()
        if not self.up:
            return
        said = f"disconnected ({reason})" if reason else "disconnected"
        if self.stopping:
            logger.info("irc[%s]: %s", self.network, said)
        else:
            self.outage.note(said)
        self.up = self.is_registered = False
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self._on_down()

    async def _keepalive(self) -> None:
        """PING when the server is quiet; drop the link when it stays silent too long."""
        loop = asyncio.get_running_loop()
        timeout = self.settings.ping_timeout
        period = min(timeout / 4, 15.0)
        while self.up:
            await asyncio.sleep(period)
            idle = loop.time() - self._last_received
            if idle >= timeout:
                logger.warning(
                    "irc[%s]: nothing from the server for %.1fs; reconnecting", self.network, idle
                )
                self.drop("Ping timeout")
                return
            if idle >= timeout / 2 and self.is_registered and not self._ping_outstanding:
                self._ping_outstanding = True
                self.send_now("PING :keepalive")

    def closed_by_server(self, reason: str) -> None:
        """The server said ERROR: it is about to close the link."""
        if self.stopping:
            logger.info("irc[%s]: server closed the link: %s", self.network, reason)
        else:
            self.outage.note(f"server closed the link: {reason}")
