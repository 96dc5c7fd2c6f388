"""The send queue paces lines, takes turns between targets and never blocks the loop."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.transports.irc.flood import FairQueue, FloodQueue, QueuedLine, SendDropped, TokenBucket


class FakeClock:
    """Virtual time: `sleep` advances it instantly, so pacing is tested without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class Wire:
    """Records what the queue sends, with the virtual time of each line."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sent: list[tuple[float, str]] = []
        self.up = True

    def __call__(self, line: str) -> bool:
        if not self.up:
            return False
        self.sent.append((round(self.clock.now - 1000.0, 6), line))
        return True

    @property
    def lines(self) -> list[str]:
        return [line for _, line in self.sent]


def make_queue(burst: int = 4, rate: float = 1.0, max_per_target: int = 500):
    clock = FakeClock()
    wire = Wire(clock)
    queue = FloodQueue(
        wire, burst=burst, rate=rate, max_per_target=max_per_target, clock=clock, sleep=clock.sleep
    )
    return queue, wire, clock


async def drained(queue: FloodQueue) -> None:
    async with asyncio.timeout(2):
        await queue.drain()


def test_bucket_allows_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(burst=3, rate=2.0, clock=clock)
    for _ in range(3):
        assert bucket.delay() == 0
        bucket.take()
    assert bucket.delay() == pytest.approx(0.5)
    clock.now += 0.5
    assert bucket.delay() == 0
    clock.now += 100
    assert bucket.tokens == 3  # never more than the burst


def test_bucket_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        TokenBucket(burst=0, rate=1.0)
    with pytest.raises(ValueError):
        TokenBucket(burst=1, rate=0)


def test_fair_queue_serves_targets_in_turn() -> None:
    queue = FairQueue()
    for i in range(3):
        queue.put("alice", QueuedLine(f"a{i}"))
    queue.put("bob", QueuedLine("b0"))
    order = []
    while (popped := queue.pop()) is not None:
        order.append(popped[1].line)
    assert order == ["a0", "b0", "a1", "a2"]
    assert len(queue) == 0


def test_fair_queue_drops_the_oldest_line_of_a_full_target() -> None:
    queue = FairQueue(max_per_target=2)
    assert queue.put("x", QueuedLine("1")) is None
    assert queue.put("x", QueuedLine("2")) is None
    dropped = queue.put("x", QueuedLine("3"))
    assert dropped is not None and dropped.line == "1"
    assert len(queue) == 2


async def test_burst_goes_out_at_once_then_one_line_per_interval() -> None:
    queue, wire, _clock = make_queue(burst=4, rate=2.0)
    queue.start()
    for i in range(8):
        queue.put("#chan", f"PRIVMSG #chan :{i}")
    await drained(queue)
    times = [t for t, _ in wire.sent]
    assert times == [0, 0, 0, 0, 0.5, 1.0, 1.5, 2.0]
    assert wire.lines == [f"PRIVMSG #chan :{i}" for i in range(8)]
    await queue.close()


async def test_an_idle_queue_writes_at_once_without_waiting_for_its_worker() -> None:
    queue, wire, _clock = make_queue(burst=2, rate=1.0)
    queue.start()
    waiter = queue.put("ann", "PRIVMSG ann :first", wait=True)
    # Written before put() returned: no turn of the loop in between.
    assert wire.lines == ["PRIVMSG ann :first"]
    assert waiter is not None and waiter.done()
    queue.put("ann", "PRIVMSG ann :second")
    queue.put("ann", "PRIVMSG ann :third")  # no token left: waits for the worker
    assert wire.lines == ["PRIVMSG ann :first", "PRIVMSG ann :second"]
    queue.put("bob", "PRIVMSG bob :behind the queue")  # never ahead of a waiting line
    await drained(queue)
    assert wire.lines[2:] == ["PRIVMSG ann :third", "PRIVMSG bob :behind the queue"]
    await queue.close()


async def test_a_long_listing_does_not_delay_a_reply_to_someone_else() -> None:
    queue, wire, _clock = make_queue(burst=4, rate=1.0)
    queue.start()
    for i in range(40):
        queue.put("alice", f"PRIVMSG alice :listing {i}")
    queue.put("bob", "PRIVMSG bob :your vote is counted")
    await drained(queue)
    bob_at = wire.lines.index("PRIVMSG bob :your vote is counted")
    assert bob_at <= 5  # after at most the burst and one more of alice's lines
    alice = [line for line in wire.lines if "alice" in line]
    assert alice == [f"PRIVMSG alice :listing {i}" for i in range(40)]
    await queue.close()


async def test_overflow_drops_oldest_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    queue, wire, _clock = make_queue(burst=1, rate=1.0, max_per_target=3)
    first = queue.put("alice", "PRIVMSG alice :0", wait=True)
    for i in range(1, 5):
        queue.put("alice", f"PRIVMSG alice :{i}")
    assert first is not None
    with pytest.raises(SendDropped):
        await first
    assert "dropped" in caplog.text and "alice" not in caplog.text
    queue.start()
    await drained(queue)
    assert wire.lines == ["PRIVMSG alice :2", "PRIVMSG alice :3", "PRIVMSG alice :4"]
    assert queue.dropped == 2
    await queue.close()


async def test_lines_wait_while_paused_and_survive_a_failed_send() -> None:
    queue, wire, _clock = make_queue()
    queue.start()
    queue.pause()
    waiter = queue.put("bob", "PRIVMSG bob :hello", wait=True)
    await asyncio.sleep(0.01)
    assert wire.sent == []
    wire.up = False  # the link died before the connection noticed
    queue.resume()
    await asyncio.sleep(0.01)
    assert queue.paused and len(queue) == 1  # put back, not lost
    wire.up = True
    queue.resume()
    assert waiter is not None
    async with asyncio.timeout(2):
        await waiter
    assert wire.lines == ["PRIVMSG bob :hello"]
    await queue.close()


async def test_close_fails_what_is_still_queued() -> None:
    queue, _wire, _clock = make_queue()
    queue.pause()
    queue.start()
    waiter = queue.put("bob", "PRIVMSG bob :never", wait=True)
    await queue.close()
    assert waiter is not None
    with pytest.raises(SendDropped):
        await waiter
    with pytest.raises(RuntimeError):
        queue.put("bob", "PRIVMSG bob :late")


async def test_a_send_that_raises_costs_only_that_line(caplog: pytest.LogCaptureFixture) -> None:
    sent: list[str] = []

    def send(line: str) -> bool:
        if "bad" in line:
            raise ValueError("Messages limited to 512 bytes")
        sent.append(line)
        return True

    clock = FakeClock()
    queue = FloodQueue(send, burst=10, rate=1.0, clock=clock, sleep=clock.sleep)
    queue.start()
    with caplog.at_level(logging.WARNING):
        queue.put("x", "PRIVMSG x :bad")
        queue.put("x", "PRIVMSG x :good")
        await drained(queue)
    assert sent == ["PRIVMSG x :good"]
    assert "failed" in caplog.text
    await queue.close()


async def test_real_clock_pacing_does_not_block_the_loop() -> None:
    sent: list[str] = []
    queue = FloodQueue(lambda line: sent.append(line) is None, burst=1, rate=200.0)
    queue.start()
    for i in range(3):
        queue.put("x", str(i))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await drained(queue)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert sent == ["0", "1", "2"]
    assert ticks > 2  # the loop kept running while the queue waited for tokens
    await queue.close()


# ----------------------------------------------------- strangers and members


async def test_members_go_first_whatever_strangers_queued() -> None:
    queue, wire, _clock = make_queue(burst=1, rate=1.0)
    queue.start()
    for i in range(20):
        queue.put(f"sybil{i}", f"PRIVMSG sybil{i} :help", stranger=True, to=f"sybil{i}")
    queue.put("member", "PRIVMSG member :your answer", to="member")
    queue.put("#dynamo", "PRIVMSG #dynamo :New idea #3")
    await drained(queue)
    # The first stranger's line took the one token at once; then members, then the rest.
    assert wire.lines[:3] == [
        "PRIVMSG sybil0 :help",
        "PRIVMSG member :your answer",
        "PRIVMSG #dynamo :New idea #3",
    ]
    assert len(wire.lines) == 22
    await queue.close()


async def test_each_stranger_gets_a_burst_then_a_few_lines_a_minute() -> None:
    queue, wire, clock = make_queue(burst=100, rate=100.0)
    queue.start()
    for i in range(20):
        queue.put("sybil", f"PRIVMSG sybil :{i}", stranger=True, to="sybil")
    assert wire.lines == [f"PRIVMSG sybil :{i}" for i in range(12)]  # two pages
    assert queue.refused == 8
    clock.now += 10  # a line every 10 s after the burst
    queue.put("sybil", "PRIVMSG sybil :later", stranger=True, to="sybil")
    queue.put("sybil", "PRIVMSG sybil :too soon", stranger=True, to="sybil")
    assert wire.lines[-1] == "PRIVMSG sybil :later"
    # A member's lines are never capped so.
    for i in range(10):
        queue.put("member", f"PRIVMSG member :{i}", to="member")
    await drained(queue)
    assert len([line for line in wire.lines if "member" in line]) == 10
    await queue.close()


async def test_a_public_answer_is_charged_to_whoever_asked() -> None:
    queue, wire, _clock = make_queue(burst=100, rate=100.0)
    queue.start()
    for i in range(15):
        queue.put("sybil", f"PRIVMSG #dynamo :answer {i}", stranger=True)
    assert len(wire.lines) == 12  # the asker's share, though the lines go to the channel
    queue.put("#dynamo", "PRIVMSG #dynamo :New idea #3")  # announcements are not charged
    assert wire.lines[-1] == "PRIVMSG #dynamo :New idea #3"
    await queue.close()


async def test_strangers_together_get_about_a_minute_of_output() -> None:
    queue, _wire, _clock = make_queue(burst=1, rate=1.0)
    queue.start()
    queue.pause()
    for i in range(30):
        for j in range(6):  # `help`, from 30 nicks
            queue.put(f"s{i}", f"PRIVMSG s{i} :{j}", stranger=True, to=f"s{i}")
    assert len(queue) == 60 and queue.refused == 120
    queue.put("member", "PRIVMSG member :still welcome", to="member")
    assert len(queue) == 61
    await queue.close()


async def test_lines_for_a_nick_that_left_are_dropped() -> None:
    queue, wire, _clock = make_queue(burst=1, rate=1.0)
    queue.start()
    queue.pause()
    waiter = queue.put("vic", "PRIVMSG vic :your page", wait=True, to="vic")
    queue.put("vic", "PRIVMSG vic :more of it", stranger=True, to="vic")
    queue.put("vic", "PRIVMSG #dynamo :what vic asked, in public", stranger=True)
    queue.put("ann", "PRIVMSG ann :hello", to="ann")
    assert queue.forget("vic") == 2
    assert waiter is not None
    with pytest.raises(SendDropped):
        await waiter
    queue.resume()
    await drained(queue)
    assert wire.lines == ["PRIVMSG ann :hello", "PRIVMSG #dynamo :what vic asked, in public"]
    await queue.close()


async def test_a_line_for_an_unseen_nick_waits_two_minutes_at_most() -> None:
    seen = {"ann"}
    clock = FakeClock()
    wire = Wire(clock)
    queue = FloodQueue(
        wire, burst=1, rate=1.0, can_see=seen.__contains__, clock=clock, sleep=clock.sleep
    )
    queue.start()
    queue.pause()
    queue.put("ann", "PRIVMSG ann :seen", to="ann")
    queue.put("ghost", "PRIVMSG ghost :unseen, fresh", to="ghost")
    queue.put("ghost2", "PRIVMSG ghost2 :unseen, stale", to="ghost2")
    queue.put("#dynamo", "PRIVMSG #dynamo :a channel is always there")
    clock.now += 121
    queue.put("ghost", "PRIVMSG ghost :unseen, queued later", to="ghost")
    queue.resume()
    await drained(queue)
    assert wire.lines == [
        "PRIVMSG ann :seen",
        "PRIVMSG #dynamo :a channel is always there",
        "PRIVMSG ghost :unseen, queued later",
    ]
    assert queue.expired == 2
    await queue.close()
