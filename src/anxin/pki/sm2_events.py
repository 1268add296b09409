"""One-time SM2 event certificates: a fresh SM2 key and a minutes-long certificate per
signing, the national-profile twin of :mod:`anxin.pki.events`.

Same profile as the intl event certificate (subject ``CN=<name>,
serialNumber=<id commitment hex>``, keyUsage digitalSignature + nonRepudiation critical,
no EKU, the end-entity CRL partition, caIssuers and OCSP under ``/pki/sm2/``), issued by
the SM2 issuing CA and signed SM2-with-SM3. Its binding extension (same OID) is
**version 2**, which adds the letter's SM3 digest::

    AnxinEventBinding ::= SEQUENCE {
        version          INTEGER (2),
        authorizationId  UTF8String,
        letterSha256     OCTET STRING (SIZE (32)),
        letterSm3        [0] IMPLICIT OCTET STRING (SIZE (32)) }

An intl certificate keeps version 1 without the field, byte for byte as before;
:func:`read_sm2_event_binding` and :func:`anxin.pki.events.read_event_binding` read both.

Example::

    salt_hex, commitment = make_id_commitment("11010519491231002X")
    key, cert = issue_sm2_event_certificate(sm2_pki, name="张三",
        id_commitment_hex=commitment, authorization_id="a1",
        letter_sha256_hex=sha256_hex, letter_sm3_hex=sm3_hex, now=now)
    verify_sm2_event_binding(cert, letter_sha256_hex=sha256_hex, letter_sm3_hex=sm3_hex)
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Protocol

from asn1crypto import x509

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure, ValidationFailed
from anxin.keys import KeyStore
from anxin.pki import sm2, sm2_x509
from anxin.pki.events import (
    EVENT_CERT_BACKDATE,
    EventBinding,
    certificate_aad,
    encode_binding,
    parse_binding,
)
from anxin.pki.ports import CertificateStore, StoredCertificate

EVENT_LIFETIME = dt.timedelta(minutes=10)


class Sm2EventIssuer(Protocol):
    """What issuing needs (:class:`~anxin.pki.sm2_authority.Sm2Pki` has it)."""

    @property
    def urls(self) -> sm2_x509.Sm2PkiUrls: ...

    @property
    def issuing_cert(self) -> x509.Certificate: ...

    @property
    def issuing_key(self) -> sm2.SM2PrivateKey: ...


def _is_digest_hex(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _check_inputs(name: str, id_commitment_hex: str, authorization_id: str,
                  letter_sha256_hex: str, letter_sm3_hex: str) -> None:
    if not 1 <= len(name) <= 64:
        raise ValidationFailed("the signer's name must be 1 to 64 characters",
                               field="subject.name")
    for value, what in ((id_commitment_hex, "id commitment"),
                        (letter_sha256_hex, "letter SHA-256"), (letter_sm3_hex, "letter SM3")):
        if not _is_digest_hex(value):
            raise ValidationFailed(f"{what} must be 64 lower-case hex digits")
    if not authorization_id:
        raise ValidationFailed("authorization id is required")


def issue_sm2_event_certificate(pki: Sm2EventIssuer, *, name: str, id_commitment_hex: str,
                                authorization_id: str, letter_sha256_hex: str,
                                letter_sm3_hex: str, now: dt.datetime,
                                lifetime: dt.timedelta = EVENT_LIFETIME,
                                ) -> tuple[sm2.SM2PrivateKey, x509.Certificate]:
    """A new SM2 key and its certificate from the SM2 issuing CA. Keep the key in memory
    only, drop it after the signature; record the certificate with
    :func:`record_sm2_certificate` in the caller's transaction."""
    name = name.strip()
    _check_inputs(name, id_commitment_hex, authorization_id, letter_sha256_hex,
                  letter_sm3_hex)
    key = sm2.generate_private_key()
    subject = x509.Name.build({"common_name": name, "serial_number": id_commitment_hex},
                              use_printable=False)
    binding = encode_binding(authorization_id, letter_sha256_hex, letter_sm3_hex)
    cert = sm2_x509.issue_end_entity(
        key.public, subject, pki.issuing_cert, pki.issuing_key, pki.urls,
        now - EVENT_CERT_BACKDATE, now + lifetime,
        extra=[sm2_x509.unrecognized_extension(sm2_x509.EVENT_BINDING_OID, binding)])
    return key, cert


