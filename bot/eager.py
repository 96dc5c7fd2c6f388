"""Start a coroutine as a task (kept only for the one caller in bot/transports/irc/connection.py).

This used to run the coroutine's first step at once, in the caller's turn of the loop, by
entering and leaving the task through asyncio's private ``_enter_task``/``_leave_task``.
Measured, that gained nothing above noise, and a private name of asyncio may change in any
release; Python 3.12's public ``eager_start`` does the same, but the project supports 3.11.
So ``start`` is now ``loop.create_task``; the caller can use that directly and this module go.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["start"]


def start(coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
    """Schedule `coro` as a task on the running loop."""
    return asyncio.get_running_loop().create_task(coro, name=name)
