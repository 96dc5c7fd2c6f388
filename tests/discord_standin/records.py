"""What the stand-in remembers for tests to read: requests, messages, interactions."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import StandInTimeout
from .specs import FLAG_EPHEMERAL, FLAG_LOADING

Json = dict[str, Any]
T = TypeVar("T")

DEFAULT_WITHIN = 5.0  # seconds any wait may take before the test fails


class ChangeFeed:
    """Wakes waiters whenever the stand-in records something (a request, a message...).

    Tests wait on a predicate instead of sleeping, so they are both fast and bounded. A
    predicate may also watch the client's side (what a handler appended), which no stand-in
    event announces, so waiters re-check every ``POLL_INTERVAL`` too.
    """

    POLL_INTERVAL = 0.02

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_until(self, predicate: Callable[[], T], within: float, what: str) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            result = predicate()
            if result:
                return result
            event = self._event
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise StandInTimeout(f"timed out after {within}s waiting for {what}")
            try:
                await asyncio.wait_for(event.wait(), min(remaining, self.POLL_INTERVAL))
            except TimeoutError:
                continue


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot attached to a message (multipart upload)."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """One REST call as the stand-in received it (also the rejected and unknown ones)."""

    method: str
    path: str  # below the API base, e.g. "/channels/1/messages"
    route: str  # the matched template, e.g. "/channels/{channel_id}/messages"; "" if unknown
    query: dict[str, str]
    json: Any  # the JSON body (``payload_json`` of a multipart body), None without one
    headers: dict[str, str]
    files: list[UploadedFile] = field(default_factory=list)
    status: int = 0
    response: Any = None
    # When it arrived, on the clock asyncio's loop.time() reads (time.monotonic).
    at: float = field(default_factory=time.monotonic)

    def matches(self, method: str, route_or_path: str) -> bool:
        return self.method == method.upper() and route_or_path in (self.route, self.path)


@dataclass(frozen=True)
class Pings:
    """Who a message notifies, given its content and allowed_mentions (replies not counted)."""

    users: frozenset[int]
    roles: frozenset[int]
    everyone: bool

    def __bool__(self) -> bool:
        return bool(self.users or self.roles or self.everyone)


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def compute_pings(content: str, allowed_mentions: Json | None) -> Pings:
    """Apply Discord's rules: without allowed_mentions everything in the content pings."""
    users = {int(u) for u in _USER_MENTION.findall(content)}
    roles = {int(r) for r in _ROLE_MENTION.findall(content)}
    everyone = "@everyone" in content or "@here" in content
    if allowed_mentions is None:
        return Pings(frozenset(users), frozenset(roles), everyone)
    parse = set(allowed_mentions.get("parse") or [])
    allowed_users = {int(u) for u in allowed_mentions.get("users") or []}
    allowed_roles = {int(r) for r in allowed_mentions.get("roles") or []}
    return Pings(
        frozenset(users if "users" in parse else users & allowed_users),
        frozenset(roles if "roles" in parse else roles & allowed_roles),
        everyone and "everyone" in parse,
    )


def iter_components(components: list[Json]) -> Iterator[Json]:
    """Every component, depth-first, through rows, labels, sections and containers."""
    for item in components:
        yield item
        yield from iter_components(item.get("components") or [])
        for key in ("component", "accessory"):
            if isinstance(item.get(key), dict):
                yield from iter_components([item[key]])


