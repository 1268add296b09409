"""The package's ``consent_receipt`` check: the person's consent receipt is the
platform's, and it says what the package's record and ledger say.

``consent-receipt.json`` (:mod:`anxin.evidence.consent_receipt`) passes when

- ``jws`` is a compact JWS of the package's profile (ES256 in intl and dual, SM2SM3 in
  sm) whose signature verifies with the packaged seal certificate
  (``certificates/seal.crt``, or ``sm2/certificates/seal.crt``), and its payload is
  exactly ``receipt``; in dual ``jws_sm2`` (SM2SM3, the SM2 seal) signs the same payload,
  and in intl and sm there is no ``jws_sm2``;
- ``receipt`` names the record's authorization, letter SHA-256, signing time, signature
  timestamp time, subject (masked id number) and terms (each term the receipt states
  that the record states too, core or ``terms``), the id commitment of
  ``identity/id-commitment.json``, and a signed leaf that ``ledger/entries.json`` holds
  at the index it names, with that leaf hash.

A package made before receipts existed has no ``consent-receipt.json`` and its manifest
lists none: no check is added (the manifest check fails a package whose listed receipt
was removed, and this check fails one that lists it but lacks it).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from anxin import untrusted_json
from anxin.evidence.consent_receipt import CORE_TERMS, FILE_NAME
from anxin.evidence.receipt_checks import (
    PRIMARY_ALG,
    SM2SM3,
    ReceiptProblem,
    package_profile,
    verify_with_packaged_seal,
)
from anxin.evidence.report import (
    FAILED,
    FORMAT_FAILURE,
    HASH_FAILURE,
    PASSED,
    SIG_CONSTRAINTS_FAILURE,
    Report,
)
from anxin.ledger.merkle import leaf_hash

CHECK = "consent_receipt"
TITLE = "Consent receipt (signed by the platform seal, matching the record)"


def _listed(files: dict[str, bytes]) -> bool:
    try:
        listed = untrusted_json.load_object(files["manifest.json"]).get("files") or {}
    except (KeyError, ValueError):
        return False
    return isinstance(listed, dict) and FILE_NAME in listed


def add_consent_receipt_check(report: Report, files: dict[str, bytes],
                              record: dict[str, Any]) -> None:
    """Add ``consent_receipt`` (see the module); nothing for a package without one."""
    raw = files.get(FILE_NAME)
    if raw is None:
        if _listed(files):
            report.add(CHECK, TITLE, FAILED, f"{FILE_NAME} is listed but missing",
                       FORMAT_FAILURE)
        return
    try:
        receipt, algs = _verified_receipt(files, raw)
        wrong = _mismatches(receipt, files, record)
    except ReceiptProblem as p:
        report.add(CHECK, TITLE, FAILED, f"{FILE_NAME}: {p.detail}", p.sub)
        return
    except (AttributeError, TypeError, KeyError) as exc:  # a field of an unexpected type
        report.add(CHECK, TITLE, FAILED, f"{FILE_NAME} is malformed: {exc}", FORMAT_FAILURE)
        return
    if wrong:
        report.add(CHECK, TITLE, FAILED,
                   f"{FILE_NAME} differs from the package: {'; '.join(wrong)}",
                   SIG_CONSTRAINTS_FAILURE, mismatches=wrong)
        return
    report.add(CHECK, TITLE, PASSED,
               f"receipt {receipt.get('consentReceiptID')} signed {' and '.join(algs)} by the "
               "packaged seal certificate(s), its payload the receipt itself; it names this "
               "authorization, its letter SHA-256, signing time, terms, id commitment and "
               f"signing leaf {(receipt.get('ledger') or {}).get('signedLeafIndex')}",
               receipt_id=receipt.get("consentReceiptID"), algorithms=algs)


def _verified_receipt(files: dict[str, bytes], raw: bytes
                      ) -> tuple[dict[str, Any], list[str]]:
    try:
        doc = untrusted_json.load_object(raw)
    except ValueError:
        raise ReceiptProblem("not a JSON object", FORMAT_FAILURE) from None
    receipt = doc.get("receipt")
    if not isinstance(receipt, dict):
        raise ReceiptProblem("has no receipt object", FORMAT_FAILURE)
    profile = package_profile(files)
    want = PRIMARY_ALG.get(profile) if profile else None
    payload = verify_with_packaged_seal(files, doc.get("jws"), "jws", want)
    if payload != receipt:
        raise ReceiptProblem("the receipt is not what its jws signs", HASH_FAILURE)
    algs = [want or "JWS"]
    if profile == "dual" or "jws_sm2" in doc:
        if profile in ("intl", "sm"):
            raise ReceiptProblem(f"jws_sm2 is present, but the {profile} profile writes none",
                                 FORMAT_FAILURE)
        if verify_with_packaged_seal(files, doc.get("jws_sm2"), "jws_sm2", SM2SM3) != receipt:
            raise ReceiptProblem("the receipt is not what its jws_sm2 signs", HASH_FAILURE)
        algs.append(SM2SM3)
    return receipt, algs


def _same_time(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return dt.datetime.fromisoformat(str(a)) == dt.datetime.fromisoformat(str(b))
    except ValueError:
        return False


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values, or as instants where both are ISO times."""
    return a == b or (isinstance(a, str) and isinstance(b, str) and _same_time(a, b))


