"""Discord's rules for webhook names and for the name a webhook post shows.

The bot posts under pseudonyms through webhooks; Discord refuses some names with a 400, and
a bot must cope with that rather than learn it live. The rules, as Discord documents them:

- "Create Webhook" (resources/webhook): a webhook's name may not contain the substrings
  "clyde" or "discord" (case-insensitive), and otherwise follows the nickname rules, except
  that it may have up to 80 characters.
- "Execute Webhook" takes a ``username`` override; Discord checks it as a username
  ("Usernames and Nicknames", resources/user): it may not contain "@", "#", ":", "```" or
  "discord", and may not be "everyone" or "here". The webhook's own rule against "clyde"
  holds for it too, and it may have 80 characters, like the webhook's name.
- Names are "sanitized and trimmed of leading, trailing, and excessive internal
  whitespace": a post shows the trimmed name, and a name left empty is refused for its
  length.

The error bodies are Discord's: 50035 Invalid Form Body, with ``BASE_TYPE_BAD_LENGTH``,
``USERNAME_INVALID_CONTAINS`` (``Username cannot contain "discord"``) or ``USERNAME_INVALID``
(``Username cannot be "here"``) on the field.
"""

from __future__ import annotations

from typing import Any

from .errors import INVALID_FORM_BODY, RestError
from .payloads import field_errors

WEBHOOK_NAME_FORBIDDEN = ("clyde", "discord")
USERNAME_FORBIDDEN = ("@", "#", ":", "```", "discord", "clyde")
USERNAME_RESERVED = ("everyone", "here")
MAX_NAME = 80


def sanitized(name: str) -> str:
    """The name as Discord keeps it: no whitespace at the ends, single spaces inside."""
    return " ".join(name.split())


def _refused(path: list[str | int], code: str, message: str) -> RestError:
    return RestError(400, INVALID_FORM_BODY, "Invalid Form Body", field_errors(path, code, message))


def _checked(name: Any, path: list[str | int], forbidden: tuple[str, ...]) -> str:
    if not isinstance(name, str) or not 1 <= len(sanitized(name)) <= MAX_NAME:
        raise _refused(path, "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {MAX_NAME} in length.")
    kept = sanitized(name)
    lowered = kept.lower()
    for part in forbidden:
        if part in lowered:
            raise _refused(path, "USERNAME_INVALID_CONTAINS", f'Username cannot contain "{part}"')
    return kept


def check_webhook_name(name: Any, path: list[str | int]) -> str:
    """A webhook's own name (creating a webhook); returns it as Discord keeps it."""
    return _checked(name, path, WEBHOOK_NAME_FORBIDDEN)


def check_webhook_username(name: Any, path: list[str | int]) -> str:
    """The ``username`` a webhook post shows instead of the webhook's name; returns it as
    Discord shows it."""
    kept = _checked(name, path, USERNAME_FORBIDDEN)
    if kept.lower() in USERNAME_RESERVED:
        raise _refused(path, "USERNAME_INVALID", f'Username cannot be "{kept.lower()}"')
    return kept
