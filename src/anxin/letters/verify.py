"""Offline verification of a signed letter, reported with ETSI TS 119 102-2 indications.

:func:`verify_letter` trusts only the roots it is given and fetches nothing: the
validation data comes from the signature's CMS and the PDF's DSS. It runs pyHanko's AdES
validation (EN 319 102-1 with the LTA process when the letter carries document
timestamps) and adds the letter's own checks, each reported as a :class:`Check`:

``document_integrity``  the signature's byte range hashes to its message digest, it covers
                        its whole revision, and later revisions only add validation data and
                        document timestamps (any other change → failed);
``signature_value``     the ECDSA/RSA signature over the signed attributes verifies;
``signer_certificate_chain``  the event certificate chains to a supplied root, unrevoked;
``signature_timestamp`` the RFC 3161 token's imprint is the signature value's hash and
                        its TSA chains to a supplied root;
``document_timestamp``  each archive timestamp is intact and trusted (B-LTA);
``letter_text``         the attached letter text hashes to the SHA-256 the letter states;
``event_certificate_binding``  a caller-supplied check of the certificate's binding
                        extension against :class:`SignedLetter` (omitted if none given).

Non-PDF input, or a PDF without a signature, raises
``ValidationFailed(code="unreadable_input")`` (the CLI's exit 3).

Example::

    result = verify_letter(pdf, [root_cert])
    result.indication, result.sub_indication
    # -> ('TOTAL_PASSED', None)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.misc import PdfError

from anxin.asyncutil import run_sync
from anxin.error_codes import Code
from anxin.errors import AnxinError, ValidationFailed
from anxin.letters.checks import FAILED, INDETERMINATE, PASSED, Check
from anxin.letters.letter_data import OpenedLetter, SignedLetter, open_signed_letter
from anxin.letters.prepared_names import names_prepared_once
from anxin.letters.validation import ValidationOutcome, validate_pades
from anxin.letters.verification_memory import VerificationMemory, trusted_root

__all__ = ["FAILED", "INDETERMINATE", "OVERALL_INDETERMINATE", "PASSED", "TOTAL_FAILED",
           "TOTAL_PASSED", "BindingCheck", "Check", "LetterVerification",
           "async_verify_opened_letter", "verify_letter"]

TOTAL_PASSED, TOTAL_FAILED = "TOTAL_PASSED", "TOTAL_FAILED"
OVERALL_INDETERMINATE = "INDETERMINATE"
BindingCheck = Callable[[x509.Certificate, SignedLetter], None]


@dataclass(frozen=True)
class LetterVerification:
    """The verification report of one signed letter."""

    indication: str
    sub_indication: str | None
    checks: tuple[Check, ...]
    signer_certificate: x509.Certificate | None = None
    signer_name: str | None = None
    claimed_signing_time: dt.datetime | None = None
    signature_timestamp: dt.datetime | None = None
    archive_timestamps: tuple[dt.datetime, ...] = ()
    letter: SignedLetter | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.indication == TOTAL_PASSED

    @property
    def exit_code(self) -> int:
        """CONTRACT §1: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE (3 is unreadable)."""
        return {TOTAL_PASSED: 0, TOTAL_FAILED: 1}.get(self.indication, 2)

    def check(self, name: str) -> Check:
        """The check called ``name`` (KeyError if it was not run)."""
        for item in self.checks:
            if item.name == name:
                return item
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready report (CONTRACT §7 vocabulary)."""
        def iso(moment: dt.datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "indication": self.indication, "sub_indication": self.sub_indication,
            "signer": self.signer_name,
            "claimed_signing_time": iso(self.claimed_signing_time),
            "signature_timestamp": iso(self.signature_timestamp),
            "archive_timestamps": [iso(t) for t in self.archive_timestamps],
            "authorization_id": self.letter.authorization_id if self.letter else None,
            "letter_sha256": self.letter.stated_sha256 if self.letter else None,
            "checks": [c.as_dict() for c in self.checks],
        }


def _as_asn1(cert: x509.Certificate | asn1_x509.Certificate) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    from cryptography.hazmat.primitives.serialization import Encoding

    return trusted_root(cert.public_bytes(Encoding.DER))


