"""Verify an SM2 time-stamp token (RFC 3161 syntax, GB/T 20520 / GM/T 0033 algorithms)
over an SM3 digest: verify-or-raise, one typed error naming the check that failed.

What is checked here (each failure an :class:`Sm2TokenInvalid` whose ``check`` names it):

1. ``malformed``: a DER ContentInfo → SignedData (version 3) with one SignerInfo and an
   encapsulated ``id-ct-TSTInfo`` (1.2.840.113549.1.9.16.1.4) whose TSTInfo parses;
2. ``not_sm3``: the imprint's hashAlgorithm, the SignerInfo's digestAlgorithm are SM3
   (1.2.156.10197.1.401) and its signatureAlgorithm is SM2-with-SM3 (1.2.156.10197.1.501)
   or sm2-1 (1.2.156.10197.1.301.1, the GM/T 0010 spelling);
3. ``imprint_mismatch``: the imprint is the digest the caller expects; ``nonce_mismatch``:
   the nonce is the one the caller sent (when it gives one);
4. ``content_type`` and ``message_digest_mismatch``: the signed attributes carry
   contentType ``id-ct-TSTInfo`` and messageDigest = SM3(TSTInfo);
5. ``tsa_certificate_missing``: the certificate named by the SignerInfo's sid is in the
   token (or among the ``certificates`` the caller adds, for a token made without
   certReq); ``tsa_certificate_invalid``: it has an SM2 key, the timeStamping extended key
   usage marked critical (RFC 3161 §2.3) and genTime within its validity;
6. ``signing_certificate_mismatch``: the signingCertificateV2 attribute (ESSCertIDv2,
   hashed with SM3, or the RFC 5035 default SHA-256) names that certificate;
7. ``signature_invalid``: the SM2 signature (DER ``SEQUENCE {r, s}``, user id
   ``1234567812345678``) over the DER SET OF the signed attributes verifies.

The chain, trust and revocation of the TSA certificate are the caller's (the SM2 PKI
verifier): :class:`Sm2TokenInfo` returns the TSA certificate and every certificate of the
token for it. Pure: no network, no settings, so the offline verifier may import it.

Example::

    info = verify_sm2_token(token_der, digest=sm3(letter))
    check_sm2_chain(info.tsa_certificate, info.certificates, at=info.gen_time)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure
from anxin.pki import sm2

SM3_NAMES: Final = frozenset({"sm3"})
SM2_SIGNATURE_NAMES: Final = frozenset({"sm2_sm3", "sm2"})
"""SignerInfo signatureAlgorithm names accepted (asn1crypto's, taught by anxin.pki.sm2)."""
ESS_HASHES: Final = frozenset({"sm3", "sha256"})
"""ESSCertIDv2 hashes accepted: SM3 (ours) and SHA-256 (RFC 5035's default)."""
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError)


class Sm2TokenCheck(StrEnum):
    """The check of an SM2 time-stamp token that failed."""

    MALFORMED = "malformed"
    NOT_SM3 = "not_sm3"
    IMPRINT_MISMATCH = "imprint_mismatch"
    NONCE_MISMATCH = "nonce_mismatch"
    CONTENT_TYPE = "content_type"
    MESSAGE_DIGEST_MISMATCH = "message_digest_mismatch"
    SIGNATURE_INVALID = "signature_invalid"
    TSA_CERTIFICATE_MISSING = "tsa_certificate_missing"
    TSA_CERTIFICATE_INVALID = "tsa_certificate_invalid"
    SIGNING_CERTIFICATE_MISMATCH = "signing_certificate_mismatch"


class Sm2TokenInvalid(IntegrityFailure):
    """An SM2 time-stamp token fails ``check`` (also the problem member ``check``)."""

    code = Code.SM2_TIMESTAMP_INVALID

    def __init__(self, check: Sm2TokenCheck, detail: str, **extra: Any) -> None:
        super().__init__(f"{check.value}: {detail}", check=check.value, **extra)
        self.check = check


@dataclass(frozen=True, slots=True)
class Sm2TokenInfo:
    """What a verified token says, and what the caller needs to judge the TSA's chain."""

    gen_time: dt.datetime
    serial_number: int
    policy_oid: str
    nonce: int | None
    digest: bytes
    tsa_certificate: bytes
    """The TSA certificate (DER) whose key verified the signature."""
    certificates: tuple[bytes, ...]
    """Every certificate the token carries (DER), the TSA's included, in token order."""
    tst_info: bytes
    signed_attributes: bytes
    """The DER SET OF the signed attributes: the bytes the SM2 signature covers."""
    signature: bytes


def _fail(check: Sm2TokenCheck, detail: str) -> Sm2TokenInvalid:
    return Sm2TokenInvalid(check, detail)


@dataclass(frozen=True, slots=True)
class _Parsed:
    signed_data: cms.SignedData
    signer: cms.SignerInfo
    tst_info_der: bytes
    tst_info: tsp.TSTInfo


