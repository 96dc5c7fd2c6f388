"""Random ``adjective_animal`` pseudonyms from the word lists shipped in ``data/``."""

from __future__ import annotations

import secrets
from functools import cache
from importlib import resources


@cache
def words(kind: str) -> tuple[str, ...]:
    text = resources.files("commands").joinpath("data", f"{kind}.txt").read_text("utf-8")
    return tuple(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def random_name() -> str:
    return f"{secrets.choice(words('adjectives'))}_{secrets.choice(words('animals'))}"


def candidates(n: int) -> list[str]:
    return list({random_name() for _ in range(n)})
