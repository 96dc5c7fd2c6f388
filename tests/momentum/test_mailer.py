"""The mailer: connections reused, temporary refusals retried, permanent ones recorded and
told to the member the next time they act — and never tried again."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from storage.models import Outbox
from storage.repos import emails
from storage.types import utcnow
from tests.momentum.conftest import MONDAY, MomentumChat, SmtpServer

outbox_t = Outbox.__table__
WEEKLY_TIME = MONDAY + timedelta(hours=1)


async def members_with_addresses(chat: MomentumChat, n: int) -> None:
    for i in range(n):
        await chat.join(f"m{i}")
    now = utcnow()
    async with chat.db.write() as conn:
        for member_id in range(1, n + 1):
            await emails.request(
                conn, chat.db.vault, member_id, f"m{member_id}@example.org", now, requests=1
            )
            await emails.verify(conn, member_id, now, f"token{member_id}")


async def test_connections_are_reused_and_temporary_refusals_retried(
    momentum: MomentumChat, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    chat = momentum
    await members_with_addresses(chat, 40)
    smtp.inbox.defer["m7@example.org"] = 2
    clock.move_to(WEEKLY_TIME + timedelta(seconds=1))
    await chat.settle()
    assert len(smtp.inbox.about("weekly update")) == 39
    # At most [email] connections (4) were opened for 40 mails.
    assert chat.mailer.connections_opened <= 4 and smtp.inbox.sessions <= 4
    for _ in range(3):
        clock.shift(timedelta(minutes=5))
        await chat.mailer.drain()
    weekly = sorted(r.to for r in smtp.inbox.about("weekly update"))
    assert weekly == sorted(f"m{i}@example.org" for i in range(1, 41))


async def test_a_bounce_is_told_to_the_member_once_and_not_retried(
    momentum: MomentumChat, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    chat = momentum
    await chat.join("alice")
    await chat.verify("alice", smtp.inbox, "alice@example.org")
    smtp.inbox.refuse.add("alice@example.org")
    clock.move_to(WEEKLY_TIME + timedelta(seconds=1))
    await chat.settle()
    assert smtp.inbox.about("weekly update") == []
    async with chat.db.read() as conn:
        (row,) = await conn.execute(
            sa.select(outbox_t).where(
                outbox_t.c.kind == "email", outbox_t.c.event == "weekly_update"
            )
        )
    assert row.failed_at is not None and "alice@example.org" not in row.last_error

    reply = await chat.dm("alice", "ideas")  # a read-only command tells her too
    assert "could not be delivered (550" in reply and "a…@e….org" in reply
    assert "could not be delivered" not in await chat.dm("alice", "whoami")
    assert "could not be delivered" in await chat.dm("alice", "email")  # her status says so

    smtp.inbox.refuse.clear()
    clock.move_to(WEEKLY_TIME + timedelta(days=7, seconds=1))
    await chat.settle()
    assert smtp.inbox.about("weekly update") == []  # that address gets no more mail
    await chat.verify("alice", smtp.inbox, "alice@example.org")
    clock.move_to(WEEKLY_TIME + timedelta(days=14, seconds=1))
    await chat.settle()
    assert [r.to for r in smtp.inbox.about("weekly update")] == ["alice@example.org"]


async def test_a_bounced_verification_mail_is_told_and_dropped(
    momentum: MomentumChat, smtp: SmtpServer
) -> None:
    chat = momentum
    await chat.join("bob")
    smtp.inbox.refuse.add("bob@example.org")
    await chat.dm("bob", "email bob@example.org")
    await chat.mailer.drain()
    reply = await chat.dm("bob", "subscriptions")
    assert "could not be delivered" in reply
    assert "nothing to verify" in await chat.dm("bob", "verify AAAA-BBBB")
