"""The SM2/SM3 checks of an evidence package (issue 14, profiles ``sm`` and ``dual``).

:func:`add_sm_checks` adds one named check per SM element of the package (the layout is
CONTRACT §8 and prompts' sm-contract: everything SM2 under ``sm2/``), each PASSED, FAILED
naming what failed, or INDETERMINATE when trust is not proven:

``sm2_manifest_files``       SM3 of every file = ``files_sm3`` of manifest.json (the same
                             names as ``files``);
``sm2_manifest_signature``   ``manifest.sm2.p7s``: SM2 CMS over SM3(manifest.json) by the SM2
                             seal, chained to a trusted SM2 root, its SM2 token valid;
``sm2_letter_signature``     the letter's SM2 field: the CMS over SM3 of its byte range, no
                             change after it but validation data and document timestamps,
                             the signer = ``sm2/certificates/event.crt``, chained to the SM2
                             root at the token's time, binding authorization id, letter
                             SHA-256 and SM3, the id commitment of the packaged salt;
``sm2_signature_timestamp``  the SM2 token over SM3 of the SM2 signature value (=
                             ``sm2/timestamps/signature.tst``), its TSA chained;
``sm2_revocation``           the SM2 event certificate's status in ``sm2/revocation/*``;
``sm2_archive_timestamp``    (sm) every SM2 document timestamp over SM3 of its byte range;
``sm2_checkpoint_signature`` the checkpoint's SM2 line by ``sm2/ledger/verifier-key.txt``
                             (and, in sm, ``ledger/checkpoint.tst``: an SM2 token over SM3
                             of the note);
``ledger_leaves_sm3``        every packaged leaf's SM3 is in ``sm2/ledger/leaves-sm3.json``.

Pure: no settings, no database; the SM2 verifiers of :mod:`anxin.pki` and the readers of
:mod:`anxin.letters` and :mod:`anxin.ledger` do the work, this module maps their typed
errors to report checks. Nothing here raises for bad input: every failure is a check.

Example::

    add_sm_checks(report, files, profile=Profile.DUAL, roots=sm2_roots, record=record)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from asn1crypto import x509 as asn1_x509

from anxin import untrusted_json
from anxin.errors import AnxinError, IntegrityFailure
from anxin.evidence.checkpoint_sm2 import verify_sm2_line
from anxin.evidence.report import (
    FAILED,
    FORMAT_FAILURE,
    HASH_FAILURE,
    INDETERMINATE,
    NO_CERTIFICATE_CHAIN_FOUND,
    OUT_OF_BOUNDS_NO_POE,
    PASSED,
    REVOKED,
    SIG_CONSTRAINTS_FAILURE,
    SIG_CRYPTO_FAILURE,
    Report,
)
from anxin.evidence.sm_letter import Sm2Letter, read_sm2_letter
from anxin.evidence.sm_trust import (
    chain_to_sm2_root,
    load_der_certificates,
    sm2_pool,
    subject_of,
)
from anxin.ledger.leaves_sm3 import check_leaf_sm3, leaves_of_entries
from anxin.pki import sm2, sm2_cms
from anxin.pki.signature_profile import Profile
from anxin.pki.sm2_events import verify_sm2_event_binding
from anxin.pki.sm2_revocation import verify_sm2_crl, verify_sm2_ocsp_response
from anxin.pki.sm2_tsa_verify import Sm2TokenInfo, verify_sm2_token
from anxin.pki.sm2_x509 import Sm2CertificateInvalid, load_certificate, verify_signed_by

MANIFEST: Final = "manifest.json"
SM2_SIGNATURE: Final = "manifest.sm2.p7s"
SIGNATURE_TOKEN: Final = "sm2/timestamps/signature.tst"  # noqa: S105 - a file name
EVENT_CERTIFICATE: Final = "sm2/certificates/event.crt"
VERIFIER_KEY: Final = "sm2/ledger/verifier-key.txt"
LEAVES_SM3: Final = ("sm2/ledger/leaves-sm3.json", "ledger/leaves-sm3.json")
UNLISTED: Final = frozenset({MANIFEST, "manifest.p7s", SM2_SIGNATURE})
_PARSE_ERRORS: Final = (ValueError, TypeError, KeyError, IndexError, OverflowError,
                        AttributeError, UnicodeDecodeError)

TITLES: Final = {
    "sm2_manifest_files": "Package manifest (every file's SM3)",
    "sm2_manifest_signature": "SM2 manifest signature (platform SM2 seal, timestamped)",
    "sm2_letter_signature": "SM2 letter signature (GB/T 35275 CMS, SM2 event certificate)",
    "sm2_signature_timestamp": "SM2 signature timestamp (SM3 imprint, SM2 TSA)",
    "sm2_revocation": "SM2 event certificate status (SM2 CRL / OCSP)",
    "sm2_archive_timestamp": "SM2 document timestamps (SM3 of the byte range)",
    "sm2_checkpoint_signature": "Ledger checkpoint SM2 signature",
    "ledger_leaves_sm3": "Ledger leaves' SM3 digests",
}


class _Missing(IntegrityFailure):
    """A file the profile requires is not in the package (FAILED, FORMAT_FAILURE)."""


class _Unproven(IntegrityFailure):
    """Nothing is wrong but something could not be proven (INDETERMINATE)."""

    def __init__(self, detail: str, sub_indication: str) -> None:
        super().__init__(detail)
        self.sub_indication = sub_indication


Outcome = tuple[str, dict[str, Any]]


def _run(report: Report, check_id: str, failure_sub: str,
         check: Callable[[], Outcome]) -> bool:
    """Run one check; map its typed error to the report. True if it passed."""
    title = TITLES[check_id]
    try:
        detail, data = check()
    except _Unproven as exc:
        report.add(check_id, title, INDETERMINATE, exc.detail, exc.sub_indication)
    except _Missing as exc:
        report.add(check_id, title, FAILED, exc.detail, FORMAT_FAILURE)
    except Sm2CertificateInvalid as exc:
        if exc.check == "trust_anchor":
            report.add(check_id, title, INDETERMINATE, exc.detail, NO_CERTIFICATE_CHAIN_FOUND)
        else:
            report.add(check_id, title, FAILED, exc.detail, failure_sub, **exc.extra)
    except AnxinError as exc:
        report.add(check_id, title, FAILED, exc.detail, failure_sub, **exc.extra)
    except _PARSE_ERRORS as exc:
        report.add(check_id, title, FAILED, f"malformed: {exc}", FORMAT_FAILURE)
    else:
        report.add(check_id, title, PASSED, detail, **data)
        return True
    return False


def _file(files: Mapping[str, bytes], name: str) -> bytes:
    if name not in files:
        raise _Missing(f"{name} is missing")
    return files[name]


@dataclass(frozen=True)
class _Inputs:
    files: Mapping[str, bytes]
    profile: Profile
    roots: Sequence[asn1_x509.Certificate]
    record: Mapping[str, Any]
    pool: list[asn1_x509.Certificate]
    report_files: tuple[str, ...]

    @property
    def pool_der(self) -> list[bytes]:
        return [c.dump() for c in self.pool]


def add_sm_checks(report: Report, files: Mapping[str, bytes], *, profile: Profile,
                  roots: Sequence[asn1_x509.Certificate], record: Mapping[str, Any],
                  report_files: Sequence[str] = ()) -> None:
    """Every SM check of a package of ``profile`` (sm or dual) against the trusted SM2
    ``roots`` (asn1crypto); ``record`` is authorization.json (may be empty)."""
    if not profile.has_sm:
        return
    given = _Inputs(files, profile, tuple(roots), record, sm2_pool(files), tuple(report_files))
    _run(report, "sm2_manifest_files", HASH_FAILURE, lambda: _manifest_files(given))
    _run(report, "sm2_manifest_signature", SIG_CRYPTO_FAILURE,
         lambda: _manifest_signature(given))
    letter: list[Sm2Letter] = []
    _run(report, "sm2_letter_signature", SIG_CRYPTO_FAILURE,
         lambda: _letter_signature(given, letter))
    found = letter[0] if letter else None
    _run(report, "sm2_signature_timestamp", SIG_CRYPTO_FAILURE,
         lambda: _signature_timestamp(given, found))
    _run(report, "sm2_revocation", REVOKED, lambda: _revocation(given, found))
    if profile is Profile.SM:
        _run(report, "sm2_archive_timestamp", SIG_CRYPTO_FAILURE,
             lambda: _archive_timestamps(given, found))
    _run(report, "sm2_checkpoint_signature", SIG_CRYPTO_FAILURE, lambda: _checkpoint(given))
    _run(report, "ledger_leaves_sm3", HASH_FAILURE, lambda: _leaves(given))
    if found is not None and found.token is not None:
        report.facts["sm2_signature_time"] = found.token.gen_time.isoformat()


# --- the manifest -------------------------------------------------------------------------

def _manifest_files(given: _Inputs) -> Outcome:
    manifest = untrusted_json.load_object(_file(given.files, MANIFEST))
    listed, sha256 = manifest.get("files_sm3"), manifest.get("files")
    if not isinstance(listed, dict) or not all(isinstance(v, str) for v in listed.values()):
        raise _Missing("manifest.json has no files_sm3 (SM3 of every file)")
    files = given.files
    missing = sorted(n for n in listed if n not in files)
    changed = sorted(n for n, h in listed.items()
                     if n in files and sm2.sm3(files[n]).hex() != h.lower())
    extra = sorted(n for n in files if n not in listed and n not in UNLISTED)
    differ = sorted(set(listed) ^ set(sha256)) if isinstance(sha256, dict) else []
    if missing or changed or extra or differ:
        parts = ([f"missing: {', '.join(missing)}"] if missing else []) + (
            [f"changed: {', '.join(changed)}"] if changed else []) + (
            [f"not listed: {', '.join(extra)}"] if extra else []) + (
            [f"in files or files_sm3 only: {', '.join(differ)}"] if differ else [])
        raise IntegrityFailure("; ".join(parts), missing=missing, changed=changed,
                               extra=extra)
    count = len(listed) + sum(1 for n in given.report_files if n not in listed)
    return (f"all {count} files the manifest lists match their SM3 (GB/T 32905) digests",
            {"files": count})


def _manifest_signature(given: _Inputs) -> Outcome:
    manifest = _file(given.files, MANIFEST)
    info = sm2_cms.parse_and_verify_detached(_file(given.files, SM2_SIGNATURE),
                                             content_digest=sm2.sm3(manifest))
    seal = load_certificate(info.signer_certificate)
    pool = [*load_der_certificates(info.certificates), *given.pool]
    if info.timestamp_token is None:
        raise IntegrityFailure("manifest.sm2.p7s carries no SM2 signature timestamp")
    token = verify_sm2_token(info.timestamp_token, digest=info.signature_digest,
                             certificates=given.pool_der)
    _chain_tsa(token, pool, given.roots)
    _path, root = chain_to_sm2_root(seal, pool, given.roots, at=token.gen_time)
    return (f"SM2 signature over SM3(manifest.json) by {subject_of(seal)}, chained to "
            f"{subject_of(root)}; SM2 timestamp of {token.gen_time.isoformat()}",
            {"signed_at": token.gen_time.isoformat()})


def _chain_tsa(token: Sm2TokenInfo, pool: Sequence[asn1_x509.Certificate],
               roots: Sequence[asn1_x509.Certificate]) -> asn1_x509.Certificate:
    tsa = load_certificate(token.tsa_certificate)
    chain_to_sm2_root(tsa, [*load_der_certificates(token.certificates), *pool], roots,
                      at=token.gen_time, eku="time_stamping")
    return tsa


# --- the letter ----------------------------------------------------------------------------

def _letter_signature(given: _Inputs, out: list[Sm2Letter]) -> Outcome:
    found = read_sm2_letter(_file(given.files, "letter.pdf"), pool_der=given.pool_der)
    out.append(found)
    signer = found.signer
    packaged = load_certificate(_file(given.files, EVENT_CERTIFICATE))
    if packaged.dump() != signer.dump():
        raise IntegrityFailure(f"{EVENT_CERTIFICATE} is not the certificate that made the "
                               "letter's SM2 signature")
    letter = found.letter
    if letter.text_sha256 is None or letter.letter_text is None:
        raise IntegrityFailure("the SM2-signed revision has no attached letter text")
    if letter.text_sha256 != letter.stated_sha256:
        raise IntegrityFailure(f"the attached text hashes to {letter.text_sha256}, the "
                               f"letter states {letter.stated_sha256}")
    letter_sm3 = sm2.sm3(letter.letter_text.encode()).hex()
    binding = verify_sm2_event_binding(signer, letter_sha256_hex=letter.text_sha256,
                                       letter_sm3_hex=letter_sm3,
                                       authorization_id=letter.authorization_id)
    record = given.record
    if record and binding.authorization_id != record.get("id"):
        raise IntegrityFailure("the SM2 event certificate binds another authorization id "
                               "than the record's")
    if record and binding.letter_sha256 != record.get("letter_sha256"):
        raise IntegrityFailure("the SM2 event certificate binds another letter hash than "
                               "the record's")
    commitment = untrusted_json.load_object(
        _file(given.files, "identity/id-commitment.json")).get("commitment")
    if commitment != binding.id_commitment:
        raise IntegrityFailure("the id commitment differs from the SM2 event certificate's")
    if found.token is None:
        raise _Unproven("the SM2 signature has no valid timestamp: the time to judge the "
                        "SM2 event certificate at is unproven", SIG_CONSTRAINTS_FAILURE)
    _path, root = chain_to_sm2_root(signer, found.pool, given.roots, at=found.token.gen_time,
                                    key_usage=("digital_signature", "non_repudiation"))
    return (f"SM2 signature (SM2-with-SM3) over SM3 of its byte range, {found.later}; by "
            f"{subject_of(signer)}, chained to {subject_of(root)} at "
            f"{found.token.gen_time.isoformat()}; binds authorization "
            f"{binding.authorization_id}, letter SHA-256 {binding.letter_sha256[:16]}… and "
            f"SM3 {letter_sm3[:16]}…; id commitment {binding.id_commitment[:16]}… with the "
            "packaged salt",
            {"field": found.field_name, "authorization_id": binding.authorization_id,
             "letter_sha256": binding.letter_sha256, "letter_sm3": letter_sm3,
             "id_commitment": binding.id_commitment})


def _need_letter(found: Sm2Letter | None) -> Sm2Letter:
    if found is None:
        raise _Unproven("the letter's SM2 signature could not be read (see "
                        "sm2_letter_signature)", FORMAT_FAILURE)
    return found


def _signature_timestamp(given: _Inputs, found: Sm2Letter | None) -> Outcome:
    letter = _need_letter(found)
    packaged = _file(given.files, SIGNATURE_TOKEN)
    if letter.cms.timestamp_token is None:
        raise IntegrityFailure("the letter's SM2 signature carries no signature timestamp")
    if letter.token_error is not None:
        raise letter.token_error
    if packaged != letter.cms.timestamp_token:
        raise IntegrityFailure(f"{SIGNATURE_TOKEN} is not the token in the letter's SM2 "
                               "signature")
    assert letter.token is not None
    tsa = _chain_tsa(letter.token, letter.pool, given.roots)
    return (f"the SM2 token covers SM3 of the SM2 signature value; genTime "
            f"{letter.token.gen_time.isoformat()} by {subject_of(tsa)}, chained to the "
            "trusted SM2 root", {"gen_time": letter.token.gen_time.isoformat()})


def _revocation(given: _Inputs, found: Sm2Letter | None) -> Outcome:
    letter = _need_letter(found)
    event = letter.signer
    issuer = _issuer_of(event, letter.pool)
    answers: list[str] = []
    for name in sorted(n for n in given.files if n.startswith("sm2/revocation/")):
        der = given.files[name]
        if name.endswith(".crl"):
            try:
                crl = verify_sm2_crl(der, issuer)
            except AnxinError:
                continue  # another issuer's CRL (the root's, a TSA's partition)
            entry = crl.entry(event.serial_number)
            if entry is not None:
                raise IntegrityFailure(f"{name} lists the SM2 event certificate as revoked "
                                       f"at {entry.revoked_at}")
            answers.append(f"not on {name} ({crl.this_update.isoformat()})")
        elif name.endswith(".der"):
            try:
                status = verify_sm2_ocsp_response(der, issuer, event)
            except AnxinError:
                continue  # about another certificate
            if status.status == "revoked":
                raise IntegrityFailure(f"{name}: the SM2 event certificate was revoked at "
                                       f"{status.revoked_at}")
            if status.status == "good":
                answers.append(f"good in {name} ({status.produced_at.isoformat()})")
    if not answers:
        raise _Missing("sm2/revocation holds no SM2 CRL or OCSP response by "
                       f"{subject_of(issuer)} about the SM2 event certificate")
    return f"the SM2 event certificate is {'; '.join(answers)}", {"sources": answers}


def _issuer_of(cert: asn1_x509.Certificate,
               pool: Sequence[asn1_x509.Certificate]) -> asn1_x509.Certificate:
    for candidate in pool:
        if candidate.subject == cert.issuer:
            try:
                verify_signed_by(cert, candidate)
            except Sm2CertificateInvalid:
                continue
            return candidate
    raise _Missing("the SM2 event certificate's issuer is not in the package")


def _archive_timestamps(given: _Inputs, found: Sm2Letter | None) -> Outcome:
    letter = _need_letter(found)
    stamps = [s for s in letter.document_timestamps if s.revision > letter.revision]
    if not stamps:
        raise _Missing("the letter has no SM2 document timestamp after its SM2 signature")
    newest: asn1_x509.Certificate | None = None
    times = []
    for stamp in stamps:
        try:
            token = verify_sm2_token(stamp.token, digest=stamp.byte_range_digest,
                                     certificates=given.pool_der)
        except AnxinError as exc:
            raise IntegrityFailure(f"{stamp.field_name}: {exc.detail}") from None
        newest = _chain_tsa(token, letter.pool, given.roots)
        times.append(token.gen_time.isoformat())
    assert newest is not None
    if newest.not_valid_after < dt.datetime.now(dt.UTC):
        raise _Unproven(f"the newest SM2 document timestamp's TSA certificate expired "
                        f"{newest.not_valid_after.isoformat()}: renew the archive "
                        "timestamp (`anxin archive renew`)", OUT_OF_BOUNDS_NO_POE)
    return (f"{len(stamps)} SM2 document timestamp(s) over SM3 of their byte ranges, "
            f"their TSA chained to the trusted SM2 root ({', '.join(times)})",
            {"times": times})


# --- the ledger ----------------------------------------------------------------------------

def _checkpoint(given: _Inputs) -> Outcome:
    note = _file(given.files, "ledger/checkpoint.txt").decode()
    checkpoint = verify_sm2_line(note, _file(given.files, VERIFIER_KEY).decode().strip())
    detail = f"checkpoint of {checkpoint.size} entries signed SM2 by {checkpoint.origin}"
    if given.profile is Profile.SM:
        token = verify_sm2_token(_file(given.files, "ledger/checkpoint.tst"),
                                 digest=sm2.sm3(note.encode()), certificates=given.pool_der)
        _chain_tsa(token, given.pool, given.roots)
        detail += f", its SM2 timestamp of {token.gen_time.isoformat()} over SM3 of the note"
    return detail, {"size": checkpoint.size}


def _leaves(given: _Inputs) -> Outcome:
    entries = untrusted_json.load_object(_file(given.files, "ledger/entries.json"))["entries"]
    leaves = leaves_of_entries(entries)
    name = next((n for n in LEAVES_SM3 if n in given.files), LEAVES_SM3[0])
    check_leaf_sm3(leaves, _file(given.files, name))
    return (f"every one of the {len(leaves)} packaged leaves has its SM3(0x00 ‖ leaf) in "
            f"{name}", {"leaves": len(leaves)})


# --- what the sm profile replaces ------------------------------------------------------------

REPLACED_IN_SM: Final = (
    ("document_integrity", "Document integrity (PAdES)", "sm2_letter_signature"),
    ("signature_value", "Signature value (ECDSA)", "sm2_letter_signature"),
    ("signer_certificate_chain", "Signer certificate chain (intl root)",
     "sm2_letter_signature"),
    ("event_certificate_binding", "Event-certificate binding (intl)", "sm2_letter_signature"),
    ("letter_text", "Letter text and its stated hash", "sm2_letter_signature"),
    ("signature_timestamp", "Signature time (RFC 3161, SHA-256)", "sm2_signature_timestamp"),
    ("document_timestamp", "Document timestamp (B-LTA)", "sm2_archive_timestamp"),
    ("event_certificate", "Event certificate: identity, commitment and letter binding",
     "sm2_letter_signature"),
    ("timestamp_token", "Signature timestamp token (timestamps/signature.tst)",
     "sm2_signature_timestamp"),
    ("manifest_signature", "Manifest signature (platform seal, timestamped)",
     "sm2_manifest_signature"),
)
"""The intl checks with no object in an sm package (it has no PAdES signature, intl event
certificate, intl tokens or manifest.p7s): listed in the report as not applicable, each
with the SM check that takes its place."""


def not_applicable(profile: Profile) -> list[dict[str, str]]:
    """The report's ``not_applicable`` entries for a package of ``profile``."""
    if profile is not Profile.SM:
        return []
    return [{"id": check_id, "title": title, "replaced_by": by,
             "reason": f"not applicable in the sm profile: {TITLES[by]} checks it"}
            for check_id, title, by in REPLACED_IN_SM]


