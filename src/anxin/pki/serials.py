"""Serial numbers for time-stamp tokens, unique across restarts and workers.

:class:`ReservedSerialSource` takes them in blocks from a :class:`~anxin.pki.ports.SerialStore`
(a named counter; :class:`anxin.services.pki_services.DbSerialSource` uses the
``counters`` table, one conditional ``UPDATE … RETURNING`` in its own short transaction),
so every worker of every host that shares the database draws from the same sequence.
``block_size > 1`` reserves that many numbers per round trip (unused numbers of a block
are simply never issued: gaps are harmless, repeats are impossible).

``prefetch=True`` (what :func:`anxin.services.pki_services.open_pki_services` uses)
reserves the first block when the source is made and the next one from a background
thread when half of the current block is used. This matters on SQLite, where a
reservation is a write transaction of its own: a caller that asks for a token while its
own use-case transaction holds the database's write lock (the letter signer does) would
otherwise wait on itself until ``busy_timeout``. With prefetching the caller takes a number
already reserved and the refill simply runs after the caller commits. On PostgreSQL it
keeps the ``counters`` row lock out of long transactions.

:class:`InMemorySerialSource` (a random 64-bit prefix and a counter) is for benchmarks and
tests only: it is unique in practice, not by construction.

>>> src = InMemorySerialSource()
>>> src.next_serial() != src.next_serial()
True
"""

from __future__ import annotations

import itertools
import secrets
import threading
from typing import Protocol

from anxin.error_codes import Code
from anxin.errors import AnxinError
from anxin.pki.ports import SerialStore

TSA_SERIAL_COUNTER = "tsa_serial"


class SerialUnavailable(AnxinError):
    """The serial counter cannot be reached (the registry answers it 503)."""

    code = Code.SERIAL_UNAVAILABLE


class SerialSource(Protocol):
    def next_serial(self) -> int:
        """A positive integer never returned before (raises :class:`SerialUnavailable`)."""
        ...


class InMemorySerialSource:
    """Random 64-bit prefix followed by a 32-bit counter; for benchmarks and tests."""

    def __init__(self) -> None:
        self._prefix = (secrets.randbits(63) | 1 << 62) << 32
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next_serial(self) -> int:
        with self._lock:
            return self._prefix | next(self._counter)


class ReservedSerialSource:
    """Serials reserved from counter ``name`` of a store, shared by every worker."""

    def __init__(self, store: SerialStore, *, name: str = TSA_SERIAL_COUNTER,
                 block_size: int = 1, prefetch: bool = False) -> None:
        if block_size < 1 or (prefetch and block_size < 2):
            raise ValueError("block_size must be at least 1 (2 with prefetch)")
        self._store = store
        self._name = name
        self._block_size = block_size
        self._prefetch = prefetch
        self._lock = threading.Lock()
        self._next = 0
        self._end = 0  # exclusive
        self._spare: tuple[int, int] | None = None  # a reserved block not yet in use
        self._refilling = False
        if prefetch:
            self._next, self._end = self._block(self._reserve(block_size))

    def _block(self, last: int) -> tuple[int, int]:
        return last - self._block_size + 1, last + 1

    def next_serial(self) -> int:
        if self._block_size == 1:
            return self._reserve(1)
        with self._lock:
            if self._next >= self._end:
                if self._spare is not None:
                    (self._next, self._end), self._spare = self._spare, None
                else:
                    self._next, self._end = self._block(self._reserve(self._block_size))
            serial = self._next
            self._next += 1
            refill = (self._prefetch and self._spare is None and not self._refilling
                      and self._end - self._next <= self._block_size // 2)
            if refill:
                self._refilling = True
        if refill:
            threading.Thread(target=self._refill, name="tsa-serial-refill", daemon=True).start()
        return serial

    def _refill(self) -> None:
        try:
            block: tuple[int, int] | None = self._block(self._reserve(self._block_size))
        except SerialUnavailable:
            block = None  # the next caller reserves inline and reports the outage
        with self._lock:
            self._spare = block
            self._refilling = False

    def _reserve(self, count: int) -> int:
        """Advance the counter by ``count``; return its new value (the block's last)."""
        return self._store.reserve(self._name, count)
