"""Running a real discord.py client against a stand-in for the length of a block."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeVar

import discord
from discord.http import Route

from .errors import StandInTimeout

if TYPE_CHECKING:
    from .server import StandIn

ClientT = TypeVar("ClientT", bound=discord.Client)
POLL_INTERVAL = 0.01


@asynccontextmanager
async def running_client(
    client: ClientT, standin: StandIn, *, within: float = 5.0
) -> AsyncIterator[ClientT]:
    """Start ``client`` with the stand-in's token, wait for on_ready, close it afterwards.

    Give the client ``guild_ready_timeout=0.05``: discord.py otherwise waits two seconds
    after the last GUILD_CREATE before it calls itself ready.
    """
    if Route.BASE != standin.api_base:
        # Never let a test client reach discord.com.
        raise RuntimeError("use patched_discord(standin) around running_client")
    task = asyncio.create_task(client.start(standin.token), name="standin-client")
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not client.is_ready():
            if task.done():
                task.result()  # raises the login or gateway error
                raise RuntimeError("the client stopped before it was ready")
            if loop.time() > deadline:
                raise StandInTimeout(f"client not ready after {within}s")
            await asyncio.sleep(POLL_INTERVAL)
        yield client
    finally:
        await client.close()
        done, _ = await asyncio.wait({task}, timeout=within)
        if not done:
            task.cancel()
            raise StandInTimeout(f"client did not stop within {within}s")
    # A client that died during the test (not at start-up, raised above) fails it here.
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]