def _mismatches(receipt: dict[str, Any], files: dict[str, bytes],
                record: dict[str, Any]) -> list[str]:
    wrong: list[str] = []
    auth = receipt.get("authorization") or {}
    if auth.get("id") != record.get("id"):
        wrong.append("another authorization id")
    if (receipt.get("letter") or {}).get("sha256") != record.get("letter_sha256"):
        wrong.append("another letter SHA-256")
    if not _same_time(receipt.get("consentTime"), record.get("signed_at")):
        wrong.append("another signing time")
    trusted = receipt.get("trustedTime")
    if record.get("timestamp") is not None and not (
            isinstance(trusted, dict) and _same_time(trusted.get("time"), record["timestamp"])):
        wrong.append("another signature timestamp time")
    subject = receipt.get("dataSubject") or {}
    if subject.get("idNumberMasked") != (record.get("subject") or {}).get("id_number"):
        wrong.append("another masked id number")
    wrong += _terms_mismatches(receipt.get("terms"), record)
    wrong += _commitment_mismatches(receipt, files)
    wrong += _leaf_mismatches(receipt.get("ledger") or {}, files)
    return wrong


def _terms_mismatches(terms: Any, record: dict[str, Any]) -> list[str]:
    if not isinstance(terms, dict):
        return ["no terms"]
    given = record.get("terms")
    more: dict[str, Any] = given if isinstance(given, dict) else {}
    wrong = []
    for key, value in sorted(terms.items()):
        if key in CORE_TERMS:
            known, stated = True, record.get(key)
        elif key in more:
            known, stated = True, more[key]
        else:
            known, stated = key in record, record.get(key)
        if known and not _same(value, stated):
            wrong.append(f"term {key}")
    return wrong


def _commitment_mismatches(receipt: dict[str, Any], files: dict[str, bytes]) -> list[str]:
    try:
        commitment = untrusted_json.load_object(
            files["identity/id-commitment.json"]).get("commitment")
    except (KeyError, ValueError):
        return []  # its absence fails event_certificate
    stated = ((receipt.get("dataSubject") or {}).get("idNumberCommitment") or {}).get("value")
    if stated != commitment or receipt.get("piiPrincipalId") != f"sha256:{commitment}":
        return ["another id commitment"]
    return []


def _leaf_mismatches(ledger: dict[str, Any], files: dict[str, bytes]) -> list[str]:
    """The signing leaf the receipt names: in ledger/entries.json, at that index, with
    that hash, and a signing."""
    try:
        entries = untrusted_json.loads(files["ledger/entries.json"])["entries"]
    except (KeyError, ValueError, TypeError):
        return []  # its absence fails ledger_inclusion
    index = ledger.get("signedLeafIndex")
    for e in entries if isinstance(entries, list) else []:
        if not isinstance(e, dict) or e.get("index") != index:
            continue
        try:
            data = base64.b64decode(str(e.get("data")), validate=True)
            event = json.loads(data).get("event")
        except ValueError:
            return [f"ledger entry {index} is unreadable"]
        if leaf_hash(data).hex() != ledger.get("signedLeafHash"):
            return [f"another leaf hash than ledger entry {index}'s"]
        if event != "authorization:signed":
            return [f"ledger entry {index} is not the signing"]
        return []
    return [f"no ledger entry {index}"]


__all__ = ["CHECK", "add_consent_receipt_check"]
