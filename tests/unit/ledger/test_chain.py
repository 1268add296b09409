"""The per-authorization hash chain and keyed commitments (anxin.ledger.chain), and the
right-edge reconstruction `anxin verify --ledger` proves a log's later entries with."""

import datetime as dt
import hashlib

import pytest

from anxin.evidence.ledger_check import _prefix_edge
from anxin.ledger.chain import (
    ZERO_HASH,
    chained_leaf,
    commit,
    leaf_template,
    verify_chain,
)
from anxin.ledger.merkle import (
    MemoryNodes,
    append_nodes,
    inclusion_proof,
    leaf_hash,
    root_from_edge,
    root_of,
)

AT = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)


def chain(n, auth="a1"):
    out, prev = [], ZERO_HASH
    for seq in range(n):
        data = chained_leaf("authorization:otp:sent", at=AT, prev=prev, seq=seq,
                            authorization_id=auth, send_number=seq)
        out.append((10 * seq + 3, data))
        prev = leaf_hash(data)
    return out


def test_template_renders_the_same_bytes_as_the_leaf_made_at_once():
    t = leaf_template("authorization:use:granted", at=AT, authorization_id="a1",
                      institution_id="i1", use_id="u1", data_item="credit_report",
                      reference_commitment="ab" * 32, receipt_sha256="cd" * 32)
    prev = hashlib.sha256(b"x").digest()
    assert t.render(prev, 7) == chained_leaf(
        "authorization:use:granted", at=AT, prev=prev, seq=7, authorization_id="a1",
        institution_id="i1", use_id="u1", data_item="credit_report",
        reference_commitment="ab" * 32, receipt_sha256="cd" * 32)


def test_an_unbroken_chain_passes_in_any_order():
    entries = chain(6)
    found = verify_chain(list(reversed(entries)))
    assert found.problems == []
    assert [e["seq"] for e in found.chained] == list(range(6))


@pytest.mark.parametrize("drop", [0, 1, 3, 4])
def test_dropping_any_entry_but_the_last_is_seen(drop):
    entries = chain(6)
    del entries[drop]
    assert verify_chain(entries).problems


def test_dropping_the_last_entry_is_not_seen_by_the_chain_alone():
    # Why `anxin verify --ledger` exists.
    assert verify_chain(chain(6)[:-1]).problems == []


def test_a_replaced_entry_with_the_same_seq_breaks_prev():
    entries = chain(4)
    forged = chained_leaf("authorization:otp:sent", at=AT, prev=leaf_hash(entries[1][1]),
                          seq=2, authorization_id="a1", send_number=99)
    entries[2] = (entries[2][0], forged)  # chains to seq 1; seq 3 names the original
    problems = verify_chain(entries).problems
    assert problems
    assert "seq 3" in problems[0]


def test_a_repeated_seq_is_seen():
    entries = chain(3)
    entries.append((99, entries[1][1]))
    assert verify_chain(entries).problems


def test_unchained_leaves_before_the_chain_are_counted_not_judged():
    from anxin.ledger.leaf import make_leaf
    old = make_leaf("authorization:requested", at=AT, authorization_id="a1")
    found = verify_chain([(0, old), *chain(2)])
    assert (found.problems, found.unchained, len(found.chained)) == ([], 1, 2)


def test_commitments_are_keyed_and_per_name():
    key = b"k" * 32
    c = commit(key, "reference", "123456")
    assert c != hashlib.sha256(b"123456").hexdigest()
    assert c != commit(b"j" * 32, "reference", "123456")
    assert c != commit(key, "operator", "123456")
    assert c == commit(key, "reference", "123456")


@pytest.mark.parametrize("size", [*range(1, 40), 64, 65, 100, 127, 128, 129])
def test_the_right_edge_from_the_last_leafs_inclusion_proof(size):
    datas = [f"leaf {i}".encode() for i in range(size + 9)]
    hashes = [leaf_hash(d) for d in datas]
    nodes = MemoryNodes.from_leaf_hashes(hashes[:size])
    proof = inclusion_proof(nodes, size - 1, size)
    edge = _prefix_edge(size - 1, datas[size - 1], proof)
    assert root_from_edge(edge, size) == root_of(hashes[:size])
    for i in range(size, size + 9):  # then the later leaves append to it
        for lv, ix, h in append_nodes(i, hashes[i], lambda lv, ix: edge[(lv, ix)]):
            edge[(lv, ix)] = h
        assert root_from_edge(edge, i + 1) == root_of(hashes[:i + 1])
