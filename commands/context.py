"""What a command receives (Ctx) and what it gives back (Reply)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from commands.rules import Rules
from storage.repos import outbox

if TYPE_CHECKING:
    import sqlalchemy as sa

    from commands.registry import Registry


class Role(IntEnum):
    """The one permission ladder, checked in one place (the invoker)."""

    NOBODY = 0  # not registered yet
    MEMBER = 1
    ORGANIZER = 2  # of a particular campaign; checked by the campaign's commands
    MODERATOR = 3
    ADMIN = 4

    @classmethod
    def parse(cls, name: str) -> Role:
        return cls[name.upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


class CommandError(Exception):
    """A refusal with a friendly message; the transaction is rolled back."""


@dataclass(frozen=True)
class IdentityRef:
    """Who is talking: ``key`` is unique across platforms (``discord:1234``, ``irc:libera:nick``).

    ``platform`` is the transport family ("discord", "irc", "console").
    """

    key: str
    platform: str


@dataclass(frozen=True)
class Action:
    """A follow-up the person can take with one click or one short command."""

    label: str
    command: str


@dataclass
class Reply:
    text: str
    ok: bool = True
    actions: tuple[Action, ...] = ()
    # Set when a command was typed in public but must be sent privately: the transport sends
    # this reply privately and does not answer in the channel.
    private_hint: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def error(cls, text: str) -> Reply:
        return cls(text=text, ok=False)


@dataclass
class Ctx:
    conn: AsyncConnection
    identity: IdentityRef
    where: str  # "dm" or "channel"
    now: datetime
    rules: Rules
    spaces: tuple[str, ...]
    registry: Registry
    member: sa.Row | None = None
    role: Role = Role.NOBODY
    pending: list[dict[str, Any]] = field(default_factory=list)

    @property
    def member_id(self) -> int:
        if self.member is None:
            raise CommandError("You need to register first: send `register YOUR-CODE`.")
        return int(self.member.id)

    @property
    def pseudonym(self) -> str:
        assert self.member is not None
        return str(self.member.pseudonym)

    def announce(self, event: str, text: str, **data: Any) -> None:
        """Queue an announcement to every space (written with this transaction)."""
        payload = {"text": text, **data}
        for space in self.spaces:
            self.pending.append(
                {
                    "kind": "announce",
                    "space": space,
                    "event": event,
                    "payload": payload,
                    "created_at": self.now,
                    "available_at": self.now,
                    "attempts": 0,
                }
            )

    def notify(self, member_ids: Iterable[int], event: str, text: str, **data: Any) -> None:
        """Queue a private notice to each member."""
        payload = {"text": text, **data}
        for member_id in member_ids:
            self.pending.append(
                {
                    "kind": "dm",
                    "member_id": member_id,
                    "event": event,
                    "payload": payload,
                    "created_at": self.now,
                    "available_at": self.now,
                    "attempts": 0,
                }
            )

    async def flush_outbox(self) -> int:
        rows: Sequence[dict[str, Any]] = self.pending
        await outbox.add(self.conn, rows)
        n = len(rows)
        self.pending = []
        return n