def _overall(checks: Sequence[Check], outcome: ValidationOutcome) -> tuple[str, str | None]:
    by_name = {c.name: c for c in checks}
    fixed = [("document_integrity", "HASH_FAILURE"), ("signature_value", "SIG_CRYPTO_FAILURE"),
             ("letter_text", "HASH_FAILURE"), ("event_certificate_binding", "HASH_FAILURE")]
    for name, sub in fixed:
        if name in by_name and by_name[name].status == FAILED:
            return TOTAL_FAILED, sub
    if outcome.ades_status == "FAILED":
        return TOTAL_FAILED, outcome.ades_sub_indication
    if outcome.ades_status == "INDETERMINATE":
        return OVERALL_INDETERMINATE, outcome.ades_sub_indication
    if any(c.status == FAILED for c in checks):
        return TOTAL_FAILED, "FORMAT_FAILURE"
    if any(c.status == INDETERMINATE for c in checks):
        return OVERALL_INDETERMINATE, "GENERIC"
    return TOTAL_PASSED, None


def _letter_checks(letter: SignedLetter, cert: x509.Certificate | None,
                   binding_check: BindingCheck | None) -> list[Check]:
    checks = []
    if letter.text_sha256 is None:
        checks.append(Check("letter_text", FAILED, "the signed letter has no attached text"))
    elif letter.text_sha256 != letter.stated_sha256:
        checks.append(Check("letter_text", FAILED,
                            f"attached text hashes to {letter.text_sha256}, the letter "
                            f"states {letter.stated_sha256}"))
    else:
        checks.append(Check("letter_text", PASSED,
                            f"attached letter text has the stated SHA-256 {letter.text_sha256}"))
    if binding_check is not None:
        if cert is None:
            checks.append(Check("event_certificate_binding", INDETERMINATE,
                                "no signer certificate to check"))
        else:
            try:
                binding_check(cert, letter)
            except AnxinError as exc:
                checks.append(Check("event_certificate_binding", FAILED, exc.detail))
            else:
                checks.append(Check(
                    "event_certificate_binding", PASSED,
                    f"certificate binds authorization {letter.authorization_id} and "
                    f"letter SHA-256 {letter.stated_sha256}"))
    return checks


def verify_letter(pdf: bytes, trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate],
                  *, binding_check: BindingCheck | None = None,
                  validation_time: dt.datetime | None = None) -> LetterVerification:
    """Verify a signed letter offline against ``trust_roots`` only.

    ``binding_check(cert, letter)`` should raise an :class:`AnxinError` (e.g.
    ``IntegrityFailure``) when the event certificate's binding extension does not name
    ``letter.authorization_id`` and ``letter.stated_sha256``.
    """
    if not trust_roots:
        raise ValidationFailed("at least one trust root is needed", code=Code.NO_TRUST_ROOT)
    return run_sync(async_verify_opened_letter(
        open_signed_letter(pdf), trust_roots, binding_check=binding_check,
        validation_time=validation_time))


async def async_verify_opened_letter(
        opened: OpenedLetter, trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate],
        *, binding_check: BindingCheck | None = None,
        validation_time: dt.datetime | None = None,
        memory: VerificationMemory | None = None) -> LetterVerification:
    """:func:`verify_letter` on a letter already parsed by ``open_signed_letter`` (a caller
    that needs the parsed PDF for more checks parses it once), in the caller's event loop;
    ``memory`` as in :func:`validate_pades`."""
    if not trust_roots:
        raise ValidationFailed("at least one trust root is needed", code=Code.NO_TRUST_ROOT)
    roots = [_as_asn1(r) for r in trust_roots]
    try:
        with names_prepared_once():
            outcome = await validate_pades(opened, roots, validation_time=validation_time,
                                           memory=memory)
    except (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        # AttributeError: pyHanko leaves EmbeddedPdfSignature.external_md_algorithm unset
        # when a signature's eContentType is neither data nor TSTInfo (one changed byte of
        # a timestamp's OID), then reads it while indexing the document timestamps.
        check = Check("document_integrity", FAILED,
                      f"the signed file cannot be processed: {type(exc).__name__}: {exc}")
        return LetterVerification(TOTAL_FAILED, "FORMAT_FAILURE", (check,))
    checks = list(outcome.checks)
    checks.extend(_letter_checks(opened.letter, outcome.signer_certificate, binding_check))
    indication, sub = _overall(checks, outcome)
    return LetterVerification(
        indication=indication, sub_indication=sub, checks=tuple(checks),
        signer_certificate=outcome.signer_certificate, signer_name=outcome.signer_name,
        claimed_signing_time=outcome.claimed_signing_time,
        signature_timestamp=outcome.signature_timestamp,
        archive_timestamps=outcome.archive_timestamps, letter=opened.letter)
