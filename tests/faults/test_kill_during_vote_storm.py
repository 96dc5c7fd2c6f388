"""`kill -9` twice during a vote storm: nothing lost, nothing doubled, nothing out of order.

Thirty members vote by private message on three ideas (12 upvotes launch one; 5 short of
it the channel hears a milestone). The bot is killed with SIGKILL while the first idea's
votes pour in (a few counted, most still on their way, none of it announced yet), and again
right after the second idea's launch is committed, with its announcement and the notices
to its followers still to go; it is restarted as soon as the server has seen it go.
Afterwards every announcement the database holds was seen in the channel exactly once, in
order for each idea, within a minute of the restart; every private notice reached its
member once; every vote the bot acknowledged is counted, and every vote is in.

The README allows one repeat: a crash between a line going out and its mark sends that line
again. This test allows none, so it kills only outside that window: the bot is paused
(SIGSTOP: it writes nothing more), and killed only if no delivery it holds has had its line
seen yet; otherwise it runs on a moment and is paused again (during the storm its marks
wait behind the votes for the write lock, so that can take a few tries). Whatever it held
and had not sent, the next run takes back at once, and says so in its log.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.faults.processes import (
    Bot,
    Member,
    Network,
    Peek,
    channel_lines,
    from_bot,
    mint,
    watch,
    write_config,
)
from tests.irc.client import IrcTestClient
from tests.irc.ngircd import NgircdServer
from tests.waiting import eventually

MEMBERS = 30
LAUNCH = 12
# Voters of the third idea: past the milestone (7 upvotes), short of the launch.
THIRD_IDEA_VOTERS = 9
VOTE_PATIENCE = 3.0  # seconds without an answer before a member says it again
# Lines a second the bot sends (a real network allows about one): at the second kill the
# launch's announcement and notices are claimed and wait in its send queue, which the
# restarted bot must take back and deliver.
RATE = 25.0

ANNOUNCED = {
    "idea_pitched": re.compile(r"^New idea #(\d+) "),
    "idea_milestone": re.compile(r"^Idea #(\d+) needs \d+ more upvotes? to launch"),
    "campaign_launched": re.compile(r"^Idea #(\d+) is now a campaign"),
}
TOLD = {"followed_idea_launched": re.compile(r"^Idea #(\d+), which you follow, is now a campaign")}


def what(line: str, patterns: dict[str, re.Pattern[str]]) -> tuple[str, int] | None:
    """(event, idea) of a line the bot said, or None."""
    for event, pattern in patterns.items():
        match = pattern.search(line)
        if match:
            return event, int(match.group(1))
    return None


class Storm:
    """The members, the watcher, the bot and its database, and what each has seen."""

    def __init__(self, bot: Bot, peek: Peek, watcher: IrcTestClient, members: list[Member]) -> None:
        self.bot = bot
        self.peek = peek
        self.watcher = watcher
        self.members = members
        self.by_pseudonym = {m.pseudonym: m for m in members}
        self.killed_at = 0  # where the watcher's lines were at the last kill
        self.held = 0  # the deliveries the bot held (claimed, not done) when killed

    def announced(self) -> list[tuple[str, int]]:
        seen = (what(line.text, ANNOUNCED) for line in channel_lines(self.watcher))
        return [item for item in seen if item is not None]

    def told(self, member: Member) -> list[tuple[str, int]]:
        seen = (what(text, TOLD) for text in member.dms())
        return [item for item in seen if item is not None]

    async def deliveries(self, where: str = "") -> list[dict[str, Any]]:
        rows = await self.peek.rows(
            "SELECT o.id, o.kind, o.event, o.payload, o.sent_at, o.failed_at, m.pseudonym "
            "FROM outbox o LEFT JOIN member m ON m.id = o.member_id "
            f"WHERE o.kind IN ('announce', 'dm') {where} ORDER BY o.id"
        )
        out = []
        for row in rows:
            item = dict(row._mapping)
            if isinstance(item["payload"], str):
                item["payload"] = json.loads(item["payload"])
            out.append(item)
        return out

    def line_is_out(self, row: dict[str, Any]) -> bool:
        """Whether the line of this delivery has been seen where it goes."""
        idea = row["payload"].get("idea_id")
        if row["kind"] == "announce":
            return (row["event"], idea) in self.announced()
        member = self.by_pseudonym.get(row["pseudonym"])
        if member is None or row["event"] not in TOLD:
            return True  # unknown to this test: assume the worst
        return (row["event"], idea) in self.told(member)

    async def kill_outside_the_window(self) -> None:
        """SIGKILL the bot at a moment no delivery of its is between its line and its mark."""
        for _ in range(300):
            await self.bot.pause()
            await self.caught_up()
            held = await self.deliveries(
                "AND o.sent_at IS NULL AND o.failed_at IS NULL AND o.claimed_until IS NOT NULL"
            )
            if not any(self.line_is_out(row) for row in held):
                self.killed_at = self.watcher.mark()
                self.held = len(held)
                await self.bot.kill()
                return
            self.bot.resume()
            await asyncio.sleep(0.01)
        raise AssertionError("the bot was always between a line and its mark")

    async def caught_up(self) -> None:
        """Every line the (paused) bot wrote has reached whoever it was for: two round trips
        through the server for each of them, the second begun after the first came back."""
        clients = [self.watcher, *(m.client for m in self.members)]
        for _ in range(2):
            await asyncio.gather(*(round_trip(client) for client in clients))

    async def restart(self) -> float:
        """Start the bot again once the server has seen the old one go; when it started."""
        await self.watcher.wait_for(
            lambda line: line.command == "QUIT" and line.nick == "dynamo",
            timeout=10,
            since=self.killed_at,
        )
        await self.bot.start()
        started = time.monotonic()
        await self.bot.wait_log("started with")
        # What the killed run held goes out at once, not when its claim would run out; the
        # log says so, once.
        took_back = re.findall(r"took back (\d+) deliveries", self.bot.said())
        assert took_back == ([str(self.held)] if self.held else []), self.bot.said()
        return started


async def round_trip(client: IrcTestClient) -> None:
    token = f"t{time.monotonic_ns()}"
    mark = client.mark()
    await client.send(f"PING :{token}")
    await client.wait_for(rf"^\S+ PONG .*{token}$", since=mark)


async def upvote(member: Member, idea: int) -> None:
    """Upvote until the bot answers: a vote lost with a killed bot is said again."""
    answered = re.compile(rf"^You (already )?upvoted #{idea}\b")
    while True:
        mark = member.client.mark()
        await member.client.privmsg(member.bot, f"upvote {idea}")
        try:
            reply = await member.client.wait_for(
                lambda line: (
                    from_bot(member.bot, member.nick)(line) and bool(answered.search(line.text))
                ),
                VOTE_PATIENCE,
                since=mark,
            )
        except TimeoutError:
            continue
        if reply.text.startswith(f"You upvoted #{idea}"):
            member.acked.add(idea)
        return


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_kill_9_twice_during_a_vote_storm_loses_and_doubles_nothing(
    ngircd_factory: Callable[..., Awaitable[NgircdServer]], sqlite_url: str, tmp_path: Path
) -> None:
    server = await ngircd_factory(penalties=False)
    config = write_config(
        tmp_path / "config.toml",
        url=sqlite_url,
        networks=[Network("local", server)],
        launch_upvotes=LAUNCH,
        rate=RATE,
    )
    codes = await mint(sqlite_url, MEMBERS)
    watcher = await watch(server)
    bot = Bot(config)
    peek = Peek(sqlite_url)
    members = [await Member.arrive(server, f"m{i:02d}") for i in range(MEMBERS)]
    try:
        await bot.start()
        await watcher.wait_for(lambda line: line.command == "JOIN" and line.nick == "dynamo")
        await asyncio.gather(*(m.register(c) for m, c in zip(members, codes, strict=True)))
        first = await members[0].pitch("Pay for qualification tests")
        second = await members[1].pitch("A floor of 12 dollars an hour for surveys")
        third = await members[2].pitch("Answer every rejection within a day")
        storm = Storm(bot, peek, watcher, members)
        await eventually(
            lambda: len(storm.announced()) == 3, "the three ideas to be announced", within=15
        )

        # The first idea's storm; killed when its first votes are counted, most of them
        # still on their way (sent, or counted and not yet answered), before it has anything
        # to announce.
        wave = asyncio.gather(*(upvote(m, first) for m in members))

        async def counted() -> bool:
            rows = await peek.rows("SELECT up FROM idea WHERE id = :id", id=first)
            return rows[0].up >= 3

        await eventually(counted, "the first votes to count", within=30)
        await storm.kill_outside_the_window()
        await storm.restart()
        async with asyncio.timeout(60):
            await wave

        # The second and third ideas' storm; killed as soon as the second's launch commits.
        async def second_wave(index: int, member: Member) -> None:
            await upvote(member, second)
            if index < THIRD_IDEA_VOTERS:
                await upvote(member, third)

        wave = asyncio.gather(*(second_wave(i, m) for i, m in enumerate(members)))

        async def launched() -> bool:
            rows = await peek.rows("SELECT id FROM campaign WHERE id = :id", id=second)
            return bool(rows)

        await eventually(launched, f"idea #{second} to launch", within=30)
        await storm.kill_outside_the_window()
        restarted = await storm.restart()
        async with asyncio.timeout(60):
            await wave

        # Everything the database holds goes out within a minute of the restart.
        async def all_out() -> bool:
            rows = await storm.deliveries()
            return all(row["sent_at"] is not None for row in rows) and len(
                storm.announced()
            ) >= sum(row["kind"] == "announce" for row in rows)

        await eventually(
            all_out, "every delivery to go out", within=60 - (time.monotonic() - restarted)
        )
        await asyncio.sleep(1.0)  # and nothing more comes after it

        rows = await storm.deliveries()
        assert not [row for row in rows if row["failed_at"] is not None]
        expected = [
            (row["event"], row["payload"]["idea_id"]) for row in rows if row["kind"] == "announce"
        ]
        assert sorted(expected) == sorted(
            [(event, idea) for idea in (first, second) for event in ANNOUNCED]
            + [("idea_pitched", third), ("idea_milestone", third)]
        )
        seen = storm.announced()
        assert Counter(seen) == Counter(expected), bot.logs()
        for idea in (first, second, third):
            # In order for each idea: as the rows were written.
            assert [e for e, i in seen if i == idea] == [e for e, i in expected if i == idea]
        for member in members:
            meant = [
                (row["event"], row["payload"]["idea_id"])
                for row in rows
                if row["kind"] == "dm" and row["pseudonym"] == member.pseudonym
            ]
            assert Counter(storm.told(member)) == Counter(meant), member.nick

        # Every acknowledged vote is counted; and in the end every vote is in.
        votes = await peek.rows(
            "SELECT v.idea_id, m.pseudonym FROM vote v JOIN member m ON m.id = v.member_id "
            "WHERE v.value = 1"
        )
        counted = {(idea, pseudonym) for idea, pseudonym in votes}
        acked = {(idea, m.pseudonym) for m in members for idea in m.acked}
        assert acked <= counted
        assert counted == {(first, m.pseudonym) for m in members} | {
            (second, m.pseudonym) for m in members
        } | {(third, m.pseudonym) for m in members[:THIRD_IDEA_VOTERS]}
        ups = dict(tuple(r) for r in await peek.rows("SELECT id, up FROM idea"))
        assert ups == {first: MEMBERS, second: MEMBERS, third: THIRD_IDEA_VOTERS}
        assert bot.runs == 3
        assert "Traceback" not in bot.logs(), bot.logs()
        assert await bot.stop() == 0
    finally:
        if bot.running:
            await bot.kill()
        for client in [watcher, *(m.client for m in members)]:
            await client.close()
        await peek.dispose()
