"""Every validation object behind a verdict, with its proof of existence.

ETSI TS 119 102-2 asks a report to list what the validation used: certificates, CRLs,
OCSP responses, timestamps and the signed data, each with the earliest time it is proven
to have existed (POE). Here that proof is the earliest timestamp whose covered data holds
the object: the signature timestamp covers the signature value (and, through the signed
``signing-certificate-v2`` attribute, the signer's certificate); each document timestamp
covers its whole revision (the signature's CMS with its embedded certificates and token,
the DSS as of that revision, earlier document timestamps); the package manifest's
timestamp covers every file of the package by its SHA-256.

Objects are gathered from the letter (pyHanko's ``EmbeddedPdfSignature``, the DSS via
``DocumentSecurityStore.read_dss``, the CMS certificates, the timestamp tokens) and from
the package's files. Nothing here decides the verdict: the checks do; this is the record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from anxin.encoding import sha256_hex
from anxin.evidence.labels import readable_asn1_name, readable_name
from anxin.evidence.revocation_info import (
    RevocationEvidence,
    parsed_revocation,
    revocation_of,
)

_DER = serialization.Encoding.DER
CERTIFICATE, CRL, OCSP, TIMESTAMP, SIGNED_DATA = (
    "certificate", "crl", "ocsp_response", "timestamp", "signed_data")


@dataclass(frozen=True, slots=True)
class Poe:
    """Proof of existence: ``time`` from the timestamp ``by`` (a validation object id)."""

    time: str
    by: str
    label: str


@dataclass(frozen=True, slots=True)
class ValidationObject:
    id: str
    type: str  # certificate | crl | ocsp_response | timestamp | signed_data
    label: str
    sha256: str
    sources: tuple[str, ...]
    poe: Poe | None = None
    time: str | None = None  # thisUpdate, genTime, or the certificate's notBefore


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    id: str
    role: str
    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str
    sha256: str
    revocation: tuple[RevocationEvidence, ...] = field(default=())

    @property
    def revocation_summary(self) -> str:
        if self.role == "root CA (trust anchor)":
            return "trust anchor: not subject to revocation checking"
        if not self.revocation:
            return "no revocation information"
        return "; ".join(r.summary for r in self.revocation)


@dataclass(frozen=True, slots=True)
class TimestampInfo:
    id: str
    kind: str
    gen_time: str
    tsa: str
    covers: str
    sha256: str


@dataclass(frozen=True, slots=True)
class ObjectInventory:
    certificates: tuple[CertificateInfo, ...]
    timestamps: tuple[TimestampInfo, ...]
    objects: tuple[ValidationObject, ...]


def vo_id(kind: str, digest: str) -> str:
    return f"{kind.upper()[:4]}-{digest[:16]}"


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _gen_time(token: cms.ContentInfo) -> dt.datetime:
    value: dt.datetime = token["content"]["encap_content_info"]["content"].parsed[
        "gen_time"].native
    return value


def _token_certs(token: cms.ContentInfo) -> list[bytes]:
    return [c.chosen.dump() for c in token["content"]["certificates"] or []
            if c.name == "certificate"]


def _token_signer(token: cms.ContentInfo) -> str:
    sid = token["content"]["signer_infos"][0]["sid"]
    for raw in _token_certs(token):
        cert = asn1_x509.Certificate.load(raw)
        if sid.name == "issuer_and_serial_number" and \
                cert.serial_number == sid.chosen["serial_number"].native:
            return readable_name(x509.load_der_x509_certificate(raw).subject)
    return "unknown TSA"


def signature_token(signer_info: Any) -> cms.ContentInfo | None:
    for attr in signer_info["unsigned_attrs"] or []:
        if attr["type"].native == "signature_time_stamp_token":
            token: cms.ContentInfo = attr["values"][0]
            return token
    return None


class _Collector:
    """Objects by SHA-256, each with where it was found and every POE candidate."""

    def __init__(self) -> None:
        self.der: dict[str, tuple[str, bytes]] = {}
        self.sources: dict[str, list[str]] = {}
        self.poes: dict[str, list[Poe]] = {}
        self.timestamps: list[TimestampInfo] = []
        # A token's label and time, from the token parsed when it was added (_labels would
        # parse its DER again for the same answer).
        self.labels: dict[str, tuple[str, str | None]] = {}

    def add(self, kind: str, der: bytes, source: str) -> str:
        digest = sha256_hex(der)
        self.der.setdefault(digest, (kind, der))
        if source not in self.sources.setdefault(digest, []):
            self.sources[digest].append(source)
        return digest

    def prove(self, digest: str, poe: Poe) -> None:
        self.poes.setdefault(digest, []).append(poe)

    def add_token(self, kind: str, token: cms.ContentInfo, source: str, covers: str
                  ) -> tuple[str, Poe]:
        der = token.dump()
        digest = self.add(TIMESTAMP, der, source)
        for raw in _token_certs(token):
            self.add(CERTIFICATE, raw, f"{source} (embedded)")
        when = _gen_time(token)
        signer = _token_signer(token)
        info = TimestampInfo(vo_id(TIMESTAMP, digest), kind, when.isoformat(), signer, covers,
                             digest)
        self.timestamps.append(info)
        self.labels.setdefault(digest, (f"RFC 3161 timestamp by {signer}", when.isoformat()))
        return digest, Poe(when.isoformat(), info.id, kind)


def _dss_objects(opened: Any, revision: int | None = None) -> list[tuple[str, bytes]]:
    """The DSS of ``revision`` (None: the latest) of ``opened``, read once per letter."""
    try:
        dss = opened.dss_at(revision)
    except Exception:  # an absent or malformed DSS is just "nothing there"
        return []
    out = [(CERTIFICATE, ref.get_object().data) for ref in dss.certs.values()]
    out += [(OCSP, ref.get_object().data) for ref in dss.ocsps]
    out += [(CRL, ref.get_object().data) for ref in dss.crls]
    return out


def _letter(col: _Collector, opened: Any) -> None:
    sig = opened.signature
    signed = sig.signed_data
    cms_digests = [col.add(CERTIFICATE, c.chosen.dump(), "letter signature (CMS)")
                   for c in signed["certificates"] or [] if c.name == "certificate"]
    sig_value = sig.signer_info["signature"].native
    value_digest = col.add(SIGNED_DATA, _as_token(signed).dump(), "letter signature (CMS)")
    token = signature_token(sig.signer_info)
    token_digest = None
    if token is not None:
        token_digest, poe = col.add_token("signature timestamp", token,
                                          "letter signature (unsigned attribute)",
                                          f"the signature value (SHA-256 {sha256_hex(sig_value)})")
        col.prove(value_digest, poe)
        signer_der = sig.signer_cert.dump()
        col.prove(sha256_hex(signer_der), poe)  # bound by the signed signing-certificate-v2
    earlier: list[str] = [value_digest, *cms_digests] + ([token_digest] if token_digest else [])
    if token is not None:
        earlier += [sha256_hex(raw) for raw in _token_certs(token)]
    for n, dts in enumerate(opened.document_timestamps, start=1):
        dss = [col.add(kind, der, f"letter DSS (revision {dts.signed_revision + 1})")
               for kind, der in _dss_objects(opened, dts.signed_revision)]
        digest, poe = col.add_token(
            f"document timestamp {n}", _as_token(dts.signed_data),
            f"letter document timestamp {n}",
            f"the whole file up to revision {dts.signed_revision + 1} (byte range "
            f"{list(dts.byte_range)})")
        for covered in earlier + dss:
            col.prove(covered, poe)
        earlier += [*dss, digest]
    # A DSS after the last document timestamp has no POE from the letter.
    for kind, der in _dss_objects(opened):
        if sha256_hex(der) not in col.der:
            col.add(kind, der, "letter DSS (latest revision)")


def _as_token(signed_data: Any) -> cms.ContentInfo:
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})


def _package(col: _Collector, files: dict[str, bytes]) -> None:
    manifest_poe = None
    p7s = files.get("manifest.p7s")
    if p7s is not None:
        with contextlib.suppress(ValueError, TypeError, KeyError, IndexError):
            content = cms.ContentInfo.load(p7s)
            token = signature_token(content["content"]["signer_infos"][0])
            for c in content["content"]["certificates"] or []:
                if c.name == "certificate":
                    col.add(CERTIFICATE, c.chosen.dump(), "manifest.p7s (embedded)")
            if token is not None:
                _d, manifest_poe = col.add_token(
                    "package manifest timestamp", token, "manifest.p7s",
                    "the seal's signature over manifest.json, which lists every file's "
                    "SHA-256")
    checkpoint = files.get("ledger/checkpoint.tst")
    if checkpoint is not None:
        with contextlib.suppress(ValueError, TypeError, KeyError):
            col.add_token("ledger checkpoint timestamp", cms.ContentInfo.load(checkpoint),
                          "ledger/checkpoint.tst", "ledger/checkpoint.txt")
    for name, data in sorted(files.items()):
        kinds: list[tuple[str, bytes]] = []
        if name.startswith("certificates/") and name.endswith(".crt"):
            with contextlib.suppress(ValueError):
                kinds = [(CERTIFICATE, c.public_bytes(_DER))
                         for c in x509.load_pem_x509_certificates(data)]
        elif name.startswith("revocation/") and name.endswith(".crl"):
            kinds = [(CRL, data)]
        elif name.startswith("revocation/") and name.endswith(".der"):
            kinds = [(OCSP, data)]
        elif name == "timestamps/signature.tst":
            kinds = [(TIMESTAMP, data)]
        for kind, der in kinds:
            digest = col.add(kind, der, name)
            if manifest_poe is not None:
                col.prove(digest, manifest_poe)


def _labels(kind: str, der: bytes, parsed: dict[bytes, Any] | None = None,
            ) -> tuple[str, str | None]:
    memo = {} if parsed is None else parsed
    try:
        if kind == CERTIFICATE:
            cert = x509.load_der_x509_certificate(der)
            return f"certificate {readable_name(cert.subject)}", \
                cert.not_valid_before_utc.isoformat()
        if kind == CRL:
            c = parsed_revocation(CRL, der, memo)
            tbs = c["tbs_cert_list"]
            return f"CRL of {readable_asn1_name(c.issuer)}", _iso(tbs["this_update"].native)
        if kind == OCSP:
            basic = parsed_revocation(OCSP, der, memo).basic_ocsp_response[
                "tbs_response_data"]
            return "OCSP response", _iso(basic["produced_at"].native)
        if kind == TIMESTAMP:
            token = cms.ContentInfo.load(der)
            return f"RFC 3161 timestamp by {_token_signer(token)}", \
                _gen_time(token).isoformat()
    except (ValueError, TypeError, KeyError):
        return f"unreadable {kind.replace('_', ' ')}", None
    return "the letter's signature (CMS SignedData)", None



def _role(cert: x509.Certificate, signer_sha: str | None, seal_sha: str | None,
          roots: set[str]) -> str:
    digest = sha256_hex(cert.public_bytes(_DER))
    if digest == signer_sha:
        return "signer (event certificate)"
    if cert.subject == cert.issuer:
        return "root CA (trust anchor)" if digest in roots else "root CA (claimed, untrusted)"
    if digest == seal_sha:
        return "platform seal"
    with contextlib.suppress(x509.ExtensionNotFound):
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.TIME_STAMPING in eku:
            return "timestamping authority (TSA)"
    with contextlib.suppress(x509.ExtensionNotFound):
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return "issuing CA"
    return "other"


def gather(opened: Any | None, files: dict[str, bytes] | None, *,
           trusted_roots: Iterable[str] = ()) -> ObjectInventory:
    """The inventory of one letter (``opened``) and, for a package, its ``files``."""
    col = _Collector()
    if opened is not None:
        _letter(col, opened)
    if files is not None:
        _package(col, files)
    signer_sha = sha256_hex(opened.signature.signer_cert.dump()) if opened is not None else None
    seal_sha = None
    if files and "certificates/seal.crt" in files:
        with contextlib.suppress(ValueError):
            seal_sha = sha256_hex(x509.load_pem_x509_certificate(
                files["certificates/seal.crt"]).public_bytes(_DER))
    certs = {d: x509.load_der_x509_certificate(der) for d, (kind, der) in col.der.items()
             if kind == CERTIFICATE and _loads(der)}
    revocation_data = [(kind, der, col.sources[d]) for d, (kind, der) in col.der.items()
                       if kind in (CRL, OCSP)]
    roots = set(trusted_roots)
    infos = []
    parsed: dict[bytes, Any] = {}  # each CRL and OCSP response parsed once for all certs
    all_certs = list(certs.values())
    for digest, cert in certs.items():
        role = _role(cert, signer_sha, seal_sha, roots)
        evidence = () if cert.subject == cert.issuer else tuple(
            revocation_of(cert, all_certs, revocation_data, parsed))
        infos.append(CertificateInfo(
            vo_id(CERTIFICATE, digest), role, readable_name(cert.subject),
            readable_name(cert.issuer), format(cert.serial_number, "x"),
            cert.not_valid_before_utc.isoformat(), cert.not_valid_after_utc.isoformat(),
            digest, evidence))
    order = {"signer (event certificate)": 0, "issuing CA": 1, "root CA (trust anchor)": 2,
             "root CA (claimed, untrusted)": 2, "timestamping authority (TSA)": 3,
             "platform seal": 4}
    infos.sort(key=lambda i: (order.get(i.role, 9), i.subject))
    objects = []
    for digest, (kind, der) in col.der.items():
        label, when = (col.labels.get(digest) if kind == TIMESTAMP else None) or \
            _labels(kind, der, parsed)
        if kind == CERTIFICATE and digest in certs:
            label = f"certificate {readable_name(certs[digest].subject)}"
        poes = sorted(col.poes.get(digest, []), key=lambda p: p.time)
        if not poes and kind == TIMESTAMP and when is not None:
            poes = [Poe(when, vo_id(kind, digest), "its own time (genTime)")]
        objects.append(ValidationObject(vo_id(kind, digest), kind, label, digest,
                                        tuple(col.sources[digest]),
                                        poes[0] if poes else None, when))
    kinds = {CERTIFICATE: 0, CRL: 1, OCSP: 2, TIMESTAMP: 3, SIGNED_DATA: 4}
    objects.sort(key=lambda o: (kinds.get(o.type, 9), o.label))
    stamps = sorted(col.timestamps, key=lambda t: t.gen_time)
    return ObjectInventory(tuple(infos), tuple(stamps), tuple(objects))


def _loads(der: bytes) -> bool:
    try:
        x509.load_der_x509_certificate(der)
    except ValueError:
        return False
    return True


def letter_certificates(opened: Any) -> list[x509.Certificate]:
    """Every certificate the letter carries: its CMS, its tokens, its DSS."""
    col = _Collector()
    _letter(col, opened)
    return [x509.load_der_x509_certificate(der) for kind, der in col.der.values()
            if kind == CERTIFICATE and _loads(der)]


def cms_certificates(opened: Any) -> list[x509.Certificate]:
    """The certificates embedded in the letter's signature (CMS), cheaply."""
    out = []
    for c in opened.signature.signed_data["certificates"] or []:
        if c.name == "certificate":
            with contextlib.suppress(ValueError):
                out.append(x509.load_der_x509_certificate(c.chosen.dump()))
    return out
