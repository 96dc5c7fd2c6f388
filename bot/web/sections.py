"""A campaign document cut into sections at its Markdown headings, for editing one at a time.

A section runs from a heading (``#`` to ``######`` at the start of a line, outside a fenced
code block) to the next; text before the first heading is a section of its own. The
sections put back together are exactly the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Section:
    number: int  # from 1
    title: str
    text: str


def split(text: str) -> list[Section]:
    parts: list[list[str]] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
        elif opened:
            fence = opened.group(1)
        elif _HEADING.match(line.rstrip("\n")) and parts:
            parts.append([])
        if not parts:
            parts.append([])
        parts[-1].append(line)
    return [
        Section(number, _title("".join(lines)), "".join(lines))
        for number, lines in enumerate(parts, start=1)
    ]


def replace(text: str, number: int, new: str) -> str | None:
    """``text`` with section ``number`` replaced by ``new``; None when there is no such
    section. A section that is not the last keeps a line break at its end, so the next
    heading stays a heading."""
    sections = split(text)
    if not 1 <= number <= len(sections):
        return None
    new = new.replace("\r\n", "\n")
    if number < len(sections) and new and not new.endswith("\n"):
        new += "\n"
    texts = [s.text for s in sections]
    texts[number - 1] = new
    return "".join(texts)


def _title(text: str) -> str:
    first = text.split("\n", 1)[0]
    heading = _HEADING.match(first)
    if heading:
        return (heading.group(2) or "").strip() or "(untitled section)"
    return "Before the first heading"
