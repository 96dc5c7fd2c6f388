"""What others can see of a member's action happens at a random moment later
(commands.framework.deferral): an observer who reads idle times with WHOIS, and polls
`ideas new` or a count, must not be able to line a change up with the private message that
caused it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.config import Config, ConfigError, from_dict
from commands.catalog import build_registry
from commands.framework.privacy import NO_DELAY, Privacy, show_delay
from commands.framework.reply import IdentityRef
from commands.framework.rules import Rules
from commands.jobs.table import sweep
from storage.db import Database
from storage.models import Idea, Outbox
from storage.repos import outbox
from tests.delays import Scripted
from tests.harness import ConsoleChat


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def started(db: Database, privacy: Privacy, clock: Clock) -> ConsoleChat:
    chat = ConsoleChat(db, Config(rules=Rules(launch_upvotes=2), privacy=privacy), clock=clock)
    await chat.start()
    return chat


async def at(chat: ConsoleChat, clock: Clock, seconds: float) -> None:
    """Let ``seconds`` pass and carry out and deliver what is due."""
    clock.now += timedelta(seconds=seconds)
    await chat.deliver()


async def stored(db: Database, table: sa.Table) -> list[sa.Row]:
    async with db.read() as conn:
        return list(await conn.execute(sa.select(table)))


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_a_pitch_exists_for_nobody_until_its_moment(db: Database, clock: Clock) -> None:
    privacy = Scripted(max_public_delay="90s")
    chat = await started(db, privacy, clock)
    await chat.join("alice")
    await chat.join("eve")
    privacy.upcoming[:] = [40.0]
    reply = await chat.dm("alice", "pitch Pay for qualification tests")
    assert reply.startswith("Your idea goes up within 90 s, at a random moment")
    assert "I'll tell you here when it's done" in reply
    # Eve polls the listing, the idea's number, the channel: nothing to see yet.
    await at(chat, clock, 39)
    assert await stored(db, Idea.__table__) == []
    assert "No open ideas" in await chat.dm("eve", "ideas new")
    assert "There is no idea #1" in await chat.dm("eve", "idea 1")
    assert chat.announcements == []
    await at(chat, clock, 1)
    (idea,) = await stored(db, Idea.__table__)
    # Nothing stored keeps the moment alice acted, not even what held her command.
    assert idea.created_at == clock.now
    assert [r for r in await stored(db, Outbox.__table__) if r.kind == "command"] == []
    assert "Pay for qualification tests" in chat.announcements[-1]
    assert chat.last_dm("alice").startswith("Pitched as idea #1")
    await chat.stop()


async def test_a_vote_counts_for_others_only_at_its_moment(db: Database, clock: Clock) -> None:
    privacy = Scripted(max_public_delay="90s")
    chat = await started(db, privacy, clock)
    for person in ("alice", "bob", "eve"):
        await chat.join(person)
    await chat.dm("alice", "pitch Fair pay")
    await at(chat, clock, 0)
    privacy.upcoming[:] = [30.0]
    assert "Your upvote on #1 counts within 90 s" in await chat.dm("bob", "upvote 1")
    before = await chat.dm("eve", "idea 1")
    assert "+0/-0" in before and "1 follower," in before  # alice follows her own
    await at(chat, clock, 31)
    after = await chat.dm("eve", "idea 1")
    assert "+1/-0" in after and "2 followers" in after
    assert chat.dms_of("bob")[-1].startswith("Your upvote")  # nothing more to tell bob
    await chat.stop()


async def test_actions_on_one_campaign_keep_their_order_whatever_they_drew(
    db: Database, clock: Clock
) -> None:
    privacy = Scripted(max_public_delay="90s")
    chat = await started(db, privacy, clock)
    for person in ("alice", "bob", "carol", "dave"):
        await chat.join(person)
    await chat.dm("alice", "pitch Answer worker emails within a week")
    await chat.dm("bob", "upvote 1")
    await chat.dm("carol", "upvote 1")
    await at(chat, clock, 0)
    assert "is now a campaign" in chat.announcements[-1]
    privacy.upcoming[:] = [60.0, 5.0, 1.0]
    for person, words in (("bob", "first"), ("carol", "second"), ("dave", "third")):
        assert "Your words go into campaign #1" in await chat.dm(person, f"say 1 {words}")
    await at(chat, clock, 59)
    assert not any("[say " in text for text in chat.announcements)
    await at(chat, clock, 1)
    said = [text.split("> ", 1)[-1] for text in chat.announcements if "<" in text]
    assert said == ["first [say 1]", "second [say 2]", "third [say 3]"]
    await chat.stop()


async def test_what_cant_be_done_is_said_at_once_and_nothing_is_queued(
    db: Database, clock: Clock
) -> None:
    chat = await started(db, Scripted(max_public_delay="90s"), clock)
    await chat.join("alice")
    assert "There is no idea #7" in await chat.dm("alice", "upvote 7")
    assert "is empty" in await chat.dm("alice", "pitch \u200b")
    assert "There is no campaign #3" in await chat.dm("alice", "sign 3")
    assert [r for r in await stored(db, Outbox.__table__) if r.kind == "command"] == []
    await chat.stop()


async def test_what_became_impossible_meanwhile_is_told_privately(
    db: Database, clock: Clock
) -> None:
    privacy = Scripted(max_public_delay="90s")
    chat = await started(db, privacy, clock)
    await chat.join("admin")
    moderator = await chat.join("mod")
    await chat.dm("admin", f"mod promote {moderator} moderator")
    await chat.join("bob")
    await chat.dm("admin", "pitch Fair pay")
    await at(chat, clock, 0)
    privacy.upcoming[:] = [20.0]
    await chat.dm("bob", "upvote 1")
    await chat.dm("mod", "mod hide 1")  # moderators act at once
    await at(chat, clock, 21)
    told = chat.last_dm("bob")
    assert "What you asked earlier (`upvote` on #1) didn't go through" in told
    assert "There is no idea #1" in told
    await chat.stop()


async def test_a_queued_command_is_carried_out_exactly_once(db: Database, clock: Clock) -> None:
    privacy = Scripted(max_public_delay="90s")
    chat = await started(db, privacy, clock)
    await chat.join("alice")
    privacy.upcoming[:] = [10.0]
    await chat.dm("alice", "pitch Once")
    clock.now += timedelta(seconds=10)
    async with db.write() as conn:
        (row,) = await outbox.claim(
            conn, outbox.of_kind(outbox.COMMAND), now=clock.now, lease=timedelta(0), limit=5
        )
    # Two processes that both hold it (one after the other's lease ran out).
    invoker = chat.app.invoker
    assert await invoker.carry_out(row) is True
    assert await invoker.carry_out(row) is False
    assert len(await stored(db, Idea.__table__)) == 1
    await chat.stop()


async def test_a_process_that_dies_holding_a_command_gives_it_back_soon(
    db: Database, clock: Clock
) -> None:
    privacy = Scripted(max_public_delay="90s")
    chat = await started(db, privacy, clock)
    await chat.join("alice")
    privacy.upcoming[:] = [10.0]
    await chat.dm("alice", "pitch Survives a crash")
    clock.now += timedelta(seconds=10)
    async with db.write() as conn:  # claimed, then the process is gone
        await outbox.claim(
            conn,
            outbox.of_kind(outbox.COMMAND),
            now=clock.now,
            lease=timedelta(seconds=30),
            limit=5,
        )
    await at(chat, clock, 29)
    assert chat.announcements == []
    await at(chat, clock, 2)
    assert len(chat.announcements) == 1
    await chat.stop()


async def test_a_vote_sent_before_a_deadline_counts_though_it_runs_after(
    db: Database, clock: Clock
) -> None:
    privacy = Scripted(max_public_delay="90s")
    chat = await started(db, privacy, clock)
    await chat.join("admin")
    for person in ("alice", "bob"):
        await chat.join(person)
    await chat.dm("alice", "pitch Launch me in time")
    await chat.dm("admin", "upvote 1")
    await at(chat, clock, 0)
    await chat.dm("admin", "mod deadline 1 in 30m")
    clock.now += timedelta(minutes=30) - timedelta(seconds=5)
    privacy.upcoming[:] = [60.0]
    await chat.dm("bob", "upvote 1")  # five seconds before the deadline
    await at(chat, clock, 10)  # the deadline has passed; the sweep runs
    assert await sweep(chat.app.jobs, clock.now) == 0  # not closed: bob's vote is coming
    await at(chat, clock, 60)
    assert any("is now a campaign" in text for text in chat.announcements)
    await chat.stop()


async def test_a_say_and_a_signature_sent_before_their_deadlines_count_though_they_run_after(
    db: Database, clock: Clock
) -> None:
    privacy = Scripted(max_public_delay="90s")
    chat = await started(db, privacy, clock)
    for person in ("admin", "alice", "bob", "carol"):
        await chat.join(person)
    await chat.dm("alice", "pitch Fair pay for surveys")
    await chat.dm("bob", "upvote 1")
    await chat.dm("carol", "upvote 1")
    await at(chat, clock, 0)  # campaign #1
    await chat.dm("alice", "petition 1 We ask for fair pay.")
    await at(chat, clock, 0)
    await chat.dm("admin", "mod deadline 1 discussion in 30m")
    await chat.dm("admin", "mod deadline 1 petition in 30m")
    clock.now += timedelta(minutes=30) - timedelta(seconds=5)
    privacy.upcoming[:] = [60.0, 60.0]
    await chat.dm("bob", "say 1 Agreed, send the letter.")  # five seconds before the deadline
    await chat.dm("bob", "sign 1")
    await at(chat, clock, 10)  # the deadlines have passed; the sweep runs
    assert await sweep(chat.app.jobs, clock.now) == 0  # not ended: bob's words are coming
    late = await chat.dm("carol", "say 1 Wait!")  # sent after it: refused at once
    assert "ended at its deadline" in late
    assert "closed at its deadline" in await chat.dm("carol", "sign 1")
    await at(chat, clock, 60)
    assert any("Agreed, send the letter." in text for text in chat.announcements)
    assert await sweep(chat.app.jobs, clock.now) == 2
    await chat.deliver()
    assert any(
        "closed at its deadline" in text and "with 1 signature (1 worker)" in text
        for text in chat.announcements
    )
    assert not any("Wait!" in text for text in chat.announcements)
    await chat.stop()


async def test_the_console_and_scheduled_work_never_wait(db: Database, clock: Clock) -> None:
    chat = await started(db, NO_DELAY, clock)
    await chat.join("alice")
    reply = await chat.dm("alice", "pitch Right away")
    assert reply.startswith("Pitched as idea #1") and "within" not in reply
    assert len(chat.announcements) == 1
    async with chat.app.jobs.transaction(clock.now) as ctx:
        ctx.announce("test_job", "The bot's own post")
    await chat.deliver()
    assert chat.announcements[-1] == "The bot's own post"
    await chat.stop()


async def test_whoever_asks_gets_an_answer_at_once_through_any_transport(
    db: Database, clock: Clock
) -> None:
    chat = await started(db, Privacy(max_public_delay="90s"), clock)
    await chat.join("alice")
    discord = IdentityRef("discord:1234", "discord")
    reply = await chat.app.invoker.handle(discord, "pitch Not a member", where="dm")
    assert "register first" in reply.text
    await chat.stop()


def test_delays_are_drawn_across_the_whole_window() -> None:
    privacy = Privacy(max_public_delay="90s")
    drawn = [privacy.draw().total_seconds() for _ in range(2000)]
    assert all(0 <= d < 90 for d in drawn)
    # Uniform: each third of the window gets about a third (far beyond chance if not).
    thirds = [sum(1 for d in drawn if k * 30 <= d < (k + 1) * 30) for k in range(3)]
    assert all(500 < n < 830 for n in thirds), thirds
    assert NO_DELAY.draw() == timedelta(0)


def test_the_window_is_configured_like_the_other_durations() -> None:
    assert from_dict({"privacy": {"max_public_delay": "2m"}}).privacy.longest == timedelta(
        minutes=2
    )
    assert Config().privacy.longest == timedelta(seconds=90)
    for bad in ("90", "soon", "2h"):
        with pytest.raises(ConfigError, match=r"\[privacy\] max_public_delay"):
            from_dict({"privacy": {"max_public_delay": bad}})
    assert show_delay(timedelta(seconds=90)) == "90 s"
    assert show_delay(timedelta(minutes=5)) == "5 min"


def test_what_a_member_is_told_names_only_the_commands_own_parameters() -> None:
    registry = build_registry()
    deferred = [command for command in registry if command.later is not None]
    assert {c.name for c in deferred} >= {"pitch", "upvote", "sign", "say", "doc", "reveal"}
    for command in deferred:
        example = {param.name: 7 for param in command.params}
        assert "{" not in command.later.format(**example), command.name
        assert command.writes and command.private, command.name