@dataclass(eq=False)
class StoredMessage:
    """A message as Discord would show it (``payload``), plus how the bot made it."""

    payload: Json
    request: Json | None = None  # the body that created it (None for a user's message)
    edits: list[Json] = field(default_factory=list)  # later edit bodies, oldest first
    files: list[UploadedFile] = field(default_factory=list)
    guild_id: int | None = None
    deleted: bool = False

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def channel_id(self) -> int:
        return int(self.payload["channel_id"])

    @property
    def content(self) -> str:
        return str(self.payload.get("content") or "")

    @property
    def embeds(self) -> list[Json]:
        return list(self.payload.get("embeds") or [])

    @property
    def components(self) -> list[Json]:
        return list(self.payload.get("components") or [])

    @property
    def flags(self) -> int:
        return int(self.payload.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred response's "thinking..." placeholder, not yet filled in."""
        return bool(self.flags & FLAG_LOADING)

    @property
    def author_id(self) -> int:
        return int(self.payload["author"]["id"])

    @property
    def author_name(self) -> str:
        """The name shown above the message (a webhook post's ``username`` override)."""
        return str(self.payload["author"]["username"])

    @property
    def webhook_id(self) -> int | None:
        value = self.payload.get("webhook_id")
        return int(value) if value is not None else None

    @property
    def avatar_url(self) -> str | None:
        return (self.request or {}).get("avatar_url")

    @property
    def allowed_mentions(self) -> Json | None:
        """The allowed_mentions in force: from the latest body that carried one."""
        for body in [*reversed(self.edits), self.request or {}]:
            if "allowed_mentions" in body:
                return body["allowed_mentions"]
        return None

    @property
    def pings(self) -> Pings:
        return compute_pings(self.content, self.allowed_mentions)

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in iter_components(self.components) if "custom_id" in c]

    def find_component(self, custom_id: str) -> Json | None:
        return next(
            (c for c in iter_components(self.components) if c.get("custom_id") == custom_id),
            None,
        )

    def __repr__(self) -> str:
        return f"<StoredMessage id={self.id} channel={self.channel_id} content={self.content!r}>"


@dataclass(eq=False)
class InteractionHandle:
    """An interaction the stand-in dispatched; collects the bot's answers to it."""

    id: int
    token: str
    type: int
    payload: Json  # the INTERACTION_CREATE data as sent
    user_id: int
    channel_id: int
    guild_id: int | None
    dispatched_at: float
    feed: ChangeFeed = field(repr=False)
    callbacks: list[Json] = field(default_factory=list)  # callback bodies, in order
    original: StoredMessage | None = None
    followups: list[StoredMessage] = field(default_factory=list)
    source_message: StoredMessage | None = None  # the message a component sits on

    @property
    def acknowledged(self) -> bool:
        return bool(self.callbacks)

    @property
    def response_type(self) -> int | None:
        return self.callbacks[0]["type"] if self.callbacks else None

    @property
    def ephemeral(self) -> bool:
        """Whether the first answer (message or deferral) was flagged ephemeral."""
        if not self.callbacks:
            return False
        data = self.callbacks[0].get("data") or {}
        return bool(int(data.get("flags") or 0) & FLAG_EPHEMERAL)

    @property
    def modal(self) -> Json | None:
        """The modal the bot answered with (callback type 9), as its ``data``."""
        return next((c.get("data") for c in self.callbacks if c["type"] == 9), None)

    @property
    def messages(self) -> list[StoredMessage]:
        """The original response and the follow-ups, without duplicates or deleted ones."""
        seen: dict[int, StoredMessage] = {}
        for message in [self.original, *self.followups]:
            if message is not None and not message.deleted:
                seen.setdefault(message.id, message)
        return list(seen.values())

    async def response(self, within: float = DEFAULT_WITHIN) -> Json:
        """The first callback body (``{"type": 4, "data": {...}}``) once the bot sent it."""
        await self.feed.wait_until(
            lambda: self.callbacks, within, f"a response to interaction {self.id}"
        )
        return self.callbacks[0]

    async def reply(self, within: float = DEFAULT_WITHIN) -> StoredMessage:
        """The first message of this interaction that is not a loading placeholder."""

        def ready() -> StoredMessage | None:
            return next((m for m in self.messages if not m.loading), None)

        return await self.feed.wait_until(ready, within, f"a reply to interaction {self.id}")

    async def wait_followups(
        self, count: int = 1, within: float = DEFAULT_WITHIN
    ) -> list[StoredMessage]:
        await self.feed.wait_until(
            lambda: len(self.followups) >= count,
            within,
            f"{count} follow-up(s) to interaction {self.id}",
        )
        return list(self.followups)
