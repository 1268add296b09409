"""``anxin ledger verify``: recompute the whole log from storage and check it against
every signed checkpoint. Names the first bad index."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select

from anxin.ledger.checkpoint import CheckpointInvalid, verify_checkpoint
from anxin.ledger.merkle import (
    append_nodes,
    frontier,
    leaf_hash,
    root_from_edge,
)
from anxin.storage.database import Database
from anxin.storage.models import LedgerCheckpoint, LedgerHead, LedgerLeaf, LedgerNode

PAGE = 5000


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


def audit_ledger(db: Database, verifier_key: str, *, origin: str | None = None
                 ) -> AuditReport:
    """Recompute the log; with ``origin``, every checkpoint must also name it."""
    report = AuditReport()
    with db.core_transaction() as conn:
        head = conn.execute(select(LedgerHead.size, LedgerHead.root_hash)).first()
        count = conn.scalar(select(func.count()).select_from(LedgerLeaf)) or 0
        checkpoints = conn.execute(select(LedgerCheckpoint.size, LedgerCheckpoint.root_hash,
                                          LedgerCheckpoint.note)
                                   .order_by(LedgerCheckpoint.size)).all()
    report.checkpoints = len(checkpoints)
    head_size = 0 if head is None else int(head[0])
    if head_size != count:
        report.bad(f"the head says {head_size} entries but {count} are stored",
                   min(head_size, count))
    for cp in checkpoints:
        try:
            parsed = verify_checkpoint(cp.note, verifier_key)
        except CheckpointInvalid as exc:
            report.bad(f"checkpoint {cp.size}: {exc.detail}")
            continue
        if origin is not None and parsed.origin != origin:
            report.bad(f"checkpoint {cp.size}: signed for origin {parsed.origin!r}, "
                       f"not the log's {origin!r}")
        if parsed.size != cp.size or parsed.root != bytes(cp.root_hash):
            report.bad(f"checkpoint {cp.size}: the stored size/root differ from the signed note")
        if cp.size > count:
            report.bad(f"checkpoint {cp.size} was signed but only {count} entries exist: "
                       f"the log was truncated", count)
    roots_wanted = {int(cp.size): bytes(cp.root_hash) for cp in checkpoints}
    edge: dict[tuple[int, int], bytes] = {}
    expected = 0
    while True:
        with db.core_transaction() as conn:
            leaves = conn.execute(select(LedgerLeaf.idx, LedgerLeaf.data, LedgerLeaf.leaf_hash)
                                  .where(LedgerLeaf.idx >= expected).order_by(LedgerLeaf.idx)
                                  .limit(PAGE)).all()
            if not leaves:
                break
            lo, hi = int(leaves[0][0]), int(leaves[-1][0])
            ranges = [and_(LedgerNode.level == lv, LedgerNode.idx.between(lo >> lv, hi >> lv))
                      for lv in range(hi.bit_length() + 1)]
            stored = {(int(r[0]), int(r[1])): bytes(r[2]) for r in conn.execute(
                select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash).where(or_(*ranges)))}
        for idx, data, stored_hash in leaves:
            idx = int(idx)
            if idx != expected:
                report.bad(f"index {expected} is missing (next stored is {idx})", expected)
                return report
            h = bytes(stored_hash)
            if leaf_hash(bytes(data)) != h:
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
    if head is not None and expected and root_from_edge(edge, expected) != bytes(head[1]):
        report.bad("the head's root differs from the recomputed root")
    return report


