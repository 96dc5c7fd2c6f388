"""An SMTP outage as the log tells it: once when it starts, again only every hour it lasts,
and once when the server is back, with how long it was away and what then went out."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine

from tests.momentum.conftest import MomentumChat, SmtpServer
from tests.momentum.test_mailer import WEEKLY_TIME, members_with_addresses

FIRST_FAILURE = WEEKLY_TIME + timedelta(seconds=1)


def said(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == level and r.name == "bot.transports.email.mailer"
    ]


async def test_recovery_is_logged_once_with_how_long_and_what_went_out(
    momentum: MomentumChat,
    smtp: SmtpServer,
    clock: time_machine.Traveller,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat = momentum
    await members_with_addresses(chat, 3)
    caplog.set_level(logging.INFO)
    await smtp.stop()
    clock.move_to(FIRST_FAILURE)
    await chat.settle()  # the weekly update to three members: the server is away
    for _ in range(3):  # retried a minute apart, failing each time
        clock.shift(timedelta(minutes=1))
        assert await chat.mailer.drain() == 3
    assert smtp.inbox.received == []

    await smtp.start()
    clock.move_to(FIRST_FAILURE + timedelta(minutes=14))
    await chat.mailer.drain()
    clock.shift(timedelta(minutes=1))
    await chat.mailer.drain()  # nothing left: nothing more to say

    assert len(smtp.inbox.about("weekly update")) == 3
    warnings = said(caplog, logging.WARNING)
    assert len(warnings) == 1 and warnings[0].startswith("SMTP server unreachable (")
    assert "3 mail(s) wait; trying again in 1 s" in warnings[0]
    assert said(caplog, logging.INFO) == ["SMTP back after 14 min: 3 waiting mails sent"]
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert not any("@example.org" in line for line in ours)


async def test_a_long_outage_is_recalled_every_hour(
    momentum: MomentumChat,
    smtp: SmtpServer,
    clock: time_machine.Traveller,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat = momentum
    await members_with_addresses(chat, 2)
    smtp.inbox.refuse.add("m2@example.org")
    caplog.set_level(logging.INFO)
    await smtp.stop()
    clock.move_to(FIRST_FAILURE)
    await chat.settle()
    # Every five minutes (the longest pause between tries) for two and a half hours.
    for _ in range(29):
        clock.shift(timedelta(minutes=5))
        assert await chat.mailer.drain() == 2
    await smtp.start()
    clock.shift(timedelta(minutes=5))
    await chat.mailer.drain()

    assert [r.to for r in smtp.inbox.about("weekly update")] == ["m1@example.org"]
    warnings = said(caplog, logging.WARNING)
    assert [w.split(" (")[0] for w in warnings] == [
        "SMTP server unreachable",
        "SMTP server still unreachable after 60 min",
        "SMTP server still unreachable after 2 h",
        "mail 2 refused permanently",
    ]
    assert said(caplog, logging.INFO) == [
        "SMTP back after 2 h 30 min: 1 waiting mail sent, 1 refused"
    ]


async def test_an_outage_uses_up_no_retries(
    momentum: MomentumChat, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    """Mails given back untried while the server is away keep every retry: after 40 rounds
    (more than the 25 tries a refused mail gets), none is counted and none given up."""
    import sqlalchemy as sa

    from storage.models import Outbox

    chat = momentum
    await members_with_addresses(chat, 2)
    await smtp.stop()
    clock.move_to(FIRST_FAILURE)
    await chat.settle()
    for _ in range(40):
        clock.shift(timedelta(minutes=5))
        assert await chat.mailer.drain() == 2
    outbox = Outbox.__table__
    async with chat.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(outbox.c.attempts, outbox.c.failed_at).where(
                    outbox.c.kind == "email", outbox.c.sent_at.is_(None)
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [(0, None), (0, None)]
    await smtp.start()
    clock.shift(timedelta(minutes=5))
    await chat.mailer.drain()
    assert len(smtp.inbox.about("weekly update")) == 2
