"""The irc library's asyncio connection, as the bot uses it.

The library opens the socket, registers (PASS, NICK, USER) and hangs up (QUIT); here it
also sends CAP LS first, hands every line it reads to the bot's one parser (dispatch.py,
lines.py) instead of its own, and writes without logging (a line may hold a password).
Its loggers are kept quiet: at DEBUG they would pair a nick with what it wrote.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any

from bot.transports.irc.library import (
    AioConnection,
    AioReactor,
    IrcProtocol,
    ServerNotConnectedError,
    buffer,
)

__all__ = ["LINE_LIMIT", "Wire", "WireProtocol", "quiet_library_loggers", "where"]

logger = logging.getLogger(__name__)

# RFC 1459: 512 bytes per line including CR LF.
LINE_LIMIT = 510
# The irc library logs every line it reads or writes at DEBUG, the sender's nick and host
# beside what they wrote ("source: alice!~alice@host arguments: ['pitch ...']"): a log at
# DEBUG would pair nicks with pitches. Its loggers are kept at INFO whatever the bot's level.
LIBRARY_LOG_LEVEL = logging.INFO


class WireProtocol(IrcProtocol):
    def __init__(self, connection: Wire, loop: asyncio.AbstractEventLoop) -> None:
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


class Wire(AioConnection):
    """The library's asyncio connection, reading lines with the bot's one parser: every
    line read goes to `on_line`, none through the library's own event machinery."""

    protocol_class = WireProtocol
    # Servers relay whatever bytes users send; fall back to latin-1 instead of raising.
    buffer_class = buffer.LenientDecodingLineBuffer
    transport: Any = None
    protocol: Any = None

    def __init__(self, reactor: AioReactor, on_line: Callable[[str], None]) -> None:
        super().__init__(reactor)
        self.on_line = on_line

    def process_data(self, new_data: bytes) -> None:
        self.buffer.feed(new_data)
        for line in self.buffer:
            if not line:
                continue
            try:
                self.on_line(line)
            except Exception as exc:
                # asyncio closes the transport when data_received raises: one malformed
                # line (or a bug in a handler) must cost that line, not the connection.
                logger.warning("could not process a line from the server: %s", where(exc))

    def send_raw(self, string: str) -> None:
        # Unlike the library's version this never logs the line: it may hold a password.
        if self.transport is None:
            raise ServerNotConnectedError("Not connected.")
        if self.transport.is_closing():
            return
        if "\n" in string or "\r" in string:
            raise ValueError("a line to the server must not hold a line break")
        data = string.encode("utf-8") + b"\r\n"
        if len(data) > LINE_LIMIT + 2:
            raise ValueError("a line to the server is limited to 512 bytes")
        self.transport.write(data)


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


def where(exc: BaseException) -> str:
    """An exception's type and the line that raised it, without its message: one raised
    while reading a line may quote the line, sender and text together."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    last = frames[-1]
    return f"{type(exc).__name__} at {last.filename}:{last.lineno} in {last.name}"
