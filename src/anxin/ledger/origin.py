"""The ledger's origin: the first line of every checkpoint and the name of its note key.

The origin is fixed once, when the log is created (``anxin init``, or the first open of a
database that has none), and stored with the log in the database, so every node signs
under the same name. It is *not* recomputed from ``ANXIN_BASE_URL``: when it was, a
verifier run without the serving base URL named another key and reported a healthy log as
tampered, and moving the service to a new domain broke every older checkpoint. An existing
log adopts the origin of its latest signed checkpoint on upgrade (migration
``0009_ledger_origin``).

Pure: the origin row is read and written through the :class:`OriginStore` Protocol
(implemented by :mod:`anxin.storage.ledger_store`; :mod:`anxin.services.ledger` has the
same functions over a database).

Example::

    origin = fix_origin(store, settings)   # 'anxin.example.com/anxin', forever
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import Protocol
from urllib.parse import urlsplit

from anxin.config import Settings


class OriginTx(Protocol):
    """What the origin reads and writes inside one transaction (never commits)."""

    def stored_origin(self) -> str | None:
        ...

    def latest_checkpoint_note(self) -> str | None:
        ...

    def insert_origin_if_absent(self, origin: str, at: dt.datetime) -> None:
        ...


class OriginStore(Protocol):
    def transaction(self) -> AbstractContextManager[OriginTx]:
        ...


def origin_from_base_url(base_url: str) -> str:
    """The origin a new log takes: ``<host[:port]>/anxin`` of the base URL."""
    host = urlsplit(base_url).netloc or "localhost"
    return f"{host}/anxin"


def origin_of_note(note: str | None) -> str | None:
    """A signed note's origin: its first line (None if empty)."""
    if not note:
        return None
    return note.split("\n", 1)[0].strip() or None


def read_stored_origin(store: OriginStore) -> str | None:
    """The origin row, or None."""
    with store.transaction() as tx:
        return tx.stored_origin()


def read_origin(store: OriginStore) -> str | None:
    """The stored origin; else the latest signed checkpoint's (a log not yet upgraded);
    else None (a log that was never created). Reads only."""
    with store.transaction() as tx:
        stored = tx.stored_origin()
        if stored is None:
            stored = origin_of_note(tx.latest_checkpoint_note())
    return stored


def fix_origin(store: OriginStore, settings: Settings) -> str:
    """The log's origin, fixing it now (from the base URL) if the log has none. Safe with
    several nodes: the first insert wins and everyone reads it back."""
    existing = read_origin(store)
    with store.transaction() as tx:
        tx.insert_origin_if_absent(existing or origin_from_base_url(settings.effective_base_url),
                                   dt.datetime.now(dt.UTC))
        origin = tx.stored_origin()
    assert origin is not None
    return origin
