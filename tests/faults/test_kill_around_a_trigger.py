"""`kill -9` twice around an action's trigger (issue 14): exactly one trigger, every
pledger told once, the target's mail received once with every letter once.

Four members on IRC: alice opens action #1 of her campaign with a target, which mona (an
admin) confirms; bob, carol and dave write letters and pledge, all by private message. A
real SMTP server (aiosmtpd, on the test's loop) holds every mail at DATA while the test
says so, answering nothing until the test gives its verdict.

- Kill 1, right after dave's deciding pledge is answered: the trigger has committed with
  its announcement, its notices and the target's mail still to go. The bot is paused
  (SIGSTOP) and killed only when no delivery it holds has had its line seen (as in
  test_kill_during_vote_storm); a mail it had begun is held at DATA, and refused for now
  (451) once the bot is gone.
- Kill 2, in the next run, once the announcement and the notices are out and the target's
  mail is held at DATA: the mail is claimed, not accepted. The held mail is refused for now
  once the bot is gone, and the server accepts from then on.

The third run sends the mail; nothing else goes out again.
"""

from __future__ import annotations

import asyncio
import email
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.faults.processes import (
    Bot,
    Member,
    Network,
    Peek,
    channel_lines,
    from_bot,
    mint,
    settle,
    watch,
    write_config,
)
from tests.faults.test_kill_during_vote_storm import round_trip
from tests.irc.client import IrcTestClient
from tests.irc.ngircd import NgircdServer
from tests.momentum.conftest import free_port
from tests.waiting import eventually

TARGET = "team@target.example"
PLEDGERS = ("bob", "carol", "dave")
LETTERS = {nick: f"{nick.capitalize()} here: six years of unpaid tests." for nick in PLEDGERS}
ANNOUNCED = "Action #1 of campaign #1 is on"
TOLD = "It's on: action #1 "
COPY = "Your copy of what goes to action #1"


@dataclass
class Gate:
    """An SMTP handler: while ``holding``, each message waits at DATA for the test's
    verdict (True: 250, accepted; False: 451, refused for now). Only accepted ones count."""

    holding: bool = True
    waiting: list[asyncio.Future[bool]] = field(default_factory=list)
    accepted: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.holding:
            verdict: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self.waiting.append(verdict)
            if not await verdict:
                return "451 4.3.0 try again later"
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.accepted.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"

    def held(self) -> int:
        return sum(not v.done() for v in self.waiting)

    def refuse_held(self) -> None:
        for verdict in self.waiting:
            if not verdict.done():
                verdict.set_result(False)


async def answer(member: Member, line: str, expected: str) -> str:
    """Say ``line`` to the bot privately; its answer containing ``expected`` (notices that
    arrive meanwhile are passed over, and fail the test if that answer never comes)."""
    mark = member.client.mark()
    await member.client.privmsg(member.bot, line)
    reply = await member.client.wait_for(
        lambda got: from_bot(member.bot, member.nick)(got) and expected in got.text,
        15,
        since=mark,
    )
    return reply.text


def text_of(message: EmailMessage) -> str:
    """Every text part of a mail, attachments included, one after the other."""
    return "\n".join(
        str(part.get_content())  # type: ignore[attr-defined]
        for part in message.walk()
        if part.get_content_maintype() == "text"
    )


