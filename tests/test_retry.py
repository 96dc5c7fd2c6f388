"""The one backoff schedule and retry loop every retry in the bot follows (storage/retry.py)."""

from __future__ import annotations

import random

import pytest

from storage.retry import Backoff, retry


def test_backoff_doubles_up_to_its_cap() -> None:
    schedule = Backoff(first=1.0, cap=300.0)
    assert [schedule.delay(n) for n in range(11)] == [
        1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300
    ]  # fmt: skip
    assert schedule.delay(10_000) == 300.0  # no overflow after a long outage


def test_jitter_stays_under_the_schedule_and_spreads() -> None:
    schedule = Backoff(first=1.0, cap=10.0, jitter=True)
    rng = random.Random(7)
    for attempt in range(12):
        drawn = [schedule.delay(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= min(10.0, 2**attempt) for d in drawn)
        assert len(set(drawn)) > 100


async def test_retry_waits_by_the_schedule_then_succeeds() -> None:
    waits: list[float] = []
    failures = iter([ConnectionError(), ConnectionError()])

    async def attempt() -> str:
        exc = next(failures, None)
        if exc is not None:
            raise exc
        return "done"

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    result = await retry(
        attempt,
        backoff=Backoff(first=0.5, cap=10.0),
        retry_if=lambda exc: isinstance(exc, ConnectionError),
        sleep=sleep,
    )
    assert result == "done" and waits == [0.5, 1.0]


async def test_retry_gives_up_after_its_tries_and_at_once_on_other_errors() -> None:
    calls = 0

    async def always_fails() -> None:
        nonlocal calls
        calls += 1
        raise ConnectionError(f"try {calls}")

    async def no_sleep(seconds: float) -> None:
        pass

    schedule = Backoff(first=0.0, cap=0.0)
    with pytest.raises(ConnectionError, match="try 3"):
        await retry(
            always_fails, backoff=schedule, retry_if=lambda e: True, tries=3, sleep=no_sleep
        )
    calls = 0
    with pytest.raises(ConnectionError, match="try 1"):
        await retry(always_fails, backoff=schedule, retry_if=lambda e: False, sleep=no_sleep)


async def test_retry_stops_when_its_time_is_up_and_cleans_up_between_tries() -> None:
    cleaned: list[str] = []

    async def locked() -> None:
        raise OSError("database is locked")

    async def rollback(exc: Exception) -> None:
        cleaned.append(str(exc))

    with pytest.raises(OSError, match="locked"):
        await retry(
            locked,
            backoff=Backoff(first=0.001, cap=0.002),
            retry_if=lambda e: "locked" in str(e),
            within=0.02,
            before_retry=rollback,
        )
    assert cleaned and set(cleaned) == {"database is locked"}
