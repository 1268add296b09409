"""Certificate profiles of the platform PKI: which extensions each kind of certificate carries.

One function per profile builds an unsigned :class:`x509.CertificateBuilder`; the caller
signs it with the issuer's key. The profiles are documented in ``docs/pki.md``.

>>> from cryptography.hazmat.primitives.asymmetric import ec
>>> key = ec.generate_private_key(ec.SECP384R1())
>>> cert = sign(root_ca_builder(key.public_key(), NOW), key)
>>> cert.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length
1
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

# Our private arc: a random UUID (a5ad51cb-fda1-4a24-ba8f-32636ca56126) as a 2.25 OID
# (ITU-T X.667). Sub-arcs: .1 event binding extension, .2 TSA policy.
ANXIN_OID_ARC = "2.25.220222545698027225064232607535105138982"
EVENT_BINDING_OID = x509.ObjectIdentifier(ANXIN_OID_ARC + ".1")
TSA_POLICY_OID = ANXIN_OID_ARC + ".2"

ROOT_LIFETIME = dt.timedelta(days=20 * 365)
ISSUING_LIFETIME = dt.timedelta(days=10 * 365)
LEAF_LIFETIME = dt.timedelta(days=5 * 365)  # TSA and seal; rotate before this
BACKDATE = dt.timedelta(minutes=5)
ORGANIZATION = "Anxin"

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # for doctests only


@dataclass(frozen=True, slots=True)
class PkiUrls:
    """Where verifiers fetch what the certificates point at (from ``ANXIN_BASE_URL``)."""

    base: str
    # Where the files are under the base: ``/pki``, or ``/pki/test`` for the test CA.
    prefix: str = "/pki"

    @property
    def root_cert(self) -> str:
        return f"{self.base}{self.prefix}/root.crt"

    @property
    def root_crl(self) -> str:
        return f"{self.base}{self.prefix}/root.crl"

    @property
    def issuing_cert(self) -> str:
        return f"{self.base}{self.prefix}/issuing.crt"

    @property
    def issuing_crl(self) -> str:
        return f"{self.base}{self.prefix}/issuing.crl"

    @property
    def ocsp(self) -> str:
        return f"{self.base}{self.prefix}/ocsp"


def key_id_hex(public_key: ec.EllipticCurvePublicKey) -> str:
    """The RFC 5280 method-1 key identifier (SHA-1 of the public key bits), in hex."""
    return x509.SubjectKeyIdentifier.from_public_key(public_key).digest.hex()


def ca_name(label: str, public_key: ec.EllipticCurvePublicKey) -> x509.Name:
    """A CA/TSA name made unique per key, so two installations (or two generations after a
    rotation) never share a subject: ``CN=Anxin Issuing CA 3f9a12bc, O=Anxin``."""
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{label} {key_id_hex(public_key)[:8]}"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
    ])


def sign_hash(issuer_key: ec.EllipticCurvePrivateKey) -> hashes.SHA256 | hashes.SHA384:
    """ECDSA with the hash that matches the curve: SHA-384 for P-384, SHA-256 for P-256."""
    return hashes.SHA384() if issuer_key.curve.key_size >= 384 else hashes.SHA256()


def sign(builder: x509.CertificateBuilder,
         issuer_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    return builder.sign(issuer_key, sign_hash(issuer_key))


def _base(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
          not_before: dt.datetime, not_after: dt.datetime) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),
                           critical=False))


def _key_usage(*, digital_signature: bool = False, content_commitment: bool = False,
               cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature,
                         content_commitment=content_commitment, key_encipherment=False,
                         data_encipherment=False, key_agreement=False,
                         key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False,
                         decipher_only=False)


# CRL partitions (RFC 5280 §5.2.5 "nameRelativeToCRLIssuer"). The issuing CA's CRLs come in
# scopes: one for its short-lived event certificates, one per TSA and seal certificate.
# Each certificate names its scope in its distribution points and each CRL in its issuing
# distribution point, so a CRL issued for one scope never speaks for another. Why: the
# newest TSA needs a long-lived CRL to be judged at any later time, while an older TSA must
# get no status information dated after its own expiry (a past validation slides back to
# the expiry of the newest status it has, and that must fall inside the TSA's validity).
END_ENTITY_PARTITION = "end-entity status"


def partition_name(label: str) -> x509.RelativeDistinguishedName:
    """The relative name of a CRL partition (appended to the issuer's name)."""
    return x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, label)])


def own_partition(label: str, public_key: ec.EllipticCurvePublicKey) -> str:
    """The CRL partition of one long-lived leaf (a TSA, the seal)."""
    return f"{label} {key_id_hex(public_key)[:16]} status"


def _crl_dp(url: str | None, partition: str) -> x509.CRLDistributionPoints:
    points = [x509.DistributionPoint(full_name=None, relative_name=partition_name(partition),
                                     reasons=None, crl_issuer=None)]
    if url is not None:
        points.insert(0, x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(url)], relative_name=None,
            reasons=None, crl_issuer=None))
    return x509.CRLDistributionPoints(points)


def crl_partition_of(cert: x509.Certificate) -> str | None:
    """The CRL partition a certificate names (None: it names none, an older profile)."""
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return None
    for point in points:
        if point.relative_name is not None:
            values = point.relative_name.get_attributes_for_oid(NameOID.COMMON_NAME)
            if values:
                return str(values[0].value)
    return None