class Trigger:
    def __init__(
        self, bot: Bot, peek: Peek, watcher: IrcTestClient, people: dict[str, Member]
    ) -> None:
        self.bot, self.peek, self.watcher, self.people = bot, peek, watcher, people
        self.killed_at = 0

    def announced(self) -> int:
        return sum(ANNOUNCED in line.text for line in channel_lines(self.watcher))

    def told(self, nick: str, start: str = TOLD) -> int:
        return sum(text.startswith(start) for text in self.people[nick].dms())

    def line_is_out(self, event: str, pseudonym: str | None) -> bool:
        if event == "action_triggered" and pseudonym is None:
            return self.announced() > 0
        nick = next((n for n, m in self.people.items() if m.pseudonym == pseudonym), None)
        if nick is None:
            return True  # unknown to this test: assume the worst
        if event == "action_triggered":
            return self.told(nick) > 0
        if event == "action_delivery_copy":
            return self.told(nick, COPY) > 0
        return True

    async def held_lines(self) -> list[tuple[str, str | None]]:
        rows = await self.peek.rows(
            "SELECT o.event, m.pseudonym FROM outbox o LEFT JOIN member m ON m.id = o.member_id "
            "WHERE o.kind IN ('announce', 'dm') AND o.sent_at IS NULL "
            "AND o.failed_at IS NULL AND o.claimed_until IS NOT NULL"
        )
        return [(row.event, row.pseudonym) for row in rows]

    async def kill_outside_the_window(self) -> None:
        """SIGKILL the bot while no line it holds has been seen before its mark."""
        clients = [self.watcher, *(m.client for m in self.people.values())]
        for _ in range(300):
            await self.bot.pause()
            for _ in range(2):
                await asyncio.gather(*(round_trip(client) for client in clients))
            held = await self.held_lines()
            if not any(self.line_is_out(event, pseudonym) for event, pseudonym in held):
                self.killed_at = self.watcher.mark()
                await self.bot.kill()
                return
            self.bot.resume()
            await round_trip(self.watcher)  # it runs on a moment before the next try
        raise AssertionError("the bot was always between a line and its mark")

    async def restart(self) -> None:
        await self.watcher.wait_for(
            lambda line: line.command == "QUIT" and line.nick == "dynamo",
            timeout=10,
            since=self.killed_at,
        )
        await self.bot.start()
        await self.bot.wait_log("started with")

    async def target_mail(self) -> list[tuple[object, ...]]:
        return [
            tuple(row)
            for row in await self.peek.rows(
                "SELECT id, sent_at, failed_at FROM outbox WHERE kind = 'email' "
                "AND event = 'action_delivery'"
            )
        ]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest) -> str:
    """Both databases: a SQLite file, or a PostgreSQL schema of the test's own."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_kill_9_around_a_trigger_triggers_once_and_mails_the_target_once(
    ngircd_factory: Callable[..., Awaitable[NgircdServer]], url: str, tmp_path: Path
) -> None:
    server = await ngircd_factory(penalties=False)
    gate = Gate()
    port = free_port()
    smtp = await asyncio.get_running_loop().create_server(
        lambda: SMTP(gate, hostname="mx.test"), "127.0.0.1", port
    )
    config = write_config(
        tmp_path / "config.toml",
        url=url,
        networks=[Network("local", server)],
        launch_upvotes=2,
        # Two lines a second, no burst: the trigger's announcement and notices wait in
        # the send queue behind the answer to the deciding pledge.
        rate=2.0,
        burst=1,
        admins=["irc:local:mona"],
        smtp_port=port,
    )
    nicks = ("alice", *PLEDGERS, "mona")
    codes = await mint(url, len(nicks))
    watcher = await watch(server)
    bot = Bot(config)
    peek = Peek(url)
    people = {nick: await Member.arrive(server, nick) for nick in nicks}
    try:
        await bot.start()
        await watcher.wait_for(lambda line: line.command == "JOIN" and line.nick == "dynamo")
        for nick, code in zip(nicks, codes, strict=True):
            await people[nick].register(code)
        alice = people["alice"]
        assert await alice.pitch("Pay for qualification tests") == 1
        for nick in ("bob", "carol"):
            await answer(people[nick], "upvote 1", "You upvoted #1")
        await answer(alice, f"action 1 needs 3 by 14d target {TARGET} Pay for tests", "is open")
        await answer(people["mona"], "mod target 1 confirm", "is confirmed")
        for nick in PLEDGERS:
            await answer(people[nick], f"letter 1 {LETTERS[nick]}", "kept, sealed")
        await answer(people["bob"], "pledge 1", "it has 1 of 3")
        await answer(people["carol"], "pledge 1", "it has 2 of 3")
        run = Trigger(bot, peek, watcher, people)

        # Kill 1: the deciding pledge is answered; what it caused has not all gone out.
        await answer(people["dave"], "pledge 1", "it's on")

        async def triggered_and_mail_held() -> bool:
            claims = await peek.rows("SELECT kind FROM ledger WHERE period = 'action-1'")
            return len(claims) == 2 and gate.held() == 1

        await eventually(triggered_and_mail_held, "the trigger and its mail held", within=15)
        # (At two lines a second, its five announcement and notice lines are still queued
        # then, or most of them; those already seen were marked before the kill.)
        await run.kill_outside_the_window()
        gate.refuse_held()
        await run.restart()
        # What the killed run held (the target's mail at least) goes out again at once.
        assert "took back" in bot.said(), bot.said()

        # Kill 2: announcement and notices out, the target's mail held at DATA, unaccepted.
        async def notices_out_and_mail_held() -> bool:
            return (
                run.announced() >= 1
                and all(run.told(nick) >= 1 for nick in PLEDGERS)
                and run.told("alice", COPY) >= 1
                and gate.held() == 1
                and not await run.held_lines()
            )

        await eventually(notices_out_and_mail_held, "the notices out and the mail held", within=30)
        ((_, sent_at, _),) = await run.target_mail()
        assert sent_at is None
        await bot.pause()
        run.killed_at = watcher.mark()
        await bot.kill()
        gate.refuse_held()
        gate.holding = False
        await run.restart()

        async def mailed() -> bool:
            rows = await run.target_mail()
            return len(gate.accepted) >= 1 and all(row[1] is not None for row in rows)

        await eventually(mailed, "the target's mail to be accepted and marked", within=60)
        await settle(1.0)  # a quiet spell: nothing more comes

        # Exactly one trigger: one ledger row, one announcement, each pledger told once.
        claims = await peek.rows("SELECT kind FROM ledger WHERE period = 'action-1'")
        assert sorted(row.kind for row in claims) == ["action_delivery", "action_trigger"]
        assert run.announced() == 1, bot.logs()
        for nick in PLEDGERS:
            assert run.told(nick) == 1, (nick, people[nick].dms())
        assert run.told("alice", COPY) == 1
        assert run.told("alice") == 0 and run.told("mona") == 0

        # The target got its mail once, with every letter once, under the Message-ID the
        # action records; no other mail went anywhere.
        assert len(gate.accepted) == 1
        ((recipients, message),) = gate.accepted
        assert recipients == [TARGET]
        body = text_of(message)
        for nick in PLEDGERS:
            assert body.count(LETTERS[nick]) == 1, body
        assert "3 members" in body
        ((_, sent_at, failed_at),) = await run.target_mail()
        assert sent_at is not None and failed_at is None
        (action,) = await peek.rows(
            "SELECT status, pledge_count, delivered_at, delivery_message_id FROM action"
        )
        assert (action.status, action.pledge_count) == ("triggered", 3)
        assert action.delivered_at is not None
        assert action.delivery_message_id == message["Message-ID"]
        assert bot.runs == 3
        assert "Traceback" not in bot.logs(), bot.logs()
        assert await bot.stop() == 0
    finally:
        if bot.running:
            await bot.kill()
        gate.refuse_held()
        smtp.close()
        for client in [watcher, *(m.client for m in people.values())]:
            await client.close()
        await peek.dispose()