def _parse(token_der: bytes) -> _Parsed:
    """The token's structure, fully decoded (lazy asn1crypto errors are raised here)."""
    try:
        info = cms.ContentInfo.load(token_der, strict=True)
        if info["content_type"].native != "signed_data":
            raise _fail(Sm2TokenCheck.MALFORMED, "the token is not a CMS SignedData")
        signed_data = info["content"]
        encap = signed_data["encap_content_info"]
        if signed_data["version"].native != "v3":
            raise _fail(Sm2TokenCheck.MALFORMED, "a token's SignedData is version 3")
        if encap["content_type"].native != "tst_info":
            raise _fail(Sm2TokenCheck.MALFORMED, "the encapsulated content is not TSTInfo")
        if len(signed_data["signer_infos"]) != 1:
            raise _fail(Sm2TokenCheck.MALFORMED, "a token has exactly one SignerInfo")
        tst_info_der = encap["content"].contents
        if not isinstance(tst_info_der, bytes):
            raise _fail(Sm2TokenCheck.MALFORMED, "the TSTInfo is absent")
        tst_info = tsp.TSTInfo.load(tst_info_der, strict=True)
        tst_info.native  # noqa: B018 - decode every field now, not lazily later
        signer = signed_data["signer_infos"][0]
        signer.native  # noqa: B018
        signed_data["certificates"].native  # noqa: B018
    except Sm2TokenInvalid:
        raise
    except _PARSE_ERRORS as exc:
        raise _fail(Sm2TokenCheck.MALFORMED, f"not a DER time-stamp token: {exc}") from None
    if tst_info["version"].native != "v1":
        raise _fail(Sm2TokenCheck.MALFORMED, "the TSTInfo is not version 1")
    return _Parsed(signed_data, signer, tst_info_der, tst_info)


def _check_algorithms(parsed: _Parsed) -> None:
    imprint = parsed.tst_info["message_imprint"]["hash_algorithm"]["algorithm"].native
    digest = parsed.signer["digest_algorithm"]["algorithm"].native
    signature = parsed.signer["signature_algorithm"]["algorithm"].native
    if imprint not in SM3_NAMES:
        raise _fail(Sm2TokenCheck.NOT_SM3, f"the imprint is {imprint}, not SM3")
    if digest not in SM3_NAMES:
        raise _fail(Sm2TokenCheck.NOT_SM3, f"the signer's digest is {digest}, not SM3")
    if signature not in SM2_SIGNATURE_NAMES:
        raise _fail(Sm2TokenCheck.NOT_SM3,
                    f"the signature algorithm is {signature}, not SM2-with-SM3")


def _check_request(parsed: _Parsed, digest: bytes, nonce: int | None) -> None:
    found = parsed.tst_info["message_imprint"]["hashed_message"].native
    if found != digest:
        raise _fail(Sm2TokenCheck.IMPRINT_MISMATCH, "the token time-stamps another digest")
    if nonce is not None and parsed.tst_info["nonce"].native != nonce:
        raise _fail(Sm2TokenCheck.NONCE_MISMATCH, "the token answers another request")


def _signed_attributes(parsed: _Parsed) -> dict[str, Any]:
    """The signed attributes by name, each present once with one value."""
    attrs = parsed.signer["signed_attrs"]
    if not len(attrs):
        raise _fail(Sm2TokenCheck.MALFORMED, "the signer has no signed attributes")
    found: dict[str, Any] = {}
    for attr in attrs:
        name = attr["type"].native
        if name in found or len(attr["values"]) != 1:
            raise _fail(Sm2TokenCheck.MALFORMED, f"the attribute {name} is repeated")
        found[name] = attr["values"][0]
    return found


def _check_attributes(parsed: _Parsed, attrs: dict[str, Any]) -> None:
    content_type = attrs.get("content_type")
    if content_type is None or content_type.native != "tst_info":
        raise _fail(Sm2TokenCheck.CONTENT_TYPE, "the signed contentType is not id-ct-TSTInfo")
    message_digest = attrs.get("message_digest")
    if message_digest is None or message_digest.native != sm2.sm3(parsed.tst_info_der):
        raise _fail(Sm2TokenCheck.MESSAGE_DIGEST_MISMATCH,
                    "the signed messageDigest is not SM3 of the TSTInfo")


def _certificates(parsed: _Parsed, extra: Sequence[bytes]) -> tuple[list[bytes], list[bytes]]:
    """(the token's certificates, the candidates for the signer: the token's and extra)."""
    inside = [c.chosen.dump() for c in parsed.signed_data["certificates"] or []
              if c.name == "certificate"]
    return inside, [*inside, *extra]


def _sid_matches(sid: cms.SignerIdentifier, cert: asn1_x509.Certificate) -> bool:
    if sid.name == "issuer_and_serial_number":
        return bool(sid.chosen["issuer"] == cert.issuer
                    and sid.chosen["serial_number"].native == cert.serial_number)
    return bool(sid.chosen.native == cert.key_identifier)


