"""SM2 CRLs and the SM2 OCSP responder, and their verifiers, with gmssl as second verifier.

Requests here are built with asn1crypto; those made by ``openssl ocsp -reqout`` are in
tests/integration/test_sm2_pki_openssl.py."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import pytest
from asn1crypto import crl, ocsp, x509

from anxin.error_codes import Code
from anxin.pki import sm2, sm2_x509
from anxin.pki.revocation import revoke_certificate
from anxin.pki.sm2_authority import Sm2Pki
from anxin.pki.sm2_events import issue_sm2_event_certificate, record_sm2_certificate
from anxin.pki.sm2_revocation import (
    Sm2RevocationInvalid,
    build_sm2_issuing_crl,
    sm2_ocsp_for_certificate,
    sm2_ocsp_respond,
    verify_sm2_crl,
    verify_sm2_ocsp_response,
)
from tests.common.sm2_pki import MemoryCertificateStore, PlainKeys, flip, gmssl_verifies

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def store(sm2_pki: Sm2Pki) -> tuple[MemoryCertificateStore, list[x509.Certificate]]:
    """Three recorded event certificates; the second revoked for key compromise."""
    certificates = MemoryCertificateStore()
    issued = []
    for n in range(3):
        _, cert = issue_sm2_event_certificate(
            sm2_pki, name=f"Signer {n}", id_commitment_hex="ab" * 32,
            authorization_id=f"auth-{n}", letter_sha256_hex="01" * 32,
            letter_sm3_hex="02" * 32, now=NOW)
        record_sm2_certificate(certificates, cert, keys=PlainKeys(), kind="event",  # type: ignore[arg-type]
                               authorization_id=f"auth-{n}")
        issued.append(cert)
    revoke_certificate(certificates, issued[1].serial_number, "keyCompromise",
                       NOW.replace(microsecond=0))
    return certificates, issued


def _revocation_fails(check: str, call: Callable[[], object]) -> None:
    with pytest.raises(Sm2RevocationInvalid) as caught:
        call()
    assert caught.value.check == check, caught.value.detail
    assert caught.value.code == Code.SM2_REVOCATION_INVALID


# --- CRL ------------------------------------------------------------------------------------

def test_the_issuing_crl_lists_the_revoked_event_certificate(
        sm2_pki: Sm2Pki, store: tuple[MemoryCertificateStore, list[x509.Certificate]]) -> None:
    certificates, issued = store
    der = build_sm2_issuing_crl(sm2_pki, certificates, NOW)
    parsed = verify_sm2_crl(der, sm2_pki.issuing_cert, at=NOW, partition="end-entity status")
    assert set(parsed.revoked) == {issued[1].serial_number}
    entry = parsed.entry(issued[1].serial_number)
    assert entry is not None
    assert entry.reason == "keyCompromise"
    assert parsed.entry(issued[0].serial_number) is None
    assert parsed.next_update - parsed.this_update == dt.timedelta(days=1)
    # the second implementation agrees on the signature
    signed = crl.CertificateList.load(der)
    assert signed["signature_algorithm"].dump().hex() == "300a06082a811ccf55018375"
    assert gmssl_verifies(sm2_x509.public_key_of(sm2_pki.issuing_cert),
                          signed["tbs_cert_list"].dump(), signed["signature"].native)
    idp = signed.issuing_distribution_point_value
    assert idp is not None
    assert idp["only_contains_user_certs"].native
    assert "issuing_distribution_point" in signed.critical_extensions


def test_the_root_crl_is_long_lived_and_signed_by_the_root(sm2_pki: Sm2Pki) -> None:
    parsed = verify_sm2_crl(sm2_pki.root_crl_der, sm2_pki.root_cert,
                            at=dt.datetime.now(dt.UTC))
    assert parsed.partition is None
    assert not parsed.revoked
    assert parsed.next_update is not None
    assert parsed.next_update - parsed.this_update >= dt.timedelta(days=365)
    signed = crl.CertificateList.load(sm2_pki.root_crl_der)
    assert gmssl_verifies(sm2_x509.public_key_of(sm2_pki.root_cert),
                          signed["tbs_cert_list"].dump(), signed["signature"].native)


def test_a_crl_with_one_byte_changed_fails_typed(
        sm2_pki: Sm2Pki, store: tuple[MemoryCertificateStore, list[x509.Certificate]]) -> None:
    der = build_sm2_issuing_crl(sm2_pki, store[0], NOW)
    unnoticed = []
    for index in range(len(der)):
        try:
            verify_sm2_crl(flip(der, index), sm2_pki.issuing_cert, at=NOW,
                           partition="end-entity status")
        except Sm2RevocationInvalid:
            continue
        unnoticed.append(index)
    assert unnoticed == []
    tampered = flip(der, len(der) - 3)  # inside the signature
    _revocation_fails("signature", lambda: verify_sm2_crl(tampered, sm2_pki.issuing_cert))


def test_a_crl_is_judged_for_issuer_freshness_and_scope(
        sm2_pki: Sm2Pki, store: tuple[MemoryCertificateStore, list[x509.Certificate]]) -> None:
    der = build_sm2_issuing_crl(sm2_pki, store[0], NOW)
    _revocation_fails("issuer", lambda: verify_sm2_crl(der, sm2_pki.root_cert))
    _revocation_fails("freshness", lambda: verify_sm2_crl(
        der, sm2_pki.issuing_cert, at=NOW + dt.timedelta(days=2)))
    _revocation_fails("scope", lambda: verify_sm2_crl(
        der, sm2_pki.issuing_cert, partition="SM2 TSA 0000 status"))
    _revocation_fails("malformed", lambda: verify_sm2_crl(b"\x30\x00",
                                                          sm2_pki.issuing_cert))


# --- OCSP -----------------------------------------------------------------------------------

def _request(issuer: x509.Certificate, serials: list[int], algorithm: str = "sha1",
             nonce: bytes | None = None) -> bytes:
    digest = {"sha1": lambda d: hashlib.sha1(d).digest(),  # noqa: S324 - RFC 6960 default
              "sha256": lambda d: hashlib.sha256(d).digest(), "sm3": sm2.sm3}[algorithm]
    point = sm2_x509.public_key_of(issuer).point
    tbs: dict[str, object] = {"request_list": [{"req_cert": {
        "hash_algorithm": {"algorithm": algorithm},
        "issuer_name_hash": digest(issuer.subject.dump()), "issuer_key_hash": digest(point),
        "serial_number": serial}} for serial in serials]}
    if nonce is not None:
        tbs["request_extensions"] = [{"extn_id": "nonce", "extn_value": nonce}]
    return bytes(ocsp.OCSPRequest({"tbs_request": tbs}).dump())


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sm3"])
def test_the_responder_answers_good_revoked_and_unknown(
        sm2_pki: Sm2Pki, store: tuple[MemoryCertificateStore, list[x509.Certificate]],
        algorithm: str) -> None:
    certificates, issued = store
    stranger = sm2_x509.issue_seal(sm2.generate_private_key().public, sm2_pki.issuing_cert,
                                   sm2_pki.issuing_key, sm2_pki.urls, NOW)  # never recorded
    wanted = {issued[0]: "good", issued[1]: "revoked", sm2_pki.tsa_cert: "good",
              sm2_pki.seal_cert: "good", stranger: "unknown"}
    for cert, status in wanted.items():
        reply = sm2_ocsp_respond(sm2_pki, certificates,
                                 _request(sm2_pki.issuing_cert, [cert.serial_number],
                                          algorithm, nonce=b"n" * 16), NOW)
        answer = verify_sm2_ocsp_response(reply, sm2_pki.issuing_cert, cert, at=NOW,
                                          nonce=b"n" * 16)
        assert answer.status == status
    revoked = verify_sm2_ocsp_response(
        sm2_ocsp_respond(sm2_pki, certificates,
                         _request(sm2_pki.issuing_cert, [issued[1].serial_number]), NOW),
        sm2_pki.issuing_cert, issued[1])
    assert revoked.reason == "keyCompromise"
    assert revoked.revoked_at == NOW.replace(microsecond=0)


def test_a_response_is_sm2_signed_by_the_issuing_ca_as_gmssl_sees_it(
        sm2_pki: Sm2Pki, store: tuple[MemoryCertificateStore, list[x509.Certificate]]) -> None:
    reply = sm2_ocsp_for_certificate(sm2_pki, store[0], store[1][0], NOW)
    basic = ocsp.OCSPResponse.load(reply)["response_bytes"]["response"].parsed
    assert basic["signature_algorithm"].dump().hex() == "300a06082a811ccf55018375"
    data = basic["tbs_response_data"]
    assert data["responder_id"].name == "by_name"
    assert data["responder_id"].chosen == sm2_pki.issuing_cert.subject
    assert data["responses"][0]["cert_id"]["hash_algorithm"]["algorithm"].dotted == \
        sm2.OID_SM3
    assert gmssl_verifies(sm2_x509.public_key_of(sm2_pki.issuing_cert), data.dump(),
                          basic["signature"].native)


def test_a_response_with_one_byte_changed_fails_typed(
        sm2_pki: Sm2Pki, store: tuple[MemoryCertificateStore, list[x509.Certificate]]) -> None:
    cert = store[1][0]
    reply = sm2_ocsp_for_certificate(sm2_pki, store[0], cert, NOW)
    # every byte up to the unsigned certs field ([0] EXPLICIT SEQUENCE OF, 8 header bytes)
    basic_end = reply.index(sm2_pki.issuing_cert.dump()) - 8
    assert reply[basic_end] == 0xA0
    unnoticed = []
    for index in range(basic_end):
        try:
            verify_sm2_ocsp_response(flip(reply, index), sm2_pki.issuing_cert, cert, at=NOW)
        except Sm2RevocationInvalid:
            continue
        unnoticed.append(index)
    assert unnoticed == []
    signature_at = basic_end - 3
    _revocation_fails("signature", lambda: verify_sm2_ocsp_response(
        flip(reply, signature_at), sm2_pki.issuing_cert, cert))


def test_a_response_is_judged_for_issuer_certificate_time_and_nonce(
        sm2_pki: Sm2Pki, store: tuple[MemoryCertificateStore, list[x509.Certificate]]) -> None:
    certificates, issued = store
    reply = sm2_ocsp_respond(sm2_pki, certificates,
                             _request(sm2_pki.issuing_cert, [issued[0].serial_number],
                                      nonce=b"x" * 16), NOW)
    _revocation_fails("issuer", lambda: verify_sm2_ocsp_response(reply, sm2_pki.root_cert,
                                                                 issued[0]))
    _revocation_fails("cert_id", lambda: verify_sm2_ocsp_response(
        reply, sm2_pki.issuing_cert, issued[2]))
    _revocation_fails("freshness", lambda: verify_sm2_ocsp_response(
        reply, sm2_pki.issuing_cert, issued[0], at=NOW + dt.timedelta(hours=2)))
    _revocation_fails("nonce", lambda: verify_sm2_ocsp_response(
        reply, sm2_pki.issuing_cert, issued[0], nonce=b"y" * 16))


def test_a_malformed_request_gets_an_unsigned_error(
        sm2_pki: Sm2Pki, store: tuple[MemoryCertificateStore, list[x509.Certificate]]) -> None:
    for request in (b"", b"\x30\x03\x02\x01\x01", _request(sm2_pki.issuing_cert, [])):
        reply = sm2_ocsp_respond(sm2_pki, store[0], request, NOW)
        assert ocsp.OCSPResponse.load(reply)["response_status"].native == "malformed_request"
        _revocation_fails("status", lambda reply=reply: verify_sm2_ocsp_response(
            reply, sm2_pki.issuing_cert, store[1][0]))


def test_another_issuers_certificate_is_unknown(
        sm2_pki: Sm2Pki, store: tuple[MemoryCertificateStore, list[x509.Certificate]]) -> None:
    """A CertID naming the root (not the responder's CA) is answered unknown."""
    certificates, issued = store
    reply = sm2_ocsp_respond(sm2_pki, certificates,
                             _request(sm2_pki.root_cert, [issued[0].serial_number]), NOW)
    basic = ocsp.OCSPResponse.load(reply)["response_bytes"]["response"].parsed
    assert basic["tbs_response_data"]["responses"][0]["cert_status"].name == "unknown"
