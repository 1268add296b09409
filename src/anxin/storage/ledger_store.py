"""The ledger's storage: :class:`anxin.ledger.log.LedgerStore` (and the audit's and the
origin's stores) over SQL.

:class:`SqlLedgerStore` opens one Core transaction per :meth:`~SqlLedgerStore.transaction`
block (the caller, the log's logic, owns it); :class:`SqlLedgerTx` reads and writes
inside it and never commits. PostgreSQL takes one round trip per sequenced batch
(arrays in psycopg's binary format); SQLite takes a few statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from anxin.ledger.log import Entry, NewLeaf, QueuedLeaf, StoredCheckpoint
from anxin.ledger.merkle import EMPTY_ROOT
from anxin.storage.database import Database
from anxin.storage.models import (
    LedgerCheckpoint,
    LedgerHead,
    LedgerLeaf,
    LedgerNode,
    LedgerOrigin,
    LedgerQueued,
)

# PostgreSQL advisory-lock key of the sequencer ("anxinled" as a 64-bit integer).
_SEQUENCER_LOCK = int.from_bytes(b"anxinled", "big") & 0x7FFFFFFFFFFFFFFF


# PostgreSQL: a batch's writes in ONE statement, rows passed as arrays in psycopg's binary
# format (one round trip, no per-row parameter handling or escaping): the leaves, the
# nodes they complete, the queue rows they came from, and the new head.
_PG_APPEND = """
WITH dq AS (
  DELETE FROM ledger_queue WHERE id = ANY(%(ids)b::bigint[])
), lv AS (
  INSERT INTO ledger_leaves (idx, data, leaf_hash, authorization_id, created_at)
  SELECT * FROM unnest(%(idx)b::bigint[], %(data)b::bytea[], %(leaf_hash)b::bytea[],
                       %(auth)b::varchar[], %(at)b::timestamptz[])
), nd AS (
  INSERT INTO ledger_nodes (level, idx, hash)
  SELECT * FROM unnest(%(n_level)b::integer[], %(n_idx)b::bigint[], %(n_hash)b::bytea[])
)
UPDATE ledger_head SET size = %(size)b, root_hash = %(root)b, updated_at = %(now)b
 WHERE id = 1
"""


_PG_NODES = """
SELECT n.level, n.idx, n.hash FROM ledger_nodes n
  JOIN unnest(%(lv)b::integer[], %(ix)b::bigint[]) AS k(level, idx)
    ON n.level = k.level AND n.idx = k.idx
"""


def _pg_binary(conn: Connection, sql: str, params: dict[str, Any]) -> Any:
    """Run ``sql`` on the psycopg connection under ``conn`` (same transaction), with the
    binary parameter format its ``%(name)b`` placeholders ask for; returns the cursor."""
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw.cursor(binary=True).execute(sql, params)


def _insert(dialect: str, table: Any) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the dialect's form."""
    return (postgresql.insert(table) if dialect == "postgresql"
            else sqlite.insert(table)).on_conflict_do_nothing()


