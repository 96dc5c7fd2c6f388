"""Item 10: announcements go through the outbox, written with the change, delivered once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.config import Config
from bot.outbox import Dispatcher
from commands.framework.formatting import plain
from commands.framework.privacy import NO_DELAY
from commands.framework.reply import IdentityRef
from storage.db import Database
from storage.models import Outbox
from storage.repos import outbox
from storage.types import utcnow
from tests.harness import ConsoleChat
from tests.waiting import eventually

outbox_t = Outbox.__table__


async def rows(db: Database) -> list[Any]:
    async with db.read() as conn:
        return list(await conn.execute(sa.select(outbox_t).order_by(outbox_t.c.id)))


async def test_pitch_writes_outbox_row_and_console_marks_it_sent(chat: ConsoleChat) -> None:
    await chat.join("alice")
    await chat.dm("alice", "pitch Outbox idea")
    (row,) = await rows(chat.db)
    assert row.kind == "announce" and row.space == "console" and row.event == "idea_pitched"
    assert row.payload["idea_id"] == 1 and "Outbox idea" in row.payload["text"]
    assert row.sent_at is not None
    assert chat.announcements == [plain(row.payload["text"])]


async def test_refused_command_writes_nothing(chat: ConsoleChat) -> None:
    await chat.join("alice")
    await chat.dm("alice", "pitch " + "x" * 500)
    await chat.channel("alice", "!pitch leaky")
    assert await rows(chat.db) == []


class FlakySink:
    platform = "test"
    spaces = ("flaky",)

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.delivered: list[str] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver_announcement(self, space: str, event: str, payload: dict) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("space unreachable")
        self.delivered.append(plain(payload["text"]))

    def can_reach(self, identity_key: str) -> bool:
        return False

    async def deliver_dm(self, identity_key: str, event: str, payload: dict) -> None:
        raise AssertionError("not reachable")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_failed_delivery_is_retried_with_backoff_then_sent_once(db: Database) -> None:
    clock = Clock()
    chat = ConsoleChat(db, Config(privacy=NO_DELAY), clock=clock)
    sink = FlakySink(failures=2)
    chat.app.add_transport(sink)  # type: ignore[arg-type]
    await chat.start()
    await chat.join("alice")
    await chat.dm("alice", "pitch Retry me")
    assert sink.delivered == []  # first attempt failed
    await chat.deliver()
    assert sink.delivered == []  # not due yet: backing off
    clock.now += timedelta(seconds=5)
    await chat.deliver()  # second failure
    clock.now += timedelta(seconds=10)
    await chat.deliver()
    assert sink.delivered == [chat.announcements[0]]
    clock.now += timedelta(minutes=10)
    await chat.deliver()
    assert len(sink.delivered) == 1
    flaky = [r for r in await rows(db) if r.space == "flaky"]
    assert flaky[0].sent_at is not None and flaky[0].attempts == 3
    await chat.stop()


async def test_a_claim_that_dies_is_delivered_after_its_lease(db: Database) -> None:
    clock = Clock()
    chat = ConsoleChat(db, Config(privacy=NO_DELAY), clock=clock)
    await chat.start()
    await chat.join("alice")
    # A process claims the row and dies before delivering: no sink saw it.
    ref = IdentityRef("console:alice", "console")
    chat.app.invoker.on_outbox = None
    await chat.app.invoker.handle(ref, "pitch Survive a crash", where="dm")
    async with db.write() as conn:
        claimed = await outbox.claim(
            conn,
            outbox.lane(("console",), include_dms=True),
            now=clock.now,
            lease=timedelta(minutes=2),
            limit=10,
        )
    assert len(claimed) == 1
    await chat.deliver()
    assert chat.announcements == []  # still leased
    clock.now += timedelta(minutes=3)
    await chat.deliver()
    assert len(chat.announcements) == 1 and "Survive a crash" in chat.announcements[0]
    await chat.stop()


async def test_dm_notice_waits_until_member_is_reachable(chat: ConsoleChat) -> None:
    await chat.join("admin")
    bob = await chat.join("bob")
    reachable = chat.console.can_reach
    chat.console.can_reach = lambda key: False  # type: ignore[method-assign]
    await chat.dm("admin", f"mod promote {bob} moderator")
    assert not any("you are now a moderator" in d for d in chat.dms_of("bob"))
    pending = [r for r in await rows(chat.db) if r.kind == "dm"]
    assert pending[0].sent_at is None
    chat.console.can_reach = reachable  # type: ignore[method-assign]
    async with chat.db.write() as conn:
        await conn.execute(sa.update(outbox_t).values(available_at=chat.app.clock()))
    await chat.deliver()
    assert any("you are now a moderator" in d for d in chat.dms_of("bob"))


class CountingSink(FlakySink):
    def __init__(self) -> None:
        super().__init__(failures=0)


async def test_an_idle_outbox_is_polled_with_reads_and_sees_rows_from_elsewhere(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Polling finds rows that no wake() announced (written by another process, or due
    for a retry) without a write transaction per poll: an idle bot writes nothing."""
    writes = 0
    real_write = db.write

    def counting_write() -> Any:
        nonlocal writes
        writes += 1
        return real_write()

    monkeypatch.setattr(db, "write", counting_write)
    dispatcher = Dispatcher(db, poll_seconds=0.01)
    sink = CountingSink()
    dispatcher.add_sink(sink)  # type: ignore[arg-type]
    dispatcher.start()
    try:
        await asyncio.sleep(0.2)  # about 20 polls of each lane
        assert writes <= 2  # the first look of each lane at start
        async with real_write() as conn:  # as another process would, without wake()
            await outbox.add(
                conn,
                [
                    {
                        "kind": "announce",
                        "space": "flaky",
                        "event": "e",
                        "payload": {"text": "x"},
                        "created_at": utcnow(),
                        "available_at": utcnow(),
                    }
                ],
            )
        await eventually(lambda: sink.delivered == ["x"], "the polled row delivered")
    finally:
        await dispatcher.stop()


async def test_someone_showing_up_costs_a_write_only_when_a_notice_waits_for_them(
    chat: ConsoleChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await chat.join("admin")
    bob = await chat.join("bob")
    await chat.join("carol")
    reachable = chat.console.can_reach
    chat.console.can_reach = lambda key: False  # type: ignore[method-assign]
    await chat.dm("admin", f"mod promote {bob} moderator")  # waits: bob is away
    chat.console.can_reach = reachable  # type: ignore[method-assign]
    writes = 0
    real_write = chat.db.write

    def counting_write() -> Any:
        nonlocal writes
        writes += 1
        return real_write()

    monkeypatch.setattr(chat.db, "write", counting_write)
    dispatcher = chat.app.dispatcher
    for nobody in ("console:carol", "console:stranger", "console:admin"):
        await dispatcher.release(identity_key=nobody)
    assert writes == 0  # a netsplit's worth of joins, and nothing written
    await dispatcher.release(identity_key="console:bob")
    assert writes == 1
    await chat.deliver()
    assert any("you are now a moderator" in d for d in chat.dms_of("bob"))
