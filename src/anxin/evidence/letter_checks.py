"""The letter's part of a verification report: integrity, signature, chain, binding,
signature time and document timestamps, mapped to report checks."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Sequence

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from anxin import untrusted_json
from anxin.asyncutil import run_sync
from anxin.error_codes import Code
from anxin.errors import AnxinError
from anxin.evidence.report import (
    FAILED,
    HASH_FAILURE,
    INDETERMINATE,
    NO_CERTIFICATE_CHAIN_FOUND,
    OUT_OF_BOUNDS_NO_POE,
    PASSED,
    SIG_CONSTRAINTS_FAILURE,
    SIG_CRYPTO_FAILURE,
    Report,
)
from anxin.letters import LetterVerification
from anxin.letters.letter_data import OpenedLetter, SignedLetter, open_signed_letter
from anxin.letters.verification_memory import VerificationMemory
from anxin.letters.verify import async_verify_opened_letter
from anxin.pki.events import read_event_binding, verify_event_binding

TITLES = {
    "document_integrity": "Document integrity",
    "signature_value": "Signature value",
    "signer_certificate_chain": "Signer certificate chain",
    "event_certificate_binding": "Event-certificate binding",
    "letter_binding": "Letter text and its stated hash",
    "signature_timestamp": "Signature time (RFC 3161 timestamp)",
    "document_timestamp": "Document timestamp (B-LTA)",
}
SUBS = {
    "document_integrity": HASH_FAILURE, "signature_value": SIG_CRYPTO_FAILURE,
    "signer_certificate_chain": NO_CERTIFICATE_CHAIN_FOUND,
    "event_certificate_binding": SIG_CONSTRAINTS_FAILURE,
    "letter_binding": HASH_FAILURE, "signature_timestamp": SIG_CRYPTO_FAILURE,
    "document_timestamp": SIG_CRYPTO_FAILURE,
}
_RESULT = {"passed": PASSED, "failed": FAILED, "indeterminate": INDETERMINATE}


class _BindingFailed(AnxinError):
    code = Code.EVENT_BINDING_FAILED


def binding_check(cert: x509.Certificate, letter: SignedLetter) -> None:
    if letter.text_sha256 is None or letter.authorization_id is None:
        raise _BindingFailed("the signed letter carries no text or authorization id")
    verify_event_binding(cert, letter_sha256_hex=letter.text_sha256,
                         authorization_id=letter.authorization_id)


@functools.cache
def _trusts_nothing() -> x509.Certificate:
    """A throwaway root, so that without a trust anchor the letter's integrity and
    signature are still checked while its chain stays unproven (INDETERMINATE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "no trust anchor given")])
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))


def add_letter_checks(report: Report, pdf: bytes,
                      roots: Sequence[x509.Certificate]) -> LetterVerification:
    return run_sync(async_add_letter_checks(report, open_signed_letter(pdf), roots))


async def async_add_letter_checks(report: Report, opened: OpenedLetter,
                                  roots: Sequence[x509.Certificate | asn1_x509.Certificate],
                                  memory: VerificationMemory | None = None,
                                  ) -> LetterVerification:
    """The letter's checks on a letter parsed once by the caller, in its event loop;
    ``memory`` shared with the caller's other checks."""
    result = await async_verify_opened_letter(opened, list(roots) or [_trusts_nothing()],
                                              binding_check=binding_check,
                                              memory=memory)
    for check in result.checks:
        outcome = _RESULT.get(check.status, INDETERMINATE)
        sub = None
        if outcome == FAILED:
            sub = SUBS.get(check.name, SIG_CRYPTO_FAILURE)
        elif outcome == INDETERMINATE:
            # A letter whose newest archive timestamp's TSA expired unrenewed says so on
            # every check it leaves unproven; otherwise an unproven chain is named as such.
            sub = (result.sub_indication if result.sub_indication == OUT_OF_BOUNDS_NO_POE
                   else NO_CERTIFICATE_CHAIN_FOUND if check.name == "signer_certificate_chain"
                   else result.sub_indication)
        report.add(check.name, TITLES.get(check.name, check.name.replace("_", " ").capitalize()),
                   outcome, check.detail, sub)
    if result.letter is not None:
        report.authorization_id = report.authorization_id or result.letter.authorization_id
        report.facts["letter_sha256"] = result.letter.text_sha256
    if result.signer_certificate is not None:
        report.facts["signer"] = result.signer_name
        with contextlib.suppress(AnxinError):
            report.facts["id_commitment"] = read_event_binding(
                result.signer_certificate).id_commitment
    if result.signature_timestamp is not None:
        report.facts["signature_time"] = result.signature_timestamp.isoformat()
    add_letter_passkey_check(report, opened, result.letter)
    return result


def add_letter_passkey_check(report: Report, opened: OpenedLetter,
                             letter: SignedLetter | None) -> None:
    """A letter signed with a passkey carries the assertion inside its signed revision
    (every profile: the sm profile calls this without the PAdES checks)."""

    from anxin.identity.passkey_evidence import verify_assertion_evidence
    from anxin.letters.letter_data import signed_attachment
    from anxin.letters.render import PASSKEY_ATTACHMENT
    raw = signed_attachment(opened, PASSKEY_ATTACHMENT)
    if raw is None:
        return
    title = "Passkey assertion inside the signed letter"
    try:
        verify_assertion_evidence(untrusted_json.load_object(raw),
                                  str(letter.authorization_id if letter else ""),
                                  str(letter.text_sha256 if letter else ""))
    except (AnxinError, ValueError) as exc:
        report.add("letter_passkey", title, FAILED, str(exc), SIG_CRYPTO_FAILURE)
        return
    report.add("letter_passkey", title, PASSED,
               "the person's authenticator signed a challenge committing to this letter")
