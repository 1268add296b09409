"""One-time event certificates: a fresh key and a minutes-long certificate per signing.

Profile (``docs/pki.md``): subject ``CN=<name>, serialNumber=<id commitment hex>``, where the
commitment is ``SHA-256(salt || UTF-8(id number))`` with a 16-byte random salt kept in the
evidence package; key usage digitalSignature + nonRepudiation (critical); no extended key
usage (NSS/pdfsig, pyHanko and Acrobat all accept a signer certificate without one, while a
wrong EKU makes some refuse it); and a non-critical binding extension::

    AnxinEventBinding ::= SEQUENCE {      -- extnID EVENT_BINDING_OID (2.25.….1)
        version          INTEGER (1 | 2),
        authorizationId  UTF8String,
        letterSha256     OCTET STRING (SIZE (32)),
        letterSm3        [0] IMPLICIT OCTET STRING (SIZE (32)) OPTIONAL }

Version 1 (these P-256 certificates) has no ``letterSm3``: its DER is what it always was.
Version 2, written only into SM2 event certificates (:mod:`anxin.pki.sm2_events`), carries
the letter's SM3 digest too; :func:`read_event_binding` reads both and refuses a version 1
with an SM3 digest or a version 2 without one.

Example::

    salt_hex, commitment = make_id_commitment("11010519491231002X")
    key, cert = issue_event_certificate(pki, name="张三", id_commitment_hex=commitment,
        authorization_id="a1", letter_sha256_hex="00" * 32, now=now)
    read_event_binding(cert).authorization_id   # 'a1'

"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from dataclasses import dataclass

from asn1crypto import core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure, ValidationFailed
from anxin.keys import KeyStore
from anxin.pki import profiles
from anxin.pki.authority import Pki, authority_key_id
from anxin.pki.ports import CertificateStore, StoredCertificate

EVENT_BINDING_OID = profiles.EVENT_BINDING_OID
EVENT_CERT_BACKDATE = dt.timedelta(minutes=1)
_BINDING_VERSION = 1
SM2_BINDING_VERSION = 2


class _BindingAsn1(core.Sequence):  # type: ignore[misc] # asn1crypto is untyped
    _fields = [  # noqa: RUF012 - asn1crypto's declarative spec
        ("version", core.Integer),
        ("authorization_id", core.UTF8String),
        ("letter_sha256", core.OctetString),
        ("letter_sm3", core.OctetString, {"implicit": 0, "optional": True}),
    ]


@dataclass(frozen=True, slots=True)
class EventBinding:
    """What an event certificate binds: the authorization and the exact letter."""

    authorization_id: str
    letter_sha256: str  # hex
    id_commitment: str  # hex, from the subject's serialNumber
    letter_sm3: str | None = None  # hex, version 2 (SM2 event certificates) only


def _is_sha256_hex(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def id_commitment(id_number: str, salt: bytes) -> str:
    """``SHA-256(salt || UTF-8(id number, stripped, upper-case))`` in hex."""
    return hashlib.sha256(salt + id_number.strip().upper().encode()).hexdigest()


def make_id_commitment(id_number: str) -> tuple[str, str]:
    """A fresh 16-byte salt and the commitment: ``(salt_hex, commitment_hex)``."""
    salt = os.urandom(16)
    return salt.hex(), id_commitment(id_number, salt)


def encode_binding(authorization_id: str, letter_sha256_hex: str,
                   letter_sm3_hex: str | None = None) -> bytes:
    """Version 1, or version 2 when the letter's SM3 digest is given (SM2 certificates)."""
    fields: dict[str, object] = {
        "version": _BINDING_VERSION, "authorization_id": authorization_id,
        "letter_sha256": bytes.fromhex(letter_sha256_hex)}
    if letter_sm3_hex is not None:
        fields["version"] = SM2_BINDING_VERSION
        fields["letter_sm3"] = bytes.fromhex(letter_sm3_hex)
    encoded: bytes = _BindingAsn1(fields).dump()
    return encoded


def parse_binding(value: bytes, id_commitment_hex: str) -> EventBinding:
    """The binding of an extension value (DER), version 1 or 2, or raise."""
    try:
        parsed = _BindingAsn1.load(value, strict=True)
        version = parsed["version"].native
        authorization_id = parsed["authorization_id"].native
        digest = parsed["letter_sha256"].native
        sm3 = parsed["letter_sm3"].native
    except (ValueError, TypeError):
        raise IntegrityFailure("malformed binding extension",
                               code=Code.EVENT_BINDING_MALFORMED) from None
    wanted_sm3 = {_BINDING_VERSION: False, SM2_BINDING_VERSION: True}.get(version)
    if (wanted_sm3 is None or not isinstance(digest, bytes) or len(digest) != 32
            or (sm3 is not None) != wanted_sm3 or (sm3 is not None and len(sm3) != 32)):
        raise IntegrityFailure("unsupported binding extension",
                               code=Code.EVENT_BINDING_MALFORMED)
    return EventBinding(authorization_id=authorization_id, letter_sha256=digest.hex(),
                        id_commitment=id_commitment_hex,
                        letter_sm3=None if sm3 is None else sm3.hex())


