"""SM2 certificates (GM/T 0015): the national-profile twin of :mod:`anxin.pki.profiles`,
built and checked with asn1crypto, signed and verified through :mod:`anxin.pki.sm2`.

``cryptography`` cannot sign or verify SM2, so a certificate here is an asn1crypto
``TBSCertificate`` whose DER is signed with :func:`anxin.pki.sm2.sign` (SM2-with-SM3,
1.2.156.10197.1.501, parameters absent, the default user id ``1234567812345678``). The
subject public key is ``id-ecPublicKey`` with the named curve ``sm2p256v1``
(1.2.156.10197.1.301), as :meth:`~anxin.pki.sm2.SM2PublicKey.to_der` writes it.

The chain has the intl shape (docs/pki.md "The SM2 PKI"): root CA (pathlen 1, keyCertSign +
cRLSign), issuing CA (pathlen 0, + digitalSignature for OCSP), TSA (EKU timeStamping,
critical), seal, and one-time event certificates (:mod:`anxin.pki.sm2_events`), with the
same CRL partitions, AIA and lifetimes; URLs under ``<base>/pki/sm2/`` (CONTRACT §8).

Key identifiers are the leftmost 160 bits of SM3 of the subjectPublicKey bit string
(RFC 7093 §2 method 1 with SM3 in place of SHA-256): 20 bytes as every tool expects, and
no SHA-1 anywhere in the national profile, which an assessor (密评) would otherwise have
to be told is "only an identifier". Validators match AKI to SKI by value and never
recompute it, so the choice costs no interoperability (OpenSSL verifies the chains).

The verifiers raise :class:`Sm2CertificateInvalid` naming the failed check (``check``:
``malformed``, ``algorithm``, ``issuer``, ``signature``, ``validity``, ``ca``,
``path_length``, ``key_usage``, ``extended_key_usage``, ``critical_extension``,
``trust_anchor``).

Example::

    root_key = sm2.generate_private_key()
    root = issue_root_ca(root_key, now)
    path = verify_sm2_chain(leaf, [issuing], root, at=now, eku="time_stamping")
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from asn1crypto import core, keys, pem, x509

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure
from anxin.pki import profiles, sm2

ORGANIZATION: Final = profiles.ORGANIZATION
ROOT_LIFETIME: Final = profiles.ROOT_LIFETIME
ISSUING_LIFETIME: Final = profiles.ISSUING_LIFETIME
LEAF_LIFETIME: Final = profiles.LEAF_LIFETIME
BACKDATE: Final = profiles.BACKDATE
END_ENTITY_PARTITION: Final = profiles.END_ENTITY_PARTITION
EVENT_BINDING_OID: Final = profiles.EVENT_BINDING_OID.dotted_string

SIGNATURE_ALGORITHM_DER: Final = bytes.fromhex("300a06082a811ccf55018375")
"""``AlgorithmIdentifier { sm2-with-sm3 }`` with parameters absent (GM/T 0015 §7.2)."""

# Extensions a verifier here understands; any other marked critical fails (RFC 5280 §4.2).
_UNDERSTOOD: Final = frozenset({"basic_constraints", "key_usage", "extended_key_usage"})


class Sm2CertificateInvalid(IntegrityFailure):
    """An SM2 certificate is malformed, badly signed, or fails a chain check (``check``)."""

    code = Code.SM2_CERTIFICATE_INVALID

    def __init__(self, detail: str, *, check: str, **extra: Any) -> None:
        super().__init__(detail, check=check, **extra)
        self.check = check


@dataclass(frozen=True, slots=True)
class Sm2PkiUrls:
    """Where verifiers fetch what the SM2 certificates point at (CONTRACT §8)."""

    base: str

    @property
    def root_cert(self) -> str:
        return f"{self.base}/pki/sm2/root.crt"

    @property
    def root_crl(self) -> str:
        return f"{self.base}/pki/sm2/root.crl"

    @property
    def issuing_cert(self) -> str:
        return f"{self.base}/pki/sm2/issuing.crt"

    @property
    def issuing_crl(self) -> str:
        return f"{self.base}/pki/sm2/issuing.crl"

    @property
    def ocsp(self) -> str:
        return f"{self.base}/pki/sm2/ocsp"


# --- names, identifiers, encodings ---------------------------------------------------------

def key_identifier(public: sm2.SM2PublicKey) -> bytes:
    """SM3 of the subjectPublicKey bits (the point), leftmost 160 bits (module docstring)."""
    return sm2.sm3(public.point)[:20]


def key_id_hex(public: sm2.SM2PublicKey) -> str:
    return key_identifier(public).hex()


def ca_name(label: str, public: sm2.SM2PublicKey) -> x509.Name:
    """``CN=Anxin SM2 Issuing CA 3f9a12bc, O=Anxin``: unique per key, as the intl names."""
    return x509.Name.build({"common_name": f"{label} {key_id_hex(public)[:8]}",
                            "organization_name": ORGANIZATION}, use_printable=False)


def own_partition(label: str, public: sm2.SM2PublicKey) -> str:
    """The CRL partition of one long-lived leaf (the SM2 TSA, the SM2 seal)."""
    return f"{label} {key_id_hex(public)[:16]} status"


def random_serial() -> int:
    """A positive serial of at most 159 bits from the system's random source."""
    return (int.from_bytes(os.urandom(20), "big") >> 1) | 1


