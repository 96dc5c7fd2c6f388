"""Fixtures for the momentum stories: a real SMTP server (aiosmtpd on the test's own loop),
a console chat whose bot mails through it and runs its scheduler, and a fixed start time
that the tests move with time-machine (never by sleeping).
"""

from __future__ import annotations

import asyncio
import email
import re
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
import time_machine
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.config import Config, EmailSettings
from commands.framework.calendar import Schedule
from commands.framework.privacy import NO_DELAY
from commands.framework.rules import Rules
from storage.db import Database
from storage.vault import Vault
from tests.databases import PG_URL, PostgresSchema
from tests.harness import ConsoleChat

# Monday 2026-11-23, 14:00 UTC: an hour before the default weekly update (mon 15:00).
MONDAY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
SENDER = "dynamo@movement.example"


@dataclass
class Received:
    to: str
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())  # type: ignore[attr-defined]


@dataclass
class Inbox:
    """What the SMTP server accepted. Addresses in ``refuse`` get a permanent 550; those in
    ``defer`` a temporary 451, that many times."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    defer: dict[str, int] = field(default_factory=dict)
    sessions: int = 0

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list
    ) -> list:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 <" + address + ">: no such mailbox"
        if self.defer.get(address, 0) > 0:
            self.defer[address] -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        for to in envelope.rcpt_tos:
            self.received.append(Received(to, message))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if r.to == address]

    def about(self, word: str) -> list[Received]:
        return [r for r in self.received if word in r.subject]

    def code_for(self, address: str) -> str:
        mail = [r for r in self.to(address) if "verification code" in r.subject][-1]
        match = re.search(r"verify ([A-Z0-9]{4}-[A-Z0-9]{4})", mail.part("plain"))
        assert match, mail.part("plain")
        return match.group(1)


class SmtpServer:
    """aiosmtpd served from the test's loop; can be stopped and started on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self.inbox, hostname="mx.test"), "127.0.0.1", self.port
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    server = SmtpServer(free_port())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The wall clock, frozen at MONDAY; move it with ``clock.move_to`` / ``clock.shift``."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def momentum_config(port: int, **schedule: Any) -> Config:
    return Config(
        privacy=NO_DELAY,
        rules=Rules(launch_upvotes=2),
        schedule=Schedule(**schedule),
        email=EmailSettings(
            host="127.0.0.1", port=port, starttls=False, sender=SENDER, timeout=5.0
        ),
    )


class MomentumChat(ConsoleChat):
    """The console chat with the scheduler running and email going to a real SMTP server."""

    async def start(self) -> None:
        await self.app.start(dispatch=False, schedule=True)

    @property
    def mailer(self) -> Any:
        assert self.app.mailer is not None
        return self.app.mailer

    async def settle(self) -> None:
        """Run due jobs, then deliver every DM, announcement and email that is due."""
        await self.app.scheduler.run_due()
        for _ in range(20):
            moved = await self.deliver() + await self.mailer.drain()
            if moved == 0:
                return

    async def verify(self, person: str, inbox: Inbox, address: str) -> str:
        """``email ADDRESS``, read the code from the mailbox, ``verify CODE``."""
        assert "mailing a code" in await self.dm(person, f"email {address}")
        await self.mailer.drain()
        return await self.dm(person, f"verify {inbox.code_for(address)}")

    async def launch(self, organizer: str, *voters: str, text: str = "Fair pay for surveys") -> int:
        reply = await self.dm(organizer, f"pitch {text}")
        idea = int(re.search(r"idea #(\d+)", reply).group(1))  # type: ignore[union-attr]
        for voter in voters:
            await self.dm(voter, f"upvote {idea}")
        return idea


@pytest.fixture
async def momentum(
    db: Database, smtp: SmtpServer, clock: time_machine.Traveller
) -> AsyncIterator[MomentumChat]:
    chat = MomentumChat(db, momentum_config(smtp.port))
    await chat.start()
    yield chat
    await chat.stop()


@pytest.fixture
async def pg_db(pg_schema: PostgresSchema) -> AsyncIterator[Database]:
    """The PostgreSQL database alone (for stories about several bot processes)."""
    database = Database(PG_URL, schema=pg_schema.name, pool_size=10, vault=Vault.from_environ())
    await pg_schema.reset(database)
    yield database
    await database.dispose()
