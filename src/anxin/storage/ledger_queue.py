"""Enqueue a ledger leaf inside the caller's transaction.

The leaf commits (or rolls back) with the state change it records; the sequencer
(:mod:`anxin.ledger.log`) later gives it its index in the tree, in commit order.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert
from sqlalchemy.orm import Session

from anxin.storage.models import LedgerQueued


def enqueue_leaf(session: Session, data: bytes, *, authorization_id: str | None,
                 at: dt.datetime) -> None:
    session.execute(_ENQUEUE, {"data": data, "authorization_id": authorization_id,
                               "created_at": at})


# Built once: a statement with values() baked in is a new statement (and cache key) per call.
_ENQUEUE = insert(LedgerQueued)
