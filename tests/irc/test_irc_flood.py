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
