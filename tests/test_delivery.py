"""Nothing lost, nothing doubled, nothing out of order (bot/outbox.py, bot/serving.py).

- Each delivery is marked sent as soon as it has gone out; within a space no announcement
  overtakes an earlier one about the same campaign (or, for those about none, any earlier
  one of those) that has to wait.
- A space that is down is not a failure: its announcements wait, however long, uncounted.
- A refusal for good ends at once: an announcement is given up, a private message goes to
  the member's other accounts, else to their email, and they are told when they next act.
- Every space any process serves hears every announcement; one process serves a space at a
  time, another takes over when it stops, and takes back what it left undelivered.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.app import App
from bot.config import Config, DatabaseSettings
from bot.outbox import Refused, SpaceDown
from commands.framework.formatting import plain
from commands.framework.privacy import NO_DELAY
from commands.framework.reply import IdentityRef
from storage.db import Database
from storage.models import Identity, Outbox, Space
from storage.repos import outbox
from tests.harness import ConsoleChat

outbox_t = Outbox.__table__


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Sink:
    """A transport for one space whose next deliveries can be scripted to fail."""

    platform = "test"

    def __init__(self, space: str = "test:one") -> None:
        self.spaces = (space,)
        self.delivered: list[str] = []
        self.failures: list[Exception] = []  # raised by the next deliveries, in turn
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1

    async def stop(self) -> None:
        return None

    async def deliver_announcement(self, space: str, event: str, payload: dict) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append(plain(payload["text"]))

    def can_reach(self, identity_key: str) -> bool:
        return False

    async def deliver_dm(self, identity_key: str, event: str, payload: dict) -> None:
        raise AssertionError("not reachable")


async def with_sink(db: Database, clock: Clock, sink: Sink) -> ConsoleChat:
    chat = ConsoleChat(db, Config(privacy=NO_DELAY), clock=clock)
    chat.app.add_transport(sink)  # type: ignore[arg-type]
    await chat.start()
    return chat


async def announce(chat: ConsoleChat, *texts: str) -> None:
    async with chat.app.jobs.transaction(chat.app.clock()) as ctx:
        for text in texts:
            ctx.announce("test", text)


async def rows_of(db: Database, space: str) -> list[Any]:
    async with db.read() as conn:
        query = sa.select(outbox_t).where(outbox_t.c.space == space).order_by(outbox_t.c.id)
        return list(await conn.execute(query))


async def test_a_failure_holds_back_what_comes_after_it_in_its_space(db: Database) -> None:
    clock, sink = Clock(), Sink()
    chat = await with_sink(db, clock, sink)
    sink.failures = [ConnectionError("a hiccup")]
    await announce(chat, "first", "second", "third")
    await chat.deliver()
    assert sink.delivered == []  # the first failed: the others wait behind it
    first, second, third = await rows_of(db, "test:one")
    assert first.attempts == 1 and first.sent_at is None
    assert second.claimed_until is None and third.claimed_until is None  # given back
    clock.now += timedelta(seconds=3)
    await chat.deliver()
    assert sink.delivered == ["first", "second", "third"]
    assert all(r.sent_at is not None for r in await rows_of(db, "test:one"))
    await chat.stop()


async def test_what_waits_holds_back_its_own_campaign_not_the_others(db: Database) -> None:
    clock, sink = Clock(), Sink()
    chat = await with_sink(db, clock, sink)
    sink.failures = [SpaceDown("the forum refuses campaign 1's thread")]
    async with chat.app.jobs.transaction(clock()) as ctx:
        ctx.announce("test", "campaign 1 launched", campaign_id=1)
        ctx.announce("test", "idea 2 pitched", idea_id=2)
        ctx.announce("test", "campaign 1 petition", campaign_id=1)
    await chat.deliver()
    assert sink.delivered == ["idea 2 pitched"]
    clock.now += timedelta(minutes=3)
    await chat.deliver()
    assert sink.delivered == ["idea 2 pitched", "campaign 1 launched", "campaign 1 petition"]
    await chat.stop()


async def test_each_delivery_is_marked_sent_as_soon_as_it_is_out(db: Database) -> None:
    clock = Clock()
    seen: list[list[Any]] = []

    class Watching(Sink):
        async def deliver_announcement(self, space: str, event: str, payload: dict) -> None:
            seen.append([r.sent_at is not None for r in await rows_of(db, "test:one")])
            await super().deliver_announcement(space, event, payload)

    chat = await with_sink(db, clock, Watching())
    await announce(chat, "a", "b", "c")
    await chat.deliver()
    # When each goes out, those before it are already marked (a crash repeats none of them).
    assert seen == [[False, False, False], [True, False, False], [True, True, False]]
    await chat.stop()


async def test_a_space_down_for_a_day_loses_nothing_and_counts_nothing(db: Database) -> None:
    clock, sink = Clock(), Sink()
    chat = await with_sink(db, clock, sink)
    await announce(chat, "while away")
    async with db.write() as conn:  # past the old give-up point already
        await conn.execute(sa.update(outbox_t).values(attempts=24))
    for _ in range(100):  # a day of retries, two minutes apart
        sink.failures = [SpaceDown("not connected")]
        await chat.deliver()
        clock.now += timedelta(minutes=15)
    (row,) = await rows_of(db, "test:one")
    assert row.failed_at is None and row.attempts == 24 and "space down" in row.last_error
    await chat.deliver()
    assert sink.delivered == ["while away"]
    await chat.stop()


async def test_what_waits_behind_a_space_that_is_down_counts_nothing_either(
    db: Database,
) -> None:
    """Given back untried, a row behind the one that found the space down gets its attempt
    back: it used to keep it, and after an outage of hours one failure gave it up."""
    clock, sink = Clock(), Sink()
    chat = await with_sink(db, clock, sink)
    async with chat.app.jobs.transaction(clock()) as ctx:
        ctx.announce("test", "idea 1 pitched", idea_id=1)
        ctx.announce("test", "idea 2 pitched", idea_id=2)
        ctx.announce("test", "a weekly update")
    for _ in range(30):  # an hour of retries, two minutes apart
        sink.failures = [SpaceDown("not connected")] * 3
        await chat.deliver()
        clock.now += timedelta(minutes=2)
    assert [(r.attempts, r.failed_at) for r in await rows_of(db, "test:one")] == [(0, None)] * 3
    await chat.deliver()
    assert sink.delivered == ["idea 1 pitched", "idea 2 pitched", "a weekly update"]
    await chat.stop()


async def test_an_announcement_refused_for_good_is_given_up_at_once(db: Database) -> None:
    clock, sink = Clock(), Sink()
    chat = await with_sink(db, clock, sink)
    sink.failures = [Refused("the channel takes no posts")]
    await announce(chat, "refused", "next")
    await chat.deliver()
    assert sink.delivered == ["next"]
    refused, _ = await rows_of(db, "test:one")
    assert refused.failed_at is not None and refused.attempts == 1
    assert refused.last_error == "the channel takes no posts"
    await chat.stop()


async def test_a_space_back_after_an_outage_says_so_once(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    clock, sink = Clock(), Sink()
    chat = await with_sink(db, clock, sink)
    await announce(chat, "one", "two")
    sink.failures = [SpaceDown("not connected")]
    await chat.deliver()
    dispatcher = chat.app.dispatcher
    caplog.set_level(logging.INFO, logger="bot.outbox")
    clock.now += timedelta(minutes=3)
    await chat.deliver()
    dispatcher._log_caught_up(sink.spaces)  # what the running lane does when it is idle
    lines = [r.getMessage() for r in caplog.records if "back after" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("test:one back after")
    assert lines[0].endswith("2 waiting announcements delivered")
    await chat.stop()


class Member:
    """A member with a Discord-like and an IRC-like account, as the dispatcher sees them."""

    def __init__(self, platform: str, *, refuse: bool, online: bool = True) -> None:
        self.platform = platform
        self.spaces = ()
        self.refuse, self.online = refuse, online
        self.delivered: list[str] = []
        self.tried = 0

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver_announcement(self, space: str, event: str, payload: dict) -> None:
        raise AssertionError("no spaces here")

    def can_reach(self, identity_key: str) -> bool:
        return self.online and identity_key.startswith(f"{self.platform}:")

    async def deliver_dm(self, identity_key: str, event: str, payload: dict) -> None:
        self.tried += 1
        if self.refuse:
            raise Refused("your Discord DMs are closed to the bot")
        self.delivered.append(plain(payload["text"]))


async def closed_dms_world(
    db: Database, *, irc_online: bool, email: bool
) -> tuple[ConsoleChat, Member, Member]:
    chat = ConsoleChat(db, Config(privacy=NO_DELAY))
    discord, irc = Member("discord", refuse=True), Member("irc", refuse=False, online=irc_online)
    chat.console.can_reach = lambda key: False  # type: ignore[method-assign]
    chat.app.add_transport(discord)  # type: ignore[arg-type]
    chat.app.add_transport(irc)  # type: ignore[arg-type]
    await chat.start()
    await chat.join("admin")
    bob = await chat.join("bob")
    code = (await chat.dm("bob", "link")).split("`")[1]
    for key in ("discord:1234", "irc:net1:bob"):
        who = IdentityRef(key, key.split(":")[0])
        await chat.app.invoker.handle(who, f"link {code}", where="dm")
        code = (await chat.dm("bob", "link")).split("`")[1]
    if email:
        async with db.write() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO member_email (member_id, address, verified_at, code_attempts,"
                    " requests) VALUES (:m, :a, :t, 0, 0)"
                ).bindparams(
                    sa.bindparam("t", type_=Outbox.__table__.c.created_at.type),
                ),
                {"m": 2, "a": db.vault.seal("bob@example.org", "email"), "t": chat.app.clock()},
            )
    await chat.deliver()  # the link notices (Discord refused one of them already)
    identities = Identity.__table__
    async with db.write() as conn:
        await conn.execute(sa.update(identities).values(dms_refused_at=None))
        # Bob was last seen on Discord: private messages try that account first.
        await conn.execute(
            sa.update(identities)
            .where(identities.c.platform == "discord")
            .values(last_seen_at=chat.app.clock() + timedelta(minutes=1))
        )
    discord.tried = 0
    await chat.dm("admin", f"mod promote {bob} moderator")  # a notice for bob
    return chat, discord, irc


async def test_closed_dms_go_to_another_account_and_are_tried_once(db: Database) -> None:
    chat, discord, irc = await closed_dms_world(db, irc_online=True, email=False)
    await chat.deliver()
    assert discord.tried == 1 and any("you are now a moderator" in t for t in irc.delivered)
    # That account is not tried again until its holder acts through it.
    await chat.dm("admin", "mod log")
    await chat.dm("admin", "pitch Another notice for followers")
    await chat.deliver()
    assert discord.tried == 1
    discord_bob = IdentityRef("discord:1234", "discord")
    answer = plain((await chat.app.invoker.handle(discord_bob, "whoami", where="dm")).text)
    assert "I couldn't send you a private message on this account" in answer
    again = plain((await chat.app.invoker.handle(discord_bob, "whoami", where="dm")).text)
    assert "couldn't send you" not in again  # told once
    async with db.read() as conn:
        refused = (await conn.execute(sa.select(Identity.__table__.c.dms_refused_at))).scalars()
        assert list(refused) == [None, None, None, None]
    await chat.stop()


async def test_closed_dms_with_no_other_account_at_hand_go_by_email(db: Database) -> None:
    chat, discord, _ = await closed_dms_world(db, irc_online=False, email=True)
    await chat.deliver()
    assert discord.tried == 1
    async with db.read() as conn:
        mail = list(await conn.execute(sa.select(outbox_t).where(outbox_t.c.kind == "email")))
        dms = list(await conn.execute(sa.select(outbox_t).where(outbox_t.c.kind == "dm")))
    assert len(mail) == 1 and "you are now a moderator" in mail[0].payload["text"]
    assert dms[-1].failed_at is not None and dms[-1].last_error.endswith("sent by email instead")
    await chat.stop()


async def test_with_no_email_and_every_account_refusing_the_member_is_told_later(
    db: Database,
) -> None:
    chat, discord, irc = await closed_dms_world(db, irc_online=False, email=False)
    irc.refuse, irc.online = True, True
    chat.console.can_reach = lambda key: True  # type: ignore[method-assign]
    chat.console.deliver_dm = _refuse  # type: ignore[method-assign]
    async with db.write() as conn:  # its retry is due (it waited for IRC to come online)
        await conn.execute(sa.update(outbox_t).values(available_at=chat.app.clock()))
    await chat.deliver()
    async with db.read() as conn:
        dms = list(await conn.execute(sa.select(outbox_t).where(outbox_t.c.kind == "dm")))
    assert dms[-1].failed_at is not None and "no other account" in dms[-1].last_error
    assert discord.tried == 1 and irc.tried == 1
    told = await chat.dm("bob", "whoami")
    assert "I couldn't send you a private message on this account" in told
    await chat.stop()


async def _refuse(identity_key: str, event: str, payload: dict) -> None:
    raise Refused("this account takes no private messages")


async def test_every_space_of_every_process_hears_every_announcement(db: Database) -> None:
    a, b = Sink("irc:alpha"), Sink("irc:beta")
    first = App(Config(privacy=NO_DELAY), db=db)
    first.add_transport(a)  # type: ignore[arg-type]
    second = App(Config(privacy=NO_DELAY), db=db)
    second.add_transport(b)  # type: ignore[arg-type]
    await first.start(dispatch=False)
    await second.start(dispatch=False)
    # The first has not looked at the database since the second started: beta is new to
    # it. What it writes goes there all the same (the writing transaction reads the spaces).
    assert "irc:beta" not in first.invoker.spaces
    console = IdentityRef("console:alice", "console")
    (code,) = await _mint(first)
    await first.invoker.handle(console, f"register {code}", where="dm")
    await first.invoker.handle(console, "choose", where="dm")
    await first.invoker.handle(console, "pitch Heard everywhere", where="dm")
    await first.dispatcher.drain()
    await second.dispatcher.drain()
    assert len(a.delivered) == 1 and "Heard everywhere" in a.delivered[0]
    assert len(b.delivered) == 1 and "Heard everywhere" in b.delivered[0]
    await first.stop()
    await second.stop()


async def _mint(app: App) -> list[str]:
    from commands import admin

    return await admin.mint(app.db, 1, kind="worker", batch="t", now=app.clock(), expires_at=None)


async def test_one_process_serves_a_space_and_another_takes_over(db: Database) -> None:
    clock = Clock()

    def on(host: str) -> Config:
        return Config(
            privacy=NO_DELAY, database=DatabaseSettings(takeover_seconds=30, instance=host)
        )

    first_sink, second_sink = Sink("irc:shared"), Sink("irc:shared")
    first = App(on("host-a"), db=db, clock=clock)
    first.add_transport(first_sink)  # type: ignore[arg-type]
    await first.start(dispatch=False)
    # Another machine with the same space: it stands by.
    second = App(on("host-b"), db=db, clock=clock)
    second.add_transport(second_sink)  # type: ignore[arg-type]
    await second.start(dispatch=False)
    assert first_sink.starts == 1 and second_sink.starts == 0
    assert not second.dispatcher.serving(("irc:shared",))
    # The first dies (kill -9: it just stops renewing), in the middle of a batch.
    await announce_with(first, "left behind")
    async with db.write() as conn:
        claimed = await outbox.claim(
            conn,
            outbox.lane(("irc:shared",), False),
            now=clock(),
            lease=timedelta(minutes=5),
            limit=5,
        )
    assert len(claimed) == 1
    clock.now += timedelta(seconds=29)
    await second.serving.round()  # type: ignore[union-attr]
    assert second_sink.starts == 0
    clock.now += timedelta(seconds=2)
    await second.serving.round()  # type: ignore[union-attr]
    assert second_sink.starts == 1 and second.dispatcher.serving(("irc:shared",))
    # What the first had claimed and not delivered goes out at once, not after its lease.
    await second.dispatcher.drain()
    assert second_sink.delivered == ["left behind"]
    await second.stop()


async def test_a_process_standing_by_looks_again_as_the_lease_runs_out(db: Database) -> None:
    """Not at its next regular look, up to a third of takeover_seconds later: it takes over
    within takeover_seconds of the server's death."""
    clock = Clock()

    def on(host: str) -> Config:
        return Config(
            privacy=NO_DELAY, database=DatabaseSettings(takeover_seconds=3, instance=host)
        )

    first, second = App(on("host-a"), db=db, clock=clock), App(on("host-b"), db=db, clock=clock)
    first.add_transport(Sink("irc:shared"))  # type: ignore[arg-type]
    second.add_transport(Sink("irc:shared"))  # type: ignore[arg-type]
    await first.start(dispatch=False)
    clock.now += timedelta(seconds=0.5)
    await second.start(dispatch=False)
    assert first.serving.free_at is None  # type: ignore[union-attr]
    assert second.serving.free_at == clock() + timedelta(seconds=2.5)  # type: ignore[union-attr]
    await second.stop()
    await first.stop()


