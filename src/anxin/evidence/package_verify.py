"""Offline verification of an evidence package: every check of CONTRACT §7, each named.

Trust flows from one root: the manifest's seal signature (chained to the root) vouches
for every file, including the ledger's verifier key; the letter's signature, the
timestamps and the event certificate chain to the same root.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from pyhanko_certvalidator import ValidationContext

from anxin import untrusted_json
from anxin.asyncutil import run_sync
from anxin.errors import AnxinError
from anxin.evidence.anchors import TrustAnchor
from anxin.evidence.consent import consent_status, package_leaves
from anxin.evidence.consent_receipt_check import add_consent_receipt_check
from anxin.evidence.described import add_trust_anchor_check, describe, package_certificates
from anxin.evidence.labels import readable_name
from anxin.evidence.ledger_completeness import add_completeness_checks
from anxin.evidence.letter_checks import add_letter_passkey_check, async_add_letter_checks
from anxin.evidence.report import (
    FAILED,
    FORMAT_FAILURE,
    HASH_FAILURE,
    INDETERMINATE,
    NO_CERTIFICATE_CHAIN_FOUND,
    OUT_OF_BOUNDS_NO_POE,
    PASSED,
    SIG_CONSTRAINTS_FAILURE,
    SIG_CRYPTO_FAILURE,
    Report,
)
from anxin.evidence.seal_cms import TrustMaterial, async_verify_detached, async_verify_token
from anxin.evidence.sm_checks import ALGORITHMS, add_sm_checks, not_applicable
from anxin.evidence.sm_trust import sm2_package_certificates, split_roots
from anxin.evidence.ziputil import UnreadableInput, read_zip
from anxin.ledger.checkpoint import verify_checkpoint
from anxin.ledger.merkle import leaf_hash, verify_inclusion
from anxin.letters.letter_data import OpenedLetter, open_signed_letter
from anxin.letters.prepared_names import names_prepared_once
from anxin.letters.verification_memory import VerificationMemory
from anxin.pki.events import read_event_binding
from anxin.pki.signature_profile import Profile

MANIFEST, SIGNATURE, SM2_SIGNATURE = "manifest.json", "manifest.p7s", "manifest.sm2.p7s"


def verify_package(data: bytes, name: str, roots: Sequence[x509.Certificate],
                   anchor: str | TrustAnchor, *, report_files: Sequence[str] = ()) -> Report:
    return verify_files(read_zip(data), name, roots, anchor, report_files=report_files)




def verify_files(files: dict[str, bytes], name: str, roots: Sequence[x509.Certificate],
                 anchor: str | TrustAnchor, *, report_files: Sequence[str] = ()) -> Report:
    """Every check on the package's files, in one event loop, the letter parsed once.
    ``report_files`` are the report's own files, added to the manifest after this
    report is made (at issuance), so that the count it states is the package's final one."""
    trust = anchor if isinstance(anchor, TrustAnchor) else TrustAnchor.of(roots, anchor)
    with names_prepared_once():  # pyHanko's many new name objects, each value prepared once
        return run_sync(_verify_files(files, name, roots, trust, tuple(report_files)))


