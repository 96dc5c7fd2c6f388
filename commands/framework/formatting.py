"""How members, ideas and times read in replies and announcements.

Replies and announcements are text with two kinds of markup of the bot's own: ``**bold**``
and `` `a command` ``. Whatever a member wrote goes in through `quote`, which marks it
(between U+E000 and U+E001, private-use characters that cleaned member text never holds),
so every platform can render the bot's words and show the member's words as nothing but
text: Discord escapes its markdown, IRC gives it no bold, and everything else shows it as it
is (`spans`, `plain`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from commands.framework.rules import Rules
from storage.repos.erasure import FORMER

OPEN, CLOSE = "\ue000", "\ue001"
_QUOTED = re.compile(f"{OPEN}(.*?){CLOSE}", re.DOTALL)
_MARKS = str.maketrans(dict.fromkeys(OPEN + CLOSE))


def quote(text: str) -> str:
    """Member text inside the bot's text: shown literally on every platform."""
    return f"{OPEN}{text.translate(_MARKS)}{CLOSE}"


def spans(text: str) -> Iterator[tuple[str, bool]]:
    """The pieces of a text, each with whether a member wrote it."""
    position = 0
    for match in _QUOTED.finditer(text):
        if match.start() > position:
            yield text[position : match.start()], False
        yield match.group(1), True
        position = match.end()
    if position < len(text):
        yield text[position:].translate(_MARKS), False


def plain(text: str) -> str:
    """The text without its marks (for platforms that render no markup)."""
    return text.translate(_MARKS)


_SEPARATORS = re.compile("[\r\n\x00\x0b\x0c\x85\u2028\u2029]")


def one_line_quotes(text: str) -> str:
    """The text with every line separator inside member text made a space: in a public post
    one item of a member's stays one line (the bot's own line breaks stay)."""
    if OPEN not in text:
        return text
    return _QUOTED.sub(lambda m: quote(_SEPARATORS.sub(" ", m.group(1))), text)


def who(pseudonym: str, revealed: str | None) -> str:
    """A pseudonym, with the name its holder chose to show beside it."""
    pseudonym = shown_pseudonym(pseudonym)
    return f"{pseudonym} ({quote(revealed)})" if revealed else pseudonym


def shown_pseudonym(pseudonym: str) -> str:
    """A pseudonym as shown: "former member" for everyone who left (their rows hold a
    distinct label, storage.repos.erasure.former_label, that is never shown)."""
    return FORMER if pseudonym.startswith(f"{FORMER} ") else pseudonym


def score(up: int, down: int) -> str:
    return f"+{up}/-{down}"


def needed_text(rules: Rules, up: int, down: int) -> str:
    needed = rules.upvotes_needed(up, down)
    if needed == 0:
        return "ready to launch"
    return f"needs {needed} more upvote{'s' if needed != 1 else ''}"


def idea_line(row: Any, rules: Rules) -> str:
    """One line for an idea in a listing: `#12 [+3/-1, needs 22 more] text — author`."""
    status = ""
    if row.status == "campaign":
        status = "campaign, "
    elif row.status == "closed":
        status = "closed, "
    extra = "" if row.status != "open" else f", {needed_text(rules, row.up, row.down)}"
    return (
        f"#{row.id} [{status}{score(row.up, row.down)}{extra}] {quote(row.text)} "
        f"— {who(row.pseudonym, row.author_revealed)}"
    )


def plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return (
        f"{n} {word[:-1]}ies" if word.endswith("y") and word[-2] not in "aeiou" else f"{n} {word}s"
    )
