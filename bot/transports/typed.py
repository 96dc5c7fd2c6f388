"""The commands the bot quotes, read from the registry so each transport can show them the
way its people type them.

The core writes a command once, as a line typed in a private message, between backticks:
an example (`` `sign 3` ``, `` `sign 3 as "Name"` ``, `` `mod deadline 12 in 7d` ``), a
pattern (`` `pitch YOUR IDEA` ``, `` `doc N edit TEXT` ``) or a usage line made from the
declared parameters (`` `sign CAMPAIGN [worker|researcher|ally] [as NAME]` ``). `read`
matches such a text to its command and to the parameter each part fills; `retype` hands
every quoted command in a text to a transport's own way of showing it (Discord: slash
options, IRC channels: the prefix) and leaves every other quoted text alone. Quotes holding
member text (commands.framework.formatting) are never touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from commands.framework.formatting import quote, spans
from commands.framework.registry import Command, Param, Registry, unquote

# What stands for a number in a pattern (`sign N`, `doc N revert REV`), besides a number.
_NUMBER = re.compile(r"#?[0-9]+|[A-Z][A-Z0-9_-]*")
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’"}
# What stands for "the rest of the line" after a command's name: `say 3 ...`.
_ELLIPSES = ("...", "…")


@dataclass(frozen=True)
class Part:
    """One parameter a quoted command fills: its value as written (``3``, ``N``,
    ``worker|researcher|ally``, ``Kristy M.``), and whether the text marks it optional
    (a usage line's ``[as NAME]``)."""

    param: Param
    value: str
    optional: bool = False


@dataclass(frozen=True)
class Typed:
    """A quoted command: its name (a command's, or a group's alone: `mod`), the parameters
    it fills in order, and ``rest`` (an ellipsis standing for them, or "")."""

    name: str
    command: Command | None
    parts: tuple[Part, ...] = ()
    rest: str = ""
    # Whether it can be used in a channel: a private command (and a hint about one) is
    # shown the way it is typed in a private message wherever the hint is read.
    public: bool = False


def read(registry: Registry, text: str) -> Typed | None:
    """The command `text` is (typed, a pattern or a usage line), or None."""
    first, _, rest = text.strip().partition(" ")
    if first != first.lower() or not first:
        return None
    command = registry.get(first)
    if first in registry.groups():
        second, _, tail = rest.strip().partition(" ")
        command = registry.get(f"{first} {second}") if second else None
        if command is None:
            if second:
                return None
            public = any(not c.private for c in registry if c.group == first)
            return Typed(first, None, public=public)
        rest = tail
    if command is None:
        return None
    rest = rest.strip()
    if rest in _ELLIPSES:
        return Typed(command.name, command, rest=rest, public=not command.private)
    parts = _parts(command, rest)
    if parts is None:
        return None
    return Typed(command.name, command, parts, public=not command.private)


def _parts(command: Command, rest: str) -> tuple[Part, ...] | None:
    """The parameters `rest` fills, left to right as the registry's parser reads them;
    None when it doesn't fit the command."""
    parts: list[Part] = []
    remaining = rest
    for param in command.params:
        if not remaining:
            break
        if not param.required and remaining.startswith(f"[{_inner(param)}]"):
            parts.append(Part(param, _bare(param), optional=True))
            remaining = remaining[len(_inner(param)) + 2 :].strip()
            continue
        token, _, tail = remaining.partition(" ")
        if param.kind == "text":
            if param.keyword:
                if token != param.keyword:
                    break
                parts.append(Part(param, unquote(tail)))
            else:
                parts.append(Part(param, remaining))
            remaining = ""
            continue
        if param.kind == "choice":
            fits = token in param.choices or token == "|".join(param.choices)
        elif param.kind == "int":
            fits = _NUMBER.fullmatch(token) is not None
        else:
            fits = True
        if fits:
            parts.append(Part(param, token.removeprefix("#") if param.kind == "int" else token))
            remaining = tail.strip()
        elif param.required:
            return None
    return None if remaining else tuple(parts)


def _inner(param: Param) -> str:
    """What a usage line shows between the brackets of an optional parameter."""
    return param.placeholder.removeprefix("[").removesuffix("]")


def _bare(param: Param) -> str:
    """The placeholder of a parameter's value, without its keyword (``NAME`` of ``as NAME``)."""
    inner = _inner(param)
    return inner.removeprefix(f"{param.keyword} ") if param.keyword else inner


def retype(text: str, registry: Registry, show: Callable[[Typed, str], str]) -> str:
    """`text` with every quoted command (between backticks) replaced by ``show(typed,
    as_written)``; quotes that are no command, or that hold member text, stay as they are."""
    if "`" not in text:
        return text
    out: list[str] = []
    code: list[str] | None = None  # what the open quote holds so far
    theirs_inside = False
    for piece, theirs in spans(text):
        if theirs:
            (out if code is None else code).append(quote(piece))
            theirs_inside = theirs_inside or code is not None
            continue
        for index, part in enumerate(piece.split("`")):
            if index:
                if code is None:
                    code, theirs_inside = [], False
                else:
                    written = "".join(code)
                    typed = None if theirs_inside else read(registry, written)
                    out.append(f"`{written if typed is None else show(typed, written)}`")
                    code = None
            (out if code is None else code).append(part)
    if code is not None:
        out.append("`" + "".join(code))
    return "".join(out)


def in_channel(text: str, registry: Registry, prefix: str) -> str:
    """`text` as a channel shows it where commands start with `prefix` (``!ideas``): every
    quoted command that can be used there gets the prefix. A private command stays as it
    is typed in a private message, for that is where the text tells people to send it
    ("sign it privately: `sign 3`")."""

    def show(typed: Typed, written: str) -> str:
        return f"{prefix}{written}" if typed.public else written

    return retype(text, registry, show)