async def _verify_files(files: dict[str, bytes], name: str,
                        roots: Sequence[x509.Certificate], anchor: TrustAnchor,
                        report_files: tuple[str, ...]) -> Report:
    report = Report(subject=name, trust_anchor=anchor, kind="evidence package")
    if MANIFEST not in files and "letter.pdf" not in files:
        raise UnreadableInput("this ZIP is not an Anxin evidence package (no manifest.json)")
    profile = _profile(report, files)
    intl_roots, sm2_roots = split_roots(roots)
    opened, unreadable = None, None
    if "letter.pdf" in files:
        try:
            opened = open_signed_letter(files["letter.pdf"])
        except AnxinError as exc:
            unreadable = exc.detail
    if profile is Profile.SM:
        # No PAdES signature to describe (its inventory reader knows no SM2): the claimed
        # root is the package's SM2 one.
        report.trust_anchor = anchor.with_claimed(sm2_package_certificates(files))
    elif opened is not None:
        describe(report, opened, files["letter.pdf"], files)
    else:
        report.trust_anchor = anchor.with_claimed(package_certificates(files))
    add_trust_anchor_check(report)
    record = _record(files)
    auth_id = str(record.get("id")) if record else None
    report.authorization_id = auth_id
    memory = VerificationMemory()  # each signature verified, each certificate parsed once
    crls = [c for n, b in files.items() if n.startswith("revocation/") and n.endswith(".crl")
            and (c := _readable_crl(b, memory)) is not None]
    trust = TrustMaterial.of(intl_roots, package_certificates(files), crls,
                             memory.certificates)
    context = trust.context(with_crls=True, signatures=memory.signatures)
    token_context = trust.context(with_crls=False, signatures=memory.signatures)
    await _check_manifest(report, files, context, report_files, profile)
    if profile.has_intl:
        await _intl_letter_checks(report, files, record, opened, unreadable, trust, memory)
    elif opened is not None:
        add_letter_passkey_check(report, opened, opened.letter)
    _check_passkey(report, files, record)
    await _check_ledger(report, files, token_context, auth_id, record, profile)
    _check_sms(report, files)
    add_consent_receipt_check(report, files, record)
    add_sm_checks(report, files, profile=profile, roots=sm2_roots, record=record,
                  report_files=report_files)
    if profile is Profile.SM and "sm2_signature_time" in report.facts:
        report.facts.setdefault("signature_time", report.facts["sm2_signature_time"])
    if record:
        report.facts.update({"status": record.get("status"), "purpose": record.get("purpose"),
                             "data_scope": record.get("data_scope"),
                             "valid_until": record.get("valid_until"),
                             "uses": record.get("uses"), "max_uses": record.get("max_uses"),
                             "signed_at": record.get("signed_at")})
        report.consent = consent_status(record, package_leaves(files), _manifest_time(files))
    return report


async def _intl_letter_checks(report: Report, files: dict[str, bytes],
                              record: dict[str, Any], opened: OpenedLetter | None,
                              unreadable: str | None, trust: TrustMaterial,
                              memory: VerificationMemory) -> None:
    """The PAdES letter, the intl event certificate and signature token (intl, dual)."""
    letter = None
    if opened is not None:
        try:
            letter = await async_add_letter_checks(report, opened, trust.roots or (),
                                                   memory)
        except AnxinError as exc:
            report.add("document_integrity", "Document integrity", FAILED,
                       f"the letter cannot be read: {exc.detail}", FORMAT_FAILURE)
            opened = None
        except UnsupportedAlgorithm as exc:  # e.g. an SM2 letter in a package called intl
            report.add("document_integrity", "Document integrity", FAILED,
                       f"the letter's signature is not one of the intl profile: {exc}",
                       FORMAT_FAILURE)
            opened = None
    elif unreadable is not None:
        report.add("document_integrity", "Document integrity", FAILED,
                   f"the letter cannot be read: {unreadable}", FORMAT_FAILURE)
    else:
        report.add("document_integrity", "Document integrity", FAILED,
                   "letter.pdf is missing", FORMAT_FAILURE)
    _check_event_certificate(report, files, record, letter)
    # The signature's token is judged when the letter's first archive timestamp proves it
    # existed (its TSA may have expired since: the letter's renewals carry it forward).
    poe = getattr(letter, "archive_timestamps", ())
    await _check_signature_token(report, files, opened, trust.context(
        with_crls=True, signatures=memory.signatures, moment=poe[0] if poe else None))


def _profile(report: Report, files: dict[str, bytes]) -> Profile:
    """The package's profile from its manifest (a package made before profiles is intl);
    an unknown profile fails the package (its checks would be guessed)."""
    try:
        manifest = untrusted_json.load_object(files[MANIFEST])
        word = manifest.get("profile", "intl")
        if manifest.get("test") is True:
            report.test = True
            report.warnings.append(
                "TEST — no legal effect / 测试——不具法律效力: a test-mode authorization's "
                "package, signed by the test CA (/pki/test/root.crt)")
    except (KeyError, ValueError, AttributeError):
        word = "intl"
    try:
        profile = Profile(word)
    except ValueError:
        report.add("package_profile", "Signature profile of the package", FAILED,
                   f"the manifest names an unknown signature profile {str(word)[:40]!r} "
                   "(intl, sm or dual)", FORMAT_FAILURE)
        profile = Profile.INTL
    report.profile = profile.value
    report.algorithms = {k: list(v) for k, v in ALGORITHMS[profile].items()}
    report.not_applicable = not_applicable(profile)
    return profile