ALGORITHMS: Final = {
    Profile.INTL: {
        "letter": ["ECDSA P-256 / SHA-256 (PAdES B-LTA)"],
        "manifest": ["SHA-256 of every file", "ECDSA P-256 / SHA-256 CMS (manifest.p7s)"],
        "timestamps": ["RFC 3161, SHA-256 imprints, ECDSA P-256"],
        "receipts": ["ES256 (ECDSA P-256 / SHA-256 JWS)"],
        "checkpoints": ["Ed25519 signed note"],
        "leaves": ["SHA-256 (RFC 9162 Merkle tree)"],
    },
    Profile.SM: {
        "letter": ["SM2 / SM3 (GB/T 35275 CMS, adbe.pkcs7.detached)"],
        "manifest": ["SHA-256 and SM3 of every file", "SM2 / SM3 CMS (manifest.sm2.p7s)"],
        "timestamps": ["RFC 3161, SM3 imprints, SM2 (GM/T 0033)"],
        "receipts": ["SM2SM3 JWS"],
        "checkpoints": ["Ed25519 signed note", "SM2 / SM3 note line, SM2 timestamp"],
        "leaves": ["SHA-256 (RFC 9162 Merkle tree)", "SM3 of every packaged leaf"],
    },
    Profile.DUAL: {
        "letter": ["ECDSA P-256 / SHA-256 (PAdES B-LTA)",
                   "SM2 / SM3 (GB/T 35275 CMS, /Anxin.SM2.detached)"],
        "manifest": ["SHA-256 and SM3 of every file",
                     "ECDSA P-256 / SHA-256 CMS (manifest.p7s)",
                     "SM2 / SM3 CMS (manifest.sm2.p7s)"],
        "timestamps": ["RFC 3161, SHA-256 imprints, ECDSA P-256",
                       "RFC 3161, SM3 imprints, SM2 (GM/T 0033)"],
        "receipts": ["ES256 (receipt)", "SM2SM3 JWS (receipt_sm2)"],
        "checkpoints": ["Ed25519 signed note", "SM2 / SM3 note line"],
        "leaves": ["SHA-256 (RFC 9162 Merkle tree)", "SM3 of every packaged leaf"],
    },
}
"""Which algorithms protect what, per profile (the report's ``algorithms``)."""
