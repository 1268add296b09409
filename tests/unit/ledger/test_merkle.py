"""RFC 6962 known answers (certificate-transparency's merkle_tree_test vectors) and
property tests of every proof."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anxin.ledger.merkle import (
    EMPTY_ROOT,
    MemoryNodes,
    ProofFailure,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_of,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = [bytes.fromhex(h) for h in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")]
INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
HASHES = [leaf_hash(x) for x in LEAVES]
STORE = MemoryNodes.from_leaf_hashes(HASHES)


def test_empty_tree_root():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert tree_root(STORE, 0) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_rfc6962_vectors(size):
    assert root_of(HASHES[:size]) == ROOTS[size - 1]
    assert tree_root(STORE, size) == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_vectors(index, size, path):
    proof = inclusion_proof(STORE, index, size)
    assert [p.hex() for p in proof] == path
    verify_inclusion(HASHES[index], index, size, proof, ROOTS[size - 1])


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_vectors(first, second, path):
    proof = consistency_proof(STORE, first, second)
    assert [p.hex() for p in proof] == path
    verify_consistency(first, second, ROOTS[first - 1], ROOTS[second - 1], proof)


def _store(n):
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    return hashes, MemoryNodes.from_leaf_hashes(hashes)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_every_inclusion_proof_verifies_and_any_change_fails(case):
    size, index = case
    hashes, store = _store(size)
    root = root_of(hashes)
    assert tree_root(store, size) == root
    proof = inclusion_proof(store, index, size)
    verify_inclusion(hashes[index], index, size, proof, root)
    with pytest.raises(ProofFailure):
        verify_inclusion(leaf_hash(b"other"), index, size, proof, root)
    if size > 1:
        with pytest.raises(ProofFailure):
            verify_inclusion(hashes[index], (index + 1) % size, size, proof, root)
        with pytest.raises(ProofFailure):  # a size whose tree has another shape
            verify_inclusion(hashes[index], index, size * 2 + 1, proof, root)
        bad = list(proof)
        bad[0] = bytes(32)
        with pytest.raises(ProofFailure):
            verify_inclusion(hashes[index], index, size, bad, root)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_every_consistency_proof_verifies_and_any_change_fails(case):
    first, second = case
    hashes, store = _store(second)
    r1, r2 = root_of(hashes[:first]), root_of(hashes)
    proof = consistency_proof(store, first, second)
    verify_consistency(first, second, r1, r2, proof)
    with pytest.raises(ProofFailure):
        verify_consistency(first, second, r1, leaf_hash(b"x"), proof)
    if first < second:
        with pytest.raises(ProofFailure):
            verify_consistency(first, second, leaf_hash(b"x"), r2, proof)
        if proof:
            bad = list(proof)
            bad[-1] = bytes(32)
            with pytest.raises(ProofFailure):
                verify_consistency(first, second, r1, r2, bad)
            with pytest.raises(ProofFailure):  # a second size whose tree has another shape
                verify_consistency(first, second * 2 + 1, r1, r2, proof)


def test_out_of_range():
    with pytest.raises(ProofFailure):
        inclusion_proof(STORE, 8, 8)
    with pytest.raises(ProofFailure):
        consistency_proof(STORE, 0, 3)
    with pytest.raises(ProofFailure):
        consistency_proof(STORE, 5, 3)