def _manifest_time(files: dict[str, bytes]) -> str | None:
    try:
        value = untrusted_json.load_object(files[MANIFEST]).get("created_at")
    except (KeyError, ValueError, AttributeError):
        return None
    return str(value) if value else None


def _readable_crl(der: bytes, memory: VerificationMemory) -> asn1_crl.CertificateList | None:
    """A package's CRL, parsed whole once for the verification; one that does not parse
    is left out (its certificate's revocation is then unproven) instead of failing the
    whole verification."""
    try:
        return memory.revocation.crl(der, whole=True)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return None


def _record(files: dict[str, bytes]) -> dict[str, Any]:
    try:
        rec = untrusted_json.loads(files.get("authorization.json", b"{}"))
    except ValueError:
        return {}
    return rec if isinstance(rec, dict) else {}


async def _check_manifest(report: Report, files: dict[str, bytes],
                          context: ValidationContext, report_files: tuple[str, ...] = (),
                          profile: Profile = Profile.INTL) -> None:
    title = "Package manifest (every file's SHA-256)"
    try:
        manifest = untrusted_json.loads(files[MANIFEST])
        listed: dict[str, str] = dict(manifest["files"])
    except (KeyError, ValueError, TypeError):
        report.add("manifest_files", title, FAILED, "manifest.json is missing or malformed",
                   FORMAT_FAILURE)
        listed = {}
    else:
        missing = sorted(n for n in listed if n not in files)
        changed = sorted(n for n, h in listed.items()
                         if n in files and hashlib.sha256(files[n]).hexdigest() != h)
        extra = sorted(n for n in files if n not in listed
                       and n not in (MANIFEST, SIGNATURE, SM2_SIGNATURE))
        if missing or changed or extra:
            parts = ([f"missing: {', '.join(missing)}"] if missing else []) + (
                [f"changed: {', '.join(changed)}"] if changed else []) + (
                [f"not listed: {', '.join(extra)}"] if extra else [])
            report.add("manifest_files", title, FAILED, "; ".join(parts), HASH_FAILURE,
                       missing=missing, changed=changed, extra=extra)
        else:
            count = len(listed) + sum(1 for n in report_files if n not in listed)
            report.add("manifest_files", title, PASSED,
                       f"all {count} files the manifest lists (every file but manifest.json "
                       "and its signatures, the report files included) match their SHA-256",
                       files=count)
    if not profile.has_intl:
        return  # sm: the manifest's signature is manifest.sm2.p7s (sm2_manifest_signature)
    stitle = "Manifest signature (platform seal, timestamped)"
    if MANIFEST not in files or SIGNATURE not in files:
        report.add("manifest_signature", stitle, FAILED, "manifest.p7s is missing",
                   FORMAT_FAILURE)
        return
    res = await async_verify_detached(files[MANIFEST], files[SIGNATURE], context)
    if not (res.intact and res.valid):
        report.add("manifest_signature", stitle, FAILED,
                   "the seal's signature does not match manifest.json", SIG_CRYPTO_FAILURE)
    elif not res.trusted and res.signer_not_after is not None and \
            res.signer_not_after < dt.datetime.now(dt.UTC):
        report.add("manifest_signature", stitle, INDETERMINATE,
                   f"signed by {res.signer}, whose certificate expired "
                   f"{res.signer_not_after.isoformat()}: this copy of the package is too old "
                   f"to be proven now; fetch the current one (`anxin archive renew FILE.zip "
                   f"--server URL`)", OUT_OF_BOUNDS_NO_POE)
    elif not res.trusted:
        report.add("manifest_signature", stitle, INDETERMINATE,
                   f"signed by {res.signer}, but not chained to the trusted root",
                   NO_CERTIFICATE_CHAIN_FOUND)
    elif not res.timestamped:
        report.add("manifest_signature", stitle, INDETERMINATE,
                   f"signed by {res.signer}; its timestamp could not be validated",
                   SIG_CONSTRAINTS_FAILURE)
    else:
        report.add("manifest_signature", stitle, PASSED,
                   f"signed by {res.signer}, trusted, with a valid signature timestamp")


