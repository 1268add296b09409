"""The log's logic (anxin.ledger.log, .audit, .origin) needs of storage only its
Protocols: run here over an in-memory store, with no database and no SQLAlchemy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anxin.errors import NotFound
from anxin.ledger.audit import audit_ledger
from anxin.ledger.checkpoint import NoteSigner, verify_checkpoint
from anxin.ledger.log import Entry, LedgerLog, NewLeaf, QueuedLeaf, StoredCheckpoint
from anxin.ledger.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from anxin.ledger.origin import fix_origin, read_origin

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class MemoryStore:
    """Every Protocol method over dicts; a transaction is a plain block."""

    def __init__(self) -> None:
        self.queue: list[QueuedLeaf] = []
        self.leaves: dict[int, NewLeaf] = {}
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.head_row: tuple[int, bytes] | None = None
        self.checkpoints: dict[int, StoredCheckpoint] = {}
        self.origin: str | None = None
        self.transactions = 0

    @contextmanager
    def transaction(self) -> Iterator[MemoryStore]:
        self.transactions += 1
        yield self

    def enqueue(self, data: bytes, authorization_id: str | None = None) -> None:
        self.queue.append(QueuedLeaf(len(self.queue) + len(self.leaves) + 1, data,
                                     authorization_id, AT))

    # LedgerTx
    def try_sequencer_lock(self) -> bool:
        return True

    def lock_head(self, now: dt.datetime) -> tuple[int, bytes]:
        if self.head_row is None:
            self.head_row = (0, EMPTY_ROOT)
        return self.head_row

    def head(self) -> tuple[int, bytes] | None:
        return self.head_row

    def queued(self, limit: int) -> list[QueuedLeaf]:
        return self.queue[:limit]

    def get_many(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return {k: self.nodes[k] for k in keys if k in self.nodes}

    def append(self, *, queue_ids: Sequence[int], leaves: Sequence[NewLeaf],
               nodes: Sequence[tuple[int, int, bytes]], size: int, root: bytes,
               now: dt.datetime) -> None:
        self.queue = [q for q in self.queue if q.id not in set(queue_ids)]
        self.leaves.update({leaf.index: leaf for leaf in leaves})
        self.nodes.update({(lv, ix): h for lv, ix, h in nodes})
        self.head_row = (size, root)

    def entries(self, start: int, end: int) -> list[Entry]:
        return [Entry(i, self.leaves[i].data) for i in sorted(self.leaves) if start <= i < end]

    def entries_for_authorization(self, authorization_id: str) -> list[Entry]:
        return [Entry(i, leaf.data) for i, leaf in sorted(self.leaves.items())
                if leaf.authorization_id == authorization_id]

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        return self.checkpoints[max(self.checkpoints)] if self.checkpoints else None

    def checkpoint_at(self, size: int) -> StoredCheckpoint | None:
        return self.checkpoints.get(size)

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        if checkpoint.size in self.checkpoints:
            return False
        self.checkpoints[checkpoint.size] = checkpoint
        return True

    # AuditTx
    def leaf_count(self) -> int:
        return len(self.leaves)

    def checkpoint_notes(self) -> list[tuple[int, bytes, str]]:
        return [(c.size, c.root, c.note) for _, c in sorted(self.checkpoints.items())]

    def stored_leaves(self, start: int, limit: int) -> list[tuple[int, bytes, bytes]]:
        return [(i, self.leaves[i].data, self.leaves[i].leaf_hash)
                for i in sorted(self.leaves) if i >= start][:limit]

    def nodes_over(self, lo: int, hi: int) -> dict[tuple[int, int], bytes]:
        return {(lv, ix): h for (lv, ix), h in self.nodes.items()
                if lo >> lv <= ix <= hi >> lv}

    # OriginTx
    def stored_origin(self) -> str | None:
        return self.origin

    def latest_checkpoint_note(self) -> str | None:
        latest = self.latest_checkpoint()
        return None if latest is None else latest.note

    def insert_origin_if_absent(self, origin: str, at: dt.datetime) -> None:
        if self.origin is None:
            self.origin = origin


def _log(store: MemoryStore) -> LedgerLog:
    return LedgerLog(store, signer=NoteSigner("test.example/anxin",
                                              Ed25519PrivateKey.generate()),
                     clock=lambda: AT)


def test_sequencing_proofs_and_checkpoints_over_a_store() -> None:
    store = MemoryStore()
    log = _log(store)
    data = [b"leaf %d" % i for i in range(13)]
    for d in data[:5]:
        store.enqueue(d, "a1" if d.endswith(b"3") else None)
    assert log.integrate(max_batch=3) == 3
    assert log.integrate_all() == 2
    first = log.checkpoint(force=True)
    assert first is not None
    assert first.size == 5
    for d in data[5:]:
        store.enqueue(d)
    second = log.checkpoint(force=True)
    assert second is not None
    assert second.size == 13
    assert second.root == root_of([leaf_hash(d) for d in data]) == log.root(13)
    assert verify_checkpoint(second.note, log.signer.verifier_key).size == 13
    verify_consistency(5, 13, first.root, second.root, log.consistency_proof(5, 13))
    for i, d in enumerate(data):
        verify_inclusion(leaf_hash(d), i, 13, log.inclusion_proof(i, 13), second.root)
    assert [e.index for e in log.entries(2, 20, limit=4)] == [2, 3, 4, 5]
    assert log.entries_for_authorization("a1") == [Entry(3, b"leaf 3")]
    assert log.size() == 13
    with pytest.raises(NotFound):
        log.root(14)
    assert audit_ledger(store, log.signer.verifier_key).ok


def test_the_audit_names_a_changed_entry() -> None:
    store = MemoryStore()
    log = _log(store)
    for i in range(8):
        store.enqueue(b"leaf %d" % i)
    log.checkpoint(force=True)
    bad = store.leaves[6]
    store.leaves[6] = NewLeaf(6, b"changed", bad.leaf_hash, None, AT)
    report = audit_ledger(store, log.signer.verifier_key)
    assert not report.ok
    assert report.first_bad_index == 6


def test_the_origin_is_fixed_once() -> None:
    from anxin.config import Settings
    store = MemoryStore()
    assert read_origin(store) is None
    settings = Settings(base_url="https://anxin.example.com")
    assert fix_origin(store, settings) == "anxin.example.com/anxin"
    assert fix_origin(store, Settings(base_url="https://elsewhere.example")) \
        == "anxin.example.com/anxin"
