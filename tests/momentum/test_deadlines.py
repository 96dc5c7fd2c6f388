"""Deadlines on ideas: a reminder to followers ahead of time, and at the deadline an idea
that has not launched closes and its followers are told."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from tests.momentum.conftest import MONDAY, MomentumChat


async def test_deadline_reminder_then_close(
    momentum: MomentumChat, clock: time_machine.Traveller
) -> None:
    chat = momentum
    for person in ("admin", "alice", "bob"):
        await chat.join(person)
    await chat.dm("alice", "pitch Longer breaks")  # idea 1, stays an idea
    await chat.dm("bob", "subscribe 1")
    await chat.dm("alice", "pitch Pay for tests")  # idea 2, launches before its deadline
    assert "Only moderators" in await chat.dm("alice", "mod deadline 1 in 3d")
    assert "has passed" in await chat.dm("admin", "mod deadline 1 2020-01-01")
    assert "not a date or duration" in await chat.dm("admin", "mod deadline 1 soonish")
    reply = await chat.dm("admin", "mod deadline 1 in 3d")
    assert "must launch by 2026-11-26 14:00 UTC (in 3 days)" in reply
    assert "reminded 24 hours before" in reply
    await chat.dm("admin", "mod deadline 2 in 3d")
    await chat.deliver()
    assert "must launch by 2026-11-26 14:00 UTC" in chat.last_dm("bob")
    assert "has a deadline" in chat.announcements[-1]
    assert "Deadline: it must launch by 2026-11-26 14:00 UTC" in await chat.dm("bob", "idea 1")
    await chat.dm("bob", "upvote 2")
    await chat.dm("admin", "upvote 2")  # idea 2 is a campaign now

    clock.move_to(MONDAY + timedelta(days=2) - timedelta(minutes=5))  # 24 h 5 min before
    await chat.settle()
    assert not any("Reminder" in d for d in chat.dms_of("bob"))
    clock.move_to(MONDAY + timedelta(days=2, minutes=1))
    await chat.settle()
    clock.shift(timedelta(hours=1))
    await chat.settle()
    reminders = [d for d in chat.dms_of("bob") if d.startswith("Reminder: idea #1")]
    assert len(reminders) == 1 and "closes in 24 hours" in reminders[0]
    assert not any("Reminder: idea #2" in d for d in chat.dms_of("bob"))

    clock.move_to(MONDAY + timedelta(days=3, minutes=1))
    await chat.settle()
    clock.shift(timedelta(hours=1))
    await chat.settle()
    closed = [d for d in chat.dms_of("bob") if "reached its deadline" in d]
    assert len(closed) == 1 and "#1" in closed[0]
    assert "Status: closed" in await chat.dm("bob", "idea 1")
    assert "closed" in await chat.dm("bob", "upvote 1")
    assert "campaign" in await chat.dm("bob", "idea 2")  # launched in time: untouched


async def test_a_deadline_can_be_lifted(momentum: MomentumChat) -> None:
    chat = momentum
    await chat.join("admin")
    await chat.dm("admin", "pitch Longer breaks")
    assert "no deadline" in await chat.dm("admin", "mod deadline 1")
    await chat.dm("admin", "mod deadline 1 2026-12-01")
    # A date alone is the end of that day, shown as that date.
    assert "2026-12-01 24:00 UTC" in await chat.dm("admin", "mod deadline 1")
    assert "lifted" in await chat.dm("admin", "mod deadline 1 off")
    assert "no deadline" in await chat.dm("admin", "mod deadline 1")


async def test_a_date_alone_is_shown_as_the_date_typed(momentum: MomentumChat) -> None:
    """`mod deadline 1 2020-01-01` is refused naming 2020-01-01, not the next day."""
    chat = momentum
    await chat.join("admin")
    await chat.dm("admin", "pitch Deadline by date")
    refused = await chat.dm("admin", "mod deadline 1 2020-01-01")
    assert "2020-01-01 24:00 UTC has passed" in refused
    assert "2099-03-04 24:00 UTC" in await chat.dm("admin", "mod deadline 1 2099-03-04")
