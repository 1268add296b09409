"""Test support for the SM2 PKI: a second SM2 verifier (pure-Python ``gmssl``, Z value
computed here), an in-memory certificate store, and one-byte tampering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from asn1crypto import x509

from anxin.pki import sm2, sm2_x509
from anxin.pki.ports import RevokedCertificate, StoredCertificate
from tests.common.gmssl_check import gm_verify


def gmssl_verifies(public: sm2.SM2PublicKey, data: bytes, der_signature: bytes,
                   user_id: bytes = sm2.DEFAULT_USER_ID) -> bool:
    """gmssl's verdict on a DER SM2 signature over SM3(Z(user_id) ‖ data)
    (tests/common/gmssl_check.py: the Z value computed there)."""
    r, s = sm2.decode_signature(der_signature)
    return gm_verify(public, data, r, s, user_id)


def gmssl_verifies_certificate(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """The certificate's signature checked by gmssl over the TBS DER as it is encoded."""
    return gmssl_verifies(sm2_x509.public_key_of(issuer), cert["tbs_certificate"].dump(),
                          cert["signature_value"].native)


def flip(data: bytes, index: int) -> bytes:
    """``data`` with one byte changed (its low bit)."""
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


class MemoryCertificateStore:
    """The CertificateStore Protocol in a dict (the SQL one is tested elsewhere)."""

    def __init__(self) -> None:
        self.rows: dict[str, StoredCertificate] = {}

    def add(self, certificate: StoredCertificate) -> None:
        assert certificate.serial not in self.rows
        self.rows[certificate.serial] = certificate

    def get(self, serial: str) -> StoredCertificate | None:
        return self.rows.get(serial)

    def revoked(self, issuer_key_id: str) -> Sequence[RevokedCertificate]:
        rows = [r for r in self.rows.values()
                if r.issuer_key_id == issuer_key_id and r.revoked_at is not None]
        rows.sort(key=lambda r: r.revoked_at or dt.datetime.min)
        return [RevokedCertificate(r.serial, r.revoked_at, r.revocation_reason)
                for r in rows if r.revoked_at is not None]

    def revoke(self, serial: str, reason: str, at: dt.datetime) -> bool:
        row = self.rows.get(serial)
        if row is None or row.revoked_at is not None:
            return False
        self.rows[serial] = StoredCertificate(
            serial=row.serial, kind=row.kind, issuer_key_id=row.issuer_key_id,
            authorization_id=row.authorization_id, not_before=row.not_before,
            not_after=row.not_after, der_enc=row.der_enc, revoked_at=at,
            revocation_reason=reason)
        return True


class PlainKeys:
    """A KeyStore stand-in that only checks the associated data is kept (tests only)."""

    def encrypt(self, plaintext: bytes, *, aad: str) -> bytes:
        return aad.encode() + b"\0" + plaintext

    def decrypt(self, blob: bytes, *, aad: str) -> bytes:
        head, _, body = blob.partition(b"\0")
        assert head == aad.encode()
        return body
