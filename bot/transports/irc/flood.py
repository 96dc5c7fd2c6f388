"""Pacing outgoing IRC lines: a token bucket over fair per-target queues.

Servers disconnect clients that send too fast ("Excess Flood") or silently delay them
(ngircd's penalties), so every PRIVMSG/NOTICE/JOIN/TOPIC leaves through one queue per
connection. A burst of `burst` lines goes out at once, then `rate` lines per second.
Targets take turns, so a 40-line listing to one member never holds up a one-line reply to
another. The irc library's own `set_rate_limit` calls time.sleep and would freeze the whole
event loop, so it is not used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# A token is "available" within this much of a whole one; float refill arithmetic would
# otherwise leave 0.9999999 tokens after sleeping exactly the computed delay.
_EPSILON = 1e-9


class SendDropped(Exception):
    """A queued line was discarded before it reached the server."""


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second; one token per line sent."""

    def __init__(self, burst: int, rate: float, clock: Clock = time.monotonic) -> None:
        if burst < 1:
            raise ValueError("burst must be at least 1")
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.burst = burst
        self.rate = rate
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._updated = now

    @property
    def tokens(self) -> float:
        self._refill()
        return self._tokens

    def delay(self) -> float:
        """Seconds until a token is available (0 when one is available now)."""
        self._refill()
        missing = 1.0 - self._tokens
        return 0.0 if missing <= _EPSILON else missing / self.rate

    def take(self) -> None:
        """Spend one token; call only when `delay()` returned 0."""
        self._refill()
        self._tokens = max(0.0, self._tokens - 1.0)


@dataclass
class QueuedLine:
    """One protocol line, and the future of whoever waits for it to be sent."""

    line: str
    waiter: asyncio.Future[None] | None = None


class FairQueue:
    """Per-target FIFO queues served round-robin, each capped by dropping its oldest line."""

    def __init__(self, max_per_target: int = 500) -> None:
        if max_per_target < 1:
            raise ValueError("max_per_target must be at least 1")
        self.max_per_target = max_per_target
        self._queues: OrderedDict[str, deque[QueuedLine]] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def targets(self) -> list[str]:
        """Targets with lines waiting, in the order they will be served."""
        return list(self._queues)

    def put(self, target: str, item: QueuedLine) -> QueuedLine | None:
        """Append a line for `target`; return the line dropped to make room, if any."""
        queue = self._queues.get(target)
        if queue is None:
            queue = self._queues[target] = deque()
        queue.append(item)
        self._size += 1
        if len(queue) > self.max_per_target:
            self._size -= 1
            return queue.popleft()
        return None

    def push_front(self, target: str, item: QueuedLine) -> None:
        """Put back a line that could not be sent, so it is the very next one served."""
        queue = self._queues.get(target)
        if queue is None:
            queue = self._queues[target] = deque()
        queue.appendleft(item)
        self._queues.move_to_end(target, last=False)
        self._size += 1

    def pop(self) -> tuple[str, QueuedLine] | None:
        """The next line of the target whose turn it is; that target goes to the back."""
        if not self._queues:
            return None
        target, queue = next(iter(self._queues.items()))
        item = queue.popleft()
        self._size -= 1
        if queue:
            self._queues.move_to_end(target)
        else:
            del self._queues[target]
        return target, item

    def clear(self) -> list[QueuedLine]:
        items = [item for queue in self._queues.values() for item in queue]
        self._queues.clear()
        self._size = 0
        return items


class FloodQueue:
    """The paced send queue of one connection.

    `send` writes one complete protocol line (without CR LF) to the server and returns
    True, or returns False when there is no usable connection: the line is then put back
    and the queue pauses until `resume()`, so lines wait for the next connection instead of
    being written to a dead socket. `clock` and `sleep` are injectable so tests need not
    wait.
    """

    def __init__(
        self,
        send: Callable[[str], bool],
        *,
        burst: int = 4,
        rate: float = 1.0,
        max_per_target: int = 500,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        name: str = "irc-flood-queue",
    ) -> None:
        self._send = send
        self._name = name
        self._bucket = TokenBucket(burst, rate, clock)
        self._queue = FairQueue(max_per_target)
        self._sleep = sleep
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._paused = False
        self._closed = False
        self._worker: asyncio.Task[None] | None = None
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def closed(self) -> bool:
        return self._closed

    def start(self) -> None:
        """Start the worker task on the running loop (idempotent)."""
        if self._closed:
            raise RuntimeError("flood queue is closed")
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    def put(self, target: str, line: str, *, wait: bool = False) -> asyncio.Future[None] | None:
        """Queue one line for `target`.

        With `wait=True`, returns a future that completes when the line has been handed to
        the server connection, or fails with `SendDropped` if it never will be.

        When nothing is queued and a token is available, the line is written at once: a
        reply to an idle bot must not wait for the worker task's next turn.
        """
        if self._closed:
            raise RuntimeError("flood queue is closed")
        waiter = asyncio.get_running_loop().create_future() if wait else None
        item = QueuedLine(line, waiter)
        if (
            self._worker is not None
            and not self._paused
            and not self._queue
            and self._bucket.delay() == 0
            and self._deliver(item)
        ):
            return waiter
        dropped = self._queue.put(target, item)
        if dropped is not None:
            self.dropped += 1
            # The target stays at DEBUG: at WARNING it would put a member's nick in the log.
            logger.warning("send queue full: dropped the oldest queued line to one target")
            logger.debug("dropped a queued line to %s", target)
            _fail(dropped, SendDropped("send queue overflow"))
        self._idle.clear()
        self._wakeup.set()
        return waiter

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        self._wakeup.set()

    def discard(self) -> int:
        """Drop every queued line (their waiters fail); return how many there were."""
        items = self._queue.clear()
        for item in items:
            _fail(item, SendDropped("send queue discarded"))
        self._idle.set()
        return len(items)

    async def drain(self) -> None:
        """Wait until every queued line is sent (bound it with `asyncio.timeout`)."""
        await self._idle.wait()

    async def close(self) -> None:
        """Stop the worker and fail whatever is still queued."""
        self._closed = True
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self.discard()

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._idle.set()
            if self._paused or not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            delay = self._bucket.delay()
            if delay > 0:
                await self._sleep(delay)
                # Paused or emptied meanwhile? Re-check before sending.
                continue
            popped = self._queue.pop()
            if popped is None:
                continue
            target, item = popped
            if not self._deliver(item):
                self._queue.push_front(target, item)

    def _deliver(self, item: QueuedLine) -> bool:
        """Send one line now. False when there is no usable connection: the caller keeps
        the line and the queue pauses until `resume()`."""
        try:
            sent = self._send(item.line)
        except Exception as exc:
            # A bug or a line the library refuses must not kill the worker: drop that
            # one line and carry on with the others.
            logger.warning("sending a queued line failed: %s", type(exc).__name__)
            _fail(item, SendDropped(str(exc)))
            return True
        if not sent:
            self._paused = True
            return False
        self._bucket.take()
        if item.waiter is not None and not item.waiter.done():
            item.waiter.set_result(None)
        return True


def _fail(item: QueuedLine, exc: Exception) -> None:
    if item.waiter is not None and not item.waiter.done():
        item.waiter.set_exception(exc)
