"""A raw-socket IRC client that plays a member (or a squatter, or an attacker) in tests.

Deliberately independent of the `irc` library the bot uses, so a parsing bug there cannot
hide itself. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Line:
    """One received line, parsed: `:prefix COMMAND params... :trailing`."""

    raw: str
    prefix: str = ""
    command: str = ""
    params: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def nick(self) -> str:
        return self.prefix.split("!", 1)[0]

    @property
    def text(self) -> str:
        """The last parameter (a message's text)."""
        return self.params[-1] if self.params else ""

    @classmethod
    def parse(cls, raw: str) -> Line:
        rest = raw
        tags: dict[str, str] = {}
        if rest.startswith("@"):
            tag_text, _, rest = rest[1:].partition(" ")
            for item in tag_text.split(";"):
                key, _, value = item.partition("=")
                tags[key] = value
        prefix = ""
        if rest.startswith(":"):
            prefix, _, rest = rest[1:].partition(" ")
        rest = rest.lstrip(" ")
        trailing = None
        if " :" in rest:
            rest, trailing = rest.split(" :", 1)
        elif rest.startswith(":"):
            rest, trailing = "", rest[1:]
        words = rest.split()
        command = words[0].upper() if words else ""
        params = tuple(words[1:]) + ((trailing,) if trailing is not None else ())
        return cls(raw, prefix, command, params, tags)


Predicate = Callable[[Line], bool]


class IrcTestClient:
    """`await IrcTestClient.connect(host, port, nick)`, then join/privmsg/wait_for/quit."""

    def __init__(
        self, nick: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.nick = nick
        self.lines: list[Line] = []
        self._reader = reader
        self._writer = writer
        self._cursor = 0
        self._changed = asyncio.Condition()
        self._closed = False
        self._reader_task = asyncio.get_running_loop().create_task(self._read_loop())

    @classmethod
    async def connect(cls, host: str, port: int, nick: str) -> IrcTestClient:
        async with asyncio.timeout(DEFAULT_TIMEOUT):
            reader, writer = await asyncio.open_connection(host, port)
        client = cls(nick, reader, writer)
        try:
            user = re.sub(r"[^A-Za-z0-9]", "", nick) or "member"  # servers are picky here
            await client.send_raw(f"NICK {nick}\r\nUSER {user} 0 * :test member\r\n")
            welcome = await client.wait_for(
                lambda line: line.command in ("001", "433", "432", "ERROR")
            )
            if welcome.command != "001":
                raise ConnectionError(f"{nick} could not register: {welcome.raw}")
        except BaseException:
            await client.close()
            raise
        return client

    @property
    def closed(self) -> bool:
        return self._closed

    async def send_raw(self, data: str | bytes) -> None:
        """Send bytes exactly as given (no CR LF added): for injection tests."""
        self._writer.write(data.encode() if isinstance(data, str) else data)
        await self._writer.drain()

    async def send(self, line: str) -> None:
        """Send one protocol line; refuses embedded line breaks to avoid test mistakes."""
        if any(ch in line for ch in "\r\n\0"):
            raise ValueError("use send_raw for lines with control characters")
        await self.send_raw(line + "\r\n")

    async def privmsg(self, target: str, text: str) -> None:
        await self.send(f"PRIVMSG {target} :{text}")

    async def join(self, channel: str) -> Line:
        await self.send(f"JOIN {channel}")
        return await self.wait_for(
            lambda line: line.command == "366" and _same(line.params[1], channel),
        )

    async def part(self, channel: str) -> Line:
        await self.send(f"PART {channel}")
        return await self.wait_for(
            lambda line: (
                line.command == "PART"
                and _same(line.nick, self.nick)
                and _same(line.params[0], channel)
            ),
        )

    async def change_nick(self, nick: str) -> Line:
        old = self.nick
        await self.send(f"NICK {nick}")
        line = await self.wait_for(lambda line: line.command == "NICK" and _same(line.nick, old))
        self.nick = nick
        return line

    async def names(self, channel: str) -> set[str]:
        """The nicks in `channel`, without prefixes, from a fresh NAMES."""
        start = len(self.lines)
        await self.send(f"NAMES {channel}")
        await self.wait_for(
            lambda line: line.command == "366" and _same(line.params[1], channel),
            since=start,
        )
        nicks: set[str] = set()
        for line in self.lines[start:]:
            if line.command == "353" and _same(line.params[2], channel):
                nicks.update(word.lstrip("~&@%+") for word in line.text.split())
        return nicks

    def mark(self) -> int:
        """A position in `lines`; pass it as `since` to look only at what came after."""
        return len(self.lines)

    async def wait_for(
        self,
        match: str | re.Pattern[str] | Predicate,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - every test wait is bounded here
        *,
        since: int | None = None,
    ) -> Line:
        """The first line after the previous match (or `since`) matching a regex or predicate.

        A regex is searched in the raw line. Raises TimeoutError with the recent lines.
        """
        predicate = _predicate(match)
        position = self._cursor if since is None else since
        try:
            async with asyncio.timeout(timeout):
                async with self._changed:
                    while True:
                        for index in range(position, len(self.lines)):
                            if predicate(self.lines[index]):
                                self._cursor = index + 1
                                return self.lines[index]
                        position = len(self.lines)
                        if self._closed:
                            raise ConnectionError(f"{self.nick}: connection closed")
                        await self._changed.wait()
        except TimeoutError:
            recent = "\n".join(line.raw for line in self.lines[-15:])
            raise TimeoutError(f"{self.nick}: no line matched {match!r}; last:\n{recent}") from None

    def received(self, match: str | re.Pattern[str] | Predicate, *, since: int = 0) -> list[Line]:
        """Every line so far (from `since`) matching, without waiting."""
        predicate = _predicate(match)
        return [line for line in self.lines[since:] if predicate(line)]

    async def quit(self, message: str = "bye") -> None:
        """QUIT and wait (bounded) for the server to close the connection."""
        if not self._closed:
            with contextlib.suppress(ConnectionError):
                await self.send(f"QUIT :{message}")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DEFAULT_TIMEOUT):
                    await asyncio.shield(self._reader_task)
        await self.close()

    async def close(self) -> None:
        """Close the socket now (an abrupt disconnect when not preceded by quit)."""
        self._reader_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await self._reader_task
        self._writer.close()
        with contextlib.suppress(ConnectionError, TimeoutError):
            async with asyncio.timeout(DEFAULT_TIMEOUT):
                await self._writer.wait_closed()
        self._closed = True

    async def _read_loop(self) -> None:
        try:
            while True:
                data = await self._reader.readline()
                if not data:
                    break
                raw = data.decode("utf-8", "replace").rstrip("\r\n")
                line = Line.parse(raw)
                if line.command == "PING":
                    self._writer.write(f"PONG :{line.text}\r\n".encode())
                async with self._changed:
                    self.lines.append(line)
                    self._changed.notify_all()
        except ConnectionError:
            pass
        finally:
            self._closed = True
            async with self._changed:
                self._changed.notify_all()


def _same(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def _predicate(match: str | re.Pattern[str] | Predicate) -> Predicate:
    if isinstance(match, str | re.Pattern):
        pattern = re.compile(match) if isinstance(match, str) else match
        return lambda line: pattern.search(line.raw) is not None
    return match
