"""Certificate status: the issuing CA's CRL and an RFC 6960 OCSP responder.

Both read the ``certificates`` through a :class:`~anxin.pki.ports.CertificateStore` whose
transaction the caller owns. The CRL is signed
fresh on every call (``nextUpdate`` one day later); OCSP responses are signed by the issuing
CA itself (no delegated responder), echo the request's nonce and answer, per certificate:
``good`` (issued by the current issuing CA and not revoked), ``revoked`` (with time and
reason) or ``unknown`` (another issuer, or a serial it never issued).

:func:`validation_data` gathers what a letter's DSS (or an evidence package) needs so
that every certificate of every chain can be judged offline, for ever: the root's CRL
(which covers the issuing CAs, long-lived because the root is offline) and an *archival
CRL* of the current issuing CA, the same list of revoked certificates as the published
one but with ``nextUpdate`` at the expiry of the longest-lived certificate it vouches for
(the TSA's). Why so long: the newest archive timestamp of a letter is judged at the
verifier's current time (ETSI EN 319 102-1 §5.6.3, pyHanko ``adesverify``), and its TSA
certificate's status must still be fresh then, years after the last renewal and with no
network; the published one-day CRL would make every letter INDETERMINATE a day after
signing. The trade-off (a TSA compromise after the last renewal is not visible to an
offline verifier; the published CRL and OCSP show it at once) is stated in
docs/verification.md. Certificates of a retired issuing CA are covered by that CA's final
CRL (kept by :mod:`anxin.pki.rotation`), since its key no longer exists.

Beside the archival CRL goes an ordinary one-day CRL issued a second later. A past
validation (pyHanko's ``adesverify``, EN 319 102-1 §5.6.2.1) slides its control time back
to the expiry of the *most recent* status information it has for a certificate; for an
older archive timestamp's TSA that must land inside the TSA certificate's validity, after
the next archive timestamp that proves the older one existed: the short CRL, made at that
renewal, does exactly that, while the archival one answers for the newest TSA. pyHanko
finds, for that past validation, only OCSP responses (a CRL signed by the certificate's own
issuer is not matched there), so each certificate also gets an OCSP response.

Revoking an *authorization* does not revoke its event certificate: the signature was valid
when made. Certificates are revoked for key compromise or mis-issuance only.

Example::

    crl_der = build_crl(pki, certificates, now)
    revoke_certificate(certificates, "5f3a…", "keyCompromise", now)
    reply_der = ocsp_respond(pki, certificates, request_der, now)
    crls = current_crls(pki, certificates, now)   # every CRL our chains need, DER
    data = validation_data(pki, certificates, [event_cert, pki.tsa_cert], now)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from anxin.error_codes import Code
from anxin.errors import Conflict, NotFound, ValidationFailed
from anxin.pki import ocsp_der
from anxin.pki.authority import Pki
from anxin.pki.ocsp_request import ocsp_error, parse_ocsp_request
from anxin.pki.ports import CertificateStore
from anxin.pki.profiles import END_ENTITY_PARTITION, crl_partition_of, partition_name

CRL_LIFETIME = dt.timedelta(days=1)


def crl_scope(partition: str = END_ENTITY_PARTITION) -> x509.IssuingDistributionPoint:
    """The issuing distribution point of an issuing CA's CRL: end-entity certificates only
    (so that a validator never takes one issuing CA's CRL for a sibling CA's status, as
    pyHanko 0.38 otherwise would), of one partition (see :mod:`anxin.pki.profiles`)."""
    return x509.IssuingDistributionPoint(
        full_name=None, relative_name=partition_name(partition),
        only_contains_user_certs=True, only_contains_ca_certs=False, only_some_reasons=None,
        indirect_crl=False, only_contains_attribute_certs=False)
OCSP_LIFETIME = dt.timedelta(hours=1)
_CERT_ID_HASHES = ("sha1", "sha256", "sha384", "sha512")


def _serial_hex(serial: int | str) -> str:
    if isinstance(serial, int):
        return format(serial, "x")
    try:
        return format(int(serial, 16), "x")
    except ValueError:
        raise ValidationFailed(f"not a hexadecimal serial number: {serial!r}",
                               field="serial") from None


def revoke_certificate(certificates: CertificateStore, serial: int | str, reason: str,
                       now: dt.datetime) -> None:
    """Mark a certificate revoked; ``reason`` is an RFC 5280 CRLReason name such as
    ``keyCompromise`` (see :class:`cryptography.x509.ReasonFlags`)."""
    try:
        x509.ReasonFlags(reason)
    except ValueError:
        raise ValidationFailed(f"unknown revocation reason {reason!r}",
                               field="reason") from None
    key = _serial_hex(serial)
    if certificates.revoke(key, reason, now):
        return
    if certificates.get(key) is None:
        raise NotFound(f"no certificate with serial {key}", code=Code.CERTIFICATE_NOT_FOUND)
    raise Conflict(f"certificate {key} is already revoked", code=Code.CERTIFICATE_REVOKED)


def build_crl(pki: Pki, certificates: CertificateStore, now: dt.datetime, *,
              until: dt.datetime | None = None,
              partition: str = END_ENTITY_PARTITION) -> bytes:
    """A fresh CRL (DER) of the current issuing CA, signed by it, for one partition (the
    end-entity certificates, or one TSA's); ``nextUpdate`` one day later, or ``until``
    (an archival CRL, see the module docstring)."""
    revoked = certificates.revoked(pki.issuing_key_id)
    ski = pki.issuing_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(pki.issuing_cert.subject)
               .last_update(now).next_update(max(until or now, now + CRL_LIFETIME))
               .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                   ski), critical=False)
               .add_extension(crl_scope(partition), critical=True))
    for item in revoked:
        entry = (x509.RevokedCertificateBuilder().serial_number(int(item.serial, 16))
                 .revocation_date(item.revoked_at))
        if item.reason and item.reason != "unspecified":
            entry = entry.add_extension(x509.CRLReason(x509.ReasonFlags(item.reason)),
                                        critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    crl = builder.sign(pki.issuing_key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def current_crls(pki: Pki, certificates: CertificateStore, now: dt.datetime) -> list[bytes]:
    """The CRLs a validator needs for our chains, DER: the issuing CA's (fresh; the
    end-entity partition and the TSA's and the seal's) and the root's. Hand them to pyHanko
    (``ValidationContext(crls=...)``) to embed validation data without fetching over the
    network."""
    partitions = validation_data(pki, certificates, [pki.tsa_cert, pki.seal_cert], now).crls
    return [*partitions, build_crl(pki, certificates, now)]


# -- OCSP ------------------------------------------------------------------------------------

def _issuer_hashes(pki: Pki) -> dict[str, tuple[bytes, bytes]]:
    name = pki.issuing_cert.subject.public_bytes()
    key_bits = pki.issuing_cert.public_key()
    assert isinstance(key_bits, ec.EllipticCurvePublicKey)
    point = key_bits.public_bytes(serialization.Encoding.X962,
                                  serialization.PublicFormat.UncompressedPoint)
    return {alg: (hashlib.new(alg, name).digest(), hashlib.new(alg, point).digest())
            for alg in _CERT_ID_HASHES}


def _status(pki: Pki, certificates: CertificateStore, cert_id: ocsp.CertId,
            hashes_by_alg: dict[str, tuple[bytes, bytes]]) -> ocsp.CertStatus:
    algorithm = cert_id["hash_algorithm"]["algorithm"].native
    expected = hashes_by_alg.get(algorithm)
    if expected is None or expected != (cert_id["issuer_name_hash"].native,
                                        cert_id["issuer_key_hash"].native):
        return ocsp.CertStatus(name="unknown", value=None)
    serial = cert_id["serial_number"].native
    row = certificates.get(format(serial, "x")) if serial > 0 else None
    if row is not None and row.issuer_key_id == pki.issuing_key_id:
        if row.revoked_at is None:
            return ocsp.CertStatus(name="good", value=None)
        info: dict[str, object] = {"revocation_time": row.revoked_at.replace(microsecond=0)}
        if row.revocation_reason and row.revocation_reason != "unspecified":
            info["revocation_reason"] = _ASN1_REASONS[row.revocation_reason]
        return ocsp.CertStatus(name="revoked", value=ocsp.RevokedInfo(info))
    if row is None and serial in _platform_leaf_serials(pki):
        return ocsp.CertStatus(name="good", value=None)
    return ocsp.CertStatus(name="unknown", value=None)


def _platform_leaf_serials(pki: Pki) -> frozenset[int]:
    """TSA and seal certificates of the current issuing CA (current and retired ones:
    a TSA retired by ``anxin keys rotate --leaves`` is not revoked, its tokens stand)."""
    issuing = pki.issuing_key_id
    return frozenset({pki.tsa_cert.serial_number, pki.seal_cert.serial_number} | {
        c.serial_number for c in pki.archived_certs
        if not _is_ca(c) and _issuer_key_id(c) == issuing})


_ASN1_REASONS = {
    "keyCompromise": "key_compromise", "cACompromise": "ca_compromise",
    "affiliationChanged": "affiliation_changed", "superseded": "superseded",
    "cessationOfOperation": "cessation_of_operation", "certificateHold": "certificate_hold",
    "removeFromCRL": "remove_from_crl", "privilegeWithdrawn": "privilege_withdrawn",
    "aACompromise": "aa_compromise",
}


def ocsp_respond(pki: Pki, certificates: CertificateStore, request_der: bytes,
                 now: dt.datetime) -> bytes:
    """Answer an OCSPRequest (DER) with a signed OCSPResponse (DER); never raises on input."""
    query = parse_ocsp_request(request_der)
    if query is None:
        return ocsp_error("malformed_request")
    produced = now.astimezone(dt.UTC).replace(microsecond=0)
    return _signed_response(pki, certificates, query.cert_ids, produced,
                            produced + OCSP_LIFETIME, query.nonce)


def _signed_response(pki: Pki, certificates: CertificateStore, cert_ids: list[ocsp.CertId],
                     produced: dt.datetime, next_update: dt.datetime,
                     nonce: bytes | None) -> bytes:
    hashes_by_alg = _issuer_hashes(pki)
    tbs_der = ocsp_der.response_data(
        ocsp_der.responder_by_key(bytes.fromhex(pki.issuing_key_id)), produced, next_update,
        nonce,
        [(cert_id, _status(pki, certificates, cert_id, hashes_by_alg)) for cert_id in cert_ids])
    signature = pki.issuing_key.sign(tbs_der, ec.ECDSA(hashes.SHA256()))
    return ocsp_der.ocsp_response(tbs_der, ocsp_der.ECDSA_SHA256, signature,
                                  pki.issuing_cert.public_bytes(serialization.Encoding.DER))


# -- validation data for long-term validation --------------------------------------------

def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _issuer_key_id(cert: x509.Certificate) -> str | None:
    try:
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        return None
    return aki.key_identifier.hex() if aki.key_identifier is not None else None


def _ski(cert: x509.Certificate) -> str:
    return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex()


def known_issuers(pki: Pki, certs: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """The issuing CAs (current and retired) of this PKI that issued ``certs``."""
    cas = [pki.issuing_cert, *(c for c in pki.archived_certs if _is_ca(c))]
    out: list[x509.Certificate] = []
    for cert in certs:
        for ca in cas:
            if ca.subject == cert.issuer and ca not in out:
                out.append(ca)
    return out


@dataclass(frozen=True, slots=True)
class ValidationData:
    """CRLs and OCSP responses (DER) for a letter's DSS or an evidence package."""

    crls: tuple[bytes, ...]
    ocsps: tuple[bytes, ...]


