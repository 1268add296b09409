"""SM2 certificate status: CRLs and an RFC 6960 OCSP responder signed SM2-with-SM3, and
their verifiers; the national-profile twin of :mod:`anxin.pki.revocation`.

The same rules as the intl PKI (that module's docstring says why): the root's CRL is
long-lived (the root is offline) and covers the issuing CA; the issuing CA's CRLs come in
partitions named in their critical issuing distribution point (end-entity certificates,
or one TSA's or seal's) and are signed fresh with a one-day ``nextUpdate`` (or an
archival ``until``); revoked entries come from the same
:class:`~anxin.pki.ports.CertificateStore` (rows of the SM2 issuing CA's key id). OCSP
responses are signed by the SM2 issuing CA itself, name it ``byName`` (``byKey`` is
defined as SHA-1 of the key, and the national profile carries no SHA-1 of its own), echo
the nonce, and answer ``good`` / ``revoked`` / ``unknown`` for CertIDs hashed with SHA-1,
SHA-256 or SM3.

The verifiers raise :class:`Sm2RevocationInvalid` naming the failed check (``malformed``,
``algorithm``, ``issuer``, ``signature``, ``freshness``, ``scope``, ``status``,
``cert_id``, ``nonce``).

Example::

    crl_der = build_sm2_issuing_crl(pki, certificates, now)
    crl = verify_sm2_crl(crl_der, pki.issuing_cert, at=now)
    reply = sm2_ocsp_respond(pki, certificates, request_der, now)
    status = verify_sm2_ocsp_response(reply, pki.issuing_cert, event_cert, at=now)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from asn1crypto import algos, core, crl, ocsp, x509

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure
from anxin.pki import ocsp_der, sm2
from anxin.pki.ocsp_request import ocsp_error, parse_ocsp_request
from anxin.pki.ports import CertificateStore, RevokedCertificate
from anxin.pki.sm2_x509 import (
    END_ENTITY_PARTITION,
    SIGNATURE_ALGORITHM_DER,
    Sm2CertificateInvalid,
    public_key_of,
    signature_bytes,
    subject_key_id,
)

CRL_LIFETIME: Final = dt.timedelta(days=1)
ROOT_CRL_MIN_LIFETIME: Final = dt.timedelta(days=365)
OCSP_LIFETIME: Final = dt.timedelta(hours=1)
CERT_ID_HASHES: Final[Mapping[str, Callable[[bytes], bytes]]] = {
    "sha1": lambda data: hashlib.sha1(data).digest(),  # noqa: S324 - RFC 6960's default
    "sha256": lambda data: hashlib.sha256(data).digest(),
    "sm3": sm2.sm3,
}
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError)

# RFC 5280 CRLReason names (the store's) and asn1crypto's.
_ASN1_REASONS: Final = {
    "keyCompromise": "key_compromise", "cACompromise": "ca_compromise",
    "affiliationChanged": "affiliation_changed", "superseded": "superseded",
    "cessationOfOperation": "cessation_of_operation", "certificateHold": "certificate_hold",
    "removeFromCRL": "remove_from_crl", "privilegeWithdrawn": "privilege_withdrawn",
    "aACompromise": "aa_compromise", "unspecified": "unspecified",
}
_STORE_REASONS: Final = {v: k for k, v in _ASN1_REASONS.items()}


class Sm2RevocationInvalid(IntegrityFailure):
    """An SM2 CRL or OCSP response fails a check (``check`` names which)."""

    code = Code.SM2_REVOCATION_INVALID

    def __init__(self, detail: str, *, check: str, **extra: Any) -> None:
        super().__init__(detail, check=check, **extra)
        self.check = check


class Sm2IssuingCa(Protocol):
    """What the issuing CRL and the responder need (:class:`~anxin.pki.sm2_authority.Sm2Pki`
    has it)."""

    @property
    def issuing_cert(self) -> x509.Certificate: ...

    @property
    def issuing_key(self) -> sm2.SM2PrivateKey: ...

    @property
    def issuing_key_id(self) -> str: ...

    @property
    def platform_serials(self) -> frozenset[int]:
        """Serials of the TSA and seal certificates (not in the certificate store)."""
        ...


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(microsecond=0)


def _time(value: dt.datetime) -> x509.Time:
    value = _utc(value)
    return x509.Time(name="utc_time" if value.year < 2050 else "general_time", value=value)


def _partition_rdn(partition: str) -> x509.RelativeDistinguishedName:
    return x509.RelativeDistinguishedName([{
        "type": "common_name",
        "value": x509.DirectoryString(name="utf8_string", value=partition)}])


# --- CRLs -----------------------------------------------------------------------------------

def _entry(item: RevokedCertificate) -> dict[str, object]:
    entry: dict[str, object] = {"user_certificate": int(item.serial, 16),
                                "revocation_date": _time(item.revoked_at)}
    if item.reason and item.reason != "unspecified":
        entry["crl_entry_extensions"] = [{"extn_id": "crl_reason", "critical": False,
                                          "extn_value": _ASN1_REASONS[item.reason]}]
    return entry


def build_sm2_crl(issuer_cert: x509.Certificate, issuer_key: sm2.SM2PrivateKey,
                  revoked: Sequence[RevokedCertificate], now: dt.datetime, *,
                  next_update: dt.datetime, partition: str | None = None) -> bytes:
    """A CRL (DER) signed SM2-with-SM3 by ``issuer_key``; with ``partition``, a critical
    issuing distribution point limits it to the end-entity certificates of that partition
    (the issuing CA's CRLs), without one it covers everything the issuer signed (root)."""
    extensions: list[dict[str, object]] = [
        {"extn_id": "crl_number", "critical": False,
         "extn_value": int(now.timestamp() * 1000)},
        {"extn_id": "authority_key_identifier", "critical": False,
         "extn_value": {"key_identifier": subject_key_id(issuer_cert)}},
    ]
    if partition is not None:
        extensions.append({"extn_id": "issuing_distribution_point", "critical": True,
                           "extn_value": {
                               "distribution_point": {
                                   "name_relative_to_crl_issuer": _partition_rdn(partition)},
                               "only_contains_user_certs": True}})
    tbs: dict[str, object] = {
        "version": "v2", "signature": {"algorithm": "sm2_sm3"},
        "issuer": issuer_cert.subject, "this_update": _time(now),
        "next_update": _time(next_update), "crl_extensions": extensions}
    if revoked:
        tbs["revoked_certificates"] = [_entry(item) for item in revoked]
    tbs_list = crl.TbsCertList(tbs)
    signed = crl.CertificateList({
        "tbs_cert_list": tbs_list, "signature_algorithm": {"algorithm": "sm2_sm3"},
        "signature": sm2.sign(issuer_key, tbs_list.dump())})
    return bytes(signed.dump())


def build_sm2_root_crl(root_cert: x509.Certificate, root_key: sm2.SM2PrivateKey,
                       now: dt.datetime, revoked: Sequence[RevokedCertificate] = (), *,
                       until: dt.datetime | None = None) -> bytes:
    """The SM2 root's CRL: ``nextUpdate`` at ``until`` (the issuing CA's expiry), at least
    a year away, as the intl root CRL."""
    return build_sm2_crl(root_cert, root_key, revoked, now,
                         next_update=max(until or now, now + ROOT_CRL_MIN_LIFETIME))


def build_sm2_issuing_crl(pki: Sm2IssuingCa, certificates: CertificateStore,
                          now: dt.datetime, *, until: dt.datetime | None = None,
                          partition: str = END_ENTITY_PARTITION) -> bytes:
    """A fresh CRL of the SM2 issuing CA for one partition; ``nextUpdate`` a day on, or
    ``until`` (an archival CRL)."""
    return build_sm2_crl(pki.issuing_cert, pki.issuing_key,
                         certificates.revoked(pki.issuing_key_id), now,
                         next_update=max(until or now, now + CRL_LIFETIME),
                         partition=partition)


@dataclass(frozen=True, slots=True)
class Sm2Crl:
    """A verified CRL: its times, its partition (None: the whole issuer) and entries."""

    this_update: dt.datetime
    next_update: dt.datetime | None
    partition: str | None
    revoked: Mapping[int, RevokedCertificate]

    def entry(self, serial: int) -> RevokedCertificate | None:
        """The entry of ``serial``, or None if the CRL does not list it."""
        return self.revoked.get(serial)


def _signature_check(what: str, algorithm_der: bytes, signer: x509.Certificate, tbs: bytes,
                     signature: core.OctetBitString) -> None:
    if algorithm_der != SIGNATURE_ALGORITHM_DER:
        raise Sm2RevocationInvalid(f"the {what} is not signed SM2-with-SM3", check="algorithm")
    try:
        sm2.verify(public_key_of(signer), tbs, signature_bytes(signature))
    except (sm2.SM2SignatureInvalid, Sm2CertificateInvalid) as exc:
        raise Sm2RevocationInvalid(f"the {what}'s signature: {exc.detail}",
                                   check="signature") from None


def _crl_partition(tbs: crl.TbsCertList) -> str | None:
    for extension in tbs["crl_extensions"] or []:
        if extension["extn_id"].native == "issuing_distribution_point":
            point = extension["extn_value"].parsed["distribution_point"]
            if point.name != "name_relative_to_crl_issuer":
                raise Sm2RevocationInvalid("the CRL's scope is not a partition", check="scope")
            names = [str(a["value"].native) for a in point.chosen
                     if a["type"].native == "common_name"]
            if len(names) != 1:
                raise Sm2RevocationInvalid("the CRL's partition has no one name",
                                           check="scope")
            return names[0]
        if extension["critical"].native:
            raise Sm2RevocationInvalid(
                f"the CRL has an unknown critical extension {extension['extn_id'].native}",
                check="scope")
    return None


def _entries(tbs: crl.TbsCertList) -> dict[int, RevokedCertificate]:
    out: dict[int, RevokedCertificate] = {}
    for item in tbs["revoked_certificates"] or []:
        reason = item.crl_reason_value
        serial = item["user_certificate"].native
        out[serial] = RevokedCertificate(
            serial=format(serial, "x"), revoked_at=item["revocation_date"].native,
            reason=None if reason is None else _STORE_REASONS.get(reason.native))
    return out


def verify_sm2_crl(crl_der: bytes, issuer_cert: x509.Certificate, *,
                   at: dt.datetime | None = None, partition: str | None = None) -> Sm2Crl:
    """Verify or raise: the CRL is signed by ``issuer_cert`` (name, key id, SM2-with-SM3
    signature), is current at ``at`` (when given), and, when ``partition`` is given, is
    that partition's. Returns its entries."""
    try:
        signed = crl.CertificateList.load(crl_der, strict=True)
        tbs = signed["tbs_cert_list"]
        signed.native  # noqa: B018 - parse it all here
        found_partition = _crl_partition(tbs)
        entries = _entries(tbs)
        aki = signed.authority_key_identifier
    except Sm2RevocationInvalid:
        raise
    except _PARSE_ERRORS as exc:
        raise Sm2RevocationInvalid(f"not a CRL: {exc}", check="malformed") from None
    if tbs["signature"].dump() != signed["signature_algorithm"].dump():
        raise Sm2RevocationInvalid("the CRL's two algorithm fields differ", check="algorithm")
    if signed.issuer != issuer_cert.subject or (aki is not None
                                               and aki != issuer_cert.key_identifier):
        raise Sm2RevocationInvalid(f"the CRL is issued by {signed.issuer.human_friendly!r}, "
                                   f"not {issuer_cert.subject.human_friendly!r}",
                                   check="issuer")
    _signature_check("CRL", signed["signature_algorithm"].dump(), issuer_cert, tbs.dump(),
                     signed["signature"])
    this_update = tbs["this_update"].native
    next_update = tbs["next_update"].native
    if at is not None and (at < this_update or (next_update is not None
                                                and at > next_update)):
        raise Sm2RevocationInvalid(f"the CRL covers {this_update} to {next_update}, not {at}",
                                   check="freshness")
    if partition is not None and found_partition != partition:
        raise Sm2RevocationInvalid(f"the CRL is of partition {found_partition!r}, not "
                                   f"{partition!r}", check="scope")
    return Sm2Crl(this_update, next_update, found_partition, entries)


# --- OCSP -------------------------------------------------------------------------------

def _issuer_hashes(issuer: x509.Certificate) -> dict[str, tuple[bytes, bytes]]:
    name = issuer.subject.dump()
    point = public_key_of(issuer).point
    return {alg: (digest(name), digest(point)) for alg, digest in CERT_ID_HASHES.items()}


def _cert_id_matches(cert_id: ocsp.CertId, hashes: Mapping[str, tuple[bytes, bytes]]) -> bool:
    expected = hashes.get(cert_id["hash_algorithm"]["algorithm"].native)
    return expected is not None and expected == (cert_id["issuer_name_hash"].native,
                                                 cert_id["issuer_key_hash"].native)


def _status(pki: Sm2IssuingCa, certificates: CertificateStore, cert_id: ocsp.CertId,
            hashes: Mapping[str, tuple[bytes, bytes]]) -> ocsp.CertStatus:
    if not _cert_id_matches(cert_id, hashes):
        return ocsp.CertStatus(name="unknown", value=None)
    serial = cert_id["serial_number"].native
    row = certificates.get(format(serial, "x")) if serial > 0 else None
    if row is not None and row.issuer_key_id == pki.issuing_key_id:
        if row.revoked_at is None:
            return ocsp.CertStatus(name="good", value=None)
        info: dict[str, object] = {"revocation_time": _utc(row.revoked_at)}
        if row.revocation_reason and row.revocation_reason != "unspecified":
            info["revocation_reason"] = _ASN1_REASONS[row.revocation_reason]
        return ocsp.CertStatus(name="revoked", value=ocsp.RevokedInfo(info))
    if row is None and serial in pki.platform_serials:
        return ocsp.CertStatus(name="good", value=None)
    return ocsp.CertStatus(name="unknown", value=None)


# BasicOCSPResponse's signatureAlgorithm, as asn1crypto encodes SM2-with-SM3.
_SM2_SM3: Final = bytes(algos.SignedDigestAlgorithm({"algorithm": "sm2_sm3"}).dump())


def _signed_response(pki: Sm2IssuingCa, certificates: CertificateStore,
                     cert_ids: Sequence[ocsp.CertId], produced: dt.datetime,
                     next_update: dt.datetime, nonce: bytes | None) -> bytes:
    hashes = _issuer_hashes(pki.issuing_cert)
    responses = [(cert_id, _status(pki, certificates, cert_id, hashes)) for cert_id in cert_ids]
    tbs_der = ocsp_der.response_data(
        ocsp_der.responder_by_name(pki.issuing_cert.subject.dump()), produced, next_update,
        nonce, responses)
    return ocsp_der.ocsp_response(tbs_der, _SM2_SM3, sm2.sign(pki.issuing_key, tbs_der),
                                  pki.issuing_cert.dump())


def sm2_ocsp_respond(pki: Sm2IssuingCa, certificates: CertificateStore, request_der: bytes,
                     now: dt.datetime) -> bytes:
    """Answer an OCSPRequest (DER) with an OCSPResponse (DER) signed by the SM2 issuing
    CA; never raises on input (a malformed request gets ``malformedRequest``)."""
    query = parse_ocsp_request(request_der)
    if query is None:
        return ocsp_error("malformed_request")
    produced = _utc(now)
    return _signed_response(pki, certificates, query.cert_ids, produced,
                            produced + OCSP_LIFETIME, query.nonce)


def sm2_ocsp_for_certificate(pki: Sm2IssuingCa, certificates: CertificateStore,
                             cert: x509.Certificate, now: dt.datetime, *,
                             until: dt.datetime | None = None,
                             hash_algorithm: str = "sm3") -> bytes:
    """The response the responder would give for ``cert`` (a letter's or package's
    validation data); its CertID hashed with SM3 unless told otherwise."""
    name_hash, key_hash = _issuer_hashes(pki.issuing_cert)[hash_algorithm]
    cert_id = ocsp.CertId({"hash_algorithm": {"algorithm": hash_algorithm},
                           "issuer_name_hash": name_hash, "issuer_key_hash": key_hash,
                           "serial_number": cert.serial_number})
    produced = _utc(now)
    return _signed_response(pki, certificates, [cert_id], produced,
                            _utc(until) if until else produced + OCSP_LIFETIME, None)


@dataclass(frozen=True, slots=True)
class Sm2OcspStatus:
    """A verified OCSP answer about one certificate."""

    status: str  # "good" | "revoked" | "unknown"
    produced_at: dt.datetime
    this_update: dt.datetime
    next_update: dt.datetime | None
    revoked_at: dt.datetime | None = None
    reason: str | None = None  # an RFC 5280 CRLReason name


def _basic_response(response_der: bytes) -> ocsp.BasicOCSPResponse:
    try:
        response = ocsp.OCSPResponse.load(response_der, strict=True)
        status = response["response_status"].native
        if status != "successful":
            raise Sm2RevocationInvalid(f"the OCSP responder answered {status}",
                                       check="status")
        basic = response["response_bytes"]["response"].parsed
        basic.native  # noqa: B018 - parse it all here
    except Sm2RevocationInvalid:
        raise
    except _PARSE_ERRORS as exc:
        raise Sm2RevocationInvalid(f"not an OCSP response: {exc}", check="malformed") from None
    if not isinstance(basic, ocsp.BasicOCSPResponse):
        raise Sm2RevocationInvalid("not a basic OCSP response", check="malformed")
    return basic


def _check_responder(data: ocsp.ResponseData, issuer: x509.Certificate) -> None:
    responder = data["responder_id"]
    if responder.name == "by_name":
        ok = responder.chosen == issuer.subject
    else:
        key = responder.chosen.native
        ok = key in (CERT_ID_HASHES["sha1"](public_key_of(issuer).point),
                     issuer.key_identifier)
    if not ok:
        raise Sm2RevocationInvalid("the OCSP response is not by the certificate's issuer",
                                   check="issuer")


def _revoked_info(single: ocsp.SingleResponse) -> tuple[dt.datetime | None, str | None]:
    status = single["cert_status"]
    if status.name != "revoked":
        return None, None
    reason = status.chosen["revocation_reason"].native
    return status.chosen["revocation_time"].native, (None if reason is None
                                                     else _STORE_REASONS.get(reason))


def verify_sm2_ocsp_response(response_der: bytes, issuer: x509.Certificate,
                             cert: x509.Certificate, *, at: dt.datetime | None = None,
                             nonce: bytes | None = None) -> Sm2OcspStatus:
    """Verify or raise: a successful basic response by ``issuer`` itself (SM2-with-SM3
    over the ResponseData DER), about ``cert`` (a CertID of SHA-1, SHA-256 or SM3 naming
    ``issuer`` and its serial), current at ``at``, echoing ``nonce``. Returns the status;
    ``revoked`` and ``unknown`` are answers, not failures: the caller judges them."""
    basic = _basic_response(response_der)
    data = basic["tbs_response_data"]
    _check_responder(data, issuer)
    _signature_check("OCSP response", basic["signature_algorithm"].dump(), issuer,
                     data.dump(), basic["signature"])
    if nonce is not None:
        echoed = [e["extn_value"].native for e in data["response_extensions"] or []
                  if e["extn_id"].native == "nonce"]
        if echoed != [nonce]:
            raise Sm2RevocationInvalid("the OCSP response does not echo the nonce",
                                       check="nonce")
    hashes = _issuer_hashes(issuer)
    for single in data["responses"]:
        cert_id = single["cert_id"]
        if (cert_id["serial_number"].native == cert.serial_number
                and _cert_id_matches(cert_id, hashes)):
            this_update = single["this_update"].native
            next_update = single["next_update"].native
            if at is not None and (at < this_update - dt.timedelta(minutes=5) or (
                    next_update is not None and at > next_update)):
                raise Sm2RevocationInvalid(
                    f"the OCSP response covers {this_update} to {next_update}, not {at}",
                    check="freshness")
            revoked_at, reason = _revoked_info(single)
            return Sm2OcspStatus(single["cert_status"].name, data["produced_at"].native,
                                 this_update, next_update, revoked_at, reason)
    raise Sm2RevocationInvalid("the OCSP response says nothing about this certificate",
                               check="cert_id")
