"""What a command gives back (``Reply``, with its ``Action`` buttons, or a ``CommandError``),
who asks (``IdentityRef``) and with what rights (``Role``): the plain values every layer of
the command framework and every feature share."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


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

    ``platform`` is the transport family ("discord", "irc", "console"). ``connection``, when
    the transport knows one, names the connection the message came by and stays the same when
    the person changes nick (on IRC: the network and ``user@host``); limits on wrong codes
    hold for it as well as for the identity.
    """

    key: str
    platform: str
    connection: str | None = None


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
    # Set by the invoker: whether whoever asked is a member in good standing. Transports
    # let members' replies go first (a flood of strangers never delays them); it never
    # changes what the reply says.
    member: bool = False

    @classmethod
    def error(cls, text: str) -> Reply:
        return cls(text=text, ok=False)

    @classmethod
    def unchanged(cls, text: str) -> Reply:
        """Nothing to do (already voted, not following): said at once, never run later."""
        return cls(text=text, data={"unchanged": True})
