"""The websocket gateway: HELLO, IDENTIFY/READY/GUILD_CREATE, heartbeats, RESUME, dispatch.

A *session* outlives its websocket *connection*: events dispatched while the bot is
disconnected are buffered with their sequence numbers and replayed on RESUME, which is what
lets a test prove the bot survives a dropped connection without losing an interaction.
Frames are sent as uncompressed text even when the client asks for zlib/zstd streams;
discord.py only decompresses binary frames.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .records import ChangeFeed, StoredMessage
from .specs import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
)
from .state import DiscordState

logger = logging.getLogger(__name__)

Json = dict[str, Any]

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE = 0, 1, 2, 3
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION = 6, 7, 8, 9
OP_HELLO, OP_HEARTBEAT_ACK = 10, 11
CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_DISALLOWED_INTENTS = 4014
# What the application flags of an unverified bot with its privileged intents enabled are.
APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19)
MAX_BUFFERED_EVENTS = 1000

# The intent an event needs; None: always delivered.
EVENT_INTENTS: dict[str, Callable[[Json], int | None]] = {
    "MESSAGE_CREATE": lambda d: (
        INTENT_GUILD_MESSAGES if "guild_id" in d else INTENT_DIRECT_MESSAGES
    ),
    "MESSAGE_UPDATE": lambda d: (
        INTENT_GUILD_MESSAGES if "guild_id" in d else INTENT_DIRECT_MESSAGES
    ),
    "MESSAGE_DELETE": lambda d: (
        INTENT_GUILD_MESSAGES if "guild_id" in d else INTENT_DIRECT_MESSAGES
    ),
    "THREAD_CREATE": lambda d: INTENT_GUILDS,
    "THREAD_UPDATE": lambda d: INTENT_GUILDS,
    "CHANNEL_UPDATE": lambda d: INTENT_GUILDS,
    "GUILD_ROLE_UPDATE": lambda d: INTENT_GUILDS,
    "GUILD_MEMBER_ADD": lambda d: INTENT_GUILD_MEMBERS,
}


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    session: GatewaySession | None = field(default=None, repr=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    # Whether the stand-in closed it; the close code then says nothing about the client's
    # intent (aiohttp reports the code of the client's closing reply).
    closed_by_server: bool = False

    async def close(self, code: int, message: bytes) -> None:
        self.closed_by_server = True
        await self.ws.close(code=code, message=message)

    async def send(self, frame: Json) -> bool:
        async with self.lock:
            if self.ws.closed:
                return False
            try:
                await self.ws.send_json(frame)
            except (ConnectionError, RuntimeError):
                return False  # closing under us: the frame stays buffered for RESUME
            return True


@dataclass(eq=False)
class GatewaySession:
    session_id: str
    intents: int
    shard: list[int]
    seq: int = 0
    resumable: bool = True
    connection: Connection | None = field(default=None, repr=False)
    buffer: list[Json] = field(default_factory=list, repr=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    async def dispatch(self, event: str, data: Json) -> None:
        # One lock per session keeps sequence numbers in the order frames leave.
        async with self.lock:
            self.seq += 1
            frame = {"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data}
            self.buffer.append(frame)
            del self.buffer[:-MAX_BUFFERED_EVENTS]
            if self.connection is not None:
                await self.connection.send(frame)


def _content_visible(session: GatewaySession, data: Json, bot_id: str) -> bool:
    """Discord's message-content rule for a bot without the MESSAGE_CONTENT intent."""
    if session.intents & INTENT_MESSAGE_CONTENT or "guild_id" not in data:
        return True
    author = data.get("author") or {}
    mentioned = any(u.get("id") == bot_id for u in data.get("mentions") or [])
    return author.get("id") == bot_id or mentioned