class SqlLedgerTx:
    """The ledger's reads and writes inside one open transaction (never commits)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name

    # --- the log (anxin.ledger.log.LedgerTx) -----------------------------------------

    def try_sequencer_lock(self) -> bool:
        if self.dialect != "postgresql":
            return True  # SQLite: the write lock serialises sequencers already
        return bool(self.conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                      {"k": _SEQUENCER_LOCK}).scalar())

    def lock_head(self, now: dt.datetime) -> tuple[int, bytes]:
        locked = select(LedgerHead.size, LedgerHead.root_hash).where(
            LedgerHead.id == 1).with_for_update()
        row = self.conn.execute(locked).first()
        if row is None:  # an empty log: make its head once
            self.conn.execute(_insert(self.dialect, LedgerHead).values(
                id=1, size=0, root_hash=EMPTY_ROOT, updated_at=now))
            row = self.conn.execute(locked).one()
        return int(row[0]), bytes(row[1])

    def head(self) -> tuple[int, bytes] | None:
        row = self.conn.execute(select(LedgerHead.size, LedgerHead.root_hash)
                                .where(LedgerHead.id == 1)).first()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def queued(self, limit: int) -> list[QueuedLeaf]:
        rows = self.conn.execute(select(LedgerQueued.id, LedgerQueued.data,
                                        LedgerQueued.authorization_id, LedgerQueued.created_at)
                                 .order_by(LedgerQueued.id).limit(limit))
        return [QueuedLeaf(int(r[0]), bytes(r[1]), r[2], r[3]) for r in rows]

    def get_many(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        by_level: dict[int, list[int]] = {}
        for level, idx in set(keys):
            by_level.setdefault(level, []).append(idx)
        if not by_level:
            return {}
        if self.dialect == "postgresql":
            pairs = [(lv, ix) for lv, ixs in by_level.items() for ix in ixs]
            rows = _pg_binary(self.conn, _PG_NODES, {
                "lv": [p[0] for p in pairs], "ix": [p[1] for p in pairs]}).fetchall()
            return {(int(r[0]), int(r[1])): bytes(r[2]) for r in rows}
        # One query, one index range per level: both SQLite and PostgreSQL use the
        # primary key for this form (SQLite does not for a row-value IN list).
        cond = or_(*(and_(LedgerNode.level == lv, LedgerNode.idx.in_(ixs))
                     for lv, ixs in by_level.items()))
        found = self.conn.execute(select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash)
                                  .where(cond))
        return {(int(r[0]), int(r[1])): bytes(r[2]) for r in found}

    def append(self, *, queue_ids: Sequence[int], leaves: Sequence[NewLeaf],
               nodes: Sequence[tuple[int, int, bytes]], size: int, root: bytes,
               now: dt.datetime) -> None:
        if self.dialect == "postgresql":
            _pg_binary(self.conn, _PG_APPEND, {
                "ids": list(queue_ids),
                "idx": [r.index for r in leaves], "data": [r.data for r in leaves],
                "leaf_hash": [r.leaf_hash for r in leaves],
                "auth": [r.authorization_id for r in leaves],
                "at": [r.created_at for r in leaves],
                "n_level": [n[0] for n in nodes], "n_idx": [n[1] for n in nodes],
                "n_hash": [n[2] for n in nodes],
                "size": size, "root": root, "now": now})
            return
        self.conn.execute(insert(LedgerLeaf), [
            {"idx": r.index, "data": r.data, "leaf_hash": r.leaf_hash,
             "authorization_id": r.authorization_id, "created_at": r.created_at}
            for r in leaves])
        self.conn.execute(insert(LedgerNode), [
            {"level": lv, "idx": ix, "hash": nh} for lv, ix, nh in nodes])
        self.conn.execute(delete(LedgerQueued).where(LedgerQueued.id.in_(list(queue_ids))))
        self.conn.execute(update(LedgerHead).where(LedgerHead.id == 1).values(
            size=size, root_hash=root, updated_at=now))

    def entries(self, start: int, end: int) -> list[Entry]:
        rows = self.conn.execute(select(LedgerLeaf.idx, LedgerLeaf.data)
                                 .where(LedgerLeaf.idx >= start, LedgerLeaf.idx < end)
                                 .order_by(LedgerLeaf.idx))
        return [Entry(int(r[0]), bytes(r[1])) for r in rows]

    def entries_for_authorization(self, authorization_id: str) -> list[Entry]:
        rows = self.conn.execute(select(LedgerLeaf.idx, LedgerLeaf.data)
                                 .where(LedgerLeaf.authorization_id == authorization_id)
                                 .order_by(LedgerLeaf.idx))
        return [Entry(int(r[0]), bytes(r[1])) for r in rows]

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        row = self.conn.execute(select(LedgerCheckpoint).order_by(
            LedgerCheckpoint.size.desc()).limit(1)).first()
        return None if row is None else _stored(row)

    def checkpoint_at(self, size: int) -> StoredCheckpoint | None:
        row = self.conn.execute(select(LedgerCheckpoint).where(
            LedgerCheckpoint.size == size)).first()
        return None if row is None else _stored(row)

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        result = self.conn.execute(_insert(self.dialect, LedgerCheckpoint).values(
            size=checkpoint.size, root_hash=checkpoint.root, note=checkpoint.note,
            tsa_token=checkpoint.tsa_token, created_at=checkpoint.created_at))
        return bool(getattr(result, "rowcount", 0))

    # --- the audit (anxin.ledger.audit.AuditTx) --------------------------------------

    def leaf_count(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(LedgerLeaf)) or 0)

    def checkpoint_notes(self) -> list[tuple[int, bytes, str]]:
        rows = self.conn.execute(select(LedgerCheckpoint.size, LedgerCheckpoint.root_hash,
                                        LedgerCheckpoint.note)
                                 .order_by(LedgerCheckpoint.size))
        return [(int(r[0]), bytes(r[1]), str(r[2])) for r in rows]

    def stored_leaves(self, start: int, limit: int) -> list[tuple[int, bytes, bytes]]:
        rows = self.conn.execute(select(LedgerLeaf.idx, LedgerLeaf.data, LedgerLeaf.leaf_hash)
                                 .where(LedgerLeaf.idx >= start).order_by(LedgerLeaf.idx)
                                 .limit(limit))
        return [(int(r[0]), bytes(r[1]), bytes(r[2])) for r in rows]

    def nodes_over(self, lo: int, hi: int) -> dict[tuple[int, int], bytes]:
        ranges = [and_(LedgerNode.level == lv, LedgerNode.idx.between(lo >> lv, hi >> lv))
                  for lv in range(hi.bit_length() + 1)]
        return {(int(r[0]), int(r[1])): bytes(r[2]) for r in self.conn.execute(
            select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash).where(or_(*ranges)))}

    # --- the origin (anxin.ledger.origin.OriginTx) -----------------------------------

    def stored_origin(self) -> str | None:
        stored = self.conn.scalar(select(LedgerOrigin.origin).where(LedgerOrigin.id == 1))
        return None if stored is None else str(stored)

    def latest_checkpoint_note(self) -> str | None:
        note = self.conn.scalar(select(LedgerCheckpoint.note)
                                .order_by(LedgerCheckpoint.size.desc()).limit(1))
        return None if note is None else str(note)

    def insert_origin_if_absent(self, origin: str, at: dt.datetime) -> None:
        self.conn.execute(_insert(self.dialect, LedgerOrigin).values(
            id=1, origin=origin, created_at=at))


class SqlLedgerStore:
    """The ledger's tables of one database; each :meth:`transaction` is a Core one."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def transaction(self) -> Iterator[SqlLedgerTx]:
        with self.db.core_transaction() as conn:
            yield SqlLedgerTx(conn)


def _stored(row: object) -> StoredCheckpoint:
    r = row._mapping  # type: ignore[attr-defined]
    return StoredCheckpoint(int(r["size"]), bytes(r["root_hash"]), str(r["note"]),
                            None if r["tsa_token"] is None else bytes(r["tsa_token"]),
                            r["created_at"])
