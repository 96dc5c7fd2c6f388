"""Stall alerts: a quiet campaign's organizers and the moderators get one nudge per stall."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from tests.momentum.conftest import MomentumChat


def nudges(chat: MomentumChat, person: str) -> list[str]:
    return [d for d in chat.dms_of(person) if "has been quiet for 7 days" in d]


async def test_stall_nudge_once_per_stall(
    momentum: MomentumChat, clock: time_machine.Traveller
) -> None:
    chat = momentum
    for person in ("admin", "alice", "bob", "carol"):
        await chat.join(person)
    await chat.launch("alice", "bob", "carol")

    clock.shift(timedelta(days=6, hours=23))
    await chat.settle()
    assert nudges(chat, "alice") == []
    clock.shift(timedelta(hours=1, minutes=1))
    await chat.settle()
    for _ in range(3):  # the scheduler keeps looking; the stall is the same one
        clock.shift(timedelta(hours=6))
        await chat.settle()
    assert len(nudges(chat, "alice")) == 1 and len(nudges(chat, "admin")) == 1
    assert "nextstep 1 TEXT" in nudges(chat, "alice")[0]
    assert nudges(chat, "bob") == [] and nudges(chat, "carol") == []

    await chat.dm("bob", "say 1 Anyone still here?")  # activity: the stall is over
    clock.shift(timedelta(days=6))
    await chat.settle()
    assert len(nudges(chat, "alice")) == 1
    clock.shift(timedelta(days=1, minutes=1))
    await chat.settle()
    assert len(nudges(chat, "alice")) == 2  # a new quiet spell, a new nudge
