"""What changed between two revisions of a document, line by line, for a page to show
without script: each line is kept, added or removed, with a few unchanged lines around each
change and a gap where more were left out."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CONTEXT = 3


@dataclass(frozen=True)
class Line:
    kind: str  # "same", "add", "del" or "gap"
    text: str


def lines(old: str, new: str, context: int = CONTEXT) -> list[Line]:
    a, b = old.splitlines(), new.splitlines()
    groups = list(difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context))
    shown: list[Line] = []
    for group in groups:
        if group[0][1] > 0 or group[0][3] > 0:
            shown.append(Line("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                shown += [Line("same", t) for t in a[i1:i2]]
                continue
            shown += [Line("del", t) for t in a[i1:i2]]
            shown += [Line("add", t) for t in b[j1:j2]]
    if groups and groups[-1][-1][4] < len(b):
        shown.append(Line("gap", "…"))
    return shown


def counts(shown: list[Line]) -> tuple[int, int]:
    """Lines added and removed."""
    return sum(x.kind == "add" for x in shown), sum(x.kind == "del" for x in shown)
