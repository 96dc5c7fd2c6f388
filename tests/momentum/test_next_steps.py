"""Next steps with an objection window: adopted without objections, disputed (moderators
told the reasons) with one, and undone."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from tests.momentum.conftest import MomentumChat


async def launched(chat: MomentumChat) -> dict[str, str]:
    names = {p: await chat.join(p) for p in ("admin", "alice", "bob", "carol")}
    await chat.launch("alice", "bob", "carol")
    return names


async def test_next_step_adopted_without_objections_then_undone(
    momentum: MomentumChat, clock: time_machine.Traveller
) -> None:
    chat = momentum
    await launched(chat)
    assert "Only organizers" in await chat.dm("bob", "nextstep 1 Do it my way")
    assert "between 1 hour and 14 days" in await chat.dm(
        "alice", "nextstep 1 Too quick --window 5m"
    )
    reply = await chat.dm("alice", "nextstep 1 Email the requester our demands --window 24h")
    assert "open for 24 hours, until 2026-11-24 14:00 UTC" in reply
    await chat.deliver()
    assert "Proposed next step for campaign #1: Email the requester" in chat.announcements[-1]
    assert "object 1 REASON" in chat.last_dm("bob")
    assert "already has a proposed next step" in await chat.dm("alice", "nextstep 1 Another")
    assert "open for objections" in await chat.dm("carol", "nextstep 1")

    clock.shift(timedelta(hours=23))
    await chat.settle()
    assert not any("adopted" in a for a in chat.announcements)
    clock.shift(timedelta(hours=1, minutes=1))
    await chat.settle()
    clock.shift(timedelta(minutes=5))
    await chat.settle()
    adopted = [a for a in chat.announcements if a.startswith("Next step adopted")]
    assert len(adopted) == 1 and "nobody objected: Email the requester" in adopted[0]
    assert any("Next step adopted" in d for d in chat.dms_of("bob"))
    assert "[adopted]" in await chat.dm("carol", "nextstep 1")
    assert "no next step open" in await chat.dm("bob", "object 1 Too late")

    assert "Only organizers" in await chat.dm("bob", "nextstep 1 undo")
    assert "Undone" in await chat.dm("alice", "nextstep 1 undo")
    await chat.deliver()
    assert chat.announcements[-1].startswith("The next step of campaign #1 is undone")
    assert "[undone]" in await chat.dm("carol", "nextstep 1")
    assert "no adopted next step" in await chat.dm("alice", "nextstep 1 undo")


async def test_next_step_disputed_with_an_objection(
    momentum: MomentumChat, clock: time_machine.Traveller
) -> None:
    chat = momentum
    names = await launched(chat)
    await chat.dm("alice", "nextstep 1 Strike on Monday")
    assert await chat.channel("bob", "!object 1 No") is None  # never acted on in public
    assert "private message" in chat.last_dm("bob")
    assert "recorded" in await chat.dm("bob", "object 1 Many of us cannot afford a strike")
    assert "updated" in await chat.dm("bob", "object 1 Many of us cannot afford to strike yet")

    clock.shift(timedelta(hours=48, minutes=1))
    await chat.settle()
    (disputed,) = [a for a in chat.announcements if "objection" in a and "not adopted" in a]
    assert "1 objection" in disputed and "cannot afford" not in disputed
    (mediate,) = [d for d in chat.dms_of("admin") if d.startswith("Please mediate")]
    assert "Many of us cannot afford to strike yet" in mediate
    assert names["bob"] not in mediate  # the reason, not who gave it
    assert any("drew objections" in d for d in chat.dms_of("alice"))
    assert "[disputed]" in await chat.dm("carol", "nextstep 1")
    assert "Proposed" in await chat.dm("alice", "nextstep 1 Ask everyone in a poll first")
