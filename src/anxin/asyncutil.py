"""Running pyHanko's coroutines from synchronous code, wherever that code is called from:
the product's one coroutine runner.

Every run gets a fresh event loop, closed when it ends: a loop kept per thread saved
~0.5 ms a call but outlived the web server's worker threads unclosed (leaking its
sockets). ``asyncio.run`` refuses to start inside a running event loop (and leaves the
coroutine unawaited); then the coroutine runs on a fresh loop in a short-lived thread
instead. Async callers await the ``async_*`` functions themselves.

The fresh loop is made and closed here (:func:`_run_on_fresh_loop`), as ``asyncio.run``
does, minus its Ctrl-C handler: on the main thread ``asyncio.run`` installs and restores
a SIGINT handler around every run, and that cost ~1.3 ms a call (measured, CPU time), a
tenth of signing a letter, which runs two coroutines. Tasks the coroutine left running are
cancelled and async generators finalised before the loop closes, as ``asyncio.run`` does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def _run_on_fresh_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        try:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine made by ``factory`` to completion and return its result."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_on_fresh_loop(factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: _run_on_fresh_loop(factory())).result()


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """:func:`run_coroutine` for a coroutine already made."""
    return run_coroutine(lambda: coroutine)