def _time(value: dt.datetime) -> x509.Time:
    value = value.astimezone(dt.UTC).replace(microsecond=0)
    return x509.Time(name="utc_time" if value.year < 2050 else "general_time", value=value)


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from DER or PEM (the first of a PEM file)."""
    try:
        if pem.detect(data):
            data = next(der for kind, _, der in pem.unarmor(data, multiple=True)
                        if kind == "CERTIFICATE")
        cert = x509.Certificate.load(data, strict=True)
        cert.native  # noqa: B018 - parse it all now, not in a later check
    except (ValueError, TypeError, StopIteration) as exc:
        raise Sm2CertificateInvalid(f"not a certificate: {exc}", check="malformed") from None
    return cert


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM file, leaf first."""
    try:
        ders = [der for kind, _, der in pem.unarmor(data, multiple=True)
                if kind == "CERTIFICATE"]
    except ValueError as exc:
        raise Sm2CertificateInvalid(f"not PEM: {exc}", check="malformed") from None
    return [load_certificate(der) for der in ders]


def to_pem(certs: Iterable[x509.Certificate]) -> bytes:
    return b"".join(pem.armor("CERTIFICATE", c.dump()) for c in certs)


def public_key_of(cert: x509.Certificate) -> sm2.SM2PublicKey:
    """The certificate's SM2 public key (refuses any other algorithm or curve)."""
    try:
        return _public_key(cert["tbs_certificate"]["subject_public_key_info"].dump())
    except sm2.SM2KeyInvalid as exc:
        raise Sm2CertificateInvalid(f"{_label(cert)}: {exc.detail}", check="algorithm") \
            from None


@functools.lru_cache(maxsize=256)
def _public_key(spki_der: bytes) -> sm2.SM2PublicKey:
    """The key of a SubjectPublicKeyInfo, its OpenSSL handle made once per process: a
    letter's SM2 signing asks four times for its issuing CA's key (OCSP CertIDs, the
    checks of what it issued), and each new handle was a quarter of a millisecond, 5 %
    of an ``sm`` letter (ninth session). Keys are immutable; a refused one is not kept."""
    return sm2.SM2PublicKey.from_der(spki_der)


def subject_key_id(cert: x509.Certificate) -> bytes:
    value = cert.key_identifier
    if value is None:
        raise Sm2CertificateInvalid(f"{_label(cert)} has no subject key identifier",
                                    check="malformed")
    return bytes(value)


def authority_key_id(cert: x509.Certificate) -> bytes | None:
    value = cert.authority_key_identifier
    return None if value is None else bytes(value)


def _label(cert: x509.Certificate) -> str:
    try:
        return f"certificate {cert.subject.human_friendly!r}"
    except (ValueError, TypeError, KeyError):
        return "a certificate"


# --- building -----------------------------------------------------------------------------

def _ext(name: str, value: object, critical: bool = False) -> dict[str, object]:
    return {"extn_id": name, "critical": critical, "extn_value": value}


def _key_usage(*names: str) -> dict[str, object]:
    return _ext("key_usage", set(names), critical=True)


def _partition_rdn(partition: str) -> x509.RelativeDistinguishedName:
    return x509.RelativeDistinguishedName([{
        "type": "common_name",
        "value": x509.DirectoryString(name="utf8_string", value=partition)}])


def _crl_dp(url: str | None, partition: str) -> dict[str, object]:
    points: list[dict[str, object]] = [
        {"distribution_point": {"name_relative_to_crl_issuer": _partition_rdn(partition)}}]
    if url is not None:
        points.insert(0, {"distribution_point": {
            "full_name": [x509.GeneralName(name="uniform_resource_identifier",
                                           value=url)]}})
    return _ext("crl_distribution_points", points)