def ocsp_for_certificate(pki: Pki, certificates: CertificateStore, cert: x509.Certificate,
                         now: dt.datetime, *, until: dt.datetime | None = None) -> bytes:
    """A signed OCSP response (DER) for ``cert``, a certificate of the current issuing
    CA, as the responder would answer (``nextUpdate`` an hour on, or ``until``)."""
    cert_id = ocsp.CertId({
        "hash_algorithm": {"algorithm": "sha256"},
        "issuer_name_hash": hashlib.sha256(pki.issuing_cert.subject.public_bytes()).digest(),
        "issuer_key_hash": _issuer_hashes(pki)["sha256"][1],
        "serial_number": cert.serial_number})
    produced = now.astimezone(dt.UTC).replace(microsecond=0)
    next_update = until.replace(microsecond=0) if until else produced + OCSP_LIFETIME
    return _signed_response(pki, certificates, [cert_id], produced, next_update, None)


def validation_data(pki: Pki, certificates: CertificateStore,
                    certs: Sequence[x509.Certificate], now: dt.datetime) -> ValidationData:
    """What proves the status of ``certs`` and of the CAs above them (module docstring):
    the root's CRL for issuing CAs; for certificates of the current issuing CA that are
    still valid, an OCSP response each and the CRL of their partition (a TSA's archival,
    ``nextUpdate`` a day before it expires; the end-entity one for a day); for those of a
    retired issuing CA the final CRL and OCSP responses it left. Nothing is issued for an
    expired certificate (its status then must come from before its expiry), nor for a
    certificate of an issuer this PKI does not know (an external TSA's)."""
    issuing_id = pki.issuing_key_id
    crls: list[bytes] = [pki.root_crl_der]
    ocsps: list[bytes] = []
    partitions: dict[str, dt.datetime | None] = {}
    for cert in certs:
        issuer = _issuer_key_id(cert)
        if issuer == issuing_id and cert.not_valid_after_utc > now:
            partition = crl_partition_of(cert) or END_ENTITY_PARTITION
            partitions[partition] = (None if partition == END_ENTITY_PARTITION
                                     else cert.not_valid_after_utc - dt.timedelta(days=1))
            ocsps.append(ocsp_for_certificate(pki, certificates, cert, now))
        elif issuer is not None and issuer in pki.retired_crls:
            final = pki.retired_crls[issuer]
            if final not in crls:
                crls.append(final)
            retired = pki.retired_ocsps.get(format(cert.serial_number, "x"))
            if retired is not None:
                ocsps.append(retired)
    # The CRLs a second before the OCSP responses: a past validation slides back to the
    # newest status of a certificate, which must be the short-lived OCSP response.
    earlier = now - dt.timedelta(seconds=1)
    crls[:0] = [build_crl(pki, certificates, earlier, until=until, partition=name)
                for name, until in partitions.items()]
    return ValidationData(tuple(crls), tuple(ocsps))
