"""The project secret, ``DYNAMO_SECRET_KEY``: how one is made, read from the environment and
explained when it is missing or wrong.

Standard library only: ``dynamo run`` checks the key before it connects anywhere, and loads
the cryptography that uses it (storage/vault.py) later, with the rest of the bot.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping

KEY_ENV = "DYNAMO_SECRET_KEY"
KEY_BYTES = 32

HOW_TO_SET = (
    f"Make one with `dynamo secret new`, keep a copy somewhere safe (a password manager), and "
    f"give it to the bot in its environment: `export {KEY_ENV}=...` (never in a file in git)."
)
WHAT_IT_DOES = (
    "It keeps members' platform accounts and email addresses unlinkable from their "
    "pseudonyms, even for someone holding a copy of the database"
)


class SecretKeyError(Exception):
    """A missing, malformed or wrong project secret; the message says what to do."""


def new_secret() -> str:
    """A fresh secret: 32 random bytes in URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(KEY_BYTES)


def parse(text: str) -> bytes:
    """The 32 bytes a secret made by `new_secret` stands for."""
    cleaned = text.strip()
    try:
        # validate=True: a stray character is an error, not silently dropped.
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise SecretKeyError(
            f"{KEY_ENV} is not a key made by `dynamo secret new` (that is 43 characters of "
            f"letters, digits, - and _, standing for {KEY_BYTES} random bytes). Check that it "
            f"was copied whole."
        )
    return raw


def from_environ(environ: Mapping[str, str]) -> bytes:
    text = environ.get(KEY_ENV, "")
    if not text.strip():
        raise SecretKeyError(f"{KEY_ENV} is not set. {WHAT_IT_DOES}. {HOW_TO_SET}")
    return parse(text)


def given(environ: Mapping[str, str]) -> bool:
    """Whether the environment names a secret at all (commands that can do without one)."""
    return bool(environ.get(KEY_ENV, "").strip())