def _aia(*, ocsp: str | None, ca_issuers: str) -> dict[str, object]:
    descriptions = [{"access_method": "ca_issuers",
                     "access_location": {"uniform_resource_identifier": ca_issuers}}]
    if ocsp is not None:
        descriptions.insert(0, {"access_method": "ocsp",
                                "access_location": {"uniform_resource_identifier": ocsp}})
    return _ext("authority_information_access", descriptions)


def _sign(*, subject: x509.Name, issuer: x509.Name, public: sm2.SM2PublicKey,
          not_before: dt.datetime, not_after: dt.datetime,
          extensions: Sequence[dict[str, object]], issuer_key: sm2.SM2PrivateKey,
          issuer_key_id: bytes | None) -> x509.Certificate:
    exts = [_ext("key_identifier", key_identifier(public))]
    if issuer_key_id is not None:
        exts.append(_ext("authority_key_identifier", {"key_identifier": issuer_key_id}))
    tbs = x509.TbsCertificate({
        "version": "v3",
        "serial_number": random_serial(),
        "signature": {"algorithm": "sm2_sm3"},
        "issuer": issuer,
        "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
        "subject": subject,
        "subject_public_key_info": keys.PublicKeyInfo.load(public.to_der()),
        "extensions": [*exts, *extensions],
    })
    signature = sm2.sign(issuer_key, tbs.dump())
    cert = x509.Certificate({"tbs_certificate": tbs,
                             "signature_algorithm": {"algorithm": "sm2_sm3"},
                             "signature_value": signature})
    return x509.Certificate.load(cert.dump())


def _not_after(wanted: dt.datetime, issuer: x509.Certificate) -> dt.datetime:
    limit: dt.datetime = issuer.not_valid_after
    return min(wanted, limit)


def issue_root_ca(key: sm2.SM2PrivateKey, now: dt.datetime) -> x509.Certificate:
    """The self-signed SM2 root: pathlen 1, keyCertSign + cRLSign, 20 years."""
    name = ca_name("Anxin SM2 Root CA", key.public)
    return _sign(subject=name, issuer=name, public=key.public, not_before=now - BACKDATE,
                 not_after=now + ROOT_LIFETIME, issuer_key=key, issuer_key_id=None,
                 extensions=[_ext("basic_constraints", {"ca": True, "path_len_constraint": 1},
                                  critical=True),
                             _key_usage("key_cert_sign", "crl_sign")])


def issue_issuing_ca(public: sm2.SM2PublicKey, root: x509.Certificate,
                     root_key: sm2.SM2PrivateKey, urls: Sm2PkiUrls,
                     now: dt.datetime) -> x509.Certificate:
    """The SM2 issuing CA: pathlen 0, digitalSignature (it signs OCSP itself) +
    keyCertSign + cRLSign; caIssuers the root; no CRL URL (the root CRL is supplied, as
    the intl issuing CA's is)."""
    return _sign(subject=ca_name("Anxin SM2 Issuing CA", public), issuer=root.subject,
                 public=public, not_before=now - BACKDATE,
                 not_after=_not_after(now + ISSUING_LIFETIME, root), issuer_key=root_key,
                 issuer_key_id=subject_key_id(root),
                 extensions=[_ext("basic_constraints", {"ca": True, "path_len_constraint": 0},
                                  critical=True),
                             _key_usage("digital_signature", "key_cert_sign", "crl_sign"),
                             _aia(ocsp=None, ca_issuers=urls.root_cert)])


def _end_entity(*, subject: x509.Name, public: sm2.SM2PublicKey, issuing: x509.Certificate,
                issuing_key: sm2.SM2PrivateKey, urls: Sm2PkiUrls, not_before: dt.datetime,
                not_after: dt.datetime, partition: str | None,
                extra: Sequence[dict[str, object]] = ()) -> x509.Certificate:
    # An event certificate names the published CRL and the OCSP responder; a TSA or seal
    # names only its own CRL partition, no URL (the reason is in profiles.tsa_builder: its
    # status is always supplied, never pointed at).
    if partition is None:
        locations = [_crl_dp(urls.issuing_crl, END_ENTITY_PARTITION),
                     _aia(ocsp=urls.ocsp, ca_issuers=urls.issuing_cert)]
    else:
        locations = [_crl_dp(None, partition), _aia(ocsp=None, ca_issuers=urls.issuing_cert)]
    return _sign(subject=subject, issuer=issuing.subject, public=public,
                 not_before=not_before, not_after=_not_after(not_after, issuing),
                 issuer_key=issuing_key, issuer_key_id=subject_key_id(issuing),
                 extensions=[_ext("basic_constraints", {"ca": False}, critical=True),
                             _key_usage("digital_signature", "non_repudiation"),
                             *locations, *extra])


