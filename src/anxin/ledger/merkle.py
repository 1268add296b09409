"""RFC 9162 (RFC 6962) Merkle tree hashing, proofs and their verification.

Leaves hash as ``SHA-256(0x00 || data)``, nodes as ``SHA-256(0x01 || left || right)``.
Proof generation works over a :class:`NodeReader` of *perfect subtrees*: node ``(level, i)``
is the root of leaves ``[i·2^level, (i+1)·2^level)``. Any subtree hash that RFC 9162's
recursion needs is a fold of O(log n) perfect ones, so a proof costs O(log n) node reads,
fetched in one batch.

>>> leaves = [leaf_hash(bytes([i])) for i in range(5)]
>>> store = MemoryNodes.from_leaf_hashes(leaves)
>>> root = tree_root(store, 5)
>>> verify_inclusion(leaves[3], 3, 5, inclusion_proof(store, 3, 5), root)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofFailure(IntegrityFailure):
    code = Code.LEDGER_PROOF_INVALID


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162: the largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes, by the definition (reference implementation)."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[0]
    k = largest_power_of_two_below(n)
    return node_hash(root_of(hashes[:k]), root_of(hashes[k:]))


class NodeReader(Protocol):
    def get_many(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Perfect-subtree hashes by (level, index); a missing key is an error."""
        ...


def _perfect_parts(start: int, end: int) -> list[tuple[int, int]]:
    """(level, index) of the perfect subtrees covering [start, end), left to right."""
    parts = []
    pos = start
    while pos < end:
        size = end - pos
        level = size.bit_length() - 1
        # the largest aligned power of two that fits at pos
        while pos % (1 << level):
            level -= 1
        parts.append((level, pos >> level))
        pos += 1 << level
    return parts


def _fold(hashes: list[bytes]) -> bytes:
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


class _Plan:
    """Collects the subtree ranges a proof needs, reads their nodes in one batch."""

    def __init__(self) -> None:
        self.ranges: list[tuple[int, int]] = []

    def need(self, start: int, end: int) -> int:
        self.ranges.append((start, end))
        return len(self.ranges) - 1

    def resolve(self, reader: NodeReader) -> list[bytes]:
        parts = [_perfect_parts(s, e) for s, e in self.ranges]
        nodes = reader.get_many({p for ps in parts for p in ps})
        try:
            return [_fold([nodes[p] for p in ps]) for ps in parts]
        except KeyError as exc:
            raise IntegrityFailure(f"the ledger is missing node {exc.args[0]}",
                                   code=Code.LEDGER_NODE_MISSING) from None


def tree_root(reader: NodeReader, size: int) -> bytes:
    if size == 0:
        return EMPTY_ROOT
    plan = _Plan()
    plan.need(0, size)
    return plan.resolve(reader)[0]


def _check_size(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ProofFailure(f"index {index} is outside a tree of size {size}",
                           code=Code.LEDGER_BAD_RANGE)


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[size]), leaf side first."""
    _check_size(index, size)
    plan = _Plan()
    order: list[int] = []
    start, end = 0, size
    while end - start > 1:
        k = largest_power_of_two_below(end - start)
        if index < start + k:
            order.append(plan.need(start + k, end))
            end = start + k
        else:
            order.append(plan.need(start, start + k))
            start = start + k
    hashes = plan.resolve(reader)
    return [hashes[i] for i in reversed(order)]


def consistency_proof(reader: NodeReader, first: int, second: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(first, D[second])."""
    if not 0 < first <= second:
        raise ProofFailure(f"no consistency proof from {first} to {second}",
                           code=Code.LEDGER_BAD_RANGE)
    if first == second:
        return []
    plan = _Plan()
    order: list[int] = []
    m, start, end, whole = first, 0, second, True
    while True:
        n = end - start
        if m == n:
            if not whole:
                order.append(plan.need(start, end))
            break
        k = largest_power_of_two_below(n)
        if m <= k:
            order.append(plan.need(start + k, end))
            end = start + k
        else:
            order.append(plan.need(start, start + k))
            m, start, whole = m - k, start + k, False
    hashes = plan.resolve(reader)
    return [hashes[i] for i in reversed(order)]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes],
                     root: bytes) -> None:
    """RFC 9162 §2.1.3.2; returns None or raises :class:`ProofFailure`."""
    _check_size(index, size)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofFailure("the inclusion proof is longer than the tree allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofFailure("the inclusion proof is shorter than the tree needs")
    if r != root:
        raise ProofFailure(f"inclusion proof of leaf {index} in size {size}: computed root "
                           f"{r.hex()}, expected {root.hex()}")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2; returns None or raises :class:`ProofFailure`."""
    if not 0 < first <= second:
        raise ProofFailure(f"no consistency between sizes {first} and {second}",
                           code=Code.LEDGER_BAD_RANGE)
    if first == second:
        if proof:
            raise ProofFailure("a proof between equal sizes must be empty")
        if first_root != second_root:
            raise ProofFailure("equal sizes with different roots: the log forked")
        return
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is the proof's seed
        path.insert(0, first_root)
    if not path:
        raise ProofFailure("empty consistency proof")
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofFailure("the consistency proof is longer than the trees allow")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofFailure("the consistency proof is shorter than the trees need")
    if fr != first_root:
        raise ProofFailure(f"consistency {first}->{second}: computed old root {fr.hex()}, "
                           f"expected {first_root.hex()}")
    if sr != second_root:
        raise ProofFailure(f"consistency {first}->{second}: computed new root {sr.hex()}, "
                           f"expected {second_root.hex()}")


class MemoryNodes:
    """Perfect-subtree nodes in a dict: for tests, offline verifiers and bulk builds."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0

    @classmethod
    def from_leaf_hashes(cls, hashes: Iterable[bytes]) -> MemoryNodes:
        m = cls()
        for h in hashes:
            m.append(h)
        return m

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; returns the nodes it completed (level, index, hash)."""
        added = append_nodes(self.size, leaf, lambda lv, i: self.nodes[(lv, i)])
        for lv, i, h in added:
            self.nodes[(lv, i)] = h
        self.size += 1
        return added

    def get_many(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return {k: self.nodes[k] for k in keys if k in self.nodes}


def append_nodes(index: int, leaf: bytes, left_of: _Getter) -> list[tuple[int, int, bytes]]:
    """The perfect-subtree nodes completed by appending ``leaf`` at ``index``."""
    out = [(0, index, leaf)]
    level, i, h = 0, index, leaf
    while i & 1:
        h = node_hash(left_of(level, i - 1), h)
        level, i = level + 1, i >> 1
        out.append((level, i, h))
    return out


class _Getter(Protocol):
    def __call__(self, level: int, index: int, /) -> bytes: ...


def frontier(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees that make up a tree of ``size`` leaves, left to right."""
    return _perfect_parts(0, size)


def root_from_edge(edge: dict[tuple[int, int], bytes], size: int) -> bytes:
    """The root of a tree of ``size`` leaves from its right-edge perfect subtrees."""
    parts = frontier(size)
    if not parts:
        return EMPTY_ROOT
    acc = edge[parts[-1]]
    for p in reversed(parts[:-1]):
        acc = node_hash(edge[p], acc)
    return acc
