"""bench/bulk_authorizations.py's tree edge makes the nodes and root of bench/ledger.py's
frontier (which the product's proofs read), however it was resumed."""

from __future__ import annotations

import hashlib

from bench.bulk_authorizations import _Edge
from bench.ledger import _Frontier

from anxin.ledger.merkle import leaf_hash


def test_the_edge_makes_the_frontiers_nodes_and_root() -> None:
    hashes = [leaf_hash(hashlib.sha256(bytes([i % 256, i // 256])).digest())
              for i in range(300)]
    reference = _Frontier()
    made = [reference.append(h) for h in hashes[:137]]
    edge = _Edge.of(_Frontier())
    assert [edge.append(h) for h in hashes[:137]] == made
    assert edge.root() == reference.root()
    resumed = _Edge.of(reference)  # as grow_to does after BulkLoader.resume
    for h in hashes[137:]:
        assert resumed.append(h) == reference.append(h)
        assert resumed.root() == reference.root()


def test_the_edges_copy_tuples_hold_the_frontiers_nodes() -> None:
    import struct
    hashes = [leaf_hash(bytes([i])) for i in range(100)]
    reference, edge = _Frontier(), _Edge()
    made = [n for h in hashes for n in reference.append(h)]
    leaves, nodes = edge.tuples(hashes, [b"rest"] * len(hashes))
    assert [(*struct.unpack(">hiiiqi", t[:26]), t[26:]) for t in nodes] == [
        (3, 4, level, 8, idx, 32, h) for level, idx, h in made]
    assert [struct.unpack(">hiq", t[:14]) for t in leaves] == [(5, 8, i) for i in range(100)]
    assert edge.root() == reference.root()