def _check_event_certificate(report: Report, files: dict[str, bytes], record: dict[str, Any],
                             letter: Any) -> None:
    title = "Event certificate: identity, commitment and letter binding"
    signer = getattr(letter, "signer_certificate", None)
    if signer is None:
        report.add("event_certificate", title, INDETERMINATE,
                   "no signer certificate could be read from the letter", FORMAT_FAILURE)
        return
    problems = []
    try:
        packaged = x509.load_pem_x509_certificate(files["certificates/event.crt"])
        if packaged != signer:
            problems.append("certificates/event.crt is not the certificate that signed "
                            "the letter")
    except (KeyError, ValueError):
        problems.append("certificates/event.crt is missing or unreadable")
    try:
        binding = read_event_binding(signer)
    except AnxinError as exc:
        report.add("event_certificate", title, FAILED, exc.detail, SIG_CONSTRAINTS_FAILURE)
        return
    if record and binding.authorization_id != record.get("id"):
        problems.append("the certificate binds another authorization id")
    if record and binding.letter_sha256 != record.get("letter_sha256"):
        problems.append("the certificate binds another letter hash than the record's")
    try:
        commit = untrusted_json.load_object(files["identity/id-commitment.json"])
        if commit.get("commitment") != binding.id_commitment:
            problems.append("the id commitment differs from the certificate's")
    except (KeyError, ValueError):
        problems.append("identity/id-commitment.json is missing")
    if problems:
        report.add("event_certificate", title, FAILED, "; ".join(problems),
                   SIG_CONSTRAINTS_FAILURE)
    else:
        report.add("event_certificate", title, PASSED,
                   f"issued to {readable_name(signer.subject)}, binds authorization "
                   f"{binding.authorization_id} and letter SHA-256 {binding.letter_sha256[:16]}…;"
                   f" id commitment {binding.id_commitment[:16]}… with the packaged salt",
                   authorization_id=binding.authorization_id,
                   letter_sha256=binding.letter_sha256, id_commitment=binding.id_commitment)


async def _check_signature_token(report: Report, files: dict[str, bytes],
                                 opened: OpenedLetter | None,
                                 context: ValidationContext) -> None:
    title = "Signature timestamp token (timestamps/signature.tst)"
    token = files.get("timestamps/signature.tst")
    if token is None or "letter.pdf" not in files:
        report.add("timestamp_token", title, FAILED, "the timestamp token is missing",
                   FORMAT_FAILURE)
        return
    if opened is None:
        report.add("timestamp_token", title, INDETERMINATE, "the letter cannot be read",
                   FORMAT_FAILURE)
        return
    signature_value = opened.signature.signer_info["signature"].native
    status, detail = await async_verify_token(token, signature_value, context)
    if status == "passed":
        report.add("timestamp_token", title, PASSED,
                   f"the token covers the letter's signature value; {detail}")
    elif status == "indeterminate":
        report.add("timestamp_token", title, INDETERMINATE, detail,
                   NO_CERTIFICATE_CHAIN_FOUND)
    else:
        report.add("timestamp_token", title, FAILED,
                   f"the token does not cover the letter's signature: {detail}", HASH_FAILURE)


def _check_passkey(report: Report, files: dict[str, bytes], record: dict[str, Any]) -> None:
    title = "Passkey assertion (WebAuthn)"
    method = (record.get("signing") or {}).get("method", "sms") if record else "sms"
    raw = files.get("identity/passkey.json")
    if raw is None:
        if "passkey" in str(method):
            report.add("passkey_assertion", title, FAILED,
                       "the record says a passkey was used but its evidence is missing",
                       FORMAT_FAILURE)
        return
    try:
        from anxin.identity.passkey_evidence import (  # type: ignore[import-not-found,unused-ignore]
            verify_assertion_evidence,
        )
    except ImportError:  # pragma: no cover - only in a build without passkeys
        report.add("passkey_assertion", title, INDETERMINATE, "no passkey verifier here")
        return
    try:
        verify_assertion_evidence(untrusted_json.load_object(raw), str(record.get("id")),
                                  str(record.get("letter_sha256")))
    except (AnxinError, ValueError) as exc:
        report.add("passkey_assertion", title, FAILED, str(exc), SIG_CRYPTO_FAILURE)
        return
    report.add("passkey_assertion", title, PASSED,
               "the person's authenticator signed a challenge committing to this "
               "authorization and this letter's SHA-256")


