"""The scheduler follows the configuration across restarts: a moved weekly time is used
from then on, and a switched-off job stops. A run knows the time it was meant for, however
late it is; a run later than its grace is skipped; a failed one is tried again; a stop
does not wait for ever on a run that does not end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from bot import scheduler
from commands.framework.job_env import JobEnv
from commands.jobs.table import JOBS, Job
from storage.db import Database
from storage.repos import ledger
from tests.momentum.conftest import MONDAY, MomentumChat, SmtpServer, momentum_config


async def test_a_moved_weekly_time_is_followed(
    db: Database, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    first = MomentumChat(db, momentum_config(smtp.port))
    await first.start()
    await first.join("alice")
    await first.stop()

    moved = MomentumChat(db, momentum_config(smtp.port, weekly_update="tue 09:00"))
    await moved.start()
    clock.move_to(MONDAY + timedelta(hours=1, minutes=1))  # the old time
    await moved.settle()
    assert not [a for a in moved.announcements if a.startswith("Weekly update")]
    clock.move_to(MONDAY + timedelta(hours=19, minutes=1))  # tue 09:01
    await moved.settle()
    assert len([a for a in moved.announcements if a.startswith("Weekly update")]) == 1
    assert moved.app.scheduler.runs.get("weekly_update") == 1
    await moved.stop()

    off = MomentumChat(db, momentum_config(smtp.port, weekly_update="off", daily_digest="off"))
    await off.start()
    clock.move_to(MONDAY + timedelta(days=8))
    await off.settle()
    assert "weekly_update" not in off.app.scheduler.runs
    assert "daily_digest" not in off.app.scheduler.runs
    assert off.app.scheduler.runs.get("sweep") == 1
    await off.stop()


async def test_a_failed_weekly_run_is_tried_again(
    momentum: MomentumChat, clock: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = momentum
    await chat.join("alice")
    real = JOBS["weekly_update"]
    failures = []

    async def flaky(env: JobEnv, scheduled_for: datetime) -> int:
        if not failures:
            failures.append(scheduled_for)
            raise ConnectionError("the database went away for a moment")
        return await real(env, scheduled_for)

    monkeypatch.setattr(scheduler, "RETRY_DELAYS", (0.0, 0.0))
    monkeypatch.setitem(JOBS, "weekly_update", flaky)
    clock.move_to(MONDAY + timedelta(hours=1, seconds=1))
    await chat.settle()
    assert len(failures) == 1
    assert len([a for a in chat.announcements if a.startswith("Weekly update")]) == 1


# Sunday 2026-11-29, the last day of ISO week 48.
SUNDAY_NIGHT = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)


def recording(runs: list[datetime]) -> Job:
    real = JOBS["weekly_update"]

    async def weekly_update(env: JobEnv, scheduled_for: datetime) -> int:
        runs.append(scheduled_for)
        return await real(env, scheduled_for)

    return weekly_update


async def test_a_late_run_is_for_the_time_it_was_meant_for(
    db: Database,
    smtp: SmtpServer,
    clock: time_machine.Traveller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The loop got to Sunday's 23:30 update only at 00:10: it is still week 48's update."""
    chat = MomentumChat(db, momentum_config(smtp.port, weekly_update="sun 23:30"))
    await chat.start()
    runs: list[datetime] = []
    monkeypatch.setitem(JOBS, "weekly_update", recording(runs))
    try:
        clock.move_to(SUNDAY_NIGHT - timedelta(minutes=30))
        await chat.settle()
        assert runs == []
        clock.move_to(SUNDAY_NIGHT + timedelta(minutes=40))  # Monday, ISO week 49
        await chat.settle()
    finally:
        await chat.stop()
    assert runs == [SUNDAY_NIGHT]
    async with db.read() as conn:
        assert await ledger.periods(conn, "weekly_update") == ["2026-W48"]


async def test_a_run_missed_by_more_than_its_grace_is_skipped(
    db: Database,
    smtp: SmtpServer,
    clock: time_machine.Traveller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Down from before Monday's update until Thursday (three days is the weekly update's
    grace): that week has none; the next one comes at its time."""
    config = momentum_config(smtp.port)
    first = MomentumChat(db, config)
    await first.start()
    await first.stop()

    runs: list[datetime] = []
    monkeypatch.setitem(JOBS, "weekly_update", recording(runs))
    weekly_time = MONDAY + timedelta(hours=1)
    clock.move_to(weekly_time + timedelta(days=3, hours=1))
    second = MomentumChat(db, config)
    await second.start()
    try:
        await second.settle()
        assert runs == []
        clock.move_to(weekly_time + timedelta(days=7, seconds=1))
        await second.settle()
    finally:
        await second.stop()
    assert runs == [weekly_time + timedelta(days=7)]


async def test_stop_cancels_a_run_still_going_when_its_patience_runs_out(
    momentum: MomentumChat, clock: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = momentum
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def endless(env: JobEnv, scheduled_for: datetime) -> int:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 0

    monkeypatch.setattr(scheduler, "STOP_PATIENCE", 0.0)
    monkeypatch.setitem(JOBS, "weekly_update", endless)
    clock.move_to(MONDAY + timedelta(hours=1, seconds=1))
    waiting = asyncio.create_task(chat.app.scheduler.run_due())
    await started.wait()
    stopping = asyncio.create_task(chat.app.scheduler.stop())
    while not cancelled.is_set():
        # The patience is timed on the loop's clock, which time-machine before 3.0 freezes
        # with the wall clock: move it on until the patience has run out.
        clock.shift(timedelta(seconds=1))
        await asyncio.sleep(0)
    await stopping
    assert not chat.app.scheduler.running
    await waiting  # nothing is left running for it to wait for
