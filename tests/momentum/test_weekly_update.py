"""The weekly update: one email to each verified member, posted to every space, exactly once
— across restarts, catch-up after downtime, an SMTP outage and two bot processes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from commands.jobs.table import JOBS
from storage.db import Database
from storage.models import Outbox
from storage.repos import emails, ledger
from storage.types import utcnow
from tests.databases import PG_URL
from tests.momentum.conftest import MONDAY, MomentumChat, SmtpServer, momentum_config

outbox_t = Outbox.__table__
WEEKLY_TIME = MONDAY + timedelta(hours=1)  # mon 15:00 UTC


async def story(chat: MomentumChat, smtp: SmtpServer) -> dict[str, str]:
    """alice organizes campaign #1 (bob and carol upvoted); alice and bob verified emails,
    carol did not; alice wrote this week's update."""
    names = {p: await chat.join(p) for p in ("alice", "bob", "carol")}
    await chat.launch("alice", "bob", "carol")
    await chat.verify("alice", smtp.inbox, "alice@example.org")
    await chat.verify("bob", smtp.inbox, "bob@example.org")
    assert "Saved revision 1" in await chat.dm("alice", "update 1 We wrote to the requester.")
    assert "Saved revision 2" in await chat.dm(
        "alice", "update 1 We wrote to the requester; they answer by Friday."
    )
    return names


def weekly(smtp: SmtpServer) -> list[str]:
    return sorted(r.to for r in smtp.inbox.about("weekly update"))


