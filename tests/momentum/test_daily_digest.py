"""The daily digest: posted to every space, and by DM to members who chose `notify digest`
instead of their individual notices. Once a day, however often the scheduler looks."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from tests.momentum.conftest import MONDAY, MomentumChat

DIGEST_TIME = MONDAY + timedelta(hours=3)  # 17:00 UTC


async def test_daily_digest_posts_news_and_collects_notices(
    momentum: MomentumChat, clock: time_machine.Traveller
) -> None:
    chat = momentum
    for person in ("alice", "bob", "carol", "dee"):
        await chat.join(person)
    await chat.launch("alice", "bob", "carol")
    await chat.dm("dee", "subscribe 1")
    assert "It comes daily at 17:00 UTC" in await chat.dm("dee", "notify digest")
    await chat.dm("alice", "pitch Publish a requester rating list")
    await chat.dm("bob", "doc 1 edit Our demands: pay for tests")
    await chat.dm("alice", "nextstep 1 Write to the requester on Friday")
    await chat.settle()
    assert not any("Write to the requester" in d for d in chat.dms_of("dee"))

    clock.move_to(DIGEST_TIME + timedelta(seconds=2))
    await chat.settle()
    (post,) = [a for a in chat.announcements if a.startswith("Daily digest, 2026-11-23")]
    assert "#2 Publish a requester rating list" in post
    assert "Campaign #1 Fair pay for surveys" in post and "1 document edit" in post
    assert "next step proposed" in post
    (mine,) = [d for d in chat.dms_of("dee") if d.startswith("Your daily digest")]
    assert "has a proposed next step: Write to the requester" in mine
    assert "new revision 1 by" in mine and "Daily digest, 2026-11-23" in mine

    clock.shift(timedelta(hours=2))
    await chat.settle()
    assert len([a for a in chat.announcements if a.startswith("Daily digest")]) == 1
    assert len([d for d in chat.dms_of("dee") if d.startswith("Your daily digest")]) == 1

    clock.move_to(DIGEST_TIME + timedelta(days=1, seconds=2))
    await chat.settle()
    # Nothing happened on Tuesday but a next step still open: no second personal digest.
    assert len([d for d in chat.dms_of("dee") if d.startswith("Your daily digest")]) == 1