def _signer_certificate(parsed: _Parsed, candidates: Sequence[bytes]) -> asn1_x509.Certificate:
    for der in candidates:
        try:
            cert = asn1_x509.Certificate.load(der, strict=True)
            if _sid_matches(parsed.signer["sid"], cert):
                return cert
        except _PARSE_ERRORS:
            continue
    raise _fail(Sm2TokenCheck.TSA_CERTIFICATE_MISSING,
                "no certificate given or in the token is the one the signer names")


def _check_certificate(cert: asn1_x509.Certificate, gen_time: dt.datetime
                       ) -> sm2.SM2PublicKey:
    """The TSA certificate's SM2 key, once its profile holds (RFC 3161 §2.3)."""
    try:
        eku = cert.extended_key_usage_value
        critical = "extended_key_usage" in cert.critical_extensions
        validity = cert["tbs_certificate"]["validity"]
        not_before, not_after = validity["not_before"].native, validity["not_after"].native
    except _PARSE_ERRORS as exc:
        raise _fail(Sm2TokenCheck.TSA_CERTIFICATE_INVALID, f"unreadable: {exc}") from None
    if eku is None or eku.native != ["time_stamping"] or not critical:
        raise _fail(Sm2TokenCheck.TSA_CERTIFICATE_INVALID,
                    "the TSA certificate lacks the critical timeStamping extended key usage "
                    "(as its only purpose)")
    if not not_before <= gen_time <= not_after:
        raise _fail(Sm2TokenCheck.TSA_CERTIFICATE_INVALID,
                    f"genTime {gen_time.isoformat()} is outside the TSA certificate's validity")
    try:
        return sm2.SM2PublicKey.from_der(cert.public_key.dump())
    except sm2.SM2KeyInvalid as exc:
        raise _fail(Sm2TokenCheck.TSA_CERTIFICATE_INVALID,
                    f"the TSA certificate's key: {exc.detail}") from None


def _check_signing_certificate(attrs: dict[str, Any], cert: asn1_x509.Certificate) -> None:
    """ESS signingCertificateV2 names ``cert`` (its first ESSCertIDv2, RFC 5035 §3)."""
    ess = attrs.get("signing_certificate_v2")
    if ess is None or not len(ess["certs"]):
        raise _fail(Sm2TokenCheck.SIGNING_CERTIFICATE_MISMATCH,
                    "the token has no signingCertificateV2 attribute")
    cert_id = ess["certs"][0]
    algorithm = cert_id["hash_algorithm"]["algorithm"].native
    if algorithm not in ESS_HASHES:
        raise _fail(Sm2TokenCheck.SIGNING_CERTIFICATE_MISMATCH,
                    f"the ESS certificate id is hashed with {algorithm}, not SM3 or SHA-256")
    expected = sm2.sm3(cert.dump()) if algorithm == "sm3" else hashlib.sha256(
        cert.dump()).digest()
    if cert_id["cert_hash"].native != expected:
        raise _fail(Sm2TokenCheck.SIGNING_CERTIFICATE_MISMATCH,
                    "the ESS certificate id names another certificate")
    issuer_serial = cert_id["issuer_serial"]
    if issuer_serial.native is not None and (
            issuer_serial["serial_number"].native != cert.serial_number):
        raise _fail(Sm2TokenCheck.SIGNING_CERTIFICATE_MISMATCH,
                    "the ESS issuerSerial names another certificate")


def _check_signature(parsed: _Parsed, public: sm2.SM2PublicKey) -> tuple[bytes, bytes]:
    signed = parsed.signer["signed_attrs"].untag().dump(force=True)
    signature = parsed.signer["signature"].native
    try:
        sm2.verify(public, signed, signature)
    except (sm2.SM2SignatureInvalid, sm2.SM2KeyInvalid) as exc:
        raise _fail(Sm2TokenCheck.SIGNATURE_INVALID, exc.detail) from None
    return signed, signature


def verify_sm2_token(token_der: bytes, *, digest: bytes, nonce: int | None = None,
                     certificates: Sequence[bytes] = ()) -> Sm2TokenInfo:
    """Verify an SM2 time-stamp token (the ContentInfo DER) over the SM3 ``digest``, or
    raise :class:`Sm2TokenInvalid`; ``nonce``, when given, must be the token's;
    ``certificates`` (DER) may supply the TSA certificate of a token made without it."""
    parsed = _parse(token_der)
    _check_algorithms(parsed)
    _check_request(parsed, digest, nonce)
    attrs = _signed_attributes(parsed)
    _check_attributes(parsed, attrs)
    inside, candidates = _certificates(parsed, certificates)
    cert = _signer_certificate(parsed, candidates)
    gen_time: dt.datetime = parsed.tst_info["gen_time"].native
    public = _check_certificate(cert, gen_time)
    _check_signing_certificate(attrs, cert)
    signed, signature = _check_signature(parsed, public)
    return Sm2TokenInfo(
        gen_time=gen_time, serial_number=parsed.tst_info["serial_number"].native,
        policy_oid=parsed.tst_info["policy"].dotted, nonce=parsed.tst_info["nonce"].native,
        digest=digest, tsa_certificate=cert.dump(), certificates=tuple(inside),
        tst_info=parsed.tst_info_der, signed_attributes=signed, signature=signature)
