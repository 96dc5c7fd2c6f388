"""Start a coroutine at once, in the caller's turn of the event loop.

``loop.create_task`` only schedules a coroutine: it starts on the loop's next turn, after a
poll of every socket. For a bot that is the difference between answering within the
``data_received`` call that brought the question and answering a turn later; most
commands never wait at all (SQLite reads run inline), so they finish right there.

Python 3.12 has this built in (``asyncio.Task(..., eager_start=True)``); on 3.11 `start`
does the same: it runs the coroutine's first step now, as the task it returns (so
``asyncio.current_task()``, ``asyncio.timeout()`` and context variables behave as inside
any task), and that task carries on from wherever the coroutine first waits, relaying
results, exceptions and cancellation exactly as a task's own steps would.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["start"]


def start(coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
    """Run `coro` until it first waits, now; the returned task runs the rest."""
    loop = asyncio.get_running_loop()
    if sys.version_info >= (3, 12):
        return asyncio.Task(coro, loop=loop, name=name, eager_start=True)  # type: ignore[call-arg]
    return _Eager(coro).begin(loop, name)


class _Eager:
    """The 3.11 backport: the first step here, the others in a task that stands for it."""

    __slots__ = ("coro", "done", "error", "result", "waiting")

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.coro = coro
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        # What the coroutine waits for: a future, or None after a bare yield (sleep(0)).
        self.waiting: Any = None

    def begin(self, loop: asyncio.AbstractEventLoop, name: str | None) -> asyncio.Task[Any]:
        context = contextvars.copy_context()
        task = loop.create_task(self._rest(), name=name, context=context)
        context.run(self._first_step, loop, task)
        return task

    def _first_step(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
        # Started from inside another task: that one steps aside meanwhile, as in 3.12.
        caller = asyncio.current_task(loop)
        if caller is not None:
            asyncio.tasks._leave_task(loop, caller)
        asyncio.tasks._enter_task(loop, task)
        try:
            self._step(None)
        finally:
            asyncio.tasks._leave_task(loop, task)
            if caller is not None:
                asyncio.tasks._enter_task(loop, caller)

    def _step(self, exc: BaseException | None) -> None:
        try:
            self.waiting = self.coro.send(None) if exc is None else self.coro.throw(exc)
        except StopIteration as stop:
            self.done, self.result = True, stop.value
        except BaseException as error:
            self.done, self.error = True, error
        else:
            if self.waiting is not None:
                # What a task does with the future a coroutine yields to it.
                self.waiting._asyncio_future_blocking = False

    async def _rest(self) -> Any:
        while not self.done:
            waiting = self.waiting
            try:
                if waiting is None:
                    await asyncio.sleep(0)
                else:
                    # Wait without taking its outcome: the coroutine reads that itself.
                    await asyncio.wait([waiting])
            except asyncio.CancelledError as cancel:
                # As a task cancels the future its coroutine waits for, then throws.
                if waiting is not None:
                    waiting.cancel()
                self._step(cancel)
                continue
            self._step(None)
        if self.error is not None:
            raise self.error
        return self.result
