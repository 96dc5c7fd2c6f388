"""What the Discord transport remembers about its own messages, threads and webhooks, per
guild, so in-place edits, campaign threads and pseudonymous posts survive a restart.

Kept in the ``space_ref`` table (``storage.repos.space_refs``); ``space`` is ``discord:GUILD``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.repos import space_refs

# kind -> what the Dynamo side (ref) maps to on Discord (value)
IDEA_POST = "idea_post"  # idea id -> "channel:message" of its announcement
LAUNCH_POST = "launch_post"  # idea id -> "channel:message" of its launch post
CAMPAIGN_THREAD = "campaign_thread"  # campaign id -> "parent:thread"
THREAD_STARTER = "thread_starter"  # campaign id -> "thread:message" of its first message
PETITION_POST = "petition_post"  # campaign id -> "thread:message" of the petition
WEBHOOK = "webhook"  # channel id -> "webhook id:token"
# say id -> "thread:message" of the words, posted by webhook or (when Discord refused that)
# by the bot: what reports hide is edited there.
SAY_POST = "say_post"
SAY_BOT_POST = "say_bot_post"


@dataclass(frozen=True)
class Pair:
    """Two Discord ids kept together: a channel and a message, a parent and a thread."""

    first: int
    second: int

    def encode(self) -> str:
        return f"{self.first}:{self.second}"

    @classmethod
    def decode(cls, value: str | None) -> Pair | None:
        if not value:
            return None
        first, _, second = value.partition(":")
        if not (first.isdigit() and second.isdigit()):
            return None
        return cls(int(first), int(second))


class Refs:
    """Reads and writes of the transport's platform references."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def get(self, space: str, kind: str, ref: int) -> Pair | None:
        async with self.db.read() as conn:
            return Pair.decode(await space_refs.get(conn, space, kind, str(ref)))

    async def get_raw(self, space: str, kind: str, ref: int) -> str | None:
        async with self.db.read() as conn:
            return await space_refs.get(conn, space, kind, str(ref))

    async def across(self, spaces: Iterable[str], kind: str, ref: int) -> dict[str, Pair]:
        """The reference in each of ``spaces`` that has one (one read transaction)."""
        found: dict[str, Pair] = {}
        async with self.db.read() as conn:
            for space in spaces:
                pair = Pair.decode(await space_refs.get(conn, space, kind, str(ref)))
                if pair is not None:
                    found[space] = pair
        return found

    async def put(self, space: str, kind: str, ref: int, value: Pair | str) -> None:
        text = value.encode() if isinstance(value, Pair) else value
        async with self.db.write() as conn:
            await space_refs.put(conn, space, kind, str(ref), text, self.clock())

    async def delete(self, space: str, kind: str, ref: int) -> None:
        async with self.db.write() as conn:
            await space_refs.delete(conn, space, kind, str(ref))
