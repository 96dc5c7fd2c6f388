"""Registration and link codes: generation, normalisation, hashing.

Codes look like ``K7QF-M2XD-9HPA-3TWC``: 16 characters from a 31-character alphabet with no
look-alikes (no 0/O, 1/I/L), about 79 random bits. Typed case-insensitively, with or without
dashes or spaces. Only a SHA-256 of the normalised code is ever stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# Workers, and people asked to help who are not workers (shown only to moderators).
KINDS = ("worker", "invite")
GROUP = 4


def generate(groups: int = 4) -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(groups * GROUP))
    return "-".join(chars[i : i + GROUP] for i in range(0, len(chars), GROUP))


def normalize(typed: str) -> str | None:
    """The canonical form of a typed code, or None if it cannot be one of ours."""
    cleaned = "".join(ch for ch in typed.upper() if ch not in "- \t_")
    if not cleaned or len(cleaned) > 64 or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def digest(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("ascii")).hexdigest()


_SYMBOL = "[2-9A-HJKMNP-Za-hjkmnp-z]"
# Three or four groups of four (link and registration codes), dashes, spaces or nothing
# between them, standing on their own.
_CODE_LIKE = re.compile(
    rf"(?<![0-9A-Za-z]){_SYMBOL}{{4}}(?:[-_ ]?{_SYMBOL}{{4}}){{2,3}}(?![0-9A-Za-z])"
)


def digests_in(text: str) -> list[str]:
    """The digests of everything in ``text`` that could be a registration or link code."""
    found = []
    for match in _CODE_LIKE.finditer(text):
        normalized = normalize(match.group(0))
        if normalized is not None and len(normalized) in (3 * GROUP, 4 * GROUP):
            found.append(digest(normalized))
    return found
