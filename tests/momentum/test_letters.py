"""Letters to an action's target (issue 14): pledgers write their own, privately; a moderator
confirms the target address once; at the trigger the target gets exactly one mail with the
summary and every letter once, attached, the organizers a copy, and the campaign page and
the export say when it was delivered — across a restart, and after a late confirmation."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import aiohttp
import sqlalchemy as sa
import time_machine

from bot.web.assemble import web_server
from bot.web.settings import WebSettings
from commands import export
from storage.db import Database
from storage.models import Action, Letter, Outbox
from tests.momentum.conftest import MomentumChat, SmtpServer, momentum_config

TARGET = "team@requester.example"
ACTION = f"action 1 needs 3 by 7d target {TARGET} Write to the MTurk team"


async def opened(chat: MomentumChat) -> dict[str, str]:
    """admin (a moderator), alice (organizer), the pledgers bob, carol, dave, and erin."""
    names = {p: await chat.join(p) for p in ("admin", "alice", "bob", "carol", "dave", "erin")}
    await chat.launch("alice", "bob", "carol")
    assert "letters go to its target" in await chat.dm("alice", ACTION)
    return names


def attachment(received: object) -> str:
    message = received.message  # type: ignore[attr-defined]
    (document,) = list(message.iter_attachments())
    assert document.get_content_type() == "text/markdown"
    assert document.get_filename() == "letters-action-1.md"
    return str(document.get_content()).replace("\r\n", "\n")


async def page(chat: MomentumChat, path: str) -> str:
    assert chat.app.web is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{chat.app.web.port}{path}") as response:
            assert response.status == 200
            return await response.text()


async def action_row(db: Database) -> sa.Row:
    async with db.read() as conn:
        return (await conn.execute(sa.select(Action.__table__))).one()


async def test_letters_go_to_the_confirmed_target_once_with_a_copy_to_the_organizers(
    db: Database, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    web = WebSettings(listen="127.0.0.1:0", public_url="https://dynamo.example.org")
    chat = MomentumChat(db, dataclasses.replace(momentum_config(smtp.port), web=web))
    chat.app.web = web_server(chat.app)
    await chat.start()
    try:
        names = await opened(chat)
        # A letter may come first; it goes only with a pledge.
        early = await chat.dm("bob", "letter 1 Six years of surveys; fair pay would let me stay.")
        assert "It goes only with your pledge: `pledge 1`" in early
        assert "it has 1 of 3" in await chat.dm("bob", "pledge 1")
        assert "it has 2 of 3" in await chat.dm("carol", 'pledge 1 as "Carol C."')
        await chat.dm("carol", "letter 1 Rejections without reason cost me a week of pay.")
        changed = await chat.dm("carol", "letter 1 Please pay for rejected work that was done.")
        assert "replaces your earlier one" in changed
        mine = await chat.dm("carol", "letter 1")
        assert "Please pay for rejected work that was done." in mine
        assert "goes to the target with your pledge" in mine
        await chat.dm("dave", "letter 1 I am a parent; surveys are my evening job.")
        # erin writes but never pledges: her letter is not sent.
        await chat.dm("erin", "letter 1 Never sent.")
        assert "has no letter" not in await chat.dm("erin", "letter 1")

        assert f"target is {TARGET}, not confirmed" in await chat.dm("admin", "mod target 1")
        assert "moderator" in (await chat.dm("alice", "mod target 1 confirm")).lower()
        confirmed = await chat.dm("admin", "mod target 1 confirm")
        assert "confirmed: its letters go there when it triggers" in confirmed
        assert "confirmed already" in await chat.dm("admin", "mod target 1 confirm")
        assert "action #1 (confirmed its target address)" in await chat.dm("admin", "mod log")
        assert TARGET not in await chat.dm("admin", "mod log")

        assert "it's on" in await chat.dm("dave", "pledge 1")
        await chat.settle()
        (mail,) = smtp.inbox.to(TARGET)
        body = mail.part("plain")
        assert "3 members of the Dynamo campaign #1 (Fair pay for surveys)" in body
        assert "Who they are: 3 workers." in body
        shown = sorted([names["bob"], "Carol C.", names["dave"]], key=str.casefold)
        assert f"Each is named as they chose: {'; '.join(shown)}." in body
        assert "3 letters from them are attached." in body
        document = attachment(mail)
        for name, text in (
            (names["bob"], "Six years of surveys; fair pay would let me stay."),
            ("Carol C.", "Please pay for rejected work that was done."),
            (names["dave"], "I am a parent; surveys are my evening job."),
        ):
            assert document.count(text) == 1 and f"## From {name}\n\n> {text}" in document
        assert "Rejections without reason" not in document and "Never sent" not in document
        assert names["carol"] not in document + body

        # Recorded: when, and the very Message-ID that went out; the letters are dropped.
        row = await action_row(db)
        assert row.delivery_message_id == mail.message["Message-ID"]
        assert row.delivered_at is not None and row.delivery is None
        async with db.read() as conn:
            assert (await conn.execute(sa.select(Letter.__table__))).all() == []
        (copy,) = [d for d in chat.dms_of("alice") if "Your copy" in d]
        assert "Please pay for rejected work that was done." in copy and "Carol C." in copy
        for person in ("bob", "carol", "dave"):
            assert any(d.startswith("It's on: action #1") for d in chat.dms_of(person))

        delivered = "delivered to the target on 2026-11-23 14:00 UTC"
        assert delivered in await chat.dm("erin", "actions 1")
        campaign_page = await page(chat, "/campaigns/1")
        assert delivered in campaign_page and TARGET not in campaign_page
        async with db.read() as conn:
            gathered = await export.gather(conn, 1)
        assert gathered is not None
        for fmt in export.FORMATS:
            exported = export.render(gathered, fmt)
            assert delivered in exported and TARGET not in exported
        assert "took pledges" not in await chat.dm("erin", "letter 1 Too late")

        clock.shift(timedelta(hours=1))
        await chat.settle()
        assert len(smtp.inbox.to(TARGET)) == 1
    finally:
        await chat.stop()


async def test_a_restart_between_the_trigger_and_the_delivery_delivers_once(
    db: Database, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    config = momentum_config(smtp.port)
    first = MomentumChat(db, config)
    await first.start()
    await opened(first)
    await first.dm("admin", "mod target 1 confirm")
    for person in ("bob", "carol"):
        await first.dm(person, f"letter 1 From {person}: fair pay, please.")
        await first.dm(person, "pledge 1")
    await smtp.stop()  # the mail server is away when it triggers ...
    assert "it's on" in await first.dm("dave", "pledge 1")
    await first.settle()
    await first.stop()  # ... and the bot stops before it could deliver
    assert smtp.inbox.to(TARGET) == []
    async with db.read() as conn:
        (waiting,) = (
            await conn.execute(
                sa.select(Outbox.__table__).where(Outbox.__table__.c.event == "action_delivery")
            )
        ).all()
    assert waiting.sent_at is None and waiting.payload == {"action": 1}

    await smtp.start()
    clock.shift(timedelta(minutes=10))
    for _ in range(2):  # started again, twice: one mail
        again = MomentumChat(db, config)
        await again.start()
        await again.settle()
        await again.stop()
        clock.shift(timedelta(minutes=10))
    (mail,) = smtp.inbox.to(TARGET)
    document = attachment(mail)
    assert document.count("fair pay, please.") == 2
    row = await action_row(db)
    assert row.delivery_message_id == mail.message["Message-ID"]
    assert row.delivery_message_id.startswith("<action-1.delivery.")


async def test_an_unconfirmed_target_waits_and_moderators_are_told(
    momentum: MomentumChat, smtp: SmtpServer, db: Database
) -> None:
    chat = momentum
    await opened(chat)
    await chat.dm("carol", "letter 1 Pay for rejected work.")
    for person in ("bob", "carol", "dave"):
        await chat.dm(person, "pledge 1")
    await chat.settle()
    assert smtp.inbox.to(TARGET) == []
    told = [d for d in chat.dms_of("admin") if "target address was never confirmed" in d]
    assert len(told) == 1 and "`mod target 1 confirm`" in told[0]
    assert "its letters wait to be delivered" in await chat.dm("erin", "actions 1")
    assert not any("Your copy" in d for d in chat.dms_of("alice"))

    confirmed = await chat.dm("admin", "mod target 1 confirm")
    assert "confirmed; its letters go there now" in confirmed
    await chat.settle()
    (mail,) = smtp.inbox.to(TARGET)
    assert "Pay for rejected work." in attachment(mail)
    assert "1 letter from them is attached." in mail.part("plain")
    assert any("Your copy" in d for d in chat.dms_of("alice"))
    assert "confirmed already" in await chat.dm("admin", "mod target 1 confirm")
    await chat.settle()
    assert len(smtp.inbox.to(TARGET)) == 1
    assert (await action_row(db)).delivered_at is not None
