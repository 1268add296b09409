"""The OCSP responder's outer layers written in DER (anxin.pki.revocation) are the bytes
asn1crypto's object tree encodes for the same response, and they parse and verify as an
OCSP response of the issuing CA (cryptography's parser, the CA's public key)."""

from __future__ import annotations

import datetime as dt

from asn1crypto import algos, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x_ocsp

from anxin.pki.authority import Pki
from anxin.pki.revocation import _ocsp_response_der, ocsp_for_certificate


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
    assert _ocsp_response_der(tbs_der, signature, cert_der) == _asn1crypto_response(
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
