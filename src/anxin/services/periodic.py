"""A named background thread that runs one pass of work, then waits, until stopped.

A pass that fails is logged with its traceback and tried again on the next tick, whatever
the error: a background loop must outlive a database restart, and one bad item (a
malformed callback URL stored years ago) must never stop the work of every institution,
before or after a restart. Only ``BaseException`` that is not ``Exception`` (interpreter
shutdown, KeyboardInterrupt) ends the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

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
            except Exception:  # the loop outlives any failed pass (see above)
                log.exception("%s: pass failed; retrying in %.1f s", self.name, self._interval)
                did = 0
            if did == 0 and self._stop.wait(self._interval):
                return
