"""The bot's text as Discord shows it, and within Discord's size limits.

Every text the bot sends to Discord goes through `render` (the bot's own text, in which
whatever a member wrote is marked: commands.framework.formatting) or `inert` (a member's text on its
own: an idea, a petition statement, a ``say``). They are the one place that decides how
member text looks on Discord:

- Discord renders markdown in message content and embeds, so a member's ``[x](http://evil)``
  would be a link the bot seems to offer, ``# Header`` a heading, ``||...||`` a spoiler.
  Member text is escaped (`discord.utils.escape_markdown`, and the few constructs it
  leaves alone, below) so it shows exactly as typed: a backslash before a punctuation
  character makes Discord show that character as it is.
- In public posts each item a member wrote stays on one line, so it can never start a line
  of its own that looks like the bot's.
- The bot's own markup still renders (``**name**``, `` `command` ``), and a quoted command
  reads as its slash command takes it: the core writes commands as lines typed in a private
  message (`` `sign 3 as "Name"` ``, `` `doc N edit TEXT` ``), Discord has them as slash
  commands with named options (`` `/sign campaign:3 name:Name` ``,
  `` `/doc campaign:N action:edit text:TEXT` ``), named as `option_name` names them for
  the slash commands themselves (slash.py).

Messages are at most 2,000 characters; longer replies are split on line breaks.
"""

from __future__ import annotations

import re

from discord.utils import escape_markdown, escape_mentions

from bot.transports.typed import Typed, retype
from commands.framework.formatting import one_line_quotes, plain, spans
from commands.framework.registry import Param, Registry

MAX_CONTENT = 2000
MAX_THREAD_NAME = 100
MAX_EMBED_FIELD = 1024

_LINE_BREAKS = re.compile(r"[\r\n\x00\x0b\x0c\x85\u2028\u2029]+")


# What escape_markdown leaves alone (as of discord.py 2.7) that Discord still renders. An
# escape pair already made (``\\*``) is matched first and kept, so nothing is escaped twice
# and an escaped backslash never swallows the escape of the character after it.
_MORE_MARKUP = re.compile(
    r"\\."
    # Every "[": escape_markdown escapes the first "[" of "[a](x) [b](y)" only.
    r"|(?P<bracket>\[)"
    # "<" opening a mention, channel, slash command, emoji, timestamp or guild link
    # (``<@1>``, ``<#1>``, ``</pitch:1>``, ``<:e:1>``, ``<a:e:1>``, ``<t:1:R>``, ``<id:home>``).
    r"|(?P<token><)(?=[@#/:]|a:|t:|id:)"
    # A numbered list item ("1. x") or an indented heading ("  # x") at a line's start.
    r"|^(?P<lead>[ \t]*[0-9]+(?=[.)][ \t])|[ \t]+(?=#{1,3}[ \t]))",
    re.MULTILINE | re.DOTALL,
)


def _escape_more(match: re.Match[str]) -> str:
    if match.group("bracket") or match.group("token"):
        return "\\" + match.group(0)
    if match.group("lead") is not None:
        # Escaped is the "." or ")" of a list item, the "#" of a heading: the next character.
        return match.group("lead") + "\\"
    return match.group(0)


def inert(text: str) -> str:
    """A member's text as nothing but text on Discord: no markup, no mention, no link
    text of its own; it reads exactly as typed (marks, if any, are dropped)."""
    escaped = escape_markdown(escape_mentions(plain(text)))
    return _MORE_MARKUP.sub(_escape_more, escaped)


def member_line(text: str) -> str:
    """A member's text for a public post: one line, inert."""
    return inert(_LINE_BREAKS.sub(" ", plain(text)).strip())


def render(text: str, registry: Registry | None, *, public: bool) -> str:
    """The bot's text as Discord shows it: its own markup renders and its quoted commands
    read as the slash commands of ``registry`` take them; what a member wrote in it is
    inert, and on one line when ``public``."""
    if public:
        text = one_line_quotes(text)
    if registry is not None:
        text = slash_commands(text, registry)
    return "".join(inert(piece) if by_member else piece for piece, by_member in spans(text))


def option_name(param: Param) -> str:
    """The name of the slash command option a command's parameter becomes."""
    return param.name


def slash_form(typed: Typed, written: str) -> str:
    """A quoted command as its slash command takes it: `/sign campaign:3 name:Name`."""
    words = [f"/{typed.name}"]
    if typed.rest:
        words.append(typed.rest)
    for part in typed.parts:
        option = f"{option_name(part.param)}:{part.value}"
        words.append(f"[{option}]" if part.optional else option)
    return " ".join(words)


def slash_commands(text: str, registry: Registry) -> str:
    """Every quoted command of `text` as its slash command takes it."""
    return retype(text, registry, slash_form)


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
