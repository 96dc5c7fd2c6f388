"""What `more` shows next, kept for whoever it belongs to and no one else.

IRC has no scrolling widget, so a long answer is shown a page at a time and the rest is
kept here. A private page belongs to one reader: their identity together with the
``user@host`` they asked from (folded the way the server compares names), so that
``vic{`` can never read what was kept for ``vic[`` (ngircd folds neither into the other),
and someone who takes a nick after its holder left gets nothing of theirs. It is dropped
when that nick quits or changes nick (`forget_nick`), and after `ttl` seconds in any case.
A channel's page belongs to the channel: a public answer is the same for everyone.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# Ten minutes: long enough to read a page, short enough not to outlive the conversation.
TTL = 600.0
# Pages kept at most (a flood of strangers asking for `help`); the oldest go first.
MAX_PAGES = 10_000

PageKey = tuple[str, ...]


@dataclass
class Page:
    """The lines still to show, and who they were meant for.

    `member` says whether the asker was a member in good standing (their lines go first);
    `nick` is the folded nick a private page was shown to (None for a channel's page);
    `owner` is the identity key of whoever asked.
    """

    lines: list[str]
    member: bool
    owner: str
    nick: str | None
    expires_at: float


class Pages:
    def __init__(
        self, ttl: float = TTL, clock: Callable[[], float] = time.monotonic, limit: int = MAX_PAGES
    ) -> None:
        if ttl <= 0 or limit < 1:
            raise ValueError("pages need a positive ttl and room for at least one")
        self.ttl = ttl
        self.clock = clock
        self.limit = limit
        # In the order they were kept, which is also the order they expire in.
        self._pages: OrderedDict[PageKey, Page] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pages)

    def keep(
        self, key: PageKey, lines: list[str], *, member: bool, owner: str, nick: str | None
    ) -> None:
        """Keep `lines` for the next `more` under `key` (replacing what was kept there)."""
        self._expire()
        self._pages.pop(key, None)
        self._pages[key] = Page(lines, member, owner, nick, self.clock() + self.ttl)
        while len(self._pages) > self.limit:
            self._pages.popitem(last=False)

    def drop(self, key: PageKey) -> None:
        self._pages.pop(key, None)

    def take(self, key: PageKey) -> Page | None:
        """The page kept under `key`, no longer kept; None when there is none (or it
        expired)."""
        self._expire()
        return self._pages.pop(key, None)

    def forget_nick(self, nick: str) -> int:
        """Drop the private pages shown to the folded `nick`; returns how many."""
        gone = [key for key, page in self._pages.items() if page.nick == nick]
        for key in gone:
            del self._pages[key]
        return len(gone)

    def _expire(self) -> None:
        now = self.clock()
        while self._pages:
            key, page = next(iter(self._pages.items()))
            if page.expires_at > now:
                break
            del self._pages[key]
