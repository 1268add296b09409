"""A named background thread that runs one pass of work, then waits, until stopped.

A pass that fails with a database or network error is logged and retried on the next
tick: a background loop must outlive a database restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


class PeriodicThread:
    """Runs ``work()`` every ``interval`` seconds; at once again when it did something."""

    def __init__(self, name: str, work: Callable[[], int], interval: float, *,
                 first_delay: float = 0.0) -> None:
        self.name = name
        self._work = work
        self._interval = interval
        self._first_delay = first_delay
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        if self._first_delay and self._stop.wait(self._first_delay):
            return
        while not self._stop.is_set():
            try:
                did = self._work()
            except (SQLAlchemyError, httpx.HTTPError, OSError):
                log.exception("%s: pass failed; retrying in %.1f s", self.name, self._interval)
                did = 0
            if did == 0 and self._stop.wait(self._interval):
                return
