"""What the database keeps instead of account names and email addresses.

A copy of the database alone must not tie a pseudonym to a platform account (``irc:net1:alice``,
``discord:1234``) or to an address. So those are kept only as

- a keyed digest (HMAC-SHA256) where a row is looked up by them: the same text always gives
  the same digest, but without the secret nobody can compute one to test a guess, as anyone
  could with a plain hash of a nick or of a Discord id;
- a sealed value (AES-GCM, a fresh random nonce each time) where the bot must read them back,
  to deliver a private message or a mail. The purpose a value was sealed for is bound to it
  (associated data): an email address can never be opened as an account, nor one moved into
  the other's column.

Both subkeys, and the fingerprint a database remembers its key by, come from the one project
secret (storage/secret.py) through HKDF, so no use of it weakens another.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
from collections.abc import Mapping
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage import secret
from storage.secret import KEY_BYTES, KEY_ENV, SecretKeyError

IDENTITY = "identity"
EMAIL = "email"
PLEDGE = "pledge"
ACTION_TARGET = "action target"
LETTER = "letter"
ACTION_DELIVERY = "action delivery"
VOUCHER = "voucher"
VOUCHED = "vouched"
RETIRED_PSEUDONYM = "retired pseudonym"
LEAVE_CONFIRM = "leave confirm"

# `dynamo console` is someone trying the bot on their own terminal: it runs without a secret,
# on this one, which anyone can read here. A database made with it protects nothing, so a
# real bot refuses such a database (see `check_fingerprint`), and the console a real one.
CONSOLE_SECRET = b"dynamo console: not a secret key"

_NONCE = 12


class Vault:
    """The project secret at work: ``digest`` for lookups, ``seal``/``open`` for values."""

    __slots__ = ("_lookup", "_purposes", "_sealer", "fingerprint")

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the secret must be {KEY_BYTES} bytes")
        self._lookup = _subkey(key, b"dynamo lookup")
        self._purposes = _subkey(key, b"dynamo purpose lookup")
        self._sealer = AESGCM(_subkey(key, b"dynamo seal"))
        # What a database remembers its key by: tells a wrong key at start-up, reveals nothing.
        self.fingerprint = _subkey(key, b"dynamo fingerprint").hex()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Vault:
        """The vault of ``DYNAMO_SECRET_KEY``; SecretKeyError says how to set it."""
        return cls(secret.from_environ(environ))

    @classmethod
    def console(cls) -> Vault:
        return cls(CONSOLE_SECRET)

    @property
    def is_console(self) -> bool:
        return hmac.compare_digest(self.fingerprint, console_fingerprint())

    def digest(self, text: str) -> str:
        """The keyed digest of ``text`` (64 hex characters), to find a row by."""
        return hmac.digest(self._lookup, text.encode("utf-8"), "sha256").hex()

    def digest_for(self, text: str, purpose: str) -> str:
        """The keyed digest of ``text`` under a key of ``purpose``'s own (64 hex characters):
        a digest made for one purpose never equals one made for another, nor ``digest``'s,
        so rows of different tables can't be matched up by their digests."""
        key = hmac.digest(self._purposes, purpose.encode("ascii"), "sha256")
        return hmac.digest(key, text.encode("utf-8"), "sha256").hex()

    def seal(self, text: str, purpose: str) -> str:
        """``text`` encrypted for ``purpose``; a different token every time."""
        nonce = secrets.token_bytes(_NONCE)
        sealed = self._sealer.encrypt(nonce, text.encode("utf-8"), purpose.encode("ascii"))
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, token: str, purpose: str) -> str:
        """The text a `seal` for the same purpose made; ValueError for anything else."""
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
            plain = self._sealer.decrypt(raw[:_NONCE], raw[_NONCE:], purpose.encode("ascii"))
        except (InvalidTag, binascii.Error, UnicodeEncodeError, ValueError) as exc:
            raise ValueError(
                f"a stored {purpose} could not be opened: it was sealed with another key or "
                f"for another purpose"
            ) from exc
        return plain.decode("utf-8")


def _subkey(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


@cache
def console_fingerprint() -> str:
    return Vault(CONSOLE_SECRET).fingerprint


def check_fingerprint(vault: Vault, remembered: str) -> None:
    """Stop when ``vault`` is not the key the database was made with: every digest would
    miss, and every member would silently be a stranger."""
    if hmac.compare_digest(vault.fingerprint, remembered):
        return
    if hmac.compare_digest(remembered, console_fingerprint()):
        raise SecretKeyError(
            "This database was made by `dynamo console`, whose key is no secret at all: the "
            "accounts in it are not protected. Give the bot a database of its own ([database] "
            "url in the config, or DYNAMO_DATABASE_URL)."
        )
    if vault.is_console:
        raise SecretKeyError(
            f"This database was made with a real {KEY_ENV}; `dynamo console` runs on its own, "
            f"openly known key and would recognise no member in it. Try the console with a "
            f"database of its own ([database] url in its config)."
        )
    raise SecretKeyError(
        f"{KEY_ENV} is not the key this database was made with (this key's fingerprint starts "
        f"{vault.fingerprint[:8]}, the database's {remembered[:8]}). With another key no "
        f"member would be recognised, so I stop here: set the key it was made with. If that "
        f"key is lost, members can no longer be recognised and must register again."
    )
