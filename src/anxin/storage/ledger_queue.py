"""Enqueue a ledger leaf inside the caller's transaction.

The leaf commits (or rolls back) with the state change it records; the sequencer
(:mod:`anxin.ledger.log`) later gives it its index in the tree, in commit order. A leaf of
an authorization is chained (:mod:`anxin.ledger.chain`): it is made under the
authorization's row lock, from the chain head stored in that row, which it advances.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from anxin.ledger.chain import ZERO_HASH, chained_leaf
from anxin.ledger.leaf import make_leaf
from anxin.ledger.merkle import leaf_hash
from anxin.storage.models import Authorization, LedgerQueued
from anxin.storage.pg_statement import PgStatement


def enqueue_leaf(session: Session | Connection, data: bytes, *,
                 authorization_id: str | None, at: dt.datetime) -> None:
    """Queue ``data`` in the caller's transaction (or, in autocommit, as its own).

    On PostgreSQL the INSERT runs as one :class:`~anxin.storage.pg_statement.PgStatement`
    on the transaction's psycopg connection, not through ``Connection.execute``: that path
    cost ~590 us of CPU per leaf against ~150 us for the raw statement (compiled-cache
    lookup, the ORM's bulk-insert handling on a Session, result set-up; one producer
    thread, /tmp micro-benchmark of bench/ledger.py's producer), and every use case of
    the product enqueues through here. SQLite keeps the Core statement."""
    if at.tzinfo is None:  # as UTCDateTime, which the raw statement bypasses
        raise ValueError("a queued leaf needs an aware datetime")
    conn = session.connection() if isinstance(session, Session) else session
    if conn.dialect.name == "postgresql":
        _PG_ENQUEUE.first(conn, {"data": data, "aid": authorization_id,
                                 "at": at.astimezone(dt.UTC)})
        return
    conn.execute(_ENQUEUE, {"data": data, "authorization_id": authorization_id,
                            "created_at": at})


# Built once: a statement with values() baked in is a new statement (and cache key) per call.
_ENQUEUE = insert(LedgerQueued)
# RETURNING: PgStatement answers the statement's first row.
_PG_ENQUEUE = PgStatement("INSERT INTO ledger_queue (data, authorization_id, created_at) "
                          "VALUES (:data, :aid, :at) RETURNING id")


# The chain head of an authorization (anxin.ledger.chain), read under the row lock and
# advanced in the same transaction as the leaf it accounts for.
_A = cast(Table, Authorization.__table__)  # Core: no ORM synchronisation of the row
_HEAD = (select(Authorization.ledger_seq, Authorization.ledger_head)
         .where(Authorization.id == bindparam("aid")).with_for_update())
_ADVANCE = (update(_A).where(_A.c.id == bindparam("aid"))
            .values(ledger_seq=bindparam("next_seq"), ledger_head=bindparam("head"),
                    ledger_prev=bindparam("prev")))


def lock_chain_head(conn: Session | Connection, authorization_id: str
                    ) -> tuple[int, bytes] | None:
    """``(seq, prev)`` for the authorization's next leaf, locking its row until the end
    of the transaction; None when there is no such authorization."""
    row = conn.execute(_HEAD, {"aid": authorization_id}).first()
    if row is None:
        return None
    return int(row[0]), bytes(row[1]) if row[1] is not None else ZERO_HASH


def advance_chain(conn: Session | Connection, authorization_id: str, *, prev: bytes,
                  next_seq: int, head: bytes) -> None:
    """Advance the head from ``prev`` to ``head`` (the last leaf hash), ``next_seq`` the
    next leaf's seq; under the lock :func:`lock_chain_head` (or an UPDATE) took."""
    conn.execute(_ADVANCE, {"aid": authorization_id, "next_seq": next_seq, "head": head,
                            "prev": prev})


def enqueue_chained(session: Session, event: str, *, at: dt.datetime,
                    authorization_id: str | None, institution_id: str | None,
                    **fields: Any) -> bytes:
    """Make the leaf (chained when it belongs to an authorization) and enqueue it."""
    head = None if authorization_id is None else lock_chain_head(session, authorization_id)
    if head is None or authorization_id is None:
        data = make_leaf(event, at=at, authorization_id=authorization_id,
                         institution_id=institution_id, **fields)
    else:
        seq, prev = head
        data = chained_leaf(event, at=at, prev=prev, seq=seq,
                            authorization_id=authorization_id,
                            institution_id=institution_id, **fields)
        advance_chain(session, authorization_id, prev=prev, next_seq=seq + 1,
                      head=leaf_hash(data))
    enqueue_leaf(session, data, authorization_id=authorization_id, at=at)
    return data
