"""anxin.asyncutil: a coroutine runs to its result from plain code and from inside a running
loop, and what it leaves behind (a pending task, an async generator) is cleaned up before
its fresh loop closes, as ``asyncio.run`` would."""

from __future__ import annotations

import asyncio

import pytest

from anxin.asyncutil import run_coroutine, run_sync


async def _answer() -> int:
    await asyncio.sleep(0)
    return 42


def test_a_coroutine_runs_to_its_result():
    assert run_sync(_answer()) == 42
    assert run_coroutine(_answer) == 42


def test_it_runs_from_inside_a_running_loop():
    async def caller() -> int:
        return run_sync(_answer())

    assert asyncio.run(caller()) == 42


def test_a_task_left_pending_is_cancelled_and_the_loop_closed():
    seen: dict[str, object] = {}

    async def leaves_a_task() -> str:
        async def forever() -> None:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                seen["cancelled"] = True
                raise

        seen["task"] = asyncio.get_running_loop().create_task(forever())
        seen["loop"] = asyncio.get_running_loop()
        await asyncio.sleep(0)
        return "done"

    assert run_sync(leaves_a_task()) == "done"
    assert seen["cancelled"] is True
    loop = seen["loop"]
    assert isinstance(loop, asyncio.AbstractEventLoop)
    assert loop.is_closed()


def test_an_async_generator_left_open_is_finalised():
    closed: list[bool] = []

    async def numbers():  # type: ignore[no-untyped-def]
        try:
            yield 1
            yield 2
        finally:
            closed.append(True)

    async def takes_one() -> int:
        generator = numbers()
        first: int = await generator.__anext__()
        return first

    assert run_sync(takes_one()) == 1
    assert closed == [True]


def test_an_exception_propagates():
    async def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run_sync(fails())
