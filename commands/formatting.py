"""How members, ideas and times read in replies and announcements (plain text)."""

from __future__ import annotations

from typing import Any

from commands.rules import Rules


def who(pseudonym: str, revealed: str | None) -> str:
    """A pseudonym, with the name its holder chose to show beside it."""
    return f"{pseudonym} ({revealed})" if revealed else pseudonym


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
        f"#{row.id} [{status}{score(row.up, row.down)}{extra}] {row.text} "
        f"— {who(row.pseudonym, row.author_revealed)}"
    )


def plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return (
        f"{n} {word[:-1]}ies" if word.endswith("y") and word[-2] not in "aeiou" else f"{n} {word}s"
    )