def read_sm2_event_binding(cert: x509.Certificate) -> EventBinding:
    """The binding extension of an event certificate (asn1crypto), version 1 or 2."""
    found = [ext for ext in cert["tbs_certificate"]["extensions"] or []
             if ext["extn_id"].dotted == sm2_x509.EVENT_BINDING_OID]
    if not found:
        raise IntegrityFailure("not an Anxin event certificate (no binding extension)",
                               code=Code.EVENT_BINDING_MISSING)
    if len(found) > 1 or found[0]["critical"].native:
        raise IntegrityFailure("malformed binding extension", code=Code.EVENT_BINDING_MALFORMED)
    commitment = ""
    for rdn in cert.subject.chosen:
        for attribute in rdn:
            if attribute["type"].native == "serial_number":
                commitment = str(attribute["value"].native)
    return parse_binding(found[0]["extn_value"].contents, commitment)


def verify_sm2_event_binding(cert: x509.Certificate, *, letter_sha256_hex: str,
                             letter_sm3_hex: str,
                             authorization_id: str | None = None) -> EventBinding:
    """Return the binding if it is version 2 and names this letter by both digests (and
    this authorization), else raise."""
    binding = read_sm2_event_binding(cert)
    if binding.letter_sm3 is None:
        raise IntegrityFailure("the SM2 event certificate's binding has no SM3 digest",
                               code=Code.EVENT_BINDING_MALFORMED)
    for found, wanted, what in ((binding.letter_sha256, letter_sha256_hex, "SHA-256"),
                                (binding.letter_sm3, letter_sm3_hex, "SM3")):
        if not hmac.compare_digest(found, wanted.lower()):
            raise IntegrityFailure(f"the certificate binds letter {what} {found}, not "
                                   f"{wanted}", code=Code.EVENT_BINDING_MISMATCH)
    if authorization_id is not None and binding.authorization_id != authorization_id:
        raise IntegrityFailure(f"the certificate binds authorization "
                               f"{binding.authorization_id}, not {authorization_id}",
                               code=Code.EVENT_BINDING_MISMATCH)
    return binding


def record_sm2_certificate(certificates: CertificateStore, cert: x509.Certificate, *,
                           keys: KeyStore, kind: str,
                           authorization_id: str | None = None) -> None:
    """Add an issued SM2 certificate to the store, encrypted as the intl ones are (the
    issuer key id column is the SM2 issuing CA's, so its CRL and OCSP find it)."""
    serial = format(cert.serial_number, "x")
    issuer = sm2_x509.authority_key_id(cert)
    if issuer is None:
        raise ValidationFailed("the certificate has no authority key identifier")
    certificates.add(StoredCertificate(
        serial=serial, kind=kind, issuer_key_id=issuer.hex(),
        authorization_id=authorization_id, not_before=cert.not_valid_before,
        not_after=cert.not_valid_after,
        der_enc=keys.encrypt(cert.dump(), aad=certificate_aad(serial))))


def recorded_sm2_certificate(certificates: CertificateStore, keys: KeyStore,
                             serial: int) -> x509.Certificate | None:
    """The stored SM2 certificate of ``serial``, decrypted (None if never issued)."""
    key = format(serial, "x")
    stored = certificates.get(key)
    if stored is None:
        return None
    return sm2_x509.load_certificate(keys.decrypt(stored.der_enc, aad=certificate_aad(key)))
