"""SM3 leaf digests: agree with a second SM3, make the documented file, and catch every
change of a leaf or of the file."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from anxin.error_codes import Code
from anxin.ledger.leaf import make_leaf
from anxin.ledger.leaves_sm3 import (
    LeafDigestMismatch,
    build_leaves_sm3,
    check_leaf_sm3,
    leaf_sm3,
    leaves_of_entries,
    parse_leaves_sm3,
)
from tests.common.gmssl_check import gm_sm3

AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
LEAVES = {i: make_leaf("authorization:use:granted", at=AT, authorization_id="a-1",
                       use_id=f"u-{i}") for i in (3, 7, 12)}


def _codes(leaves: dict[int, bytes], file: bytes | dict[str, object]) -> str:
    with pytest.raises(LeafDigestMismatch) as caught:
        check_leaf_sm3(leaves, file)
    assert caught.value.code is Code.LEDGER_LEAF_SM3_MISMATCH
    return caught.value.detail


def test_the_digest_is_sm3_of_0x00_and_the_leaf_by_a_second_implementation() -> None:
    for leaf in (b"", b"leaf", *LEAVES.values()):
        assert leaf_sm3(leaf) == gm_sm3(b"\x00" + leaf)
        assert leaf_sm3(leaf) != gm_sm3(leaf)
    # GB/T 32905's "abc" answer, through the prefix-free route of the same hash
    assert gm_sm3(b"abc").hex().startswith("66c7f0f4")


def test_the_file_lists_every_leaf_sorted_and_checks() -> None:
    file = build_leaves_sm3(reversed(list(LEAVES.items())))
    doc = json.loads(file)
    assert doc["algorithm"] == "sm3"
    assert doc["oid"] == "1.2.156.10197.1.401"
    assert doc["input"] == "0x00 || leaf"
    assert doc["leaves"] == [{"index": i, "sm3": leaf_sm3(LEAVES[i]).hex()}
                             for i in sorted(LEAVES)]
    check_leaf_sm3(LEAVES, file)
    check_leaf_sm3(LEAVES, doc)
    assert parse_leaves_sm3(file) == {i: leaf_sm3(b) for i, b in LEAVES.items()}


def test_leaves_of_entries_reads_the_package_entries() -> None:
    entries = [{"index": i, "data": base64.b64encode(b).decode(), "proof": []}
               for i, b in LEAVES.items()]
    assert leaves_of_entries(entries) == LEAVES
    for bad in ([{"index": "1", "data": ""}], [{"index": 1, "data": "!!"}], [{"index": 1}]):
        with pytest.raises(LeafDigestMismatch, match="entry is malformed"):
            leaves_of_entries(bad)


def test_one_byte_of_a_leaf_changed_is_named() -> None:
    file = build_leaves_sm3(LEAVES.items())
    for index, leaf in LEAVES.items():
        for at in (0, len(leaf) // 2, len(leaf) - 1):
            tampered = bytearray(leaf)
            tampered[at] ^= 0x01
            detail = _codes(LEAVES | {index: bytes(tampered)}, file)
            assert f"leaf {index}:" in detail


def test_one_digit_of_a_digest_changed_is_named() -> None:
    doc = json.loads(build_leaves_sm3(LEAVES.items()))
    row = doc["leaves"][1]
    row["sm3"] = ("0" if row["sm3"][0] != "0" else "1") + row["sm3"][1:]
    assert f"leaf {row['index']}:" in _codes(LEAVES, doc)


def test_a_missing_or_extra_row_is_named() -> None:
    doc = json.loads(build_leaves_sm3(LEAVES.items()))
    assert "no SM3 digest of leaf 3" in _codes(LEAVES, {**doc, "leaves": doc["leaves"][1:]})
    assert "lists leaf 12" in _codes({3: LEAVES[3], 7: LEAVES[7]}, doc)


@pytest.mark.parametrize("bad", [
    b"", b"[]", b"{", b'{"algorithm": "sha256", "input": "0x00 || leaf", "leaves": []}',
    b'{"algorithm": "sm3", "input": "leaf", "leaves": []}',
    b'{"algorithm": "sm3", "input": "0x00 || leaf"}',
    b'{"algorithm": "sm3", "input": "0x00 || leaf", "leaves": [{"index": 1, "sm3": "00"}]}',
    b'{"algorithm": "sm3", "input": "0x00 || leaf", "leaves": [{"index": true, "sm3": "'
    + b"00" * 32 + b'"}]}',
    b'{"algorithm": "sm3", "input": "0x00 || leaf", "leaves": [{"index": 1, "sm3": "'
    + b"00" * 32 + b'"}, {"index": 1, "sm3": "' + b"00" * 32 + b'"}]}',
    b"[" * 100000,
])
def test_malformed_files_are_refused(bad: bytes) -> None:
    assert "is malformed" in _codes({}, bad)