def issue_tsa(public: sm2.SM2PublicKey, issuing: x509.Certificate,
              issuing_key: sm2.SM2PrivateKey, urls: Sm2PkiUrls,
              now: dt.datetime) -> x509.Certificate:
    """RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, critical."""
    return _end_entity(subject=ca_name("Anxin SM2 TSA", public), public=public,
                       issuing=issuing, issuing_key=issuing_key, urls=urls,
                       not_before=now - BACKDATE, not_after=now + LEAF_LIFETIME,
                       partition=own_partition("SM2 TSA", public),
                       extra=[_ext("extended_key_usage", ["time_stamping"], critical=True)])


def issue_seal(public: sm2.SM2PublicKey, issuing: x509.Certificate,
               issuing_key: sm2.SM2PrivateKey, urls: Sm2PkiUrls,
               now: dt.datetime) -> x509.Certificate:
    """The SM2 platform seal (receipts, manifests, checkpoints of the ``sm`` profile)."""
    return _end_entity(subject=ca_name("Anxin SM2 Platform Seal", public), public=public,
                       issuing=issuing, issuing_key=issuing_key, urls=urls,
                       not_before=now - BACKDATE, not_after=now + LEAF_LIFETIME,
                       partition=own_partition("SM2 Seal", public))


def issue_end_entity(public: sm2.SM2PublicKey, subject: x509.Name,
                     issuing: x509.Certificate, issuing_key: sm2.SM2PrivateKey,
                     urls: Sm2PkiUrls, not_before: dt.datetime, not_after: dt.datetime,
                     extra: Sequence[dict[str, object]] = ()) -> x509.Certificate:
    """An end-entity certificate of the end-entity CRL partition (event certificates)."""
    return _end_entity(subject=subject, public=public, issuing=issuing,
                       issuing_key=issuing_key, urls=urls, not_before=not_before,
                       not_after=not_after, partition=None, extra=extra)


def unrecognized_extension(oid: str, der: bytes) -> dict[str, object]:
    """A non-critical extension asn1crypto has no name for (its value is ``der``)."""
    return _ext(oid, core.ParsableOctetString(der))


# --- verification -------------------------------------------------------------------------

def signature_bytes(value: core.OctetBitString) -> bytes:
    """The DER signature inside a signature BIT STRING; refuses unused bits (which would
    let one signature stand for two encodings)."""
    contents = bytes(value.contents or b"")
    if not contents or contents[0] != 0:
        raise sm2.SM2SignatureInvalid("the signature bit string has unused bits")
    return contents[1:]


def verify_signed_by(cert: x509.Certificate, issuer: x509.Certificate,
                     user_id: bytes = sm2.DEFAULT_USER_ID) -> None:
    """Verify or raise: ``cert`` names ``issuer`` and its SM2-with-SM3 signature over the
    TBS DER verifies with the issuer's key."""
    outer = cert["signature_algorithm"]
    inner = cert["tbs_certificate"]["signature"]
    if outer.dump() != SIGNATURE_ALGORITHM_DER or inner.dump() != SIGNATURE_ALGORITHM_DER:
        raise Sm2CertificateInvalid(
            f"{_label(cert)} is not signed SM2-with-SM3 with absent parameters "
            f"({outer['algorithm'].dotted})", check="algorithm")
    if cert.issuer != issuer.subject:
        raise Sm2CertificateInvalid(
            f"{_label(cert)} names issuer {cert.issuer.human_friendly!r}, not "
            f"{issuer.subject.human_friendly!r}", check="issuer")
    aki = authority_key_id(cert)
    if aki is not None and issuer.key_identifier is not None and aki != issuer.key_identifier:
        raise Sm2CertificateInvalid(f"{_label(cert)}'s authority key id is not its issuer's",
                                    check="issuer")
    try:
        sm2.verify(public_key_of(issuer), cert["tbs_certificate"].dump(),
                   signature_bytes(cert["signature_value"]), user_id)
    except sm2.SM2SignatureInvalid as exc:
        raise Sm2CertificateInvalid(f"{_label(cert)}: {exc.detail}", check="signature") \
            from None


