"""Making core reply text read well on Discord, and fit its size limits.

The core writes commands as typed lines (`` `pitch YOUR IDEA` ``); on Discord the same
commands are slash commands, so a quoted command word gets its slash. Messages are at most
2,000 characters; longer replies are split on line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Collection

MAX_CONTENT = 2000
MAX_THREAD_NAME = 100
MAX_EMBED_FIELD = 1024

_QUOTED = re.compile(r"`([a-z]+)(?=[ `])")
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]+")


def slashify(text: str, command_words: Collection[str]) -> str:
    """`` `pitch X` `` becomes `` `/pitch X` `` for every quoted command (or group) word."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(1)
        return f"`/{word}" if word in command_words else match.group(0)

    return _QUOTED.sub(swap, text)


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str, limit: int) -> str:
    """A single line (for thread names and titles), clipped."""
    return clip(_LINE_BREAKS.sub(" ", text).strip(), limit)


def chunks(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """Split ``text`` into messages of at most ``limit`` characters, on line breaks when it
    can, inside a line only when a single line is longer than a message."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            pieces.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return [p for p in pieces if p.strip()] or [text[:limit]]
