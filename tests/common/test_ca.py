"""A throwaway test PKI built with ``cryptography``: root → issuing CA → event certificates,
plus an RSA timestamping authority, a CRL and OCSP responses.

Reusable by any test that needs a real chain::

    pki = build_test_pki()
    event = pki.issue_event_cert("张三")
    crl = pki.issuing_crl()
    tsa = pki.timestamper()          # pyHanko DummyTimeStamper over the RSA TSA key

Everything is made in memory with fresh keys; nothing touches disk unless a test writes
the PEM files (:meth:`TestPKI.write_root_pem`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _name(common_name: str, org: str = "Anxin Test") -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _ca_cert(subject: x509.Name, key: PrivateKey, issuer: x509.Name, issuer_key: PrivateKey,
             *, path_length: int, days: int) -> x509.Certificate:
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class TestPKI:
    """Root, issuing CA and TSA of one throwaway PKI (keys held in memory)."""

    __test__ = False  # not a pytest class

    root_key: ec.EllipticCurvePrivateKey
    root_cert: x509.Certificate
    issuing_key: ec.EllipticCurvePrivateKey
    issuing_cert: x509.Certificate
    tsa_key: rsa.RSAPrivateKey
    tsa_cert: x509.Certificate
    revoked: dict[int, dt.datetime] = field(default_factory=dict)

    @property
    def chain(self) -> list[x509.Certificate]:
        """The certificates above an event certificate, nearest first."""
        return [self.issuing_cert, self.root_cert]

    def issue_event_cert(self, signer_name: str, *, minutes: float = 10,
                         extra_extensions: list[tuple[x509.ExtensionType, bool]] | None = None,
                         ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """A fresh P-256 key and a short-lived non-repudiation certificate for it."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, signer_name)]))
            .issuer_name(self.issuing_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(minutes=minutes))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.issuing_key.public_key()), critical=False)
        )
        for extension, critical in extra_extensions or []:
            builder = builder.add_extension(extension, critical=critical)
        return key, builder.sign(self.issuing_key, hashes.SHA256())

    def revoke(self, cert: x509.Certificate) -> None:
        self.revoked[cert.serial_number] = _now() - dt.timedelta(seconds=1)

    def issuing_crl(self) -> bytes:
        """A DER CRL of the issuing CA listing :meth:`revoke`-d certificates.

        Like the OCSP response, issued now (right after signing, as the product does).
        """
        now = _now()
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(self.issuing_cert.subject)
                   .last_update(now)
                   .next_update(now + dt.timedelta(days=7))
                   .add_extension(x509.CRLNumber(1), critical=False))
        for serial, when in self.revoked.items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial)
                .revocation_date(when).build())
        return builder.sign(self.issuing_key, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER)

    def root_crl(self) -> bytes:
        now = _now()
        return (x509.CertificateRevocationListBuilder()
                .issuer_name(self.root_cert.subject)
                .last_update(now - dt.timedelta(minutes=5))
                .next_update(now + dt.timedelta(days=30))
                .add_extension(x509.CRLNumber(1), critical=False)
                .sign(self.root_key, hashes.SHA256())
                .public_bytes(serialization.Encoding.DER))

    def ocsp_response(self, cert: x509.Certificate) -> bytes:
        """A DER OCSP response from the issuing CA about ``cert`` (good or revoked).

        ``thisUpdate`` is now: a response made right after signing, as the product does.
        """
        now = _now()
        revoked_at = self.revoked.get(cert.serial_number)
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=cert, issuer=self.issuing_cert, algorithm=hashes.SHA256(),
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked_at else ocsp.OCSPCertStatus.GOOD,
            this_update=now, next_update=now + dt.timedelta(hours=1),
            revocation_time=revoked_at, revocation_reason=None,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, self.issuing_cert)
        return builder.sign(self.issuing_key, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER)

    def timestamper(self) -> Any:
        """pyHanko's in-process RSA timestamper over this PKI's TSA (keys loaded once)."""
        from pyhanko.sign.timestamps import DummyTimeStamper

        return DummyTimeStamper(
            tsa_cert=to_asn1(self.tsa_cert), tsa_key=_asn1_key(self.tsa_key),
            certs_to_embed=[to_asn1(self.issuing_cert), to_asn1(self.root_cert)])

    def write_root_pem(self, path: Path) -> Path:
        path.write_bytes(self.root_cert.public_bytes(serialization.Encoding.PEM))
        return path


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: PrivateKey) -> Any:
    from asn1crypto import keys as asn1_keys

    return asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))


def build_test_pki(name: str = "Anxin Test") -> TestPKI:
    """A new root (P-256), issuing CA (P-256) and RSA-2048 TSA, all valid now."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{name} Root CA", name)
    root_cert = _ca_cert(root_name, root_key, root_name, root_key, path_length=1, days=3650)
    issuing_key = ec.generate_private_key(ec.SECP256R1())
    issuing_cert = _ca_cert(_name(f"{name} Issuing CA", name), issuing_key, root_name, root_key,
                            path_length=0, days=1825)
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = _now()
    tsa_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} TSA", name)).issuer_name(issuing_cert.subject)
        .public_key(tsa_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=900))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuing_key.public_key()), critical=False)
        .sign(issuing_key, hashes.SHA256())
    )
    return TestPKI(root_key, root_cert, issuing_key, issuing_cert, tsa_key, tsa_cert)
