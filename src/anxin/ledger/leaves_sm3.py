"""SM3 digests of ledger leaves (issue 14: "every leaf's SM3 digest is in the package").

The log stays the RFC 9162 SHA-256 tree (its proofs and checkpoints are unchanged); in the
``sm`` and ``dual`` profiles the evidence package carries, beside ``ledger/entries.json``,
the SM3 digest of every leaf it holds, in ``sm2/ledger/leaves-sm3.json``, covered by the
manifest and its seal.

The digest is ``SM3(0x00 ‖ leaf bytes)``: RFC 9162's leaf hash with SM3 in place of
SHA-256 (its 0x00 prefix separates leaves from interior nodes, ``0x01 ‖ left ‖ right``),
so it is the leaf level of an SM3 tree should one be wanted later, and no leaf digest can
be passed off as a node digest. The file::

    {"algorithm": "sm3", "oid": "1.2.156.10197.1.401", "input": "0x00 || leaf",
     "leaves": [{"index": 7, "sm3": "<64 hex digits>"}, ...]}

``leaves`` is sorted by index, one per leaf of ``entries.json``: a verifier requires the
same set of indices in both files, so a leaf cannot be dropped from one only. A verifier
with ordinary tools: ``(printf '\\0'; cat leaf.bin) | openssl dgst -sm3``.

SM3 is ``cryptography``'s (OpenSSL's); nothing here does SM3 arithmetic.

>>> leaf_sm3(b"").hex()[:16]
'2daef60e7a0b8f5e'
>>> check_leaf_sm3({0: b"leaf"}, build_leaves_sm3([(0, b"leaf")]))
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from cryptography.hazmat.primitives import hashes

from anxin import untrusted_json
from anxin.error_codes import Code
from anxin.errors import IntegrityFailure

FILE: Final = "sm2/ledger/leaves-sm3.json"
OID_SM3: Final = "1.2.156.10197.1.401"
LEAF_PREFIX: Final = b"\x00"


class LeafDigestMismatch(IntegrityFailure):
    """A leaf's SM3 digest in the package is missing, malformed or not the leaf's."""

    code = Code.LEDGER_LEAF_SM3_MISMATCH


def leaf_sm3(leaf: bytes) -> bytes:
    """SM3(0x00 ‖ leaf): the RFC 9162 leaf hash with SM3 (32 bytes)."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(LEAF_PREFIX + leaf)
    return digest.finalize()


def leaves_of_entries(entries: Iterable[Mapping[str, Any]]) -> dict[int, bytes]:
    """Index → leaf bytes of ``entries.json``'s ``entries`` (``data`` is base64); raises
    :class:`LeafDigestMismatch` for an entry that is not one."""
    leaves: dict[int, bytes] = {}
    try:
        for entry in entries:
            index = entry["index"]
            if type(index) is not int or index < 0:
                raise ValueError(f"a bad index {index!r}")
            leaves[index] = base64.b64decode(entry["data"], validate=True)
    except (ValueError, TypeError, KeyError) as exc:
        raise LeafDigestMismatch(f"a ledger entry is malformed: {exc}") from None
    return leaves


def build_leaves_sm3(leaves: Iterable[tuple[int, bytes]]) -> bytes:
    """``sm2/ledger/leaves-sm3.json`` for the package's leaves, ``(index, exact leaf bytes)``
    (the ``index`` and base64-decoded ``data`` of each ``entries.json`` entry)."""
    rows = sorted({index: leaf_sm3(data).hex() for index, data in leaves}.items())
    document = {"algorithm": "sm3", "oid": OID_SM3, "input": "0x00 || leaf",
                "leaves": [{"index": index, "sm3": digest} for index, digest in rows]}
    return json.dumps(document, indent=1).encode() + b"\n"


def parse_leaves_sm3(data: bytes | Mapping[str, Any]) -> dict[int, bytes]:
    """Index → SM3 digest of a ``leaves-sm3.json``; raises :class:`LeafDigestMismatch`
    for a file that is not one."""
    try:
        document = untrusted_json.loads(data) if isinstance(data, bytes) else data
        if not isinstance(document, Mapping) or document.get("algorithm") != "sm3" or \
                document.get("input") != "0x00 || leaf":
            raise ValueError("not an SM3 leaf-digest file")
        digests: dict[int, bytes] = {}
        for row in document["leaves"]:
            index, digest = row["index"], bytes.fromhex(row["sm3"])
            if type(index) is not int or index < 0 or len(digest) != 32 or index in digests:
                raise ValueError(f"a malformed or repeated row: {row!r}")
            digests[index] = digest
    except (ValueError, TypeError, KeyError) as exc:
        raise LeafDigestMismatch(f"{FILE} is malformed: {exc}") from None
    return digests


def check_leaf_sm3(leaves: Mapping[int, bytes], digests: bytes | Mapping[str, Any]) -> None:
    """Every leaf (index → exact bytes) has its SM3 digest in ``digests`` (the file's
    bytes or parsed JSON) and no digest names another index; or raise
    :class:`LeafDigestMismatch` naming the first index that fails."""
    listed = parse_leaves_sm3(digests)
    missing = sorted(set(leaves) - set(listed))
    if missing:
        raise LeafDigestMismatch(f"{FILE} has no SM3 digest of leaf {missing[0]}")
    extra = sorted(set(listed) - set(leaves))
    if extra:
        raise LeafDigestMismatch(f"{FILE} lists leaf {extra[0]}, which the package lacks")
    for index in sorted(leaves):
        if leaf_sm3(leaves[index]) != listed[index]:
            raise LeafDigestMismatch(f"leaf {index}: its SM3 digest is not the one in {FILE}")
