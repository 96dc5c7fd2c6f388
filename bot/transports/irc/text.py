"""Making text safe and well-sized for IRC lines.

Everything a user wrote, and everything derived from it, passes through `split_message`
(which sanitizes each piece) before it is put in a PRIVMSG, NOTICE or TOPIC line. The irc
library rejects a bare LF but lets CR and NUL through, and servers such as ngircd end a
line at a bare CR, so "innocent\\rJOIN #x" would otherwise become a second command.

Only "\\n", the bot's own line break, starts a new message. Every other line separator
(CR, U+0085, U+2028, U+2029, VT, FF, ...) becomes a space: a member's text that splits
into several messages could make one of them pose as the bot or as another member.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# mIRC formatting codes users legitimately send: bold, colour, reset, italics, underline.
_FORMATTING = frozenset("\x02\x03\x0f\x1d\x1f")

# All C0 controls except formatting, DEL, and the Unicode line/paragraph separators. The
# separators are not protocol line ends, but many clients render them as new lines, which
# would let one message pose as several (one of them seemingly from someone else).
_UNSAFE = (
    "".join(ch for ch in map(chr, range(32)) if ch not in _FORMATTING) + "\x7f\x85\u2028\u2029"
)
_UNSAFE_TABLE = str.maketrans(dict.fromkeys(_UNSAFE, " "))

# The one line break a message is split on before pieces are sized: the bot's own. Not
# str.splitlines, which also splits on CR, U+0085, U+2028, U+2029, VT, FF and \x1c-\x1e
# (and \x1d is the italics code).
LINE_BREAK = "\n"

_UTF8_CONTINUATION = 0b1100_0000
_UTF8_CONTINUATION_BITS = 0b1000_0000


def sanitize(text: str) -> str:
    """Replace every control character that could end or forge an IRC line with a space.

    Formatting codes (bold, colour, reset, italics, underline) are kept.
    """
    return text.translate(_UNSAFE_TABLE)


def split_message(text: str, max_bytes: int = 400) -> list[str]:
    """Split text into sanitized pieces of at most `max_bytes` UTF-8 bytes each.

    "\\n" splits first (every other control character becomes a space); a longer line is
    cut into as few pieces as fit, as even as they can be, each at a space, or, in a word
    longer than a whole piece, after the last complete character that fits. Blank pieces
    are dropped because IRC cannot send an empty message.
    """
    if max_bytes < 4:
        # Below 4 bytes a single UTF-8 character might not fit and the loop could not advance.
        raise ValueError("max_bytes must be at least 4")
    if len(text) * 4 <= max_bytes or (len(text) <= max_bytes and text.isascii()):
        # Fits whatever it holds (the usual reply line): no control characters means no
        # line breaks either, so it is one piece as it is.
        clean = sanitize(text)
        if clean == text:
            line = text.rstrip(" ")
            return [line] if line.strip(" ") else []
    pieces: list[str] = []
    for line in text.split(LINE_BREAK):
        # Strip only spaces: Python's isspace() also matches the \x1d/\x1f formatting codes.
        pieces.extend(_split_line(sanitize(line).rstrip(" "), max_bytes))
    return pieces


def split_prefixed(line: str, max_bytes: int, prefix: str) -> list[str]:
    """Split one line (no "\\n" in it) into sanitized pieces of at most `max_bytes` bytes,
    every piece after the first starting with `prefix`.

    A long post about campaign 3 continues "[campaign 3] ...": no continuation line of it
    can pass for a post of its own, or for a line by someone else.
    """
    prefix = sanitize(prefix)
    budget = max_bytes - len(prefix.encode("utf-8"))
    if budget < 4:
        raise ValueError("the prefix leaves no room for text")
    clean = sanitize(line).rstrip(" ")
    first = _split_line(clean, max_bytes, budget)
    return first[:1] + [prefix + piece for piece in first[1:]]


def _split_line(line: str, max_bytes: int, then: int | None = None) -> list[str]:
    """Pieces of at most `max_bytes`, or, after the first, `then` bytes: as few as filling
    each piece in turn takes, and as even as they can be without more pieces or more words
    cut in two (413 bytes in 400-byte pieces are two of about 207, not 400 and 13)."""
    data = line.encode("utf-8")
    later = max_bytes if then is None else then
    pieces, cut_words = _fill(data, max_bytes, later)
    if len(pieces) < 2:
        return pieces
    # The narrowest fill that needs no more pieces and cuts no more words, found by halving
    # how much narrower it is (a fill's pieces only grow in number as it narrows).
    narrower, widest = 0, min(max_bytes, later) - 4
    while narrower < widest:
        trying = (narrower + widest + 1) // 2
        tried, tried_cuts = _fill(data, max_bytes - trying, later - trying)
        if len(tried) <= len(pieces) and tried_cuts <= cut_words:
            narrower, pieces = trying, tried
        else:
            widest = trying - 1
    return pieces


def _fill(data: bytes, first: int, later: int) -> tuple[list[str], int]:
    """Pieces of at most `first` bytes, then `later` bytes, each ending at the last space
    that fits (or, in a word longer than a piece, at the last whole character that fits),
    and how many words were cut in two."""
    pieces: list[str] = []
    cut_words = 0
    limit = first
    while len(data) > limit:
        cut = limit
        # data[cut] starts the remainder; back up while it is inside a character.
        while data[cut] & _UTF8_CONTINUATION == _UTF8_CONTINUATION_BITS:
            cut -= 1
        space = data.rfind(b" ", 0, cut + 1)
        if space > 0:
            head, data = data[:space], data[space + 1 :].lstrip(b" ")
        else:
            head, data = data[:cut], data[cut:]
            cut_words += 1
        piece = head.decode("utf-8").rstrip(" ")
        if piece.strip(" "):
            pieces.append(piece)
            limit = later
    rest = data.decode("utf-8")
    if rest.strip(" "):
        pieces.append(rest)
    return pieces, cut_words


def truncate_bytes(text: str, max_bytes: int) -> str:
    """The longest prefix of sanitized text that fits in `max_bytes` UTF-8 bytes."""
    data = sanitize(text).encode("utf-8")
    if len(data) <= max_bytes:
        return data.decode("utf-8")
    cut = max_bytes
    while cut > 0 and data[cut] & _UTF8_CONTINUATION == _UTF8_CONTINUATION_BITS:
        cut -= 1
    return data[:cut].decode("utf-8")


def paginate(lines: Iterable[str], first: int = 5) -> tuple[list[str], list[str]]:
    """Split a listing into what to show now and what to keep for "more".

    IRC has no scrolling widget: a long listing is shown `first` lines at a time, and the
    caller keeps `rest` for the member's next "more".
    """
    if first < 1:
        raise ValueError("first must be at least 1")
    items = list(lines)
    return items[:first], items[first:]


# Casemappings a server may announce in ISUPPORT (005). rfc1459 is the default when none is.
_CASEMAPS = {
    "ascii": str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"),
    "rfc1459": str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ[]\\~", "abcdefghijklmnopqrstuvwxyz{}|^"),
    "strict-rfc1459": str.maketrans(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ[]\\", "abcdefghijklmnopqrstuvwxyz{}|"
    ),
}


def irc_lower(name: str, casemapping: str = "rfc1459") -> str:
    """Fold a nick, channel or account name the way the server compares them."""
    table = _CASEMAPS.get(casemapping)
    if table is None:
        # Unknown mappings (e.g. rfc7613) are Unicode-aware; casefold is the closest match.
        return name.casefold()
    return name.translate(table)


_CHANNEL_STARTS = "#&+!"
# A comma lists several targets; white space or a control character ends the parameter.
_BREAKS_TARGET = re.compile(r"[,\s\x00-\x1f\x7f]")


def is_channel(name: str) -> bool:
    return name[:1] in _CHANNEL_STARTS


def check_target(name: str, *, channel: bool | None) -> None:
    """Refuse a target that could break the line or address someone unintended.

    `channel=True` demands a channel, False a nick, None accepts either.
    """
    if not name or name[0] == ":" or _BREAKS_TARGET.search(name):
        raise ValueError(f"not a valid IRC target: {name!r}")
    if channel is True and not is_channel(name):
        raise ValueError(f"not a channel name: {name!r}")
    if channel is False and is_channel(name):
        raise ValueError(f"not a nick: {name!r}")
