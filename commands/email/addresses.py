"""Email addresses: what we accept and how an owner is shown theirs.

No imports beyond the standard library, so the config loader can check ``[email] from``
without loading the database layer.
"""

from __future__ import annotations

import re

# Deliberately plain ASCII: no display names, quoting or IDN, and never CR or LF, so an
# address can go into a header as it is.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$"
)


def valid_address(text: str) -> str | None:
    address = text.strip().strip("<>")
    if len(address) > 254 or not _ADDRESS.match(address) or ".." in address:
        return None
    local, _, domain = address.partition("@")
    return f"{local}@{domain.lower()}"


def masked(address: str) -> str:
    """What even the owner is shown: ``j…@e….org``."""
    local, _, domain = address.partition("@")
    name, _, tld = domain.rpartition(".")
    return f"{local[:1]}…@{name[:1]}….{tld}"
