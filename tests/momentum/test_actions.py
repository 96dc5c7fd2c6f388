"""An action whose deadline comes before its pledges lapses (issue 14): its followers are
reminded ahead, and at the deadline the pledgers are told privately, the lapse is announced
once with the count, and nobody is ever named."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from storage.models import Action, Outbox, Pledge
from tests.momentum.conftest import MONDAY, MomentumChat


async def test_an_action_lapses_at_its_deadline_and_nobody_is_named(
    momentum: MomentumChat, clock: time_machine.Traveller
) -> None:
    chat = momentum
    names = {p: await chat.join(p) for p in ("admin", "alice", "bob", "carol", "dave")}
    await chat.launch("alice", "bob", "carol")
    opened = await chat.dm("alice", "action 1 needs 3 by 3d Write to the MTurk team")
    assert "needs 3 pledges by 2026-11-26 14:00 UTC" in opened
    assert "it has 1 of 3" in await chat.dm("bob", "pledge 1")
    assert "it has 2 of 3" in await chat.dm("dave", 'pledge 1 as "Dave D."')
    await chat.settle()
    # The daily digest carries the count of an action due in the next two days, never who.
    clock.move_to(MONDAY + timedelta(days=1, hours=3, minutes=1))
    await chat.settle()
    (digest,) = [a for a in chat.announcements if a.startswith("Daily digest, 2026-11-24")]
    assert (
        "Action: action #1 of campaign #1 has 2 of 3 pledges until 2026-11-26 14:00 UTC "
        "(`pledge 1`)." in digest
    )

    clock.move_to(MONDAY + timedelta(days=2, minutes=1))  # a day before
    await chat.settle()
    clock.shift(timedelta(hours=1))
    await chat.settle()
    reminders = [d for d in chat.dms_of("carol") if "Reminder: action #1" in d]
    assert len(reminders) == 1 and "has 2 of 3 pledges and 24 hours left" in reminders[0]

    clock.move_to(MONDAY + timedelta(days=3, minutes=1))
    assert "took pledges until 2026-11-26 14:00 UTC" in await chat.dm("carol", "pledge 1")
    await chat.settle()
    clock.shift(timedelta(hours=1))
    await chat.settle()
    lapsed = [a for a in chat.announcements if "lapsed" in a]
    assert lapsed == [
        "Action #1 of campaign #1 lapsed at its deadline, 2026-11-26 14:00 UTC, with 2 of 3 "
        "pledges. Nothing is sent and nobody is named: Write to the MTurk team"
    ]
    for person in ("bob", "dave"):
        assert chat.last_dm(person) == lapsed[0]
    assert not any(d.startswith("Action #1 of campaign #1 lapsed") for d in chat.dms_of("carol"))
    clock.move_to(MONDAY + timedelta(days=3, hours=3, minutes=1))
    await chat.settle()
    (digest,) = [a for a in chat.announcements if a.startswith("Daily digest, 2026-11-26")]
    assert "Action: action #1 of campaign #1 lapsed with 2 of 3 pledges." in digest
    assert "lapsed at its deadline" in await chat.dm("carol", "pledge 1")
    # Read now, the database names no pledger: the notices they were sent keep neither who
    # nor what once delivered, and no pledge is left.
    async with chat.db.read() as conn:
        outbox = Outbox.__table__
        ids = (
            await conn.execute(
                sa.text("SELECT id FROM member WHERE pseudonym IN (:b, :d)"),
                {"b": names["bob"], "d": names["dave"]},
            )
        ).scalars()
        pledger_rows = await conn.execute(
            sa.select(outbox.c.event).where(outbox.c.member_id.in_(list(ids)))
        )
        assert not {"action_lapsed", "done_sealed"} & set(pledger_rows.scalars())
        assert (await conn.execute(sa.select(Pledge.__table__))).all() == []
        told = await conn.execute(
            sa.select(outbox.c.member_id, outbox.c.payload).where(
                outbox.c.event == "action_lapsed", outbox.c.kind == "dm"
            )
        )
        assert told.all() == [(None, {}), (None, {})]  # sent to both, and forgotten
    assert "lapsed at its deadline" in await chat.dm("carol", "actions 1")
    everything = chat.everything_public()
    assert names["bob"] not in everything and "Dave D." not in everything
    async with chat.db.read() as conn:
        action = (await conn.execute(sa.select(Action.__table__))).one()
        pledges = (await conn.execute(sa.select(Pledge.__table__))).all()
    assert (action.status, action.pledge_count, action.revealed) == ("lapsed", 2, None)
    assert pledges == []
