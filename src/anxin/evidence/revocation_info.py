"""Which CRL or OCSP response speaks about a certificate, what it says, and as of when.

The report names, for each certificate, the source of its revocation status (an OCSP
response by a given responder, or a CRL by a given issuer) with its ``thisUpdate``: a
court can then see that the status was known near the signing time, and from whom.
This reads; it does not judge (the chain check, with pyHanko's revocation policy, does).
Each CRL or OCSP response is parsed once for all the certificates it is asked about (a
``parsed`` memo shared by the caller's calls).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import crl, ocsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from anxin.encoding import sha256_hex
from anxin.evidence.labels import readable_asn1_name, readable_name


@dataclass(frozen=True, slots=True)
class RevocationEvidence:
    status: str  # good | revoked | unknown | not listed
    kind: str  # OCSP | CRL
    issuer: str  # the responder or the CRL issuer
    this_update: str | None
    object_id: str  # the validation object id of the CRL or OCSP response
    sources: tuple[str, ...]
    revoked_at: str | None = None

    @property
    def summary(self) -> str:
        verdict = {"good": "good", "not listed": "not revoked (not listed)"}.get(
            self.status, self.status)
        when = f", thisUpdate {self.this_update}" if self.this_update else ""
        revoked = f", revoked at {self.revoked_at}" if self.revoked_at else ""
        return (f"{verdict}{revoked} — {self.kind} by {self.issuer}{when} "
                f"({', '.join(self.sources)})")


def _vo(kind: str, der: bytes) -> str:
    return f"{kind.upper()[:4]}-{sha256_hex(der)[:16]}"


@functools.lru_cache(maxsize=64)
def _key_hash(cert: x509.Certificate) -> bytes:
    """SHA-1 of the certificate's public key bits (an OCSP responder's ``byKey``); a pure
    function of the certificate, remembered for the few a process meets."""
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    from asn1crypto import keys
    bits = keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]
    return hashlib.sha1(bits, usedforsecurity=False).digest()


def _responder(rid: ocsp.ResponderId, certs: Sequence[x509.Certificate]) -> str:
    if rid.name == "by_name":
        return readable_asn1_name(rid.chosen)
    key_hash = rid.chosen.native
    for cert in certs:
        with contextlib.suppress(ValueError, TypeError):
            if _key_hash(cert) == key_hash:
                return readable_name(cert.subject)
    return f"the responder with key hash {key_hash.hex()}"


def _from_ocsp(cert: x509.Certificate, der: bytes, response: ocsp.OCSPResponse,
               certs: Sequence[x509.Certificate],
               sources: Sequence[str]) -> RevocationEvidence | None:
    basic = response.basic_ocsp_response["tbs_response_data"]
    issuer_name = cert.issuer.public_bytes()
    for single in basic["responses"]:
        cert_id = single["cert_id"]
        if cert_id["serial_number"].native != cert.serial_number:
            continue
        algo = cert_id["hash_algorithm"]["algorithm"].native
        if hashlib.new(algo, issuer_name).digest() != cert_id["issuer_name_hash"].native:
            continue
        status = single["cert_status"]
        revoked_at = None
        if status.name == "revoked":
            revoked_at = status.chosen["revocation_time"].native.isoformat()
        return RevocationEvidence(
            status.name, "OCSP", _responder(basic["responder_id"], certs),
            single["this_update"].native.isoformat(), _vo("ocsp_response", der),
            tuple(sources), revoked_at)
    return None


def _from_crl(cert: x509.Certificate, der: bytes, c: crl.CertificateList,
              sources: Sequence[str]) -> RevocationEvidence | None:
    if c.issuer.dump() != cert.issuer.public_bytes():
        return None
    tbs = c["tbs_cert_list"]
    this_update = tbs["this_update"].native.isoformat()
    for entry in tbs["revoked_certificates"] or []:
        if entry["user_certificate"].native == cert.serial_number:
            return RevocationEvidence(
                "revoked", "CRL", readable_asn1_name(c.issuer), this_update, _vo("crl", der),
                tuple(sources), entry["revocation_date"].native.isoformat())
    return RevocationEvidence("not listed", "CRL", readable_asn1_name(c.issuer), this_update,
                              _vo("crl", der), tuple(sources))


def parsed_revocation(kind: str, der: bytes, memo: MutableMapping[bytes, Any]) -> Any:
    """The CRL or OCSP response (``kind``) of ``der``, parsed once per ``memo``."""
    held = memo.get(der)
    if held is None:
        held = memo[der] = (ocsp.OCSPResponse.load(der) if kind == "ocsp_response"
                            else crl.CertificateList.load(der))
    return held


def revocation_of(cert: x509.Certificate, certs: Sequence[x509.Certificate],
                  data: Sequence[tuple[str, bytes, Sequence[str]]],
                  parsed: MutableMapping[bytes, Any] | None = None,
                  ) -> list[RevocationEvidence]:
    """Every piece of ``data`` (kind, DER, where found) that speaks about ``cert``;
    OCSP first, each kind newest first. ``parsed``: the parsed objects by DER, shared by
    the calls for one set of ``data``."""
    memo: MutableMapping[bytes, Any] = {} if parsed is None else parsed
    out = []
    for kind, der, sources in data:
        try:
            obj = parsed_revocation(kind, der, memo)
            found = (_from_ocsp(cert, der, obj, certs, sources) if kind == "ocsp_response"
                     else _from_crl(cert, der, obj, sources))
        except (ValueError, TypeError, KeyError):  # untrusted input: skip what is unreadable
            continue
        if found is not None:
            out.append(found)
    out.sort(key=lambda r: r.this_update or "", reverse=True)
    return sorted(out, key=lambda r: r.kind != "OCSP")
