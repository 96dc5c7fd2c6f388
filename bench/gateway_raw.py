"""The raw reference for bench/discord.py: the same gateway and HTTP exchange with the local
Discord stand-in, done with plain aiohttp and nothing of ours around it.

It identifies on the stand-in's gateway like any bot, and answers every INTERACTION_CREATE
with one POST to the interaction's callback URL, carrying the body the bot sent for the same
kind of interaction (recorded while the bot was measured). No discord.py, no command layer,
no database: the bot's rate over this one is what all of that costs, on the same stand-in in
the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp

Json = dict[str, Any]

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_HELLO = 0, 1, 2, 10
INTENT_GUILDS = 1 << 0
TIMEOUT = 30.0


class RawResponder:
    """A bot reduced to its wire exchange: gateway in, one callback out."""

    def __init__(self, api_base: str, gateway_url: str, token: str, answers: dict[int, Json]):
        self.api_base = api_base
        self.gateway_url = gateway_url
        self.token = token
        self.answers = answers  # interaction type -> callback body
        self.answered = 0
        self.failures: list[str] = []
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._seq: int | None = None

    async def __aenter__(self) -> RawResponder:
        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bot {self.token}"},
            timeout=aiohttp.ClientTimeout(total=TIMEOUT),
        )
        ws = await self._session.ws_connect(f"{self.gateway_url}?v=10&encoding=json")
        self._ws = ws
        hello = await ws.receive_json(timeout=TIMEOUT)
        if hello.get("op") != OP_HELLO:
            raise RuntimeError(f"expected HELLO from the gateway, got {hello}")
        interval = hello["d"]["heartbeat_interval"] / 1000
        identify = {
            "token": self.token,
            "intents": INTENT_GUILDS,
            "properties": {"os": "linux", "browser": "bench", "device": "bench"},
        }
        await ws.send_json({"op": OP_IDENTIFY, "d": identify})
        async with asyncio.timeout(TIMEOUT):
            while True:
                frame = await ws.receive_json()
                self._seq = frame.get("s") or self._seq
                if frame.get("t") == "READY":
                    break
        self._spawn(self._read())
        self._spawn(self._heartbeat(interval))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _heartbeat(self, interval: float) -> None:
        assert self._ws is not None
        while True:
            await asyncio.sleep(interval)
            await self._ws.send_json({"op": OP_HEARTBEAT, "d": self._seq})

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            self._seq = frame.get("s") or self._seq
            if frame.get("op") == OP_DISPATCH and frame.get("t") == "INTERACTION_CREATE":
                # As discord.py does: each interaction handled in a task of its own.
                self._spawn(self._answer(frame["d"]))

    async def _answer(self, interaction: Json) -> None:
        assert self._session is not None
        body = self.answers[int(interaction["type"])]
        url = f"{self.api_base}/interactions/{interaction['id']}/{interaction['token']}/callback"
        async with self._session.post(url, json=body) as response:
            if response.status >= 300:
                self.failures.append(f"{response.status} {await response.text()}")
            else:
                self.answered += 1
