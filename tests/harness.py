"""The chat harness: tests read like the user's story.

    pseudonym = await chat.join("alice")
    reply = await chat.dm("alice", "pitch Pay for rejected work")
    assert "#1" in chat.announcements[-1]

``ConsoleChat`` drives the real console transport. The IRC and Discord harnesses offer the
same methods, so the same stories run against every transport.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.app import App
from bot.config import Config
from bot.transports.console import ConsoleTransport
from commands import admin
from commands.framework.formatting import plain
from storage.db import Database


@dataclass
class Seen:
    where: str  # channel name or "DM name"
    text: str


class RecordingConsole(ConsoleTransport):
    def __init__(self, app: App) -> None:
        super().__init__(app, out=lambda _line: None)
        self.seen: list[Seen] = []

    def emit(self, where: str, text: str) -> None:
        # What the person reads: member text unmarked (see commands.framework.formatting).
        self.seen.append(Seen(where, plain(text)))


@dataclass
class ConsoleChat:
    db: Database
    config: Config
    clock: object = None
    app: App = field(init=False)
    console: RecordingConsole = field(init=False)

    def __post_init__(self) -> None:
        kwargs = {"clock": self.clock} if self.clock else {}
        self.app = App(self.config, db=self.db, **kwargs)
        self.console = RecordingConsole(self.app)
        self.app.add_transport(self.console)

    async def start(self) -> None:
        await self.app.start(dispatch=False)

    async def stop(self) -> None:
        await self.app.stop()

    # -- acting -------------------------------------------------------------------------
    async def mint(
        self, kind: str = "worker", expires_at: datetime | None = None, count: int = 1
    ) -> list[str]:
        now = self.app.clock()
        return await admin.mint(
            self.db, count, kind=kind, batch="test", now=now, expires_at=expires_at
        )

    async def become(self, person: str) -> None:
        if self.console.current != person:
            mark = len(self.console.seen)
            await self.console.line(f"/as {person}")
            del self.console.seen[mark:]

    async def dm(self, person: str, line: str) -> str:
        """Send the bot a private message; returns its reply."""
        await self.become(person)
        mark = len(self.console.seen)
        await self.console.line(line)
        return self._first(mark, f"DM {person}")

    async def channel(self, person: str, line: str) -> str | None:
        """Say a line in the public channel; returns the bot's public answer, if any."""
        await self.become(person)
        mark = len(self.console.seen)
        await self.console.line(f"/channel {line}")
        for seen in self.console.seen[mark:]:
            if seen.where == self.console.channel and seen.text.startswith("<dynamo> "):
                return seen.text.removeprefix("<dynamo> ")
        return None

    async def join(self, person: str, kind: str = "worker") -> str:
        """Register a new person end to end; returns their pseudonym."""
        (code,) = await self.mint(kind=kind)
        offer = await self.dm(person, f"register {code}")
        assert "could be" in offer, offer
        reply = await self.dm(person, "choose")
        match = re.search(r"You are \*\*([a-z]+_[a-z]+)\*\*", reply)
        assert match, reply
        return match.group(1)

    async def deliver(self) -> int:
        return await self.app.drain()

    # -- reading ------------------------------------------------------------------------
    def _first(self, mark: int, where: str) -> str:
        for seen in self.console.seen[mark:]:
            if seen.where == where:
                return seen.text
        raise AssertionError(f"no reply to {where}; saw {self.console.seen[mark:]}")

    @property
    def announcements(self) -> list[str]:
        return [
            s.text
            for s in self.console.seen
            if s.where == self.console.channel and not s.text.startswith("<")
        ]

    def dms_of(self, person: str) -> list[str]:
        return [s.text for s in self.console.seen if s.where == f"DM {person}"]

    def last_dm(self, person: str) -> str:
        dms = self.dms_of(person)
        assert dms, f"{person} has no DMs"
        return dms[-1]

    def everything_public(self) -> str:
        return "\n".join(s.text for s in self.console.seen if not s.where.startswith("DM "))


def days(n: float) -> timedelta:
    return timedelta(days=n)
