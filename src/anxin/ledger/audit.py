"""``anxin ledger verify``: recompute the whole log from storage and check it against
every signed checkpoint. Names the first bad index.

Pure: the stored log is read through the :class:`AuditStore` Protocol (implemented by
:mod:`anxin.storage.ledger_store`; :func:`anxin.services.ledger.audit_ledger` takes a
database)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from anxin.ledger.checkpoint import CheckpointInvalid, verify_checkpoint
from anxin.ledger.merkle import (
    append_nodes,
    frontier,
    leaf_hash,
    root_from_edge,
)

PAGE = 5000


class AuditTx(Protocol):
    """What the audit reads inside one transaction."""

    def head(self) -> tuple[int, bytes] | None:
        ...

    def leaf_count(self) -> int:
        ...

    def checkpoint_notes(self) -> list[tuple[int, bytes, str]]:
        """``(size, root, note)`` of every stored checkpoint, by size."""
        ...

    def stored_leaves(self, start: int, limit: int) -> list[tuple[int, bytes, bytes]]:
        """``(index, data, stored leaf hash)`` from ``start`` on, by index."""
        ...

    def nodes_over(self, lo: int, hi: int) -> dict[tuple[int, int], bytes]:
        """Every stored node of any level over the leaves ``lo..hi`` (inclusive)."""
        ...


class AuditStore(Protocol):
    def transaction(self) -> AbstractContextManager[AuditTx]:
        ...


@dataclass
class AuditReport:
    size: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_index: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def bad(self, message: str, index: int | None = None) -> None:
        self.problems.append(message)
        if index is not None and (self.first_bad_index is None or index < self.first_bad_index):
            self.first_bad_index = index


def audit_ledger(store: AuditStore, verifier_key: str, *, origin: str | None = None
                 ) -> AuditReport:
    """Recompute the log; with ``origin``, every checkpoint must also name it."""
    report = AuditReport()
    with store.transaction() as tx:
        head = tx.head()
        count = tx.leaf_count()
        checkpoints: Sequence[tuple[int, bytes, str]] = tx.checkpoint_notes()
    report.checkpoints = len(checkpoints)
    head_size = 0 if head is None else head[0]
    if head_size != count:
        report.bad(f"the head says {head_size} entries but {count} are stored",
                   min(head_size, count))
    for cp_size, cp_root, cp_note in checkpoints:
        try:
            parsed = verify_checkpoint(cp_note, verifier_key)
        except CheckpointInvalid as exc:
            report.bad(f"checkpoint {cp_size}: {exc.detail}")
            continue
        if origin is not None and parsed.origin != origin:
            report.bad(f"checkpoint {cp_size}: signed for origin {parsed.origin!r}, "
                       f"not the log's {origin!r}")
        if parsed.size != cp_size or parsed.root != cp_root:
            report.bad(f"checkpoint {cp_size}: the stored size/root differ from the signed note")
        if cp_size > count:
            report.bad(f"checkpoint {cp_size} was signed but only {count} entries exist: "
                       f"the log was truncated", count)
    roots_wanted = {cp_size: cp_root for cp_size, cp_root, _ in checkpoints}
    edge: dict[tuple[int, int], bytes] = {}
    expected = 0
    while True:
        with store.transaction() as tx:
            leaves = tx.stored_leaves(expected, PAGE)
            if not leaves:
                break
            stored = tx.nodes_over(leaves[0][0], leaves[-1][0])
        for idx, data, h in leaves:
            if idx != expected:
                report.bad(f"index {expected} is missing (next stored is {idx})", expected)
                return report
            if leaf_hash(data) != h:
                report.bad(f"entry {idx}: its data does not hash to its stored leaf hash", idx)
            made = append_nodes(idx, h, lambda lv, ix, e=edge: e[(lv, ix)])
            for lv, ix, nh in made:
                edge[(lv, ix)] = nh
                got = stored.get((lv, ix))
                if got is not None and got != nh:
                    # The bad entry lies in this node's range; name the range's start.
                    report.bad(f"node ({lv}, {ix}) over entries {ix << lv}-"
                               f"{((ix + 1) << lv) - 1}: stored hash differs from the "
                               f"recomputed one", ix << lv)
            expected = idx + 1
            if expected in roots_wanted:
                root = root_from_edge(edge, expected)
                if root != roots_wanted[expected]:
                    report.bad(f"checkpoint {expected}: recomputed root differs", idx)
            # forget nodes no longer on the right edge
            keep = set(frontier(expected))
            if len(edge) > 4 * 64:
                edge = {k: v for k, v in edge.items() if k in keep}
    report.size = expected
    if head is not None and expected and root_from_edge(edge, expected) != head[1]:
        report.bad("the head's root differs from the recomputed root")
    return report
