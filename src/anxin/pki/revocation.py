"""Certificate status: the issuing CA's CRL and an RFC 6960 OCSP responder.

Both read the ``certificates`` table through a session the caller owns. The CRL is signed
fresh on every call (``nextUpdate`` one day later); OCSP responses are signed by the issuing
CA itself (no delegated responder), echo the request's nonce and answer, per certificate:
``good`` (issued by the current issuing CA and not revoked), ``revoked`` (with time and
reason) or ``unknown`` (another issuer, or a serial it never issued).

Revoking an *authorization* does not revoke its event certificate: the signature was valid
when made. Certificates are revoked for key compromise or mis-issuance only.

Example::

    crl_der = build_crl(pki, session, now)
    revoke_certificate(session, "5f3a…", "keyCompromise", now)
    reply_der = ocsp_respond(pki, session, request_der, now)
    issuing_crl, root_crl = current_crls(pki, session, now)
"""

from __future__ import annotations

import datetime as dt
import hashlib

from asn1crypto import algos, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anxin.errors import Conflict, NotFound, ValidationFailed
from anxin.pki.authority import Pki
from anxin.storage.models import IssuedCertificate

CRL_LIFETIME = dt.timedelta(days=1)
OCSP_LIFETIME = dt.timedelta(hours=1)
MAX_OCSP_REQUESTS = 20
_CERT_ID_HASHES = ("sha1", "sha256", "sha384", "sha512")
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError)


def _serial_hex(serial: int | str) -> str:
    if isinstance(serial, int):
        return format(serial, "x")
    try:
        return format(int(serial, 16), "x")
    except ValueError:
        raise ValidationFailed(f"not a hexadecimal serial number: {serial!r}",
                               field="serial") from None


def revoke_certificate(session: Session, serial: int | str, reason: str,
                       now: dt.datetime) -> None:
    """Mark a certificate revoked; ``reason`` is an RFC 5280 CRLReason name such as
    ``keyCompromise`` (see :class:`cryptography.x509.ReasonFlags`)."""
    try:
        x509.ReasonFlags(reason)
    except ValueError:
        raise ValidationFailed(f"unknown revocation reason {reason!r}",
                               field="reason") from None
    key = _serial_hex(serial)
    changed = session.execute(
        update(IssuedCertificate)
        .where(IssuedCertificate.serial == key, IssuedCertificate.revoked_at.is_(None))
        .values(revoked_at=now, revocation_reason=reason)).rowcount  # type: ignore[attr-defined]
    if changed == 1:
        return
    if session.get(IssuedCertificate, key) is None:
        raise NotFound(f"no certificate with serial {key}", code="certificate_not_found")
    raise Conflict(f"certificate {key} is already revoked", code="certificate_revoked")


