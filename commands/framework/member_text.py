"""Member text made inert before it is stored: one item, one line; nothing invisible.

Every text a member sends passes through `clean` (or `clean_lines` for the few long texts
that may have paragraphs, such as a campaign's document) before a command sees it:

- Every line separator (CR, LF, NUL, U+0085, U+2028, U+2029, VT, FF) and tab becomes a
  space: a pitch or a ``say`` can never become two lines, one of them posing as the bot or
  as another member (``<leafy_towhee> I quit``).
- Other control characters (C0, DEL, C1: terminal escapes, IRC colour codes) are dropped.
- Invisible characters that can hide or reorder text are dropped: zero-width spaces, the
  word joiner, the byte order mark, and the bidirectional embeddings, overrides and
  isolates (U+202E would show ``txet`` as ``text``). The zero-width joiner and non-joiner
  stay: emoji sequences and several scripts need them.

`visible` says whether anything readable is left.
"""

from __future__ import annotations

import re
import unicodedata

LINE_SEPARATORS = "\r\n\x00\x0b\x0c\x85\u2028\u2029"
INVISIBLE = (
    "\u200b\u2060\ufeff\u180e"  # zero-width space, word joiner, BOM, Mongolian vowel separator
    "\u200e\u200f\u061c"  # left-to-right, right-to-left and Arabic letter marks
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # bidi isolates
    "\ue000\ue001"  # what commands.framework.formatting marks member text with
)
_CONTROLS = "".join(chr(c) for c in (*range(0x20), *range(0x7F, 0xA0)))
_TO_SPACE = str.maketrans(
    {**dict.fromkeys(_CONTROLS, None), **dict.fromkeys(LINE_SEPARATORS + "\t", " ")}
    | dict.fromkeys(INVISIBLE, None)
)
_KEEP_NEWLINES = str.maketrans(
    {**dict.fromkeys(_CONTROLS, None), "\t": " ", **dict.fromkeys(LINE_SEPARATORS, "\n")}
    | dict.fromkeys(INVISIBLE, None)
)
_SEPARATORS_ONLY = str.maketrans(dict.fromkeys(LINE_SEPARATORS, " "))
JOINERS = "\u200c\u200d"
_CRLF = re.compile(r"\r\n")
_READABLE = frozenset("LNPS")  # letters, numbers, punctuation, symbols


def clean(text: str) -> str:
    """One line, nothing invisible, no spaces at either end."""
    return text.translate(_TO_SPACE).strip(" ")


def clean_lines(text: str) -> str:
    """Like `clean`, but paragraphs stay: every line separator becomes a newline."""
    lines = _CRLF.sub("\n", text).translate(_KEEP_NEWLINES).split("\n")
    return "\n".join(line.rstrip(" ") for line in lines).strip("\n")


def visible(text: str) -> bool:
    """Whether the text has anything a reader can see (a letter, digit, mark or symbol)."""
    return any(unicodedata.category(ch)[0] in _READABLE for ch in text)


def one_line(text: str) -> str:
    """Only the line separators become spaces (a typed command line, before parsing)."""
    return text.translate(_SEPARATORS_ONLY)


def unsafe_characters(text: str, *, joiners: bool = False) -> str | None:
    """The first character `clean` would drop or change (with ``joiners``, the zero-width
    joiner and non-joiner too), or None."""
    extra = JOINERS if joiners else ""
    for ch in text:
        if ch in _CONTROLS or ch in LINE_SEPARATORS or ch in INVISIBLE or ch in extra:
            return ch
    return None
