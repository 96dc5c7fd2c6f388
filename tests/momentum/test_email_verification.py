"""A member gives an email address privately, gets a code by mail and verifies it; nobody
else ever sees the address."""

from __future__ import annotations

import sqlalchemy as sa

from commands import codes
from storage.models import MemberEmail
from tests.momentum.conftest import SENDER, MomentumChat, SmtpServer


async def test_verify_flow(momentum: MomentumChat, smtp: SmtpServer) -> None:
    chat = momentum
    await chat.join("admin")
    alice = await chat.join("alice")
    assert "no email address" in await chat.dm("alice", "email")
    assert "doesn't look like an email" in await chat.dm("alice", "email alice@@example")
    reply = await chat.dm("alice", "email alice@example.org")
    assert "a…@e….org" in reply and "alice@example.org" not in reply
    assert "on its way" in await chat.dm("alice", "verify AAAA-BBBB")

    await chat.mailer.drain()
    (mail,) = smtp.inbox.to("alice@example.org")
    assert mail.subject == "Your Dynamo verification code"
    assert mail.message["From"] == SENDER and mail.message["List-Unsubscribe"] is None
    code = smtp.inbox.code_for("alice@example.org")
    assert code in mail.part("plain") and code in mail.part("html")
    async with chat.db.read() as conn:
        stored = (await conn.execute(sa.select(MemberEmail.__table__))).one()
    assert stored.code_hash == codes.digest(codes.normalize(code) or "")
    assert code not in str(tuple(stored)) and stored.address is None

    wrong = await chat.dm("alice", "verify 2222-3333")
    assert "not right (4 tries left)" in wrong
    done = await chat.dm("alice", f"verify {code.lower()}")
    assert "is verified" in done and "Mon 2026-11-23 15:00 UTC" in done
    assert "verified" in await chat.dm("alice", "email")
    assert "nothing to verify" in await chat.dm("alice", f"verify {code}")

    # Not moderators, not the public, not the address's owner in clear.
    await chat.dm("admin", f"mod promote {alice} moderator")
    assert "example.org" not in await chat.dm("admin", f"mod member {alice}")
    everything = "\n".join(s.text for s in chat.console.seen)
    assert "alice@example.org" not in everything

    assert "forgot your email" in await chat.dm("alice", "email off")
    assert "no email address" in await chat.dm("alice", "email")


async def test_codes_expire_and_wrong_ones_run_out(
    momentum: MomentumChat, smtp: SmtpServer
) -> None:
    chat = momentum
    await chat.join("bob")
    await chat.dm("bob", "email bob@example.org")
    await chat.mailer.drain()
    for _ in range(4):
        await chat.dm("bob", "verify 2222-3333")
    assert "Send `email ADDRESS` again" in await chat.dm("bob", "verify 2222-3333")
    code = smtp.inbox.code_for("bob@example.org")
    assert "Too many wrong codes" in await chat.dm("bob", f"verify {code}")
    # A new request gives a fresh code; the old one no longer works.
    await chat.dm("bob", "email bob@example.org")
    await chat.mailer.drain()
    fresh = smtp.inbox.code_for("bob@example.org")
    assert fresh != code
    assert "not right" in await chat.dm("bob", f"verify {code}")
    assert "is verified" in await chat.dm("bob", f"verify {fresh}")


async def test_email_is_off_without_an_smtp_server(chat) -> None:  # type: ignore[no-untyped-def]
    await chat.join("carol")
    assert "not set up" in await chat.dm("carol", "email carol@example.org")
    # Nothing promises mail that will never come, and no answer sends them in a circle.
    status = await chat.dm("carol", "email")
    assert "sends no email" in status and "weekly update goes out" not in status
    refused = await chat.dm("carol", "notify email")
    assert "sends no email" in refused and "`notify dm`" in refused
    assert "`email ADDRESS`" not in refused
    assert "private message" in await chat.dm("carol", "notify")
