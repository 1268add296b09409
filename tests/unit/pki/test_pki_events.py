"""Event certificates: profile, binding extension, id commitment."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from anxin.errors import IntegrityFailure, ValidationFailed
from anxin.pki.authority import Pki
from anxin.pki.events import (
    EVENT_BINDING_OID,
    id_commitment,
    issue_event_certificate,
    make_id_commitment,
    read_event_binding,
    verify_event_binding,
    verify_id_commitment,
)

LETTER = hashlib.sha256(b"the letter").hexdigest()
OTHER_LETTER = hashlib.sha256(b"another letter").hexdigest()
ID_NUMBER = "11010519491231002X"


def _issue(pki: Pki, now: dt.datetime, **kw: object) -> tuple[ec.EllipticCurvePrivateKey,
                                                               x509.Certificate, str]:
    salt, commitment = make_id_commitment(ID_NUMBER)
    args: dict[str, object] = {"name": "张三", "id_commitment_hex": commitment,
                               "authorization_id": "auth-1", "letter_sha256_hex": LETTER,
                               "now": now}
    args.update(kw)
    key, cert = issue_event_certificate(pki, **args)  # type: ignore[arg-type]
    return key, cert, salt


def test_profile(pki: Pki, now: dt.datetime) -> None:
    key, cert, _ = _issue(pki, now)
    cert.verify_directly_issued_by(pki.issuing_cert)
    assert cert.public_key() == key.public_key()
    assert key.curve.name == "secp256r1"
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "张三"
    assert ID_NUMBER not in cert.subject.rfc4514_string()
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    assert ku.value.digital_signature
    assert ku.value.content_commitment
    assert not ku.value.key_cert_sign
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert cert.not_valid_after_utc - now <= dt.timedelta(minutes=10)
    assert cert.not_valid_before_utc <= now
    # CRL distribution point and caIssuers, but no OCSP URL (see profiles._end_entity)
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [d.access_method for d in aia] == [AuthorityInformationAccessOID.CA_ISSUERS]
    assert cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    binding = cert.extensions.get_extension_for_oid(EVENT_BINDING_OID)
    assert not binding.critical
    assert str(EVENT_BINDING_OID.dotted_string).startswith("2.25.")


def test_each_signing_gets_a_fresh_key_and_serial(pki: Pki, now: dt.datetime) -> None:
    k1, c1, _ = _issue(pki, now)
    k2, c2, _ = _issue(pki, now)
    assert c1.serial_number != c2.serial_number
    assert k1.public_key() != k2.public_key()


def test_binding_round_trips(pki: Pki, now: dt.datetime) -> None:
    _, cert, _ = _issue(pki, now, authorization_id="6a1f0c1e-3e0f-4d52-9d0b-1b7c0e2f9a11")
    binding = read_event_binding(cert)
    assert binding.authorization_id == "6a1f0c1e-3e0f-4d52-9d0b-1b7c0e2f9a11"
    assert binding.letter_sha256 == LETTER
    # the verifier sees pyHanko's asn1crypto certificates: same answer
    as_asn1 = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    assert read_event_binding(as_asn1) == binding


def test_binding_refuses_another_letter(pki: Pki, now: dt.datetime) -> None:
    _, cert, _ = _issue(pki, now)
    verify_event_binding(cert, letter_sha256_hex=LETTER, authorization_id="auth-1")
    with pytest.raises(IntegrityFailure) as info:
        verify_event_binding(cert, letter_sha256_hex=OTHER_LETTER)
    assert info.value.code == "event_binding_mismatch"
    with pytest.raises(IntegrityFailure, match="authorization"):
        verify_event_binding(cert, letter_sha256_hex=LETTER, authorization_id="auth-2")


def test_a_certificate_without_binding_is_refused(pki: Pki) -> None:
    with pytest.raises(IntegrityFailure) as info:
        read_event_binding(pki.tsa_cert)
    assert info.value.code == "event_binding_missing"


def test_a_malformed_binding_is_refused(pki: Pki, now: dt.datetime) -> None:
    forged = (x509.CertificateBuilder().subject_name(pki.issuing_cert.subject)
              .issuer_name(pki.issuing_cert.subject).public_key(pki.tsa_key.public_key())
              .serial_number(1).not_valid_before(now).not_valid_after(now)
              .add_extension(x509.UnrecognizedExtension(EVENT_BINDING_OID, b"\x30\x03\x02\x01\x07"),
                             critical=False)
              .sign(pki.issuing_key, hashes.SHA256()))
    with pytest.raises(IntegrityFailure) as info:
        read_event_binding(forged)
    assert info.value.code == "event_binding_malformed"


def test_id_commitment_is_salted_and_checkable(pki: Pki, now: dt.datetime) -> None:
    _, cert, salt = _issue(pki, now)
    verify_id_commitment(cert, id_number=ID_NUMBER.lower(), salt_hex=salt)  # normalised
    with pytest.raises(IntegrityFailure):
        verify_id_commitment(cert, id_number="110105194912310039", salt_hex=salt)
    with pytest.raises(IntegrityFailure):
        verify_id_commitment(cert, id_number=ID_NUMBER, salt_hex="00" * 16)
    assert id_commitment(ID_NUMBER, b"a" * 16) != id_commitment(ID_NUMBER, b"b" * 16)
    assert make_id_commitment(ID_NUMBER)[1] != make_id_commitment(ID_NUMBER)[1]


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""), ("name", "x" * 65), ("id_commitment_hex", "zz" * 32),
    ("letter_sha256_hex", "ab"), ("authorization_id", ""),
])
def test_bad_input_is_refused(pki: Pki, now: dt.datetime, field: str, value: str) -> None:
    with pytest.raises(ValidationFailed):
        _issue(pki, now, **{field: value})


def test_custom_lifetime(pki: Pki, now: dt.datetime) -> None:
    _, cert, _ = _issue(pki, now, lifetime=dt.timedelta(minutes=3))
    assert cert.not_valid_after_utc == (now + dt.timedelta(minutes=3)).replace(microsecond=0)