async def announce_with(app: App, text: str) -> None:
    async with app.jobs.transaction(app.clock()) as ctx:
        ctx.announce("test", text)


async def test_a_process_restarted_on_the_same_machine_takes_its_spaces_back_at_once(
    db: Database,
) -> None:
    clock = Clock()
    config = Config(privacy=NO_DELAY)
    sink = Sink("irc:mine")
    first = App(config, db=db, clock=clock)
    first.add_transport(sink)  # type: ignore[arg-type]
    await first.start(dispatch=False)
    # kill -9: no clean stop. The same configuration starts again on the same machine.
    again = Sink("irc:mine")
    second = App(config, db=db, clock=clock)
    second.add_transport(again)  # type: ignore[arg-type]
    await second.start(dispatch=False)
    assert again.starts == 1
    # The old one, if it were still alive, finds its lease gone at its next round.
    await first.serving.round()  # type: ignore[union-attr]
    assert not first.dispatcher.serving(("irc:mine",))
    async with db.read() as conn:
        (row,) = list(await conn.execute(sa.select(Space.__table__)))
    assert row.incarnation == second.serving.incarnation  # type: ignore[union-attr]
    await second.stop()


async def test_a_restarted_process_takes_back_at_once_what_it_was_delivering(
    db: Database,
) -> None:
    clock = Clock()
    first = ConsoleChat(db, Config(privacy=NO_DELAY), clock=clock)
    await first.start()
    await first.join("admin")
    bob = await first.join("bob")
    first.console.can_reach = lambda key: False  # type: ignore[method-assign]
    await first.dm("admin", f"mod promote {bob} moderator")  # a notice for bob, waiting
    async with db.write() as conn:  # delivering it when it was killed
        await conn.execute(sa.update(outbox_t).values(available_at=clock()))
        (_,) = await outbox.claim(
            conn,
            outbox.lane((), True),
            now=clock(),
            lease=timedelta(minutes=5),
            limit=5,
            by=first.app.serving.owner,  # type: ignore[union-attr]
        )
    # kill -9, and the same configuration starts again on the same machine.
    second = ConsoleChat(db, Config(privacy=NO_DELAY), clock=clock)
    await second.start()
    await second.deliver()
    assert any("you are now a moderator" in dm for dm in second.dms_of("bob"))
    await second.stop()
