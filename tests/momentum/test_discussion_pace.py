"""Slowing a heated discussion: a moderator sets slow mode (one `say` per member per
interval) or locks it for a cooling-off period; the channel is told why, `say` refuses
saying when it can, and both are in the moderation log."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from tests.momentum.conftest import MomentumChat


async def campaign_of(chat: MomentumChat) -> int:
    for person in ("admin", "alice", "bob", "carol"):
        await chat.join(person)
    campaign = await chat.launch("alice", "bob", "carol")
    await chat.deliver()
    return campaign


async def test_slow_mode_refuses_a_second_say_within_the_interval(
    momentum: MomentumChat, clock: time_machine.Traveller
) -> None:
    chat = momentum
    n = await campaign_of(chat)
    assert "Only moderators" in await chat.dm("alice", f"mod slow {n} 10m")
    assert "not a duration" in await chat.dm("admin", f"mod slow {n} soon")
    assert "Pick between 10 seconds and 24 hours" in await chat.dm("admin", f"mod slow {n} 2d")
    reply = await chat.dm("admin", f"mod slow {n} 10m Let's give each other time to read.")
    assert "one `say` per member every 10 minutes" in reply
    await chat.deliver()
    told = chat.announcements[-1]
    assert told.startswith("The moderators slowed campaign #1's discussion: one `say` per")
    assert "Why: Let's give each other time to read." in told

    assert "Said in campaign #1" in await chat.dm("bob", "say 1 I disagree, strongly.")
    refused = await chat.dm("bob", "say 1 And another thing!")
    assert "in slow mode" in refused
    assert "You can say again at 2026-11-23 14:10 UTC (in 10 minutes)" in refused
    assert "Said in campaign #1" in await chat.dm("carol", "say 1 Let's breathe.")
    clock.shift(timedelta(minutes=9))
    assert "(in 1 minute)" in await chat.dm("bob", "say 1 Now?")
    clock.shift(timedelta(minutes=1))
    assert "Said in campaign #1" in await chat.dm("bob", "say 1 Thank you for waiting.")

    assert "no longer in slow mode" in await chat.dm("admin", f"mod slow {n} off")
    assert "Said in campaign #1" in await chat.dm("bob", "say 1 One more.")
    assert "not in slow mode" in await chat.dm("admin", f"mod slow {n} off")
    log = await chat.dm("admin", "mod log")
    assert "slow campaign #1 (10 minutes: Let's give each other time to read.)" in log
    assert "slow campaign #1 (off)" in log


async def test_a_locked_discussion_takes_no_say_until_the_lock_ends(
    momentum: MomentumChat, clock: time_machine.Traveller
) -> None:
    chat = momentum
    n = await campaign_of(chat)
    assert "CET" in await chat.dm("bob", "timezone Europe/Berlin")
    reply = await chat.dm("admin", f"mod lock {n} 24h A cooling-off day.")
    assert "locked until 2026-11-24 14:00 UTC" in reply
    await chat.deliver()
    told = chat.announcements[-1]
    assert "locked campaign #1's discussion for a cooling-off period" in told
    assert "until 2026-11-24 14:00 UTC" in told and "Why: A cooling-off day." in told
    refused = await chat.dm("bob", "say 1 But wait")
    assert "cooling-off period, until 2026-11-24 15:00 CET" in refused

    clock.shift(timedelta(hours=23, minutes=59))
    assert "cooling-off" in await chat.dm("carol", "say 1 Is it over?")
    clock.shift(timedelta(minutes=1))
    assert "Said in campaign #1" in await chat.dm("carol", "say 1 Calmer now.")
    assert "is not locked" in await chat.dm("admin", f"mod lock {n} off")

    await chat.dm("admin", f"mod lock {n} 2h")
    assert "cooling-off" in await chat.dm("bob", "say 1 Hm")
    assert "unlocked" in await chat.dm("admin", f"mod lock {n} off We talked it over.")
    await chat.deliver()
    assert "`say` works again. Why: We talked it over." in chat.announcements[-1]
    assert "Said in campaign #1" in await chat.dm("bob", "say 1 Good.")
    log = await chat.dm("admin", "mod log")
    assert "lock campaign #1 (until 2026-11-24 14:00 UTC: A cooling-off day.)" in log
    assert "lock campaign #1 (off: We talked it over.)" in log
