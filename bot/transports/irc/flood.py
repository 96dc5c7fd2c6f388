"""Pacing outgoing IRC lines: a token bucket over fair per-target queues, in two classes.

Servers disconnect clients that send too fast ("Excess Flood") or silently delay them
(ngircd's penalties), so every PRIVMSG/NOTICE/JOIN/TOPIC leaves through one queue per
connection. A burst of `burst` lines goes out at once, then `rate` lines per second.
Targets take turns, so a 40-line listing to one member never holds up a one-line reply to
another. The irc library's own `set_rate_limit` calls time.sleep and would freeze the whole
event loop, so it is not used.

Anyone can connect thirty nicks and have each ask for `help`: paced at a line a second,
that once put three minutes of lines to strangers ahead of every member. So lines to
strangers (people who are not members in good standing) form a second class, sent only
when nothing of the first (control lines, announcements, members' replies) waits. Each
stranger's output is capped (`stranger_burst` lines, then `stranger_per_minute`), and the
whole class to about a minute's worth of output; beyond that their lines are dropped, which
is the one thing this queue drops on purpose. A line addressed to a nick is dropped too when
that nick leaves (`forget`: a new holder of the nick gets nothing meant for the old one) or
when it has waited `patience` seconds for a nick the bot cannot see.
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


# What one stranger may be sent: two pages of an answer at once (a page is five lines and
# the `more` hint: a newcomer reads `help` or `ideas`, and then `more`), then a line every
# ten seconds.
STRANGER_BURST = 12
STRANGER_PER_MINUTE = 6.0
# How long a line may wait for a nick the bot cannot see before it is dropped.
PATIENCE = 120.0
# Strangers' budgets kept at most; full ones (the same as a new one) are forgotten first.
MAX_BUDGETS = 4096


@dataclass
class QueuedLine:
    """One protocol line, and the future of whoever waits for it to be sent.

    `to` is the folded nick a private line is addressed to (None for channels and control
    lines): such a line is dropped when that nick leaves, or waits too long unseen.
    """

    line: str
    waiter: asyncio.Future[None] | None = None
    to: str | None = None
    queued_at: float = 0.0
    stranger: bool = False


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

    def remove_to(self, target: str, to: str) -> list[QueuedLine]:
        """Take out `target`'s lines addressed to `to`; return them."""
        queue = self._queues.get(target)
        if queue is None:
            return []
        removed = [item for item in queue if item.to == to]
        if removed:
            kept = deque(item for item in queue if item.to != to)
            if kept:
                self._queues[target] = kept
            else:
                del self._queues[target]
            self._size -= len(removed)
        return removed

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
    being written to a dead socket. `can_see(nick)` says whether a folded nick shares a
    channel with the bot (lines to nicks it cannot see expire after `patience` seconds).
    `stranger_backlog` caps the lines to strangers waiting at once (default: a minute's
    worth at `rate`). `clock` and `sleep` are injectable so tests need not wait.
    """

    def __init__(
        self,
        send: Callable[[str], bool],
        *,
        burst: int = 4,
        rate: float = 1.0,
        max_per_target: int = 500,
        stranger_burst: int = STRANGER_BURST,
        stranger_per_minute: float = STRANGER_PER_MINUTE,
        stranger_backlog: int | None = None,
        patience: float = PATIENCE,
        can_see: Callable[[str], bool] | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        name: str = "irc-flood-queue",
    ) -> None:
        if stranger_burst < 1 or stranger_per_minute <= 0:
            raise ValueError("strangers need a burst of at least 1 and a positive rate")
        self._send = send
        self._name = name
        self._clock = clock
        self._bucket = TokenBucket(burst, rate, clock)
        # Control lines, announcements and members' replies; then lines to strangers.
        self._first = FairQueue(max_per_target)
        self._later = FairQueue(max_per_target)
        self._stranger_burst = stranger_burst
        self._stranger_rate = stranger_per_minute / 60.0
        self._stranger_backlog = (
            stranger_backlog if stranger_backlog is not None else max(burst, round(rate * 60))
        )
        self._budgets: dict[str, TokenBucket] = {}
        self._patience = patience
        self._can_see = can_see
        self._sleep = sleep
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._paused = False
        self._closed = False
        self._worker: asyncio.Task[None] | None = None
        self._refusals_noted_at: float | None = None
        self.dropped = 0
        # Lines to strangers dropped beyond their share, and lines dropped because their
        # nick left or could not be seen: deliberate, and counted here.
        self.refused = 0
        self.expired = 0

    def __len__(self) -> int:
        return len(self._first) + len(self._later)

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

    def put(
        self,
        target: str,
        line: str,
        *,
        wait: bool = False,
        stranger: bool = False,
        to: str | None = None,
    ) -> asyncio.Future[None] | None:
        """Queue one line, charged to `target` (whose turn it takes, and, for a stranger,
        whose share it uses: a public answer is charged to whoever asked).

        `stranger=True` puts it in the second class, within the share described in the
        module docstring (beyond it the line is dropped at once). `to` is the folded nick a
        private line goes to. With `wait=True`, returns a future that completes when the
        line has been handed to the server connection, or fails with `SendDropped` if it
        never will be.

        When nothing of its class or before is queued and a token is available, the line
        is written at once: a reply to an idle bot must not wait for the worker task's
        next turn.
        """
        if self._closed:
            raise RuntimeError("flood queue is closed")
        waiter = asyncio.get_running_loop().create_future() if wait else None
        item = QueuedLine(line, waiter, to, self._clock(), stranger)
        if stranger and not self._admit(target):
            _fail(item, SendDropped("beyond a non-member's share of the output"))
            return waiter
        if (
            self._worker is not None
            and not self._paused
            and not self._first
            and not (stranger and self._later)
            and self._bucket.delay() == 0
            and self._deliver(item)
        ):
            return waiter
        dropped = (self._later if stranger else self._first).put(target, item)
        if dropped is not None:
            self.dropped += 1
            # No target in the log: it would put a member's nick there.
            logger.warning("send queue full: dropped the oldest queued line to one target")
            _fail(dropped, SendDropped("send queue overflow"))
        self._idle.clear()
        self._wakeup.set()
        return waiter

    def forget(self, target: str) -> int:
        """Drop the queued lines addressed to the folded nick `target` (it quit, changed
        nick or left): whoever holds that nick next must get nothing meant for this one.
        Returns how many there were."""
        removed = self._first.remove_to(target, target) + self._later.remove_to(target, target)
        for item in removed:
            _fail(item, SendDropped("its nick left"))
        self.expired += len(removed)
        if not self:
            self._idle.set()
        return len(removed)

    def _admit(self, target: str) -> bool:
        """Whether one more line to this stranger fits their share and the class's."""
        if len(self._later) >= self._stranger_backlog:
            self._refused()
            return False
        budget = self._budgets.get(target)
        if budget is None:
            if len(self._budgets) >= MAX_BUDGETS:
                full = [key for key, b in self._budgets.items() if b.tokens >= b.burst]
                for key in full:
                    del self._budgets[key]
            if len(self._budgets) >= MAX_BUDGETS:
                # Thousands of strangers within minutes: a flood, whoever they are.
                self._refused()
                return False
            budget = self._budgets[target] = TokenBucket(
                self._stranger_burst, self._stranger_rate, self._clock
            )
        if budget.delay() > 0:
            self._refused()
            return False
        budget.take()
        return True

    def _refused(self) -> None:
        self.refused += 1
        now = self._clock()
        noted = self._refusals_noted_at
        if noted is None or now - noted >= 60.0:
            # Once a minute at most: a flood must not flood the log too.
            self._refusals_noted_at = now
            logger.info(
                "flood defence: dropping lines to non-members beyond their share "
                "(%d dropped so far)",
                self.refused,
            )

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        self._wakeup.set()

    def discard(self) -> int:
        """Drop every queued line (their waiters fail); return how many there were."""
        items = self._first.clear() + self._later.clear()
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
            if not self:
                self._idle.set()
            if self._paused or not self:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            delay = self._bucket.delay()
            if delay > 0:
                await self._sleep(delay)
                # Paused or emptied meanwhile? Re-check before sending.
                continue
            queue = self._first if self._first else self._later
            popped = queue.pop()
            if popped is None:
                continue
            target, item = popped
            if self._unseen_too_long(item):
                self.expired += 1
                _fail(item, SendDropped("its nick was not seen in time"))
                continue
            if not self._deliver(item):
                queue.push_front(target, item)

    def _unseen_too_long(self, item: QueuedLine) -> bool:
        """A private line that waited past its patience for a nick the bot cannot see:
        that nick may well have a new holder by now."""
        return (
            item.to is not None
            and self._can_see is not None
            and self._clock() - item.queued_at > self._patience
            and not self._can_see(item.to)
        )

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
