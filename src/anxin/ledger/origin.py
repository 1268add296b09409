"""The ledger's origin: the first line of every checkpoint and the name of its note key.

The origin is fixed once, when the log is created (``anxin init``, or the first open of a
database that has none), and stored with the log in the database, so every node signs
under the same name. It is *not* recomputed from ``ANXIN_BASE_URL``: when it was, a
verifier run without the serving base URL named another key and reported a healthy log as
tampered, and moving the service to a new domain broke every older checkpoint. An existing
log adopts the origin of its latest signed checkpoint on upgrade (migration
``0009_ledger_origin``).

Example::

    origin = fix_origin(db, settings)   # 'anxin.example.com/anxin', forever
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from anxin.config import Settings
from anxin.storage.database import Database
from anxin.storage.models import LedgerCheckpoint, LedgerOrigin


def origin_from_base_url(base_url: str) -> str:
    """The origin a new log takes: ``<host[:port]>/anxin`` of the base URL."""
    host = urlsplit(base_url).netloc or "localhost"
    return f"{host}/anxin"


def read_stored_origin(db: Database) -> str | None:
    """The origin row, or None."""
    with db.core_transaction() as conn:
        stored = conn.scalar(select(LedgerOrigin.origin).where(LedgerOrigin.id == 1))
    return None if stored is None else str(stored)


def read_origin(db: Database) -> str | None:
    """The stored origin; else the latest signed checkpoint's (a log not yet upgraded);
    else None (a log that was never created). Reads only."""
    with db.core_transaction() as conn:
        stored = conn.scalar(select(LedgerOrigin.origin).where(LedgerOrigin.id == 1))
        if stored is None:
            note = conn.scalar(select(LedgerCheckpoint.note)
                               .order_by(LedgerCheckpoint.size.desc()).limit(1))
            if note:
                stored = str(note).split("\n", 1)[0].strip() or None
    return None if stored is None else str(stored)


def fix_origin(db: Database, settings: Settings) -> str:
    """The log's origin, fixing it now (from the base URL) if the log has none. Safe with
    several nodes: the first insert wins and everyone reads it back."""
    existing = read_origin(db)
    with db.core_transaction() as conn:
        insert = (postgresql.insert(LedgerOrigin) if db.dialect == "postgresql"
                  else sqlite.insert(LedgerOrigin))
        conn.execute(insert.values(
            id=1, origin=existing or origin_from_base_url(settings.effective_base_url),
            created_at=dt.datetime.now(dt.UTC)).on_conflict_do_nothing())
        origin = conn.scalar(select(LedgerOrigin.origin).where(LedgerOrigin.id == 1))
    assert origin is not None
    return str(origin)

