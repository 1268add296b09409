"""The ``sm2/`` files of an evidence package in the ``sm`` and ``dual`` profiles (issue 14),
collected for :mod:`anxin.services.evidence_package`.

- ``sm2/certificates/{root,issuing,tsa,seal,event}.crt`` — the SM2 chain (PEM, one
  certificate each); the event certificate from the signing record
  (``event_certificate_sm2_pem``) or, failing that, the letter's SM2 signature;
- ``sm2/revocation/crl-<i>.crl``, ``ocsp-<i>.der`` — SM2-signed status of the event, TSA and
  seal certificates and of the issuing CA
  (:func:`anxin.pki.sm2_validation.sm2_validation_data`);
- ``sm2/timestamps/signature.tst`` — the token in the letter's SM2 CMS;
- ``sm2/ledger/verifier-key.txt`` — the checkpoint's SM2 line's verifier key;
- ``sm2/ledger/leaves-sm3.json`` — SM3 of every packaged leaf
  (:func:`anxin.ledger.leaves_sm3.build_leaves_sm3`).

The package's manifest is then sealed by :class:`anxin.evidence.package.Sm2Sealer`
(:func:`sm2_sealer`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from asn1crypto import x509 as asn1_x509

from anxin.errors import ConfigurationError
from anxin.evidence.package import Sm2Sealer
from anxin.ledger.leaves_sm3 import build_leaves_sm3
from anxin.letters.verify_sm2 import Sm2FieldSignature, sm2_signatures
from anxin.pki import sm2_cms
from anxin.pki.ports import CertificateStore
from anxin.pki.sm2_authority import Sm2Pki
from anxin.pki.sm2_validation import sm2_validation_data
from anxin.pki.sm2_x509 import load_certificate, to_pem
from anxin.services.context import Context
from anxin.services.ledger import sm2_verifier_key

CERTIFICATES: Final = "sm2/certificates/"
REVOCATION: Final = "sm2/revocation/"
SIGNATURE_TOKEN: Final = "sm2/timestamps/signature.tst"  # noqa: S105 - a file name
VERIFIER_KEY: Final = "sm2/ledger/verifier-key.txt"
LEAVES_SM3: Final = "sm2/ledger/leaves-sm3.json"

__all__ = ["CERTIFICATES", "LEAVES_SM3", "REVOCATION", "SIGNATURE_TOKEN", "VERIFIER_KEY",
           "letter_sm2_signature", "sm2_evidence_files", "sm2_ledger_files", "sm2_sealer"]


def letter_sm2_signature(pdf: bytes) -> Sm2FieldSignature | None:
    """The letter's SM2 signature (its CMS verified), or None for a letter without one."""
    found = sm2_signatures(pdf, verify_cms=lambda der, digest: sm2_cms.parse_and_verify_detached(
        der, content_digest=digest))
    return found.signatures[0] if found.signatures else None


def _event_certificate(pem: str | None,
                       signature: Sm2FieldSignature | None) -> asn1_x509.Certificate | None:
    if pem:
        return load_certificate(pem.encode())
    if signature is not None:
        return load_certificate(signature.signer_certificate)
    return None


def sm2_evidence_files(pki: Sm2Pki, certificates: CertificateStore, pdf: bytes,
                       event_pem: str | None, now: dt.datetime) -> dict[str, bytes]:
    """The SM2 certificates, revocation data and signature token (inside the use case's
    transaction: the status comes from ``certificates``)."""
    signature = letter_sm2_signature(pdf)
    event = _event_certificate(event_pem, signature)
    files = {f"{CERTIFICATES}{name}.crt": to_pem([cert]) for name, cert in (
        ("root", pki.root_cert), ("issuing", pki.issuing_cert), ("tsa", pki.tsa_cert),
        ("seal", pki.seal_cert))}
    in_use: Sequence[asn1_x509.Certificate] = [pki.tsa_cert, pki.seal_cert]
    if event is not None:
        files[f"{CERTIFICATES}event.crt"] = to_pem([event])
        in_use = [event, *in_use]
    status = sm2_validation_data(pki, certificates, in_use, now)
    for i, crl in enumerate(status.crls):
        files[f"{REVOCATION}crl-{i}.crl"] = crl
    for i, response in enumerate(status.ocsps):
        files[f"{REVOCATION}ocsp-{i}.der"] = response
    if signature is not None and signature.timestamp_token is not None:
        files[SIGNATURE_TOKEN] = signature.timestamp_token
    return files


def sm2_ledger_files(ctx: Context, packaged: Sequence[tuple[int, bytes]] | None
                     ) -> dict[str, bytes]:
    """The SM2 verifier key and, when the package has ledger entries (``packaged``: the
    ``(index, leaf bytes)`` of ``ledger/entries.json``), their SM3 digests."""
    key = sm2_verifier_key(ctx.ledger.signer)
    if key is None:
        raise ConfigurationError(f"the {ctx.profile.value} profile's ledger has no SM2 "
                                 "checkpoint signer (keys/sm2/ledger.key)")
    files = {VERIFIER_KEY: (key + "\n").encode()}
    if packaged is not None:
        files[LEAVES_SM3] = build_leaves_sm3(packaged)
    return files


def sm2_sealer(ctx: Context) -> Sm2Sealer | None:
    """The SM2 seal of the context's packages (None in ``intl``)."""
    if ctx.sm2 is None or not ctx.profile.has_sm:
        return None
    return Sm2Sealer.of(ctx.sm2.pki, ctx.sm2.timestamper.timestamp)