def _aia(*, ocsp: str | None, ca_issuers: str) -> x509.AuthorityInformationAccess:
    descriptions = []
    if ocsp is not None:
        descriptions.append(x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                                   x509.UniformResourceIdentifier(ocsp)))
    descriptions.append(x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                               x509.UniformResourceIdentifier(ca_issuers)))
    return x509.AuthorityInformationAccess(descriptions)


def issued_by(builder: x509.CertificateBuilder, issuer: x509.Certificate) -> \
        x509.CertificateBuilder:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)


def root_ca_builder(public_key: ec.EllipticCurvePublicKey,
                    now: dt.datetime, *, label: str = "") -> x509.CertificateBuilder:
    """``label`` (``"TEST "`` for the test CA) goes before the name of the CA."""
    name = ca_name(f"Anxin {label}Root CA", public_key)
    return (_base(name, name, public_key, now - BACKDATE, now + ROOT_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True))


def issuing_ca_builder(public_key: ec.EllipticCurvePublicKey, root: x509.Certificate,
                       urls: PkiUrls, now: dt.datetime, *, label: str = ""
                       ) -> x509.CertificateBuilder:
    # digitalSignature: the issuing CA signs OCSP responses itself (CA/B BR 7.1.2.1).
    not_after = min(now + ISSUING_LIFETIME, root.not_valid_after_utc)
    builder = _base(ca_name(f"Anxin {label}Issuing CA", public_key), root.subject, public_key,
                    now - BACKDATE, not_after)
    # No CRL distribution point, for the reason given in tsa_builder: the root's CRL, which
    # covers the issuing CA, is supplied in every letter and package.
    return (issued_by(builder, root)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(digital_signature=True, cert_sign=True), critical=True)
            .add_extension(_aia(ocsp=None, ca_issuers=urls.root_cert), critical=False))


def _end_entity(builder: x509.CertificateBuilder, issuer: x509.Certificate, urls: PkiUrls,
                key_usage: x509.KeyUsage, *, partition: str | None = None,
                ) -> x509.CertificateBuilder:
    # No certificate names the OCSP responder: poppler/NSS (pdfsig) checks a named responder
    # by default and reports "Unknown issue with Certificate" when it cannot reach it, which
    # would break offline verification of signed letters. The responder still answers for
    # every certificate. A TSA or seal certificate names its own CRL partition and no URL:
    # see :func:`tsa_builder`.
    builder = (issued_by(builder, issuer)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(key_usage, critical=True))
    dp = (_crl_dp(None, partition) if partition is not None
          else _crl_dp(urls.issuing_crl, END_ENTITY_PARTITION))
    return (builder.add_extension(dp, critical=False)
            .add_extension(_aia(ocsp=None, ca_issuers=urls.issuing_cert), critical=False))


def tsa_builder(public_key: ec.EllipticCurvePublicKey, issuing: x509.Certificate,
                urls: PkiUrls, now: dt.datetime, *, label: str = "") -> x509.CertificateBuilder:
    """RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, critical.

    No revocation URL (no CRL URL, no OCSP responder): the newest archive timestamp of a
    letter is judged at the verifier's current time, years after it was made and perhaps
    with no network; a validator that finds a revocation URL in the certificate fetches it
    and, when that fails, ignores the status embedded in the letter (pyHanko does). The
    TSA's status is therefore always supplied, never pointed at: the CRL of its own
    partition (named in its distribution point, no URL) and an OCSP response, in every
    letter's DSS and package (:mod:`anxin.pki.revocation`).
    """
    not_after = min(now + LEAF_LIFETIME, issuing.not_valid_after_utc)
    builder = _base(ca_name(f"Anxin {label}TSA", public_key), issuing.subject, public_key,
                    now - BACKDATE, not_after)
    return (_end_entity(builder, issuing, urls,
                        _key_usage(digital_signature=True, content_commitment=True),
                        partition=own_partition("TSA", public_key))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                           critical=True))


def seal_builder(public_key: ec.EllipticCurvePublicKey, issuing: x509.Certificate,
                 urls: PkiUrls, now: dt.datetime, *, label: str = "") -> x509.CertificateBuilder:
    """The platform seal: signs use receipts (JWS ES256), manifests and reports."""
    not_after = min(now + LEAF_LIFETIME, issuing.not_valid_after_utc)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME,
                           f"Anxin {label}Platform Seal {key_id_hex(public_key)[:8]}"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
    ])
    builder = _base(subject, issuing.subject, public_key, now - BACKDATE, not_after)
    # Its own CRL partition, no URL, like the TSA: a package's manifest is judged years
    # after it was sealed, from the status the package carries.
    return _end_entity(builder, issuing, urls,
                       _key_usage(digital_signature=True, content_commitment=True),
                       partition=own_partition("Seal", public_key))


def event_builder(public_key: ec.EllipticCurvePublicKey, subject: x509.Name,
                  issuing: x509.Certificate, urls: PkiUrls, not_before: dt.datetime,
                  not_after: dt.datetime) -> x509.CertificateBuilder:
    """A one-signing certificate; the caller adds the binding extension."""
    builder = _base(subject, issuing.subject, public_key, not_before, not_after)
    return _end_entity(builder, issuing, urls,
                       _key_usage(digital_signature=True, content_commitment=True))
