"""Running pyHanko's coroutines from synchronous code, wherever that code is called from:
the product's one coroutine runner.

Every run gets a fresh event loop, closed when it ends: a loop kept per thread saved
~0.5 ms a call but outlived the web server's worker threads unclosed (leaking its
sockets). ``asyncio.run`` refuses to start inside a running event loop (and leaves the
coroutine unawaited); then the coroutine runs on a fresh loop in a short-lived thread
instead. Async callers await the ``async_*`` functions themselves.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine made by ``factory`` to completion and return its result."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """:func:`run_coroutine` for a coroutine already made."""
    return run_coroutine(lambda: coroutine)
