"""The log's logic: sequencing queued leaves, proofs from stored nodes, checkpoints.

Pure: what the log needs of storage is the :class:`LedgerStore` Protocol (one
transaction at a time, each a :class:`LedgerTx`), implemented over SQL by
:mod:`anxin.storage.ledger_store`; the database-bound :class:`anxin.services.ledger.Ledger`
plugs the two together. The repository never commits: :class:`LedgerLog` opens each
transaction and decides what goes in it.

Use cases enqueue leaves in their own transactions (:mod:`anxin.storage.ledger_queue`).
:meth:`LedgerLog.integrate` gives them indices in queue order, inside one transaction that
locks the head, so any number of workers append to one linear log. It stores each leaf
and the perfect-subtree nodes the leaf completes; roots and proofs then read O(log n)
nodes.

Example::

    ledger = LedgerLog(store, signer=load_note_signer(settings, origin))
    ledger.integrate()
    note = ledger.checkpoint(force=True).note
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

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

log = logging.getLogger(__name__)

Timestamp = Callable[[bytes], bytes]


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


@dataclass(frozen=True, slots=True)
class QueuedLeaf:
    """A committed leaf waiting for its index (a row of the queue)."""

    id: int
    data: bytes
    authorization_id: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewLeaf:
    """A leaf given its index, to store."""

    index: int
    data: bytes
    leaf_hash: bytes
    authorization_id: str | None
    created_at: dt.datetime


class LedgerTx(Protocol):
    """What the log reads and writes inside one transaction (never commits)."""

    def try_sequencer_lock(self) -> bool:
        """Take the sequencer's lock if free (for this transaction); False when another
        worker holds it. A store without such a lock answers True."""
        ...

    def lock_head(self, now: dt.datetime) -> tuple[int, bytes]:
        """``(size, root)`` of the head, locked until the end of the transaction
        (created empty, once, when the log has none)."""
        ...

    def head(self) -> tuple[int, bytes] | None:
        """``(size, root)`` of the head, unlocked; None for a log never sequenced."""
        ...

    def queued(self, limit: int) -> list[QueuedLeaf]:
        """Up to ``limit`` queued leaves, in queue order."""
        ...

    def get_many(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Stored node hashes by (level, index) (:class:`anxin.ledger.merkle.NodeReader`)."""
        ...

    def append(self, *, queue_ids: Sequence[int], leaves: Sequence[NewLeaf],
               nodes: Sequence[tuple[int, int, bytes]], size: int, root: bytes,
               now: dt.datetime) -> None:
        """Store the leaves and the nodes they complete, drop their queue rows and move
        the head to ``(size, root)``."""
        ...

    def entries(self, start: int, end: int) -> list[Entry]:
        """The leaves with ``start <= index < end``, in index order."""
        ...

    def entries_for_authorization(self, authorization_id: str) -> list[Entry]:
        ...

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        ...

    def checkpoint_at(self, size: int) -> StoredCheckpoint | None:
        ...

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        """Store a signed checkpoint; False (nothing stored) if one of its size exists."""
        ...


class LedgerStore(Protocol):
    def transaction(self) -> AbstractContextManager[LedgerTx]:
        """One transaction: committed if the block ends normally, else rolled back."""
        ...


