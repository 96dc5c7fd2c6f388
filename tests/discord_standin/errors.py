"""Errors: the ones the stand-in answers over HTTP, and the ones it raises into a test."""

from __future__ import annotations

from typing import Any


class RestError(Exception):
    """A Discord-style JSON error answered to the client (becomes an HTTPException there)."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors


class StandInError(Exception):
    """The test asked for something a real Discord user could not do (unknown command,
    a button that is not on the message, a modal never shown...)."""


class StandInTimeout(AssertionError):
    """A bounded wait ran out; an AssertionError so pytest reports it as a failed check."""


def unknown(kind: str, code: int) -> RestError:
    return RestError(404, code, f"Unknown {kind}")


# Discord's JSON error codes, with the meaning its documentation gives them
# (https://discord.com/developers/docs/topics/opcodes-and-status-codes#json).
UNKNOWN_CHANNEL = 10003  # "Unknown channel"
UNKNOWN_MESSAGE = 10008  # "Unknown message"
UNKNOWN_USER = 10013  # "Unknown user"
UNKNOWN_WEBHOOK = 10015  # "Unknown webhook"
UNKNOWN_INTERACTION = 10062  # "Unknown interaction"
UNKNOWN_GUILD = 10004  # "Unknown guild"
UNKNOWN_MEMBER = 10007  # "Unknown member"
INVALID_FORM_BODY = 50035  # "Invalid form body"
# "Cannot send messages to this user": the user closed their DMs to the bot (Privacy
# Settings → Direct Messages), blocked it, or shares no server with it.
CANNOT_DM_USER = 50007
CANNOT_EDIT_OTHERS_MESSAGE = 50005  # "Cannot edit a message authored by another user"
ALREADY_ACKNOWLEDGED = 40060  # "Interaction has already been acknowledged"
MISSING_ACCESS = 50001  # "Missing access": the channel is hidden from the bot (no View Channel)
MISSING_PERMISSIONS = 50013  # "You lack permissions to perform that action"
TAG_REQUIRED = 40067  # "A tag is required to create a forum post in this channel"
