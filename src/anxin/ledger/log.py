"""The storage-backed log: sequencing queued leaves, proofs from stored nodes, checkpoints.

Use cases enqueue leaves in their own transactions (:mod:`anxin.storage.ledger_queue`).
:meth:`Ledger.integrate` gives them indices in queue order, inside one transaction that
locks the ``ledger_head`` row, so any number of workers append to one linear log. It
stores each leaf and the perfect-subtree nodes the leaf completes; roots and proofs then
read O(log n) nodes.

Example::

    ledger = Ledger(db, signer=load_note_signer(settings, fix_origin(db, settings)))
    ledger.integrate()
    note = ledger.checkpoint(force=True).note
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure, NotFound
from anxin.ledger.checkpoint import Checkpoint, NoteSigner, verify_checkpoint
from anxin.ledger.merkle import (
    EMPTY_ROOT,
    append_nodes,
    consistency_proof,
    frontier,
    inclusion_proof,
    leaf_hash,
    root_from_edge,
    tree_root,
    verify_consistency,
)
from anxin.storage.database import Database
from anxin.storage.models import (
    LedgerCheckpoint,
    LedgerHead,
    LedgerLeaf,
    LedgerNode,
    LedgerQueued,
)

log = logging.getLogger(__name__)

Timestamp = Callable[[bytes], bytes]
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


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    tsa_token: bytes | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Entry:
    index: int
    data: bytes


class _DbNodes:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_many(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        by_level: dict[int, list[int]] = {}
        for level, idx in set(keys):
            by_level.setdefault(level, []).append(idx)
        if not by_level:
            return {}
        if self.conn.dialect.name == "postgresql":
            pairs = [(lv, ix) for lv, ixs in by_level.items() for ix in ixs]
            rows = _pg_binary(self.conn, _PG_NODES, {
                "lv": [p[0] for p in pairs], "ix": [p[1] for p in pairs]}).fetchall()
            return {(int(r[0]), int(r[1])): bytes(r[2]) for r in rows}
        # One query, one index range per level: both SQLite and PostgreSQL use the
        # primary key for this form (SQLite does not for a row-value IN list).
        cond = or_(*(and_(LedgerNode.level == lv, LedgerNode.idx.in_(ixs))
                     for lv, ixs in by_level.items()))
        rows = self.conn.execute(select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash)
                                 .where(cond))
        return {(int(r[0]), int(r[1])): bytes(r[2]) for r in rows}


class Ledger:
    def __init__(self, db: Database, *, signer: NoteSigner,
                 timestamp: Timestamp | None = None, checkpoint_interval: float = 2.0,
                 clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.db = db
        self.signer = signer
        self.timestamp = timestamp
        self.checkpoint_interval = checkpoint_interval
        self.clock = clock
        self._last_checkpoint_at = 0.0

    # --- sequencing -----------------------------------------------------------------

    def _lock_head(self, conn: Connection) -> tuple[int, bytes]:
        locked = select(LedgerHead.size, LedgerHead.root_hash).where(
            LedgerHead.id == 1).with_for_update()
        row = conn.execute(locked).first()
        if row is None:  # an empty log: make its head once
            insert_ignore = (postgresql.insert(LedgerHead).on_conflict_do_nothing()
                             if self.db.dialect == "postgresql"
                             else sqlite.insert(LedgerHead).on_conflict_do_nothing())
            conn.execute(insert_ignore.values(id=1, size=0, root_hash=EMPTY_ROOT,
                                              updated_at=self.clock()))
            row = conn.execute(locked).one()
        return int(row[0]), bytes(row[1])

    def integrate(self, max_batch: int = 1000, *, wait: bool = True) -> int:
        """Sequence up to ``max_batch`` committed queued leaves; returns how many.
        ``wait=False`` (the background loop) returns 0 at once when another worker is
        sequencing, instead of queueing behind it on the head row."""
        with self.db.core_transaction() as conn:
            if not wait and self.db.dialect == "postgresql" and not conn.execute(
                    text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _SEQUENCER_LOCK}
            ).scalar():
                return 0
            size, _ = self._lock_head(conn)
            queued = conn.execute(select(LedgerQueued.id, LedgerQueued.data,
                                         LedgerQueued.authorization_id, LedgerQueued.created_at)
                                  .order_by(LedgerQueued.id).limit(max_batch)).all()
            if not queued:
                return 0
            known = _DbNodes(conn).get_many(frontier(size))
            edge = dict(known)
            leaves, nodes = [], []
            for i, q in enumerate(queued):
                index = size + i
                data = bytes(q.data)
                h = leaf_hash(data)
                made = append_nodes(index, h, lambda lv, ix: edge[(lv, ix)])
                for lv, ix, nh in made:
                    edge[(lv, ix)] = nh
                    nodes.append({"level": lv, "idx": ix, "hash": nh})
                leaves.append({"idx": index, "data": data, "leaf_hash": h,
                               "authorization_id": q.authorization_id,
                               "created_at": q.created_at})
            new_size = size + len(queued)
            root = root_from_edge(edge, new_size)
            if self.db.dialect == "postgresql":
                _pg_binary(conn, _PG_APPEND, {
                    "ids": [q.id for q in queued],
                    "idx": [r["idx"] for r in leaves], "data": [r["data"] for r in leaves],
                    "leaf_hash": [r["leaf_hash"] for r in leaves],
                    "auth": [r["authorization_id"] for r in leaves],
                    "at": [r["created_at"] for r in leaves],
                    "n_level": [r["level"] for r in nodes], "n_idx": [r["idx"] for r in nodes],
                    "n_hash": [r["hash"] for r in nodes],
                    "size": new_size, "root": root, "now": self.clock()})
                return len(queued)
            conn.execute(insert(LedgerLeaf), leaves)
            conn.execute(insert(LedgerNode), nodes)
            conn.execute(delete(LedgerQueued).where(
                LedgerQueued.id.in_([q.id for q in queued])))
            conn.execute(update(LedgerHead).where(LedgerHead.id == 1).values(
                size=new_size, root_hash=root, updated_at=self.clock()))
            return len(queued)

    def integrate_all(self) -> int:
        total = 0
        while (n := self.integrate()) > 0:
            total += n
        return total

    # --- reading --------------------------------------------------------------------

    def size(self) -> int:
        with self.db.core_transaction() as conn:
            row = conn.execute(select(LedgerHead.size).where(LedgerHead.id == 1)).first()
            return 0 if row is None else int(row[0])

    def root(self, size: int) -> bytes:
        with self.db.core_transaction() as conn:
            self._check_size(conn, size)
            return tree_root(_DbNodes(conn), size)

    def _check_size(self, conn: Connection, size: int) -> None:
        row = conn.execute(select(LedgerHead.size).where(LedgerHead.id == 1)).first()
        current = 0 if row is None else int(row[0])
        if not 0 <= size <= current:
            raise NotFound(f"the log has {current} entries, not {size}",
                           code=Code.LEDGER_SIZE_UNKNOWN)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self.db.core_transaction() as conn:
            self._check_size(conn, size)
            return inclusion_proof(_DbNodes(conn), index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        with self.db.core_transaction() as conn:
            self._check_size(conn, second)
            return consistency_proof(_DbNodes(conn), first, second)

    def entries(self, start: int, end: int, limit: int = 1000) -> list[Entry]:
        end = min(end, start + limit)
        with self.db.core_transaction() as conn:
            rows = conn.execute(select(LedgerLeaf.idx, LedgerLeaf.data)
                                .where(LedgerLeaf.idx >= start, LedgerLeaf.idx < end)
                                .order_by(LedgerLeaf.idx))
            return [Entry(int(r[0]), bytes(r[1])) for r in rows]

    def entries_for_authorization(self, authorization_id: str) -> list[Entry]:
        with self.db.core_transaction() as conn:
            rows = conn.execute(select(LedgerLeaf.idx, LedgerLeaf.data)
                                .where(LedgerLeaf.authorization_id == authorization_id)
                                .order_by(LedgerLeaf.idx))
            return [Entry(int(r[0]), bytes(r[1])) for r in rows]

    # --- checkpoints ----------------------------------------------------------------

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self.db.core_transaction() as conn:
            row = conn.execute(select(LedgerCheckpoint).order_by(
                LedgerCheckpoint.size.desc()).limit(1)).first()
        return None if row is None else _stored(row)

    def checkpoint_at(self, size: int) -> StoredCheckpoint | None:
        with self.db.core_transaction() as conn:
            row = conn.execute(select(LedgerCheckpoint).where(
                LedgerCheckpoint.size == size)).first()
        return None if row is None else _stored(row)

    def checkpoint(self, *, force: bool = False, integrate: bool = True
                   ) -> StoredCheckpoint | None:
        """Integrate (unless ``integrate=False``: the background loop has just done so),
        then sign a checkpoint of the new size if it grew (at most every
        ``checkpoint_interval`` seconds unless forced). Never signs a tree inconsistent
        with the latest stored checkpoint."""
        if integrate:
            self.integrate_all()
        latest = self.latest_checkpoint()
        now = time.monotonic()
        if not force and now - self._last_checkpoint_at < self.checkpoint_interval:
            return latest
        with self.db.core_transaction() as conn:
            row = conn.execute(select(LedgerHead.size, LedgerHead.root_hash)
                               .where(LedgerHead.id == 1)).first()
            size, root = (0, EMPTY_ROOT) if row is None else (int(row[0]), bytes(row[1]))
            if latest is not None and latest.size == size:
                return latest
            if size == 0:
                return latest
            if latest is not None:
                if latest.size > size:
                    raise IntegrityFailure(
                        f"the log has {size} entries but checkpoint {latest.size} was signed:"
                        " the log was truncated", code=Code.LEDGER_TRUNCATED)
                proof = consistency_proof(_DbNodes(conn), latest.size, size)
                verify_consistency(latest.size, size, latest.root, root, proof)
        note = self.signer.sign_checkpoint(Checkpoint(self.signer.name, size, root))
        token = self.timestamp(note.encode()) if self.timestamp is not None else None
        try:
            with self.db.core_transaction() as conn:
                conn.execute(insert(LedgerCheckpoint).values(
                    size=size, root_hash=root, note=note, tsa_token=token,
                    created_at=self.clock()))
        except IntegrityError:
            pass  # another worker signed the same size: Ed25519 made the same note
        self._last_checkpoint_at = now
        return self.checkpoint_at(size)

    # --- background -----------------------------------------------------------------

    def start_background(self, stop: threading.Event, *,
                         poll: float = 0.1) -> threading.Thread:
        def loop() -> None:
            while not stop.is_set():
                n = 0
                try:
                    n = self.integrate(wait=False)
                    if time.monotonic() - self._last_checkpoint_at >= self.checkpoint_interval:
                        # Not integrate_all(): under load it would queue behind the
                        # other worker's sequencing on the head row, round after round.
                        self.checkpoint(integrate=False)
                except Exception:  # keep the sequencer alive: log, then retry
                    log.exception("ledger sequencer failed; retrying")
                # A full batch means a backlog: go again at once; otherwise leave the
                # database to the use cases until the next poll.
                if n < 1000:
                    stop.wait(poll)

        t = threading.Thread(target=loop, name="ledger-sequencer", daemon=True)
        t.start()
        return t

    def verify_note(self, note: str) -> Checkpoint:
        return verify_checkpoint(note, self.signer.verifier_key)


def _stored(row: object) -> StoredCheckpoint:
    r = row._mapping  # type: ignore[attr-defined]
    return StoredCheckpoint(int(r["size"]), bytes(r["root_hash"]), str(r["note"]),
                            None if r["tsa_token"] is None else bytes(r["tsa_token"]),
                            r["created_at"])