def issue_event_certificate(pki: Pki, *, name: str, id_commitment_hex: str,
                            authorization_id: str, letter_sha256_hex: str,
                            now: dt.datetime, lifetime: dt.timedelta = dt.timedelta(minutes=10),
                            ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A new P-256 key and its certificate from the issuing CA. Keep the key in memory
    only, drop it after the signature; record the certificate with :func:`record_certificate`
    in the caller's transaction."""
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise ValidationFailed("the signer's name must be 1 to 64 characters",
                               field="subject.name")
    if not _is_sha256_hex(id_commitment_hex):
        raise ValidationFailed("id commitment must be 64 lower-case hex digits")
    if not _is_sha256_hex(letter_sha256_hex):
        raise ValidationFailed("letter SHA-256 must be 64 lower-case hex digits")
    if not authorization_id:
        raise ValidationFailed("authorization id is required")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, name),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, id_commitment_hex),
    ])
    builder = profiles.event_builder(key.public_key(), subject, pki.issuing_cert, pki.urls,
                                     now - EVENT_CERT_BACKDATE, now + lifetime)
    builder = builder.add_extension(
        x509.UnrecognizedExtension(EVENT_BINDING_OID,
                                   encode_binding(authorization_id, letter_sha256_hex)),
        critical=False)
    return key, profiles.sign(builder, pki.issuing_key)


def _as_cryptography(cert: x509.Certificate | asn1_x509.Certificate) -> x509.Certificate:
    if isinstance(cert, x509.Certificate):
        return cert
    return x509.load_der_x509_certificate(cert.dump())


def read_event_binding(cert: x509.Certificate | asn1_x509.Certificate) -> EventBinding:
    """Parse the binding extension (accepts cryptography or asn1crypto certificates)."""
    cert = _as_cryptography(cert)
    try:
        ext = cert.extensions.get_extension_for_oid(EVENT_BINDING_OID)
    except x509.ExtensionNotFound:
        raise IntegrityFailure("not an Anxin event certificate (no binding extension)",
                               code=Code.EVENT_BINDING_MISSING) from None
    if ext.critical or not isinstance(ext.value, x509.UnrecognizedExtension):
        raise IntegrityFailure("malformed binding extension", code=Code.EVENT_BINDING_MALFORMED)
    commitments = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    commitment = str(commitments[0].value) if commitments else ""
    return parse_binding(ext.value.value, commitment)


def verify_event_binding(cert: x509.Certificate | asn1_x509.Certificate, *,
                         letter_sha256_hex: str,
                         authorization_id: str | None = None) -> EventBinding:
    """Return the binding if it names this letter (and authorization), else raise."""
    binding = read_event_binding(cert)
    if not hmac.compare_digest(binding.letter_sha256, letter_sha256_hex.lower()):
        raise IntegrityFailure(
            f"the certificate binds letter {binding.letter_sha256}, not {letter_sha256_hex}",
            code=Code.EVENT_BINDING_MISMATCH)
    if authorization_id is not None and binding.authorization_id != authorization_id:
        raise IntegrityFailure(
            f"the certificate binds authorization {binding.authorization_id}, "
            f"not {authorization_id}", code=Code.EVENT_BINDING_MISMATCH)
    return binding


def verify_id_commitment(cert: x509.Certificate | asn1_x509.Certificate, *, id_number: str,
                         salt_hex: str) -> None:
    """Raise unless the certificate commits to this id number under this salt."""
    binding = read_event_binding(cert)
    expected = id_commitment(id_number, bytes.fromhex(salt_hex))
    if not hmac.compare_digest(binding.id_commitment, expected):
        raise IntegrityFailure("the certificate does not commit to this id number",
                               code=Code.ID_COMMITMENT_MISMATCH)


def certificate_aad(serial_hex: str) -> str:
    """The associated data of a stored certificate: its row, so it cannot be moved."""
    return f"certificates/{serial_hex}"


def record_certificate(certificates: CertificateStore, cert: x509.Certificate, *,
                       keys: KeyStore, kind: str, authorization_id: str | None = None) -> None:
    """Add an issued certificate to the store (in the caller's transaction, which commits).

    The certificate is stored encrypted (its subject is the person's name): the CRL and
    OCSP responder read only the clear serial, issuer key id and revocation columns."""
    serial = format(cert.serial_number, "x")
    certificates.add(StoredCertificate(
        serial=serial, kind=kind,
        issuer_key_id=authority_key_id(cert), authorization_id=authorization_id,
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        der_enc=keys.encrypt(cert.public_bytes(Encoding.DER), aad=certificate_aad(serial))))


def recorded_certificate(certificates: CertificateStore, keys: KeyStore,
                         serial: int) -> x509.Certificate | None:
    """The stored certificate of ``serial``, decrypted (None if it was never issued)."""
    key = format(serial, "x")
    stored = certificates.get(key)
    if stored is None:
        return None
    return x509.load_der_x509_certificate(keys.decrypt(stored.der_enc,
                                                       aad=certificate_aad(key)))