class LedgerLog:
    """The log over a :class:`LedgerStore`: sequencer, proofs, checkpoints."""

    def __init__(self, store: LedgerStore, *, signer: NoteSigner,
                 timestamp: Timestamp | None = None, checkpoint_interval: float = 2.0,
                 clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.store = store
        self.signer = signer
        self.timestamp = timestamp
        self.checkpoint_interval = checkpoint_interval
        self.clock = clock
        self._last_checkpoint_at = 0.0

    # --- sequencing -----------------------------------------------------------------

    def integrate(self, max_batch: int = 1000, *, wait: bool = True) -> int:
        """Sequence up to ``max_batch`` committed queued leaves; returns how many.
        ``wait=False`` (the background loop) returns 0 at once when another worker is
        sequencing, instead of queueing behind it on the head row."""
        with self.store.transaction() as tx:
            if not wait and not tx.try_sequencer_lock():
                return 0
            size, _ = tx.lock_head(self.clock())
            queued = tx.queued(max_batch)
            if not queued:
                return 0
            edge = dict(tx.get_many(frontier(size)))
            leaves: list[NewLeaf] = []
            nodes: list[tuple[int, int, bytes]] = []
            for i, q in enumerate(queued):
                index = size + i
                h = leaf_hash(q.data)
                made = append_nodes(index, h, lambda lv, ix: edge[(lv, ix)])
                for lv, ix, nh in made:
                    edge[(lv, ix)] = nh
                    nodes.append((lv, ix, nh))
                leaves.append(NewLeaf(index, q.data, h, q.authorization_id, q.created_at))
            new_size = size + len(queued)
            tx.append(queue_ids=[q.id for q in queued], leaves=leaves, nodes=nodes,
                      size=new_size, root=root_from_edge(edge, new_size), now=self.clock())
            return len(queued)

    def integrate_all(self) -> int:
        total = 0
        while (n := self.integrate()) > 0:
            total += n
        return total

    # --- reading --------------------------------------------------------------------

    def size(self) -> int:
        with self.store.transaction() as tx:
            head = tx.head()
            return 0 if head is None else head[0]

    def root(self, size: int) -> bytes:
        with self.store.transaction() as tx:
            self._check_size(tx, size)
            return tree_root(tx, size)

    @staticmethod
    def _check_size(tx: LedgerTx, size: int) -> None:
        head = tx.head()
        current = 0 if head is None else head[0]
        if not 0 <= size <= current:
            raise NotFound(f"the log has {current} entries, not {size}",
                           code=Code.LEDGER_SIZE_UNKNOWN)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self.store.transaction() as tx:
            self._check_size(tx, size)
            return inclusion_proof(tx, index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        with self.store.transaction() as tx:
            self._check_size(tx, second)
            return consistency_proof(tx, first, second)

    def entries(self, start: int, end: int, limit: int = 1000) -> list[Entry]:
        end = min(end, start + limit)
        with self.store.transaction() as tx:
            return tx.entries(start, end)

    def entries_for_authorization(self, authorization_id: str) -> list[Entry]:
        with self.store.transaction() as tx:
            return tx.entries_for_authorization(authorization_id)

    # --- checkpoints ----------------------------------------------------------------

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self.store.transaction() as tx:
            return tx.latest_checkpoint()

    def checkpoint_at(self, size: int) -> StoredCheckpoint | None:
        with self.store.transaction() as tx:
            return tx.checkpoint_at(size)

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
        with self.store.transaction() as tx:
            head = tx.head()
            size, root = (0, EMPTY_ROOT) if head is None else head
            if latest is not None and latest.size == size:
                return latest
            if size == 0:
                return latest
            if latest is not None:
                if latest.size > size:
                    raise IntegrityFailure(
                        f"the log has {size} entries but checkpoint {latest.size} was signed:"
                        " the log was truncated", code=Code.LEDGER_TRUNCATED)
                proof = consistency_proof(tx, latest.size, size)
                verify_consistency(latest.size, size, latest.root, root, proof)
        note = self.signer.sign_checkpoint(Checkpoint(self.signer.name, size, root))
        token = self.timestamp(note.encode()) if self.timestamp is not None else None
        with self.store.transaction() as tx:
            # False: another worker signed the same size first; its note stays (an SM2
            # line or a timestamp differs from worker to worker, the tree never).
            tx.add_checkpoint(StoredCheckpoint(size, root, note, token, self.clock()))
        self._last_checkpoint_at = now
        return self.checkpoint_at(size)

    # --- background -----------------------------------------------------------------

    def start_background(self, stop: threading.Event, *, poll: float = 0.1,
                         gather: float = 0.05, gather_below: int = 100) -> threading.Thread:
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
                # Leaves found: go again at once, for those committed meanwhile. Sleeping
                # after every batch short of 1,000 capped the loop under load: with 32
                # producers on 2 cores each round (six round trips) took ~0.2 s, the poll
                # 0.1 s more, and the producers enqueued ~1,500/s while ~560/s were
                # integrated (bench/ledger.py, per-call timings of SqlLedgerTx). An empty
                # queue, or another worker sequencing, leaves the database to the use
                # cases until the next poll.
                #
                # A small batch, though, is mostly the round's fixed cost (the transaction,
                # the lock, the head, the frontier, the commit): after one of fewer than
                # ``gather_below`` leaves the loop waits ``gather`` (50 ms) for more to
                # commit, which a proof or checkpoint never notices; a backlog still runs
                # back to back.
                if n == 0:
                    stop.wait(poll)
                elif n < gather_below:
                    stop.wait(gather)

        t = threading.Thread(target=loop, name="ledger-sequencer", daemon=True)
        t.start()
        return t

    def verify_note(self, note: str) -> Checkpoint:
        return verify_checkpoint(note, self.signer.verifier_key)
