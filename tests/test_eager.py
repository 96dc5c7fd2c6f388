"""bot.eager.start: a coroutine's first step runs at once, inside the task that finishes it."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from bot import eager

seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="")


async def test_a_coroutine_that_never_waits_is_done_before_start_returns() -> None:
    steps: list[str] = []

    async def answer() -> int:
        steps.append("ran")
        return 42

    task = eager.start(answer(), name="answer")
    assert steps == ["ran"]  # no turn of the loop in between
    assert await task == 42 and task.get_name() == "answer"


async def test_it_runs_as_its_task_and_carries_on_where_it_waits() -> None:
    gate = asyncio.get_running_loop().create_future()
    inside: list[object] = []

    async def worker() -> str:
        inside.append(asyncio.current_task())
        seen.set("set in the first step")
        value = await gate
        inside.append(asyncio.current_task())
        await asyncio.sleep(0)
        return f"{value}, {seen.get()}"

    task = eager.start(worker())
    assert inside == [task] and not task.done()
    assert seen.get() == ""  # the task's context, not the caller's
    gate.set_result("opened")
    assert await task == "opened, set in the first step"
    assert inside == [task, task]


async def test_exceptions_reach_the_task_from_any_step() -> None:
    async def fails_at_once() -> None:
        raise ValueError("first step")

    async def fails_later() -> None:
        await asyncio.sleep(0)
        raise KeyError("later step")

    with pytest.raises(ValueError, match="first step"):
        await eager.start(fails_at_once())
    with pytest.raises(KeyError, match="later step"):
        await eager.start(fails_later())


async def test_a_waited_future_that_fails_raises_inside_the_coroutine() -> None:
    gate = asyncio.get_running_loop().create_future()

    async def reads_it() -> str:
        try:
            await gate
        except RuntimeError as exc:
            return f"caught {exc}"
        return "not raised"

    task = eager.start(reads_it())
    gate.set_exception(RuntimeError("broken"))
    assert await task == "caught broken"


async def test_cancelling_the_task_cancels_the_coroutine_where_it_waits() -> None:
    gate = asyncio.get_running_loop().create_future()
    cleaned: list[str] = []

    async def waits() -> None:
        try:
            await gate
        finally:
            cleaned.append("finally ran")

    task = eager.start(waits())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == ["finally ran"] and gate.cancelled()


async def test_timeouts_started_in_the_first_step_work() -> None:
    async def slow() -> str:
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(10)
        except TimeoutError:
            return "timed out"
        return "finished"

    async with asyncio.timeout(5):
        assert await eager.start(slow()) == "timed out"


async def test_a_lock_taken_in_the_first_step_is_released_in_a_later_one() -> None:
    lock = asyncio.Lock()
    order: list[str] = []

    async def holder(name: str) -> None:
        async with lock:
            order.append(f"{name} in")
            await asyncio.sleep(0)
            order.append(f"{name} out")

    first, second = eager.start(holder("a")), eager.start(holder("b"))
    await asyncio.gather(first, second)
    assert order == ["a in", "a out", "b in", "b out"]


async def test_started_from_a_plain_callback_of_the_loop() -> None:
    loop = asyncio.get_running_loop()
    started: asyncio.Future[asyncio.Task[str]] = loop.create_future()

    async def inside() -> str:
        await asyncio.sleep(0)
        return "finished in its task"

    loop.call_soon(lambda: started.set_result(eager.start(inside())))
    task = await started
    assert await task == "finished in its task"