async def _check_ledger(report: Report, files: dict[str, bytes], context: ValidationContext,
                        auth_id: str | None, record: dict[str, Any],
                        profile: Profile = Profile.INTL) -> None:
    title = "Ledger: each entry's inclusion in a signed checkpoint"
    try:
        vkey = files["ledger/verifier-key.txt"].decode().strip()
        note = files["ledger/checkpoint.txt"].decode()
        entries = untrusted_json.loads(files["ledger/entries.json"])["entries"]
    except (KeyError, ValueError, UnicodeDecodeError):
        report.add("ledger_inclusion", title, FAILED, "the ledger files are missing",
                   FORMAT_FAILURE)
        return
    try:
        cp = verify_checkpoint(note, vkey)
    except AnxinError as exc:
        report.add("checkpoint_signature", "Ledger checkpoint signature", FAILED, exc.detail,
                   SIG_CRYPTO_FAILURE)
        return
    # In sm the checkpoint's token is an SM2 one (judged by sm2_checkpoint_signature).
    token = files.get("ledger/checkpoint.tst") if profile.has_intl else None
    when = ""
    if token is not None:
        status, when = await async_verify_token(token, note.encode(), context)
        if status == "failed":
            report.add("checkpoint_signature", "Ledger checkpoint signature", FAILED,
                       f"the checkpoint's timestamp does not cover it: {when}", HASH_FAILURE)
            return
        if status == "indeterminate":
            report.add("checkpoint_signature", "Ledger checkpoint signature", INDETERMINATE,
                       when, NO_CERTIFICATE_CHAIN_FOUND)
            return
    report.add("checkpoint_signature", "Ledger checkpoint signature", PASSED,
               f"checkpoint of {cp.size} entries signed by {cp.origin}"
               + (f", timestamped ({when})" if when else ""), size=cp.size)
    events, bad = [], []
    proven: list[tuple[int, bytes]] = []
    for e in entries:
        try:
            data = base64.b64decode(e["data"], validate=True)
            proof = [base64.b64decode(p, validate=True) for p in e["proof"]]
            leaf = untrusted_json.loads(data)
            if leaf.get("authorization_id") != auth_id:
                bad.append(f"entry {e['index']} belongs to another authorization")
                continue
            verify_inclusion(leaf_hash(data), int(e["index"]), cp.size, proof, cp.root)
            events.append(leaf.get("event"))
            proven.append((int(e["index"]), data))
        except AnxinError as exc:
            bad.append(f"entry {e.get('index')}: {exc.detail}")
        except (KeyError, ValueError, TypeError):
            bad.append(f"entry {e.get('index')} is malformed")
    granted = sum(1 for u in record.get("uses_log", []) if u.get("granted")) if record else 0
    if not bad and events.count("authorization:use:granted") != granted:
        bad.append(f"the record lists {granted} granted uses but the ledger "
                   f"{events.count('authorization:use:granted')}")
    if not bad and "authorization:signed" not in events:
        bad.append("no signing event in the ledger")
    if bad:
        report.add("ledger_inclusion", title, FAILED, "; ".join(bad), HASH_FAILURE)
    else:
        report.add("ledger_inclusion", title, PASSED,
                   f"{len(events)} entries, each proven included in checkpoint {cp.size}",
                   events=events)
    add_completeness_checks(report, files, record, proven)


def _check_sms(report: Report, files: dict[str, bytes]) -> None:
    try:
        sms = untrusted_json.load_object(files["identity/sms.json"])
    except (KeyError, ValueError):
        report.add("sms_evidence", "SMS verification record", FAILED,
                   "identity/sms.json is missing", FORMAT_FAILURE)
        return
    if not sms.get("code_verified_at"):
        report.add("sms_evidence", "SMS verification record", FAILED,
                   "no verified code is recorded", FORMAT_FAILURE)
        return
    report.add("sms_evidence", "SMS verification record", PASSED,
               f"a code sent to {sms.get('mobile_masked')} was verified at "
               f"{sms.get('code_verified_at')}")