async def test_weekly_update_reaches_exactly_the_verified_members_once(
    momentum: MomentumChat, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    chat = momentum
    await story(chat, smtp)
    assert "Only organizers" in await chat.dm("bob", "update 1 Hijack")
    draft = await chat.dm("carol", "update 1")
    assert "revision 2" in draft and "they answer by Friday" in draft

    clock.move_to(WEEKLY_TIME - timedelta(minutes=1))
    await chat.settle()
    assert weekly(smtp) == []

    clock.move_to(WEEKLY_TIME + timedelta(seconds=5))
    await chat.settle()
    assert weekly(smtp) == ["alice@example.org", "bob@example.org"]
    mail = smtp.inbox.about("weekly update")[0]
    text, html = mail.part("plain"), mail.part("html")
    assert "they answer by Friday" in text and "they answer by Friday" in html
    assert "Campaign #1: Fair pay for surveys" in text and "email off" in text
    unsubscribe = mail.message["List-Unsubscribe"]
    assert unsubscribe.startswith("<mailto:dynamo@movement.example?subject=unsubscribe%20")
    (post,) = [a for a in chat.announcements if a.startswith("Weekly update (2026-W48)")]
    assert "they answer by Friday" in post
    # carol follows the campaign but has no email: she reads the update by DM.
    assert any("This week's update of campaign #1" in d for d in chat.dms_of("carol"))
    assert not any("This week's update" in d for d in chat.dms_of("bob"))
    assert "(sent in 2026-W48)" in await chat.dm("alice", "update 1 history")

    clock.shift(timedelta(hours=3))
    await chat.settle()
    assert len(weekly(smtp)) == 2
    assert len([a for a in chat.announcements if a.startswith("Weekly update")]) == 1

    # Whoever unsubscribes through the List-Unsubscribe address gets no more.
    token = unsubscribe.split("%20")[1].rstrip(">")
    await chat.join("admin")
    assert "forgotten" in await chat.dm("admin", f"mod unsubscribe {token}")
    clock.move_to(WEEKLY_TIME + timedelta(days=7, seconds=5))
    await chat.settle()
    assert weekly(smtp) == ["alice@example.org", "bob@example.org", "bob@example.org"]


async def test_stopped_before_the_weekly_time_catches_up_once(
    db: Database, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    config = momentum_config(smtp.port)
    first = MomentumChat(db, config)
    await first.start()
    await story(first, smtp)
    await first.stop()  # down from 14:00 ...

    clock.move_to(WEEKLY_TIME + timedelta(hours=2))  # ... until 17:00
    second = MomentumChat(db, config)
    await second.start()
    await second.settle()
    assert weekly(smtp) == ["alice@example.org", "bob@example.org"]
    await second.stop()

    clock.shift(timedelta(minutes=10))
    third = MomentumChat(db, config)
    await third.start()
    await third.settle()
    await third.stop()
    assert len(weekly(smtp)) == 2
    async with db.read() as conn:
        assert await ledger.periods(conn, "weekly_update") == ["2026-W48"]


class ProcessDied(BaseException):
    """Stands for the process being killed mid-run: nothing in the bot handles it."""


async def test_a_run_lost_in_a_crash_is_redone_at_start(
    db: Database, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    """APScheduler moves a job's next run before running it; if the process dies mid-run,
    the ledger has no row for that week and the next start sends it."""
    config = momentum_config(smtp.port)
    first = MomentumChat(db, config)
    await first.start()
    await story(first, smtp)
    clock.move_to(WEEKLY_TIME + timedelta(seconds=1))
    crashed = asyncio.Event()

    async def dies(env: object, scheduled_for: object) -> int:
        crashed.set()
        raise ProcessDied

    JOBS["weekly_update"], real = dies, JOBS["weekly_update"]
    try:
        await first.app.scheduler.run_due()
    finally:
        JOBS["weekly_update"] = real
    assert crashed.is_set()
    await first.stop()

    clock.shift(timedelta(minutes=30))
    second = MomentumChat(db, config)
    await second.start()
    await second.settle()
    await second.stop()
    assert weekly(smtp) == ["alice@example.org", "bob@example.org"]


async def test_smtp_outage_delivers_every_mail_once_when_back(
    db: Database, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    chat = MomentumChat(db, momentum_config(smtp.port))
    await chat.start()
    names = [await chat.join(f"m{i}") for i in range(12)]
    await chat.launch("m0", "m1", "m2")
    now = utcnow()
    async with db.write() as conn:  # twelve verified members, without the mail round trip
        for member_id in range(1, len(names) + 1):
            await emails.request(
                conn, chat.db.vault, member_id, f"m{member_id}@example.org", now, requests=1
            )
            await emails.verify(conn, member_id, now, f"token{member_id}")
    await smtp.stop()  # the server refuses connections from here

    clock.move_to(WEEKLY_TIME + timedelta(seconds=1))
    await chat.settle()
    for _ in range(4):  # an hour of retries, with backoff
        clock.shift(timedelta(minutes=15))
        await chat.mailer.drain()
    assert weekly(smtp) == []
    async with db.read() as conn:
        waiting = await conn.scalar(
            sa.select(sa.func.count()).where(
                outbox_t.c.kind == "email", outbox_t.c.sent_at.is_(None)
            )
        )
    assert waiting == 12

    await smtp.start()
    clock.shift(timedelta(minutes=10))
    await chat.mailer.drain()
    clock.shift(timedelta(hours=1))
    await chat.settle()
    await chat.stop()
    assert weekly(smtp) == sorted(f"m{i}@example.org" for i in range(1, 13))
    async with db.read() as conn:
        rows = list(await conn.execute(sa.select(outbox_t).where(outbox_t.c.kind == "email")))
    assert all(r.sent_at is not None and r.failed_at is None for r in rows)


async def test_two_bot_processes_on_postgresql_send_one_weekly_update(
    pg_db: Database, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    config = momentum_config(smtp.port, leader_poll_seconds=0.05)
    other_db = Database(PG_URL, schema=pg_db.schema, vault=pg_db.vault)
    first, second = MomentumChat(pg_db, config), MomentumChat(other_db, config)
    await first.start()
    await second.start()
    try:
        assert first.app.scheduler.running and not second.app.scheduler.running
        await story(first, smtp)
        clock.move_to(WEEKLY_TIME + timedelta(seconds=1))
        await asyncio.gather(second.settle(), first.settle())
        await asyncio.gather(second.settle(), first.settle())
        assert weekly(smtp) == ["alice@example.org", "bob@example.org"]

        # The leader dies; the other process takes over the schedule, and sends nothing twice.
        await first.stop()
        for _ in range(200):
            if second.app.scheduler.running:
                break
            await asyncio.sleep(0.01)
        assert second.app.scheduler.running
        await second.settle()
        assert len(weekly(smtp)) == 2
    finally:
        await first.stop()
        await second.stop()


async def test_the_ledger_lets_one_of_two_concurrent_runs_send(
    db: Database, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    config = momentum_config(smtp.port)
    chat = MomentumChat(db, config)
    await chat.start()
    await story(chat, smtp)
    results = await asyncio.gather(
        *(JOBS["weekly_update"](chat.app.jobs, WEEKLY_TIME) for _ in range(3))
    )
    await chat.settle()
    await chat.stop()
    assert results.count(0) == 2  # two of the three found the ledger row and stopped
    assert weekly(smtp) == ["alice@example.org", "bob@example.org"]
