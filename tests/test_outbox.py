"""Item 10: announcements go through the outbox, written with the change, delivered once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
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
from storage.repos import outbox, spaces
from storage.types import utcnow
from tests.databases import PG_URL
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


# -- every space the database knows, as the announcement is written (issue 10) ------------
def announcement(text: str, at: datetime, space: str | None = None) -> dict[str, Any]:
    """An outbox row announcing ``text``: to every space (no ``space``), or to that one."""
    return {
        "kind": "announce",
        "space": space,
        "stream": None,
        "member_id": None,
        "event": "test",
        "payload": {"text": text},
        "created_at": at,
        "available_at": at,
        "attempts": 0,
    }


async def test_an_announcement_goes_to_each_space_the_database_knows_as_it_is_written(
    db: Database,
) -> None:
    now = utcnow()
    async with db.write() as conn:
        await spaces.seen(conn, ["irc:alpha", "irc:beta"], now - timedelta(days=1))
        # Removed from every configuration a month ago: retired, it hears nothing more.
        await spaces.seen(conn, ["irc:gone"], now - spaces.RETIRED_AFTER - timedelta(minutes=1))
    async with db.write() as conn:
        written = await outbox.add(
            conn,
            [
                announcement("first", now),
                announcement("beta alone", now, space="irc:beta"),
                announcement("second", now),
            ],
            also=("console", "irc:alpha"),  # the writer's own, and one it knows already
        )
    # Each space once, the one meant for beta in beta alone; in each space, in order.
    assert written == 7
    assert [(row.space, row.payload["text"]) for row in await rows(db)] == [
        ("console", "first"),
        ("irc:alpha", "first"),
        ("irc:beta", "first"),
        ("irc:beta", "beta alone"),
        ("console", "second"),
        ("irc:alpha", "second"),
        ("irc:beta", "second"),
    ]


def another_process(db: Database) -> Database:
    """The same database opened again, as another `dynamo run` process would."""
    if db.is_sqlite:
        return Database(db.url, vault=db.vault)
    return Database(PG_URL, schema=db.schema, pool_size=2, vault=db.vault)


class Held:
    """A write transaction of its own, run up to a point and held there, uncommitted, until
    ``commit()``."""

    def __init__(self, db: Database, work: Callable[[Any], Awaitable[Any]]) -> None:
        self.db = db
        self.work = work
        self.pid: int | None = None  # its PostgreSQL backend
        self.worked = asyncio.Event()
        self._commit = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async with self.db.write() as conn:
            if not self.db.is_sqlite:
                self.pid = (await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
            await self.work(conn)
            self.worked.set()
            await self._commit.wait()

    async def commit(self) -> None:
        self._commit.set()
        await self.task

    async def abandon(self) -> None:
        """Roll it back if it is still under way (a test that failed midway)."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def waits_for_the_other(self) -> None:
        """It has begun and stopped short of its work: it waits for the other transaction
        (PostgreSQL: for the spaces' lock; SQLite lets one writer at a time)."""
        if self.db.is_sqlite:
            await asyncio.sleep(0.2)
        else:

            async def waits() -> bool:
                async with self.db.read() as conn:
                    result = await conn.execute(
                        sa.text("SELECT wait_event FROM pg_stat_activity WHERE pid = :pid"),
                        {"pid": self.pid},
                    )
                    return result.scalar_one_or_none() == "advisory"

            await eventually(lambda: self.pid is not None, "the transaction to begin")
            await eventually(waits, "the transaction to wait for the spaces' lock")
        assert not self.worked.is_set()


async def announce_everywhere(conn: Any, text: str) -> None:
    await outbox.add(conn, [announcement(text, utcnow())], also=("irc:old",))


async def test_a_space_registered_while_an_announcement_is_written_waits_for_its_commit(
    db: Database,
) -> None:
    """Registered after the writer read the spaces and before it committed, the space would
    miss an announcement committed after it was there: the registration waits instead."""
    async with db.write() as conn:
        await spaces.seen(conn, ["irc:old"], utcnow())
    other = another_process(db)
    writing = Held(db, lambda conn: announce_everywhere(conn, "pitched"))
    registering = None
    try:
        await writing.worked.wait()
        registering = Held(other, lambda conn: spaces.seen(conn, ["irc:new"], utcnow()))
        await registering.waits_for_the_other()
        await writing.commit()
        await registering.commit()
        # The announcement came first: the new space was not there yet. The next one
        # goes there.
        async with db.write() as conn:
            await announce_everywhere(conn, "next")
    finally:
        for held in (writing, registering):
            if held is not None:
                await held.abandon()
        await other.dispose()
    assert [(row.space, row.payload["text"]) for row in await rows(db)] == [
        ("irc:old", "pitched"),
        ("irc:new", "next"),
        ("irc:old", "next"),
    ]


async def test_an_announcement_written_while_a_space_is_registered_waits_and_goes_there(
    db: Database,
) -> None:
    """Had it read the spaces before the registration committed and committed after it, the
    space would miss it: it waits for the registration, then reads it."""
    async with db.write() as conn:
        await spaces.seen(conn, ["irc:old"], utcnow())
    other = another_process(db)
    registering = Held(other, lambda conn: spaces.seen(conn, ["irc:new"], utcnow()))
    writing = None
    try:
        await registering.worked.wait()
        writing = Held(db, lambda conn: announce_everywhere(conn, "pitched"))
        await writing.waits_for_the_other()
        await registering.commit()
        await writing.commit()
    finally:
        for held in (registering, writing):
            if held is not None:
                await held.abandon()
        await other.dispose()
    assert sorted((row.space, row.payload["text"]) for row in await rows(db)) == [
        ("irc:new", "pitched"),
        ("irc:old", "pitched"),
    ]


async def test_a_space_that_is_known_is_renewed_without_waiting_for_any_writer(
    db: Database,
) -> None:
    """Only a space new to the database (or back from retirement) waits for the writers:
    the rounds that say a known one is still there (every few seconds) never do."""
    if db.is_sqlite:
        pytest.skip("SQLite lets one writer at a time: every round waits for the writer")
    async with db.write() as conn:
        await spaces.seen(conn, ["irc:old"], utcnow() - spaces.RETIRED_AFTER / 3)
    writing = Held(db, lambda conn: announce_everywhere(conn, "pitched"))
    try:
        await writing.worked.wait()
        async with asyncio.timeout(5):
            async with db.write() as conn:
                await spaces.seen(conn, ["irc:old"], utcnow())
        await writing.commit()
    finally:
        await writing.abandon()
