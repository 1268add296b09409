"""The OCSP responses written in DER (anxin.pki.ocsp_der: ResponseData and the outer
layers, for both responders) are the bytes asn1crypto's object tree encodes for the same
response, for every status and with or without a nonce, and they parse and verify as OCSP
responses of the issuing CA (cryptography's parser, the CA's public key)."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import algos, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x_ocsp

from anxin.pki import ocsp_der
from anxin.pki.authority import Pki
from anxin.pki.revocation import ocsp_for_certificate
from anxin.pki.sm2_authority import Sm2Pki
from anxin.pki.sm2_revocation import _SM2_SM3


class _NoRows:
    def get(self, serial: str) -> None:
        return None

    def revoked(self, issuer_key_id: str) -> list[object]:
        return []


def _asn1crypto_response(tbs: ocsp.ResponseData, signature: bytes, cert_der: bytes) -> bytes:
    """The response as it was built before: every layer an asn1crypto object."""
    basic = ocsp.BasicOCSPResponse({
        "tbs_response_data": tbs,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
        "signature": signature,
        "certs": [asn1_x509.Certificate.load(cert_der)],
    })
    der: bytes = ocsp.OCSPResponse({
        "response_status": "successful",
        "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
    }).dump()
    return der


def test_the_der_layers_are_asn1cryptos_bytes(pki: Pki) -> None:
    produced = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    tbs = ocsp.ResponseData({
        "responder_id": ocsp.ResponderId(name="by_key", value=bytes.fromhex(pki.issuing_key_id)),
        "produced_at": produced,
        "responses": [ocsp.SingleResponse({
            "cert_id": ocsp.CertId({"hash_algorithm": {"algorithm": "sha256"},
                                    "issuer_name_hash": b"\x01" * 32,
                                    "issuer_key_hash": b"\x02" * 32, "serial_number": 77}),
            "cert_status": ocsp.CertStatus(name="good", value=None),
            "this_update": produced, "next_update": produced + dt.timedelta(hours=1)})],
        "response_extensions": [{"extn_id": "nonce", "critical": False,
                                 "extn_value": b"\x09" * 16}]})
    tbs_der = tbs.dump()
    signature = pki.issuing_key.sign(tbs_der, ec.ECDSA(hashes.SHA256()))
    cert_der = pki.issuing_cert.public_bytes(Encoding.DER)
    assert ocsp_der.ocsp_response(tbs_der, ocsp_der.ECDSA_SHA256, signature,
                                  cert_der) == _asn1crypto_response(
        ocsp.ResponseData.load(tbs_der), signature, cert_der)


def test_a_response_parses_and_verifies_with_the_issuing_key(pki: Pki) -> None:
    now = dt.datetime.now(dt.UTC)
    reply = x_ocsp.load_der_ocsp_response(
        ocsp_for_certificate(pki, _NoRows(), pki.tsa_cert, now))  # type: ignore[arg-type]
    assert reply.response_status is x_ocsp.OCSPResponseStatus.SUCCESSFUL
    assert reply.certificate_status is x_ocsp.OCSPCertStatus.GOOD
    assert reply.serial_number == pki.tsa_cert.serial_number
    assert reply.certificates == [pki.issuing_cert]
    assert reply.signature_algorithm_oid.dotted_string == "1.2.840.10045.4.3.2"
    public = pki.issuing_cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(reply.signature, reply.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))


_REVOKED_AT = dt.datetime(2026, 11, 30, 8, 15, 1, tzinfo=dt.UTC)
_STATUSES = {
    "good": ocsp.CertStatus(name="good", value=None),
    "unknown": ocsp.CertStatus(name="unknown", value=None),
    "revoked": ocsp.CertStatus(name="revoked", value=ocsp.RevokedInfo(
        {"revocation_time": _REVOKED_AT})),
    "revoked_with_reason": ocsp.CertStatus(name="revoked", value=ocsp.RevokedInfo(
        {"revocation_time": _REVOKED_AT, "revocation_reason": "key_compromise"})),
}


@pytest.mark.parametrize("nonce", [None, b"\x07" * 16, b"\x00\xff" * 40])
@pytest.mark.parametrize("statuses", [["good"], ["unknown"], ["revoked"],
                                      ["revoked_with_reason"], list(_STATUSES)])
def test_response_data_is_asn1cryptos_bytes(statuses: list[str], nonce: bytes | None) -> None:
    produced = dt.datetime(2026, 12, 1, 12, 0, 5, tzinfo=dt.UTC)
    next_update = produced + dt.timedelta(hours=1)
    answers = [(ocsp.CertId({"hash_algorithm": {"algorithm": algorithm},
                             "issuer_name_hash": bytes([n]) * size,
                             "issuer_key_hash": bytes([n + 1]) * size,
                             "serial_number": 2 ** (8 * n + 7) + n}),
                _STATUSES[name])
               for n, name in enumerate(statuses)
               for algorithm, size in [("sha256", 32) if n % 2 == 0 else ("sha1", 20)]]
    expected: dict[str, object] = {
        "responder_id": ocsp.ResponderId(name="by_key", value=b"\x0b" * 20),
        "produced_at": produced,
        "responses": [ocsp.SingleResponse({"cert_id": cert_id, "cert_status": status,
                                           "this_update": produced,
                                           "next_update": next_update})
                      for cert_id, status in answers]}
    if nonce is not None:
        expected["response_extensions"] = [{"extn_id": "nonce", "critical": False,
                                            "extn_value": nonce}]
    ours = ocsp_der.response_data(ocsp_der.responder_by_key(b"\x0b" * 20), produced,
                                  next_update, nonce, answers)
    assert ours == ocsp.ResponseData(expected).dump()
    parsed = ocsp.ResponseData.load(ours)
    assert [r["cert_status"].name for r in parsed["responses"]] == [
        _STATUSES[name].name for name in statuses]


def test_the_sm2_responders_layers_are_asn1cryptos_bytes(sm2_pki: Sm2Pki) -> None:
    produced = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    answers = [(ocsp.CertId({"hash_algorithm": {"algorithm": "sha256"},
                             "issuer_name_hash": b"\x03" * 32, "issuer_key_hash": b"\x04" * 32,
                             "serial_number": 99}), _STATUSES["good"])]
    tbs_der = ocsp_der.response_data(
        ocsp_der.responder_by_name(sm2_pki.issuing_cert.subject.dump()), produced,
        produced + dt.timedelta(hours=1), b"\x05" * 8, answers)
    assert tbs_der == ocsp.ResponseData({
        "responder_id": ocsp.ResponderId(name="by_name", value=sm2_pki.issuing_cert.subject),
        "produced_at": produced,
        "responses": [ocsp.SingleResponse({
            "cert_id": answers[0][0], "cert_status": answers[0][1], "this_update": produced,
            "next_update": produced + dt.timedelta(hours=1)})],
        "response_extensions": [{"extn_id": "nonce", "critical": False,
                                 "extn_value": b"\x05" * 8}]}).dump()
    signature = b"\x30\x06\x02\x01\x01\x02\x01\x02"
    expected = ocsp.OCSPResponse({
        "response_status": "successful",
        "response_bytes": {"response_type": "basic_ocsp_response",
                           "response": ocsp.BasicOCSPResponse({
                               "tbs_response_data": ocsp.ResponseData.load(tbs_der),
                               "signature_algorithm": {"algorithm": "sm2_sm3"},
                               "signature": signature,
                               "certs": [sm2_pki.issuing_cert]})}}).dump()
    assert ocsp_der.ocsp_response(tbs_der, _SM2_SM3, signature,
                                  sm2_pki.issuing_cert.dump()) == expected