def build_crl(pki: Pki, session: Session, now: dt.datetime) -> bytes:
    """A fresh CRL (DER) of the current issuing CA, signed by it."""
    rows = session.execute(
        select(IssuedCertificate.serial, IssuedCertificate.revoked_at,
               IssuedCertificate.revocation_reason)
        .where(IssuedCertificate.revoked_at.is_not(None),
               IssuedCertificate.issuer_key_id == pki.issuing_key_id)
        .order_by(IssuedCertificate.revoked_at)).all()
    ski = pki.issuing_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(pki.issuing_cert.subject)
               .last_update(now).next_update(now + CRL_LIFETIME)
               .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                   ski), critical=False))
    for serial, revoked_at, reason in rows:
        assert revoked_at is not None  # selected by the WHERE clause
        entry = (x509.RevokedCertificateBuilder().serial_number(int(serial, 16))
                 .revocation_date(revoked_at))
        if reason and reason != "unspecified":
            entry = entry.add_extension(x509.CRLReason(x509.ReasonFlags(reason)),
                                        critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    crl = builder.sign(pki.issuing_key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def current_crls(pki: Pki, session: Session, now: dt.datetime) -> list[bytes]:
    """The CRLs a validator needs for our chains, DER: the issuing CA's (fresh) and the
    root's. Hand them to pyHanko (``ValidationContext(crls=...)``) to embed validation data
    without fetching over the network."""
    return [build_crl(pki, session, now), pki.root_crl_der]


# -- OCSP ------------------------------------------------------------------------------------

def ocsp_error(status: str) -> bytes:
    """An unsigned OCSPResponse: ``malformed_request``, ``internal_error``, ``try_later``…"""
    reply: bytes = ocsp.OCSPResponse({"response_status": status}).dump()
    return reply


def _issuer_hashes(pki: Pki) -> dict[str, tuple[bytes, bytes]]:
    name = pki.issuing_cert.subject.public_bytes()
    key_bits = pki.issuing_cert.public_key()
    assert isinstance(key_bits, ec.EllipticCurvePublicKey)
    point = key_bits.public_bytes(serialization.Encoding.X962,
                                  serialization.PublicFormat.UncompressedPoint)
    return {alg: (hashlib.new(alg, name).digest(), hashlib.new(alg, point).digest())
            for alg in _CERT_ID_HASHES}


def _status(pki: Pki, session: Session, cert_id: ocsp.CertId,
            hashes_by_alg: dict[str, tuple[bytes, bytes]]) -> ocsp.CertStatus:
    algorithm = cert_id["hash_algorithm"]["algorithm"].native
    expected = hashes_by_alg.get(algorithm)
    if expected is None or expected != (cert_id["issuer_name_hash"].native,
                                        cert_id["issuer_key_hash"].native):
        return ocsp.CertStatus(name="unknown", value=None)
    serial = cert_id["serial_number"].native
    row = session.get(IssuedCertificate, format(serial, "x")) if serial > 0 else None
    if row is not None and row.issuer_key_id == pki.issuing_key_id:
        if row.revoked_at is None:
            return ocsp.CertStatus(name="good", value=None)
        info: dict[str, object] = {"revocation_time": row.revoked_at.replace(microsecond=0)}
        if row.revocation_reason and row.revocation_reason != "unspecified":
            info["revocation_reason"] = _ASN1_REASONS[row.revocation_reason]
        return ocsp.CertStatus(name="revoked", value=ocsp.RevokedInfo(info))
    if row is None and serial in (pki.tsa_cert.serial_number, pki.seal_cert.serial_number):
        return ocsp.CertStatus(name="good", value=None)
    return ocsp.CertStatus(name="unknown", value=None)


_ASN1_REASONS = {
    "keyCompromise": "key_compromise", "cACompromise": "ca_compromise",
    "affiliationChanged": "affiliation_changed", "superseded": "superseded",
    "cessationOfOperation": "cessation_of_operation", "certificateHold": "certificate_hold",
    "removeFromCRL": "remove_from_crl", "privilegeWithdrawn": "privilege_withdrawn",
    "aACompromise": "aa_compromise",
}


def ocsp_respond(pki: Pki, session: Session, request_der: bytes, now: dt.datetime) -> bytes:
    """Answer an OCSPRequest (DER) with a signed OCSPResponse (DER); never raises on input."""
    try:
        request = ocsp.OCSPRequest.load(request_der, strict=True)
        tbs = request["tbs_request"]
        cert_ids = [item["req_cert"] for item in tbs["request_list"]]
        nonce = None
        for extension in tbs["request_extensions"] or []:
            if extension["extn_id"].native == "nonce":
                nonce = extension["extn_value"].native
        for cert_id in cert_ids:
            cert_id["serial_number"].native  # noqa: B018 - force the lazy parse here
    except _PARSE_ERRORS:
        return ocsp_error("malformed_request")
    if not 1 <= len(cert_ids) <= MAX_OCSP_REQUESTS:
        return ocsp_error("malformed_request")
    produced = now.astimezone(dt.UTC).replace(microsecond=0)
    hashes_by_alg = _issuer_hashes(pki)
    responses = [ocsp.SingleResponse({
        "cert_id": cert_id,
        "cert_status": _status(pki, session, cert_id, hashes_by_alg),
        "this_update": produced, "next_update": produced + OCSP_LIFETIME,
    }) for cert_id in cert_ids]
    response_data: dict[str, object] = {
        "responder_id": ocsp.ResponderId(name="by_key", value=bytes.fromhex(
            pki.issuing_key_id)),
        "produced_at": produced, "responses": responses}
    if nonce is not None:
        response_data["response_extensions"] = [{"extn_id": "nonce", "critical": False,
                                                 "extn_value": nonce}]
    tbs_data = ocsp.ResponseData(response_data)
    signature = pki.issuing_key.sign(tbs_data.dump(), ec.ECDSA(hashes.SHA256()))
    basic = ocsp.BasicOCSPResponse({
        "tbs_response_data": tbs_data,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
        "signature": signature,
        "certs": [asn1_x509.Certificate.load(
            pki.issuing_cert.public_bytes(serialization.Encoding.DER))],
    })
    reply: bytes = ocsp.OCSPResponse({
        "response_status": "successful",
        "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
    }).dump()
    return reply
