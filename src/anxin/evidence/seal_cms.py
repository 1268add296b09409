"""Detached CMS (CAdES-T style) signatures by the platform seal, and their offline check.

The manifest of an evidence package is signed this way: SHA-256, ECDSA by the seal
certificate (issued by the issuing CA), with an RFC 3161 signature timestamp.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import cms, keys
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.signers.pdf_cms import SimpleSigner
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.generic_cms import (
    async_validate_detached_cms,
    validate_tst_signed_data,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.sig_validate import SignatureValidator

from anxin.asyncutil import run_coroutine
from anxin.letters.verification_memory import ParsedCertificates, trusted_root
from anxin.pki.authority import Pki


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def sign_detached(pki: Pki, data: bytes, timestamper: TimeStamper) -> bytes:
    key = keys.PrivateKeyInfo.load(pki.seal_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    signer = SimpleSigner(
        signing_cert=_asn1(pki.seal_cert), signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]

            [_asn1(pki.issuing_cert), _asn1(pki.root_cert)]))
    info = run_coroutine(lambda: signer.async_sign_general_data(
        data, "sha256", detached=True, timestamper=timestamper))
    out: bytes = info.dump()
    return out


@dataclass(frozen=True, slots=True)
class CmsCheck:
    intact: bool
    valid: bool
    trusted: bool
    timestamped: bool
    signer: str
    detail: str
    signer_not_after: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class TrustMaterial:
    """The roots to trust and the certificates and CRLs a package supplies, parsed once
    (asn1crypto) for all the CMS checks of one verification."""

    roots: tuple[asn1_x509.Certificate, ...]
    certs: tuple[asn1_x509.Certificate, ...]
    crls: tuple[bytes | asn1_crl.CertificateList, ...]

    @classmethod
    def of(cls, roots: Sequence[x509.Certificate], certs: Sequence[x509.Certificate] = (),
           crls: Sequence[bytes | asn1_crl.CertificateList] = (),
           parsed: ParsedCertificates | None = None,
           ) -> TrustMaterial:
        """The roots parsed once per process; the other certificates through ``parsed``
        (one object per certificate for the whole verification); ``crls`` as DER or
        parsed (one object per CRL for the verification: ``ParsedRevocation``)."""
        pool = parsed or ParsedCertificates()
        der = serialization.Encoding.DER
        return cls(tuple(pool.add(trusted_root(r.public_bytes(der))) for r in roots),
                   tuple(pool.load(c.public_bytes(der)) for c in certs), tuple(crls))

    def context(self, *, with_crls: bool, signatures: SignatureValidator | None = None,
                moment: dt.datetime | None = None) -> ValidationContext:
        """A no-fetching, soft-fail context; the CRLs only where ``with_crls``;
        ``signatures`` (e.g. a MemoisedSignatureValidator) shared with other checks;
        ``moment`` a past validation time (a proof of existence), at which revocation
        data issued later counts too."""
        return ValidationContext(trust_roots=list(self.roots), other_certs=list(self.certs),
                                 crls=list(self.crls) if with_crls else [],
                                 allow_fetching=False, revocation_mode="soft-fail",
                                 signature_validator=signatures, moment=moment,
                                 retroactive_revinfo=moment is not None)


def verify_detached(data: bytes, signature: bytes, roots: Sequence[x509.Certificate],
                    certs: Sequence[x509.Certificate] = (),
                    crls: Sequence[bytes] = ()) -> CmsCheck:
    trust = TrustMaterial.of(roots, certs, crls)
    return run_coroutine(lambda: async_verify_detached(
        data, signature, trust.context(with_crls=True)))


async def async_verify_detached(data: bytes, signature: bytes,
                                vc: ValidationContext) -> CmsCheck:
    """The seal's detached CMS over ``data``, its signer and its timestamp's TSA checked
    in ``vc`` (``TrustMaterial.context(with_crls=True)``)."""
    try:
        signed_data = cms.ContentInfo.load(signature)["content"]
        status = await async_validate_detached_cms(
            data, signed_data, signer_validation_context=vc, ts_validation_context=vc)
    except Exception:  # any parse or validation error of untrusted input is a failure
        return CmsCheck(False, False, False, False, "", "the signature is not a valid CMS")
    ts = status.timestamp_validity
    cert = status.signing_cert
    signer = cert.subject.human_friendly if cert is not None else ""
    trusted = status.trust_problem_indic is None and status.valid
    not_after = (cert["tbs_certificate"]["validity"]["not_after"].native
                 if cert is not None else None)
    return CmsCheck(status.intact, status.valid, trusted,
                    ts is not None and ts.intact and ts.valid and ts.trusted, signer,
                    status.summary() if hasattr(status, "summary") else "", not_after)


def verify_token(token: bytes, data: bytes, roots: Sequence[x509.Certificate],
                 certs: Sequence[x509.Certificate] = ()) -> tuple[str, str]:
    """Check an RFC 3161 token over ``data``: ``("passed", ...)`` when intact, over this
    data and from a TSA chained to a root; ``"indeterminate"`` when intact and over this
    data but not chained to a given root; ``"failed"`` otherwise."""
    trust = TrustMaterial.of(roots, certs)
    return run_coroutine(lambda: async_verify_token(
        token, data, trust.context(with_crls=False)))


async def async_verify_token(token: bytes, data: bytes,
                             vc: ValidationContext) -> tuple[str, str]:
    """:func:`verify_token` with a context (``TrustMaterial.context(with_crls=False)``)
    that the tokens of one verification may share."""
    try:
        signed_data = cms.ContentInfo.load(token)["content"]
        result = await validate_tst_signed_data(
            signed_data, vc, lambda alg: hashlib.new(alg, data).digest())
    except Exception as exc:  # pyHanko raises several types for a bad token
        return "failed", f"the token does not validate: {exc}"
    when = result.get("timestamp")
    label = f"genTime {when.isoformat()}" if when is not None else "no time"
    if not (result.get("intact") and result.get("valid")):
        return "failed", f"the token is not over this data or its signature is bad ({label})"
    if result.get("trust_problem_indic") is not None or result.get("validation_path") is None:
        return "indeterminate", f"the TSA is not chained to a trusted root ({label})"
    return "passed", label
