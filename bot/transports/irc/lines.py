"""Reading the lines a server sends: the one parser every incoming line goes through.

A line is ``[@tags] [:source] COMMAND [params...] [:trailing]``. `parse` splits it the way
the irc library's own reader does (its `Arguments` and `Tag` helpers do the parameters and
the tag unescaping), and `texts` splits a PRIVMSG or NOTICE text into what was said and
what is CTCP (the library's `ctcp.dequote`, CTCP low-level quoting included). There is no
other reader: a plain PRIVMSG, a tagged one and a numeric reply all take this path, so
what the bot makes of a line never depends on its shape (tests/irc/test_irc_lines.py holds
it to the library's own reading).
"""

from __future__ import annotations

from dataclasses import dataclass

from irc import ctcp
from irc.message import Arguments, Tag

__all__ = ["Line", "parse", "texts"]

_CTCP_MARKS = (ctcp.DELIMITER, ctcp.LOW_LEVEL_QUOTE)


@dataclass(frozen=True, slots=True)
class Line:
    """One line from the server. `command` is upper case (``PRIVMSG``, ``001``); `source`
    is ``nick!user@host`` for a user, a server name, or "" when the line has none."""

    command: str
    source: str
    params: list[str]
    tags: dict[str, str | None]

    @property
    def nick(self) -> str:
        return self.source.partition("!")[0]

    @property
    def userhost(self) -> str:
        return self.source.partition("!")[2]

    @property
    def from_user(self) -> bool:
        """Whether the line comes from a user (``nick!user@host``), not a server."""
        return "!" in self.source

    def param(self, index: int) -> str | None:
        return self.params[index] if len(self.params) > index else None


def parse(line: str) -> Line | None:
    """The parts of one line (without its CR LF), or None when it has no command."""
    rest = line
    tags: dict[str, str | None] = {}
    if rest.startswith("@"):
        head, _, rest = rest.partition(" ")
        for item in head[1:].split(";"):
            if item:
                tag = Tag.parse(item)
                tags[tag["key"]] = tag["value"]
        rest = rest.lstrip(" ")
    source = ""
    if rest.startswith(":"):
        prefix, _, rest = rest.partition(" ")
        source = prefix[1:]
        rest = rest.lstrip(" ")
    command, _, arguments = rest.partition(" ")
    if not command:
        return None
    params = Arguments.from_group(" " + arguments) if arguments else []
    return Line(command.upper(), source, params, tags)


def texts(text: str) -> tuple[list[str], bool]:
    """What a PRIVMSG or NOTICE text says, without its CTCP parts, and whether it had any.

    ``"\\x01ACTION waves\\x01"`` is ([], True); ``"hi"`` is (["hi"], False). CTCP
    low-level quoting is undone (``"\\x10n"`` is a line break).
    """
    if not any(mark in text for mark in _CTCP_MARKS):
        return [text], False
    if text.count("\x01") % 2:
        # A lone \x01 opens no CTCP: it is dropped, and the text after it stays part of
        # what was said (it used to start a second command, or be cut off).
        head, _, tail = text.rpartition("\x01")
        text = head + tail
    said: list[str] = []
    had_ctcp = False
    for piece in ctcp.dequote(text):
        if isinstance(piece, tuple):
            had_ctcp = True
        else:
            said.append(piece)
    return said, had_ctcp
