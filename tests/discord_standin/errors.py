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


UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
UNKNOWN_USER = 10013
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
INVALID_FORM_BODY = 50035
CANNOT_DM_USER = 50007
CANNOT_EDIT_OTHERS_MESSAGE = 50005
ALREADY_ACKNOWLEDGED = 40060