class GatewayHub:
    def __init__(
        self,
        state: DiscordState,
        feed: ChangeFeed,
        *,
        heartbeat_interval_ms: int,
        allowed_privileged_intents: int,
    ) -> None:
        self.state = state
        self.feed = feed
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.allowed_privileged_intents = allowed_privileged_intents
        self.url = ""  # set once the server listens
        self.sessions: list[GatewaySession] = []
        self.connections: set[Connection] = set()
        self.identifies: list[Json] = []
        self.resumes: list[Json] = []
        self.presence_updates: list[Json] = []
        # Cleared: sessions identify but get no READY until it is set (Discord slow to
        # answer, as in an outage).
        self.ready_gate = asyncio.Event()
        self.ready_gate.set()

    # websocket handling -----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        connection = Connection(ws)
        self.connections.add(connection)
        try:
            hello = {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["standin"]}
            await connection.send({"op": OP_HELLO, "d": hello, "s": None, "t": None})
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._on_frame(connection, message.json())
        finally:
            self.connections.discard(connection)
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
                # A client closing with 1000/1001 ends its session on Discord.
                if not connection.closed_by_server and ws.close_code in (1000, 1001):
                    session.resumable = False
            self.feed.notify()
        return ws

    async def _on_frame(self, connection: Connection, frame: Json) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == OP_HEARTBEAT:
            await connection.send({"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == OP_IDENTIFY:
            await self._identify(connection, data)
        elif op == OP_RESUME:
            await self._resume(connection, data)
        elif op == OP_REQUEST_MEMBERS and connection.session is not None:
            await self._request_members(connection.session, data)
        elif op == OP_PRESENCE:
            self.presence_updates.append(data)
        else:
            logger.debug("stand-in gateway ignores op %s", op)

    async def _identify(self, connection: Connection, data: Json) -> None:
        self.identifies.append(copy.deepcopy(data))
        self.feed.notify()
        if data.get("token") != self.state.token:
            await connection.close(CLOSE_AUTHENTICATION_FAILED, b"Authentication failed")
            return
        intents = int(data.get("intents") or 0)
        if intents & PRIVILEGED_INTENTS & ~self.allowed_privileged_intents:
            await connection.close(CLOSE_DISALLOWED_INTENTS, b"Disallowed intent(s)")
            return
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            intents=intents,
            shard=list(data.get("shard") or [0, 1]),
            connection=connection,
        )
        connection.session = session
        self.sessions.append(session)
        # Waited for here, so the connection's other frames wait too: fine for a test that
        # holds READY for less than a heartbeat interval.
        await self.ready_gate.wait()
        await session.dispatch("READY", self._ready_payload(session))
        for guild_id in self.state.guilds:
            await session.dispatch("GUILD_CREATE", self.state.guild_create(guild_id))
        self.feed.notify()

    def _ready_payload(self, session: GatewaySession) -> Json:
        state = self.state
        return {
            "v": 10,
            "user": {**state.bot_user, "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g), "unavailable": True} for g in state.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.url,
            "shard": session.shard,
            "application": {"id": str(state.application_id), "flags": APPLICATION_FLAGS},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["standin"],
        }

    async def _resume(self, connection: Connection, data: Json) -> None:
        self.resumes.append(copy.deepcopy(data))
        session = next((s for s in self.sessions if s.session_id == data.get("session_id")), None)
        if session is None or not session.resumable or data.get("token") != self.state.token:
            await connection.send({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        async with session.lock:
            old = session.connection
            session.connection = connection
            connection.session = session
            last_seen = int(data.get("seq") or 0)
            for frame in session.buffer:
                if frame["s"] > last_seen:
                    await connection.send(frame)
        if old is not None and old is not connection:
            await old.close(4000, b"session resumed elsewhere")
        await session.dispatch("RESUMED", {"_trace": ["standin"]})
        self.feed.notify()

    async def _request_members(self, session: GatewaySession, data: Json) -> None:
        guild = self.state.guilds.get(int(data["guild_id"]))
        members = list(guild.members.values()) if guild else []
        if data.get("user_ids"):
            wanted = {str(u) for u in data["user_ids"]}
            members = [m for m in members if m["user"]["id"] in wanted]
        elif data.get("query"):
            prefix = str(data["query"]).lower()
            members = [m for m in members if m["user"]["username"].lower().startswith(prefix)]
        chunk = {
            "guild_id": str(data["guild_id"]),
            "members": copy.deepcopy(members[: int(data.get("limit") or 0) or None]),
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if "nonce" in data:
            chunk["nonce"] = data["nonce"]
        await session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # dispatching ------------------------------------------------------------------------

    @property
    def live_sessions(self) -> list[GatewaySession]:
        """Sessions that receive events now or will on RESUME."""
        return [s for s in self.sessions if s.resumable]

    @property
    def connected_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions if s.connection is not None]

    async def dispatch(self, event: str, data: Json) -> int:
        """Send an event to every live session that has its intent; returns how many."""
        needs = EVENT_INTENTS.get(event)
        intent = needs(data) if needs else None
        reached = 0
        bot_id = self.state.bot_user["id"]
        for session in self.live_sessions:
            if intent is not None and not session.intents & intent:
                continue
            payload = copy.deepcopy(data)
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not _content_visible(
                session, payload, bot_id
            ):
                payload.update(content="", embeds=[], attachments=[], components=[])
            await session.dispatch(event, payload)
            reached += 1
        return reached

    async def message_event(self, event: str, stored: StoredMessage) -> int:
        """MESSAGE_CREATE/UPDATE/DELETE for a stored message; ephemeral ones stay private."""
        if stored.ephemeral:
            return 0
        if event == "MESSAGE_DELETE":
            data: Json = {"id": str(stored.id), "channel_id": str(stored.channel_id)}
        else:
            data = copy.deepcopy(stored.payload)
        if stored.guild_id is not None:
            data["guild_id"] = str(stored.guild_id)
            member = self.state.guilds[stored.guild_id].members.get(stored.author_id)
            if event != "MESSAGE_DELETE" and member is not None and stored.webhook_id is None:
                data["member"] = {k: v for k, v in member.items() if k != "user"}
        return await self.dispatch(event, data)

    async def channel_event(self, event: str, channel: Json, *, newly_created: bool) -> int:
        """THREAD_CREATE/THREAD_UPDATE/CHANNEL_UPDATE, so the client's cache follows."""
        data = copy.deepcopy(channel)
        if newly_created:
            data["newly_created"] = True
        return await self.dispatch(event, data)

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every websocket as a network failure would; sessions stay resumable."""
        for connection in list(self.connections):
            await connection.close(code, b"stand-in dropped the connection")

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT, as Discord does before moving a session."""
        for connection in list(self.connections):
            await connection.send({"op": OP_RECONNECT, "d": None, "s": None, "t": None})

    async def close(self) -> None:
        self.ready_gate.set()  # nothing left waiting for it
        for session in self.sessions:
            session.resumable = False
        for connection in list(self.connections):
            await connection.close(1001, b"stand-in shutting down")
