"""Completeness and commitments of the ledger entries in an evidence package.

Two checks beside ``ledger_inclusion`` (:func:`anxin.evidence.package_verify._check_ledger`),
both on entries already proven included in the package's signed checkpoint:

- ``ledger_completeness``: the authorization's entries form an unbroken hash chain
  (``seq`` 0..n-1, each ``prev`` the leaf hash of the one before, see
  :mod:`anxin.ledger.chain`) and the last state entry is the one the record's status
  needs (``active`` → ``authorization:signed``, ``revoked`` → ``authorization:revoked``…).
  So no entry but the last can be left out of a package, whoever seals its manifest.
  Whether the last one is the log's last is for ``anxin verify --ledger``.
- ``ledger_commitments``: every keyed commitment in the entries and in the use receipts
  opens, with the package's ``ledger/commitment-key.json``, to the record's value (the
  reference of the request; each use's reference and operator), every use of the record
  has its entry and every use entry its record; each grant entry's ``receipt_sha256``
  (and, in the dual profile, ``receipt_sm2_sha256``) is the SHA-256 of the use's
  ``receipt`` (``receipt_sm2``).

:func:`add_completeness_checks` also runs the receipts' signature checks
(``use_receipts``, ``use_receipts_sm2``: :mod:`anxin.evidence.receipt_checks`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from anxin import untrusted_json
from anxin.evidence.receipt_checks import add_receipt_checks
from anxin.evidence.report import (
    FAILED,
    FORMAT_FAILURE,
    HASH_FAILURE,
    INDETERMINATE,
    PASSED,
    Report,
)
from anxin.ledger.chain import commit, verify_chain

COMMITMENT_KEY_FILE = "ledger/commitment-key.json"

# The entries that put an authorization in each status; the last of these in the chain
# must be one of the record's (``active`` is entered by signing, and again by resuming).
STATUS_EVENTS: dict[str, tuple[str, ...]] = {
    "active": ("authorization:signed", "authorization:resumed"),
    "paused": ("authorization:paused",),
    "exhausted": ("authorization:exhausted",),
    "expired": ("authorization:expired",),
    "revoked": ("authorization:revoked",),
    "declined": ("authorization:declined",),
    "cancelled": ("authorization:cancelled",),
    "lapsed": ("authorization:lapsed",),
    "pending": ("authorization:requested",),
}
STATE_EVENTS = frozenset(e for events in STATUS_EVENTS.values() for e in events)
_USE_EVENTS = ("authorization:use:granted", "authorization:use:refused")


def add_completeness_checks(report: Report, files: dict[str, bytes], record: dict[str, Any],
                            proven: list[tuple[int, bytes]]) -> None:
    """``proven``: ``(index, data)`` of the entries whose inclusion was verified."""
    _check_chain(report, record, proven)
    _check_commitments(report, files, record, proven)
    add_receipt_checks(report, files, record)


def _check_chain(report: Report, record: dict[str, Any],
                 proven: list[tuple[int, bytes]]) -> None:
    title = "Ledger completeness (the authorization's hash chain, and its final status)"
    found = verify_chain(proven)
    if found.problems:
        report.add("ledger_completeness", title, FAILED,
                   "the authorization's entries do not form an unbroken chain: "
                   + "; ".join(found.problems) + " (an entry was left out or changed)",
                   HASH_FAILURE)
        return
    if not found.chained:
        report.add("ledger_completeness", title, INDETERMINATE,
                   "no entry carries a chain (seq, prev): they predate it, so whether "
                   "one was left out cannot be told from the package", FORMAT_FAILURE)
        return
    unchained = [untrusted_json.loads(d) for _i, d in sorted(proven)][:found.unchained]
    ordered = [str(e.get("event")) for e in unchained + found.chained]
    states = [e for e in ordered if e in STATE_EVENTS]
    status = str(record.get("status"))
    wanted = STATUS_EVENTS.get(status)
    last = states[-1] if states else None
    if wanted is None:
        report.add("ledger_completeness", title, INDETERMINATE,
                   f"the record's status {status!r} has no state entry this verifier knows",
                   FORMAT_FAILURE, status=status)
        return
    if last not in wanted:
        report.add("ledger_completeness", title, FAILED,
                   f"the record's status is {status!r} but the ledger's last state entry is "
                   f"{last or 'none'} (it needs {' or '.join(wanted)})",
                   HASH_FAILURE, status=status, last_state_event=last)
        return
    n = len(found.chained)
    detail = (f"{n} chained entries, seq 0 to {n - 1}, each naming the leaf hash of the one "
              f"before: none is missing before the last; the last state entry, {last}, "
              f"matches the record's status {status!r}. That nothing came after the last "
              f"entry is proven only against the log (anxin verify --ledger)")
    if found.unchained:
        report.add("ledger_completeness", title, INDETERMINATE,
                   f"the first {found.unchained} entries predate the chain, so their "
                   f"completeness is not proven; after them: {detail}", FORMAT_FAILURE)
        return
    report.add("ledger_completeness", title, PASSED, detail, entries=n,
               last_state_event=last)


def _receipt_payload(receipt: str) -> dict[str, Any]:
    part = receipt.split(".")[1]
    payload = untrusted_json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    if not isinstance(payload, dict):
        raise ValueError("a receipt's payload is a JSON object")
    return payload


def _receipt_commitments(problems: list[str], opens: Callable[[str, str, Any, Any], None],
                         use_id: str, field: str, leaf: dict[str, Any],
                         use: dict[str, Any]) -> None:
    """The grant entry commits to the use's ``field`` (``receipt``, ``receipt_sm2``) by
    its SHA-256, and the commitments in that receipt's payload open to the use's values.
    A ``receipt_sm2`` neither the entry nor the record has is no problem (intl, sm)."""
    receipt, committed = use.get(field), leaf.get(f"{field}_sha256")
    if field == "receipt_sm2" and receipt is None and committed is None:
        return
    if not isinstance(receipt, str) or committed != \
            hashlib.sha256(receipt.encode()).hexdigest():
        problems.append(f"use {use_id}: the entry commits to another {field}"
                        if committed is not None else
                        f"use {use_id}: no entry commits to its {field}")
        return
    try:
        payload = _receipt_payload(receipt)
    except (ValueError, IndexError):
        problems.append(f"use {use_id}: the {field} is not a JWS")
        return
    for name in ("reference", "operator"):
        opens(f"use {use_id}'s {field}", name, payload.get(f"{name}_commitment"),
              use.get(name))


def _check_commitments(report: Report, files: dict[str, bytes], record: dict[str, Any],
                       proven: list[tuple[int, bytes]]) -> None:
    title = "Ledger commitments (reference, operator) open to the record's values"
    leaves = [untrusted_json.loads(d) for _i, d in sorted(proven)]
    committed = any(k.endswith("_commitment") for leaf in leaves for k in leaf)
    raw = files.get(COMMITMENT_KEY_FILE)
    if raw is None:
        if committed:
            report.add("ledger_commitments", title, FAILED,
                       f"the entries carry commitments but {COMMITMENT_KEY_FILE} is missing",
                       FORMAT_FAILURE)
        return  # entries made before commitments: nothing to open
    try:
        key = bytes.fromhex(untrusted_json.loads(raw)["key"])
    except (ValueError, KeyError, TypeError):
        report.add("ledger_commitments", title, FAILED,
                   f"{COMMITMENT_KEY_FILE} is malformed", FORMAT_FAILURE)
        return
    problems: list[str] = []
    opened = 0

    def opens(where: str, name: str, commitment: Any, value: Any) -> None:
        nonlocal opened
        if commitment is None:
            return
        if not isinstance(value, str) or not hmac.compare_digest(
                str(commitment), commit(key, name, value)):
            problems.append(f"{where}: the {name} commitment does not open to the "
                            f"record's {name}")
        else:
            opened += 1

    uses = {str(u.get("use_id")): u for u in record.get("uses_log") or []
            if isinstance(u, dict)}
    seen: set[str] = set()
    for leaf in leaves:
        event = leaf.get("event")
        if event == "authorization:requested":
            opens("the request entry", "reference", leaf.get("reference_commitment"),
                  record.get("reference"))
        elif event in _USE_EVENTS:
            use_id = str(leaf.get("use_id"))
            use = uses.get(use_id)
            if use is None:
                problems.append(f"use {use_id} is in the ledger but not in the record")
                continue
            seen.add(use_id)
            for name in ("reference", "operator"):
                opens(f"use {use_id}", name, leaf.get(f"{name}_commitment"), use.get(name))
            if event == "authorization:use:granted":
                for field in ("receipt", "receipt_sm2"):
                    _receipt_commitments(problems, opens, use_id, field, leaf, use)
    problems += [f"use {u} of the record has no ledger entry"
                 for u in sorted(set(uses) - seen)]
    if problems:
        report.add("ledger_commitments", title, FAILED, "; ".join(problems), HASH_FAILURE)
    else:
        report.add("ledger_commitments", title, PASSED,
                   f"{opened} keyed commitments (HMAC-SHA256 with the authorization's key in "
                   f"{COMMITMENT_KEY_FILE}) open to the record's reference, and to each "
                   f"use's reference and operator; each of the {len(uses)} uses of the "
                   f"record has its entry", opened=opened)
