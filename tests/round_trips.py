"""A loopback TCP proxy in front of PostgreSQL that counts round trips, and can break a
connection at a chosen moment.

A round trip is the client sending after the server last answered: however the driver
batches its protocol messages, it must wait for that answer before it can go on, so the
number of such turns is the number of times a command waits for the network. Counted on the
wire, between the bot's driver and the real server, not inside any library.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit


class CountingProxy:
    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        self._parts = parts
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 5432
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.round_trips = 0
        # Break the connection that next sends this (forwarding it first, or not).
        self._cut: tuple[bytes, bool] | None = None

    def cut_when_sent(self, marker: bytes, *, forward: bool) -> None:
        """The next time a client sends ``marker``, close both sides of its connection:
        with ``forward`` after the server got the message (it acts on it; the answer never
        comes back), else before (the server never sees it)."""
        self._cut = (marker, forward)

    def sever_all(self) -> None:
        """Close every connection now, as a restarting server would."""
        for writer in list(self._writers):
            writer.close()

    async def start(self) -> str:
        """Listen on a free loopback port; returns the database URL through the proxy."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        user = self._parts.username or "postgres"
        return urlunsplit(
            (self._parts.scheme, f"{user}@127.0.0.1:{port}", self._parts.path, "", "")
        )

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(self._host, self._port)
        self._writers.update((client_w, server_w))
        # Per connection: whether the server has answered since the client last sent.
        answered = [True]

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up: bool):
            try:
                while chunk := await reader.read(65536):
                    if up and self._cut is not None and self._cut[0] in chunk:
                        forward = self._cut[1]
                        self._cut = None
                        if forward:
                            writer.write(chunk)
                            await writer.drain()
                        client_w.close()
                        server_w.close()
                        return
                    if up and answered[0]:
                        self.round_trips += 1
                        answered[0] = False
                    elif not up:
                        answered[0] = True
                    writer.write(chunk)
                    await writer.drain()
            except ConnectionError:
                pass
            finally:
                writer.close()

        for task in (
            asyncio.create_task(pump(client_r, server_w, True)),
            asyncio.create_task(pump(server_r, client_w, False)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
