"""The scheduler follows the configuration across restarts: a moved weekly time is used
from then on, and a switched-off job stops."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from bot import scheduler
from commands.framework.job_env import JobEnv
from commands.jobs.table import JOBS
from storage.db import Database
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
