"""Each authorization's leaves form a hash chain inside the RFC 9162 log, and its
low-entropy values are committed to with a key, not hashed.

**Chain.** Every leaf of an authorization carries ``seq`` (0, 1, 2, … per authorization)
and ``prev``: the RFC 9162 leaf hash, ``SHA-256(0x00 || data)``, of its previous leaf
(64 zeros for ``seq`` 0), in hex. A verifier holding the leaves of one authorization sees
any leaf missing before the last one: a gap in ``seq``, a ``prev`` that matches nothing.
The authorization row holds the chain head (``ledger_seq``: the next ``seq``;
``ledger_head``: the last leaf hash) and every leaf is made under that row's lock, in the
transaction (or the one statement) that enqueues it, so concurrent use cases never fork
the chain.

**Commitments.** The institution's reference, the operator's name and the like are short
enough to brute-force from a plain SHA-256. Leaves and receipts carry
``HMAC-SHA256(K, name || 0x00 || value)`` instead, with ``K`` the authorization's
commitment key (:meth:`anxin.keys.DataKeys.commitment_key`); the evidence package
discloses ``K`` so that its holder can open them.

>>> import datetime as dt
>>> t = leaf_template("authorization:use:refused", at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
...                   authorization_id="a1", code="x")
>>> t.render(ZERO_HASH, 0) == chained_leaf("authorization:use:refused",
...     at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), authorization_id="a1", prev=ZERO_HASH,
...     seq=0, code="x")
True
>>> len(commit(b"k" * 32, "reference", "123456"))
64
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from anxin import untrusted_json
from anxin.ledger.leaf import make_leaf
from anxin.ledger.merkle import leaf_hash

ZERO_HASH = b"\x00" * 32
COMMITMENT_ALGORITHM = "HMAC-SHA256(key, name || 0x00 || value), hex"

_PREV_MARK = "@@prev-of-this-leaf@@"
_SEQ_MARK = 7_305_019_937_311_999


def commit(key: bytes, name: str, value: str) -> str:
    """The keyed commitment to one value (a reference, an operator's name)."""
    return hmac.new(key, f"{name}\x00{value}".encode(), hashlib.sha256).hexdigest()


def chained_leaf(event: str, *, at: dt.datetime, prev: bytes, seq: int,
                 authorization_id: str | None = None, institution_id: str | None = None,
                 **fields: Any) -> bytes:
    """The exact bytes of one leaf of an authorization's chain."""
    return make_leaf(event, at=at, authorization_id=authorization_id,
                     institution_id=institution_id, prev=prev.hex(), seq=seq, **fields)


@dataclass(frozen=True, slots=True)
class LeafTemplate:
    """A chained leaf whose ``prev`` and ``seq`` are filled in later, possibly by SQL
    (the gate's one statement on PostgreSQL learns them under the row lock):
    ``data = before_prev || hex(prev) || before_seq || decimal(seq) || after_seq``."""

    before_prev: bytes
    before_seq: bytes
    after_seq: bytes

    def render(self, prev: bytes, seq: int) -> bytes:
        return (self.before_prev + prev.hex().encode() + self.before_seq
                + str(seq).encode() + self.after_seq)

    @staticmethod
    def sql(name: str, prev_sql: str, seq_sql: str) -> str:
        """A PostgreSQL bytea expression of a leaf whose template is bound as
        ``:<name>_a``, ``:<name>_b``, ``:<name>_c`` (:meth:`params`)."""
        return (f"(CAST(:{name}_a AS bytea) || convert_to(encode({prev_sql}, 'hex'), 'UTF8')"
                f" || CAST(:{name}_b AS bytea) || convert_to(CAST({seq_sql} AS text), 'UTF8')"
                f" || CAST(:{name}_c AS bytea))")

    def params(self, name: str) -> dict[str, bytes]:
        return {f"{name}_a": self.before_prev, f"{name}_b": self.before_seq,
                f"{name}_c": self.after_seq}


def leaf_template(event: str, *, at: dt.datetime, authorization_id: str | None = None,
                  institution_id: str | None = None, **fields: Any) -> LeafTemplate:
    data = make_leaf(event, at=at, authorization_id=authorization_id,
                     institution_id=institution_id, prev=_PREV_MARK, seq=_SEQ_MARK, **fields)
    prev_mark = f'"prev":"{_PREV_MARK}"'.encode()
    seq_mark = f'"seq":{_SEQ_MARK}'.encode()
    if data.count(prev_mark) != 1 or data.count(seq_mark) != 1:
        raise ValueError("a leaf field collides with the template's markers")
    head, rest = data.split(prev_mark)
    middle, tail = rest.split(seq_mark)  # "prev" sorts before "seq"
    return LeafTemplate(head + b'"prev":"', b'"' + middle + b'"seq":', tail)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """What :func:`verify_chain` found in one authorization's leaves."""

    problems: list[str]
    chained: list[dict[str, Any]]  # the chained leaves in seq order (parsed)
    unchained: int  # leaves made before the chain existed (LEAF_VERSION 1)


def verify_chain(entries: list[tuple[int, bytes]]) -> ChainCheck:
    """Check that the chained leaves of one authorization (``(index, data)`` pairs) have
    ``seq`` 0..n-1 without gap or repeat and that each ``prev`` is the leaf hash of the
    leaf before it. It cannot see a missing *last* leaf: that takes the log itself
    (:mod:`anxin.evidence.ledger_check`)."""
    problems: list[str] = []
    chained: list[tuple[int, int, bytes, dict[str, Any]]] = []
    unchained = 0
    first_chained_index: int | None = None
    for index, data in sorted(entries):
        try:
            leaf = untrusted_json.loads(data)
        except ValueError:
            problems.append(f"entry {index} is not JSON")
            continue
        seq = leaf.get("seq") if isinstance(leaf, dict) else None
        if seq is None:
            if first_chained_index is not None:
                problems.append(f"entry {index} carries no seq, after chained entries")
            unchained += 1
            continue
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            problems.append(f"entry {index} has a malformed seq")
            continue
        if first_chained_index is None:
            first_chained_index = index
        chained.append((seq, index, data, leaf))
    chained.sort(key=lambda c: (c[0], c[1]))
    previous: bytes | None = None
    for expected, (seq, index, data, leaf) in enumerate(chained):
        if seq != expected:
            what = "repeated" if seq < expected else f"missing (entry {index} has seq {seq})"
            problems.append(f"seq {expected} is {what}")
            break
        want = ZERO_HASH.hex() if previous is None else leaf_hash(previous).hex()
        if leaf.get("prev") != want:
            problems.append(f"entry {index} (seq {seq}): prev is not the leaf hash of "
                            f"seq {seq - 1}" if seq else f"entry {index} (seq 0): prev "
                            f"is not zero")
            break
        previous = data
    return ChainCheck(problems, [c[3] for c in chained], unchained)
