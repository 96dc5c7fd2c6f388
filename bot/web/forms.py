"""Form tokens for readers without a session: each form carries a token that names the
page it was served on and when it stops working, signed with the project secret (keyed
digest, storage/vault.py). A POST without a valid one is refused, so another site cannot
make a reader's browser submit a form it never served; no cookie is needed."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from storage.vault import Vault

LIFETIME = timedelta(hours=2)


def token(vault: Vault, path: str, now: datetime) -> str:
    expires = int((now + LIFETIME).timestamp())
    return f"{expires}.{_mac(vault, path, expires)}"


def valid(vault: Vault, path: str, given: str, now: datetime) -> bool:
    expires, sep, mac = given.partition(".")
    if not sep or not expires.isdigit() or len(expires) > 12:
        return False
    if int(expires) < now.timestamp():
        return False
    return hmac.compare_digest(mac, _mac(vault, path, int(expires)))


def _mac(vault: Vault, path: str, expires: int) -> str:
    return vault.digest(f"web form:{path}:{expires}")[:32]
