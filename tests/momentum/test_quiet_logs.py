"""What the log says while nothing happens: nothing at INFO. The sweep runs every minute,
so a line per sweep would be 1,440 lines a day saying that nothing was due."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine

from tests.momentum.conftest import MONDAY, MomentumChat

# Past Monday's weekly update (15:00) and daily digest (17:00): the next hour has only sweeps.
TUESDAY_NIGHT = MONDAY + timedelta(hours=13)


async def test_an_idle_hour_of_sweeps_logs_nothing_at_info(
    momentum: MomentumChat, clock: time_machine.Traveller, caplog: pytest.LogCaptureFixture
) -> None:
    chat = momentum
    await chat.join("alice")
    await chat.dm("alice", "pitch Tell requesters our hourly rate")  # an open idea to look at
    clock.move_to(TUESDAY_NIGHT)
    await chat.settle()  # Monday's weekly update and digest, caught up: those are news
    sweeps = chat.app.scheduler.runs.get("sweep", 0)
    caplog.set_level(logging.DEBUG)
    caplog.clear()

    for _ in range(60):
        clock.shift(timedelta(minutes=1))
        await chat.settle()

    assert chat.app.scheduler.runs["sweep"] - sweeps == 60
    said = [f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records]
    assert any("job sweep" in line for line in said)  # it did run, and says so at DEBUG
    assert [line for line in said if not line.startswith("DEBUG")] == []