def check_validity(cert: x509.Certificate, at: dt.datetime) -> None:
    if not cert.not_valid_before <= at <= cert.not_valid_after:
        raise Sm2CertificateInvalid(
            f"{_label(cert)} is valid from {cert.not_valid_before.isoformat()} to "
            f"{cert.not_valid_after.isoformat()}, not at {at.isoformat()}", check="validity")


def _check_critical(cert: x509.Certificate) -> None:
    for name in cert.critical_extensions:
        if name not in _UNDERSTOOD:
            raise Sm2CertificateInvalid(f"{_label(cert)} has an unknown critical extension "
                                        f"{name}", check="critical_extension")


def _key_usages(cert: x509.Certificate) -> set[str]:
    value = cert.key_usage_value
    return set() if value is None else set(value.native)


def _check_ca(cert: x509.Certificate, below: int) -> None:
    """``cert`` may issue a path with ``below`` CA certificates under it."""
    constraints = cert.basic_constraints_value
    if constraints is None or not constraints["ca"].native:
        raise Sm2CertificateInvalid(f"{_label(cert)} is not a CA", check="ca")
    limit = constraints["path_len_constraint"].native
    if limit is not None and below > limit:
        raise Sm2CertificateInvalid(
            f"{_label(cert)} allows {limit} CA certificates below it, the path has {below}",
            check="path_length")
    if "key_cert_sign" not in _key_usages(cert):
        raise Sm2CertificateInvalid(f"{_label(cert)} lacks keyCertSign", check="key_usage")


def _check_leaf(cert: x509.Certificate, key_usage: Iterable[str], eku: str | None) -> None:
    missing = set(key_usage) - _key_usages(cert)
    if missing:
        raise Sm2CertificateInvalid(f"{_label(cert)} lacks key usage "
                                    f"{', '.join(sorted(missing))}", check="key_usage")
    if eku is not None:
        value = cert.extended_key_usage_value
        if value is None or eku not in value.native:
            raise Sm2CertificateInvalid(f"{_label(cert)} lacks extended key usage {eku}",
                                        check="extended_key_usage")
        if "extended_key_usage" not in cert.critical_extensions and eku == "time_stamping":
            raise Sm2CertificateInvalid(f"{_label(cert)}'s timeStamping EKU is not critical",
                                        check="extended_key_usage")


def _issuer_in(cert: x509.Certificate,
               candidates: Sequence[x509.Certificate]) -> x509.Certificate | None:
    aki = authority_key_id(cert)
    for candidate in candidates:
        if candidate.subject == cert.issuer and (aki is None
                                                 or candidate.key_identifier == aki):
            return candidate
    return None


def verify_sm2_chain(leaf: x509.Certificate, intermediates: Sequence[x509.Certificate],
                     root: x509.Certificate, *, at: dt.datetime,
                     key_usage: Iterable[str] = ("digital_signature",),
                     eku: str | None = None) -> list[x509.Certificate]:
    """Verify or raise: ``leaf`` chains through ``intermediates`` to the trusted ``root``,
    every signature verifies (the root's own too), every certificate is valid at ``at``,
    every issuer is a CA with keyCertSign within its path length, no unknown extension is
    critical, and the leaf has ``key_usage`` (and ``eku``, critical for timeStamping).
    Returns the path, leaf first, root last (the leaf may be the root itself)."""
    path = [leaf]
    pool = [c for c in intermediates if c.dump() != root.dump()]
    while path[-1].dump() != root.dump():
        current = path[-1]
        issuer = _issuer_in(current, [root]) or _issuer_in(current, pool)
        if issuer is None:
            raise Sm2CertificateInvalid(f"{_label(current)} does not chain to the trusted "
                                        "SM2 root", check="trust_anchor")
        verify_signed_by(current, issuer)
        if issuer in pool:
            pool.remove(issuer)
        path.append(issuer)
        if len(path) > 8:
            raise Sm2CertificateInvalid("the SM2 chain is too long", check="path_length")
    verify_signed_by(root, root)
    for cert in path:
        check_validity(cert, at)
        _check_critical(cert)
    for depth, issuer in enumerate(path[1:]):
        _check_ca(issuer, below=depth)
    if len(path) > 1 or leaf.dump() != root.dump():
        _check_leaf(leaf, key_usage, eku)
    return path
