"""The public pages as they were last rendered, served again while the data under them has
not changed.

Every page that is the same for every reader (the front page, ideas, campaigns, their
documents, revisions and diffs) is built from what the database holds; none reads a cookie
or anything else of the reader's. So the bytes rendered for an address stand until the next
write: each request reads the database's data version first (``Database.data_version``: one
pragma on SQLite, one round trip on PostgreSQL, where the campaign page alone is a dozen
queries), and serves the kept bytes when it is the one they were rendered under. Any commit,
from this process or another, changes the version: the next request renders the page anew,
with the data as it is then. A page that would read differently at a later moment without
any write (a deadline passing) says until when its bytes hold (``FRESH_UNTIL``).

The headers every response carries (bot.web.server.HEADERS) are added to each response as
it leaves, cached or not. The editor's pages, which differ per member, never come here.

Requests share the reads of the version: one that comes while a read is under way waits for
the next read, which starts once that one is done (the read under way may have started before
a commit this request must see; the next one starts after the request came). So at most one
read is under way however many requests come at once, and each page shows at least what was
committed before it was asked for. While one request renders an address, the others asking
for it under the same version wait for its bytes rather than render it too. What is kept is
bounded (``BUDGET`` bytes, the least recently served pages go first).
"""

from __future__ import annotations

import asyncio
import functools
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from storage.db import Database

Handler = Callable[[web.Request], Awaitable[web.Response]]

# A page that reads differently from this moment on, with or without a write.
FRESH_UNTIL = web.ResponseKey("fresh_until", datetime)
BUDGET = 32 * 1024 * 1024


@dataclass(frozen=True)
class Page:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    until: datetime | None

    @classmethod
    def of(cls, response: web.Response) -> Page:
        body = response.body
        if not isinstance(body, bytes):
            raise TypeError(f"a cached page is rendered to bytes, not {type(body).__name__}")
        headers = tuple((k, v) for k, v in response.headers.items() if k != "Content-Length")
        return cls(response.status, body, headers, response.get(FRESH_UNTIL))

    def response(self) -> web.Response:
        return web.Response(status=self.status, body=self.body, headers=self.headers)


class _Entry:
    __slots__ = ("page", "ready", "version")

    def __init__(self, version: Hashable) -> None:
        self.version = version
        self.page: Page | None = None
        self.ready = asyncio.Event()


class SharedReads:
    """``read()`` calls that share one read: each call gets the result of a read that started
    after the call was made, and at most one read is under way at a time."""

    def __init__(self, read: Callable[[], Awaitable[Hashable | None]]) -> None:
        self.read = read
        self._next: asyncio.Future[Hashable | None] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def __call__(self) -> Hashable | None:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            self._next.add_done_callback(_retrieved)
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._run(), name="page-cache-version")
        return await asyncio.shield(self._next)

    async def _run(self) -> None:
        while self._next is not None:
            waiting, self._next = self._next, None
            try:
                waiting.set_result(await self.read())
            except asyncio.CancelledError:  # the server stops
                waiting.cancel()
                raise
            except Exception as exc:  # each request waiting for this read fails with it
                waiting.set_exception(exc)


def _retrieved(future: asyncio.Future[Hashable | None]) -> None:
    """Mark a failed read's exception as seen: the requests that waited for it got it; it is
    not logged again as never retrieved."""
    if not future.cancelled():
        future.exception()


class PageCache:
    def __init__(self, db: Database, clock: Callable[[], datetime], budget: int = BUDGET) -> None:
        self.clock = clock
        self.budget = budget
        self.size = 0
        self._version = SharedReads(db.data_version)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    async def page(self, key: str, render: Callable[[], Awaitable[web.Response]]) -> Page:
        version = await self._version()
        if version is None:
            return Page.of(await render())
        entry = self._entries.get(key)
        if entry is not None and entry.version == version:
            if entry.page is None:
                await entry.ready.wait()  # another request is rendering it
            page = entry.page
            if page is not None and self._fresh(page):
                self._entries.move_to_end(key)
                return page
        return await self._render(key, version, render)

    async def _render(
        self, key: str, version: Hashable, render: Callable[[], Awaitable[web.Response]]
    ) -> Page:
        entry = _Entry(version)
        self._forget(key)
        self._entries[key] = entry
        try:
            page = entry.page = Page.of(await render())
            if self._entries.get(key) is entry:
                self.size += len(page.body)
                self._trim()
            return page
        finally:
            if entry.page is None and self._entries.get(key) is entry:
                del self._entries[key]  # failed: the requests waiting render it themselves
            entry.ready.set()

    def _fresh(self, page: Page) -> bool:
        return page.until is None or self.clock() < page.until

    def _forget(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None and old.page is not None:
            self.size -= len(old.page.body)

    def _trim(self) -> None:
        while self.size > self.budget and self._entries:
            self._forget(next(iter(self._entries)))


PAGE_CACHE = web.AppKey("page_cache", PageCache)


def cached(handler: Handler) -> Handler:
    """Serve the handler's page from the cache while the data has not changed (the handler
    must read nothing of the reader's: no cookie, no header, no query string)."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        page = await request.app[PAGE_CACHE].page(request.path, lambda: handler(request))
        return page.response()

    return wrapped
