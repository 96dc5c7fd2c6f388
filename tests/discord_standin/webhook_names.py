"""Discord's rules for webhook names and per-message username overrides.

The bot posts under pseudonyms through webhooks; Discord refuses names over 80 characters or
containing "discord" or "clyde", and a bot must cope with that rather than learn it live.
"""

from __future__ import annotations

from typing import Any

from .errors import INVALID_FORM_BODY, RestError
from .payloads import field_errors

FORBIDDEN_WORDS = ("discord", "clyde")
MAX_NAME = 80


def check_webhook_name(name: Any, path: list[str | int]) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME:
        raise RestError(
            400,
            INVALID_FORM_BODY,
            "Invalid Form Body",
            field_errors(path, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length."),
        )
    lowered = name.lower()
    for word in FORBIDDEN_WORDS:
        if word in lowered:
            raise RestError(
                400,
                INVALID_FORM_BODY,
                "Invalid Form Body",
                field_errors(
                    path, "USERNAME_INVALID_CONTAINS", f'Username cannot contain "{word}"'
                ),
            )
