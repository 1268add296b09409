"""Reading OCSP requests (anxin.pki.ocsp_request), shared by both responders: a request is
parsed whole before it is answered, so a CertID with a wrong field is malformedRequest,
never an exception while the answer is signed (the intl responder raised ValueError)."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as x_ocsp

from anxin.pki.authority import Pki
from anxin.pki.ocsp_request import MAX_OCSP_REQUESTS, parse_ocsp_request
from anxin.pki.revocation import ocsp_respond
from tests.common.sm2_pki import MemoryCertificateStore

SHA1_OID = bytes.fromhex("06052b0e03021a")


def _request(pki: Pki, *, nonce: bytes | None = None) -> bytes:
    builder = x_ocsp.OCSPRequestBuilder().add_certificate(pki.tsa_cert, pki.issuing_cert,
                                                          hashes.SHA1())  # noqa: S303 - RFC 6960's default CertID hash
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _wrong_tag(request: bytes) -> bytes:
    """The issuerNameHash as a UTF8String instead of an OCTET STRING."""
    at = request.index(b"\x04\x14", request.index(SHA1_OID))
    return request[:at] + b"\x0c\x14" + request[at + 2:]


def test_a_request_reads_its_cert_ids_and_nonce(pki: Pki) -> None:
    query = parse_ocsp_request(_request(pki, nonce=b"n" * 16))
    assert query is not None
    assert [c["serial_number"].native for c in query.cert_ids] == [pki.tsa_cert.serial_number]
    assert query.nonce == b"n" * 16
    plain = parse_ocsp_request(_request(pki))
    assert plain is not None
    assert plain.nonce is None


@pytest.mark.parametrize("body", [b"", b"garbage", b"\x30\x00"])
def test_garbage_makes_no_query(body: bytes) -> None:
    assert parse_ocsp_request(body) is None


def test_a_wrong_field_in_a_cert_id_makes_no_query(pki: Pki) -> None:
    assert parse_ocsp_request(_wrong_tag(_request(pki))) is None


def test_the_intl_responder_calls_it_malformed(pki: Pki) -> None:
    now = dt.datetime.now(dt.UTC)
    reply = ocsp_respond(pki, MemoryCertificateStore(), _wrong_tag(_request(pki)), now)
    assert ocsp.OCSPResponse.load(reply)["response_status"].native == "malformed_request"
    good = ocsp_respond(pki, MemoryCertificateStore(), _request(pki), now)
    assert ocsp.OCSPResponse.load(good)["response_status"].native == "successful"


def test_too_many_cert_ids_make_no_query(pki: Pki) -> None:
    one = ocsp.OCSPRequest.load(_request(pki))
    item = one["tbs_request"]["request_list"][0]
    many = ocsp.OCSPRequest({"tbs_request": {"request_list": [item] * (MAX_OCSP_REQUESTS + 1)}})
    assert parse_ocsp_request(many.dump()) is None
    assert parse_ocsp_request(ocsp.OCSPRequest({"tbs_request": {
        "request_list": [item] * MAX_OCSP_REQUESTS}}).dump()) is not None
