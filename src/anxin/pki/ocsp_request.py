"""Reading an RFC 6960 ``OCSPRequest``, for both responders (the intl one in
:mod:`anxin.pki.revocation`, the SM2 one in :mod:`anxin.pki.sm2_revocation`), and the
unsigned error answer.

A request is read whole before it is answered: the CertIDs (each parsed to the last
field, so that nothing lazy fails later, while the answer is being signed), and the
nonce extension if any. Garbage, trailing bytes, no CertID or more than
:data:`MAX_OCSP_REQUESTS` of them make no query: the responder answers
``malformedRequest``.

Example::

    query = parse_ocsp_request(request_der)
    if query is None:
        return ocsp_error("malformed_request")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from asn1crypto import ocsp

MAX_OCSP_REQUESTS: Final = 20
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError)


@dataclass(frozen=True, slots=True)
class OcspQuery:
    """What a request asks: the certificates (CertIDs) and the nonce to echo."""

    cert_ids: list[ocsp.CertId]
    nonce: bytes | None


def parse_ocsp_request(request_der: bytes) -> OcspQuery | None:
    """The request's query, or None for a request the responder must call malformed."""
    try:
        request = ocsp.OCSPRequest.load(request_der, strict=True)
        tbs = request["tbs_request"]
        cert_ids = [item["req_cert"] for item in tbs["request_list"]]
        nonce = None
        for extension in tbs["request_extensions"] or []:
            if extension["extn_id"].native == "nonce":
                nonce = extension["extn_value"].native
        for cert_id in cert_ids:
            cert_id.native  # noqa: B018 - force the lazy parse here
    except _PARSE_ERRORS:
        return None
    if not 1 <= len(cert_ids) <= MAX_OCSP_REQUESTS:
        return None
    return OcspQuery(cert_ids, nonce)


def ocsp_error(status: str) -> bytes:
    """An unsigned OCSPResponse: ``malformed_request``, ``internal_error``, ``try_later``…"""
    return bytes(ocsp.OCSPResponse({"response_status": status}).dump())
