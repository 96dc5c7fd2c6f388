"""Public posts caused by a member's private action wait a random delay (commands.privacy):
an observer who reads idle times with WHOIS must not be able to line a post up with the
private message that caused it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Config, ConfigError, from_dict
from commands.privacy import NO_DELAY, Privacy, show_delay
from commands.rules import Rules
from storage.db import Database
from tests.harness import ConsoleChat


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Scripted(Privacy):
    """The configured window; the next commands draw the delays in ``upcoming``, then none."""

    upcoming: list[float] = field(default_factory=list)

    def draw(self) -> timedelta:
        return timedelta(seconds=self.upcoming.pop(0) if self.upcoming else 0.0)


async def started(db: Database, privacy: Privacy, clock: Clock) -> ConsoleChat:
    chat = ConsoleChat(db, Config(rules=Rules(launch_upvotes=2), privacy=privacy), clock=clock)
    await chat.start()
    return chat


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_a_pitch_shows_only_after_its_delay_and_the_author_is_told_when(
    db: Database, clock: Clock
) -> None:
    privacy = Scripted(max_public_delay="90s")
    chat = await started(db, privacy, clock)
    await chat.join("alice")
    privacy.upcoming[:] = [40.0]
    reply = await chat.dm("alice", "pitch Pay for qualification tests")
    assert "within 90 s" in reply and "timing doesn't point to you" in reply
    assert chat.announcements == []
    clock.now += timedelta(seconds=39)
    await chat.deliver()
    assert chat.announcements == []
    clock.now += timedelta(seconds=1)
    await chat.deliver()
    assert len(chat.announcements) == 1 and "Pay for qualification tests" in chat.announcements[0]
    await chat.stop()


async def test_posts_of_one_campaign_keep_their_order_whatever_they_drew(
    db: Database, clock: Clock
) -> None:
    # The pitch waits 10 s, then the vote that launches it draws 60 s, then two sayings
    # draw 5 s and 1 s: the sayings must not overtake the launch, nor each other.
    privacy = Scripted(max_public_delay="90s")
    chat = await started(db, privacy, clock)
    for person in ("alice", "bob", "carol"):
        await chat.join(person)
    privacy.upcoming[:] = [10.0, 0.0, 60.0, 5.0, 1.0]
    await chat.dm("alice", "pitch Answer worker emails within a week")
    clock.now += timedelta(seconds=11)
    await chat.deliver()
    assert len(chat.announcements) == 1
    await chat.dm("bob", "upvote 1")
    await chat.dm("carol", "upvote 1")  # launches it: 60 s
    await chat.dm("bob", "say 1 first")
    await chat.dm("carol", "say 1 second")
    for _ in range(5):
        clock.now += timedelta(seconds=12)
        await chat.deliver()
    shown = chat.announcements[1:]
    assert len(shown) == 3, shown
    assert "is now a campaign" in shown[0]
    assert shown[1].endswith("first") and shown[2].endswith("second")
    await chat.stop()


async def test_followers_notices_wait_too_but_the_members_own_reply_does_not(
    db: Database, clock: Clock
) -> None:
    privacy = Scripted(max_public_delay="90s")
    chat = await started(db, privacy, clock)
    for person in ("alice", "bob", "carol"):
        await chat.join(person)
    privacy.upcoming[:] = [0.0, 0.0, 30.0]
    await chat.dm("alice", "pitch Fair pay")
    await chat.dm("bob", "upvote 1")
    launched = await chat.dm("carol", "upvote 1")
    assert "launched it" in launched and "within 90 s" in launched
    assert not any("is now a campaign" in dm for dm in chat.dms_of("bob"))
    clock.now += timedelta(seconds=31)
    await chat.deliver()
    assert any("is now a campaign" in dm for dm in chat.dms_of("bob"))
    await chat.stop()


async def test_scheduled_work_is_not_delayed_and_reads_are_not_told(
    db: Database, clock: Clock
) -> None:
    chat = await started(db, Privacy(max_public_delay="90s"), clock)
    await chat.join("alice")
    assert "within" not in await chat.dm("alice", "ideas")
    assert "within" not in await chat.dm("alice", "upvote 7")  # refused: nothing announced
    async with chat.app.jobs.transaction(clock.now) as ctx:
        ctx.announce("test_job", "The bot's own post")
    await chat.deliver()
    assert chat.announcements == ["The bot's own post"]
    await chat.stop()


async def test_no_delay_when_turned_off(db: Database, clock: Clock) -> None:
    chat = await started(db, NO_DELAY, clock)
    await chat.join("alice")
    reply = await chat.dm("alice", "pitch Right away")
    assert "within" not in reply
    assert len(chat.announcements) == 1
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
