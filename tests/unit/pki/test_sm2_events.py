"""SM2 event certificates and the binding extension's version 2 (the letter's SM3 too),
with the intl version 1 kept byte for byte."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import core
from cryptography import x509 as cx509

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure, ValidationFailed
from anxin.pki import events, sm2_x509
from anxin.pki.sm2_authority import Sm2Pki
from anxin.pki.sm2_events import (
    issue_sm2_event_certificate,
    read_sm2_event_binding,
    record_sm2_certificate,
    recorded_sm2_certificate,
    verify_sm2_event_binding,
)
from tests.common.sm2_pki import MemoryCertificateStore, PlainKeys

SHA, SM3, COMMIT = "1a" * 32, "2b" * 32, "3c" * 32
NOW = dt.datetime.now(dt.UTC)


def test_version_1_is_byte_for_byte_what_it_was() -> None:
    """SEQUENCE { INTEGER 1, UTF8String id, OCTET STRING sha256 }: no SM3, no new bytes."""
    body = (core.Integer(1).dump() + core.UTF8String("a1").dump()
            + core.OctetString(bytes.fromhex(SHA)).dump())
    old = b"\x30" + bytes([len(body)]) + body
    assert events.encode_binding("a1", SHA) == old
    assert events.parse_binding(old, COMMIT) == events.EventBinding(
        authorization_id="a1", letter_sha256=SHA, id_commitment=COMMIT, letter_sm3=None)


def test_version_2_carries_the_sm3_digest_under_the_same_oid() -> None:
    der = events.encode_binding("a1", SHA, SM3)
    parsed = core.Sequence.load(der)
    assert parsed[0].native == 2
    assert der.endswith(b"\x80\x20" + bytes.fromhex(SM3))  # [0] IMPLICIT OCTET STRING
    assert events.parse_binding(der, COMMIT).letter_sm3 == SM3


@pytest.mark.parametrize("der", [
    # version 1 with an SM3 digest, version 2 without, version 3, a short SM3
    b"\x30" + bytes([2 + 3 + 4 + 34 + 34]) + core.Integer(1).dump() + core.UTF8String(
        "a").dump() + b"\x04\x20" + b"\x01" * 32 + b"\x80\x20" + b"\x02" * 32,
    b"\x30" + bytes([3 + 3 + 34]) + core.Integer(2).dump() + core.UTF8String("a").dump()
    + b"\x04\x20" + b"\x01" * 32,
    b"\x30" + bytes([3 + 3 + 34]) + core.Integer(3).dump() + core.UTF8String("a").dump()
    + b"\x04\x20" + b"\x01" * 32,
    b"\x30" + bytes([3 + 3 + 34 + 4]) + core.Integer(2).dump() + core.UTF8String(
        "a").dump() + b"\x04\x20" + b"\x01" * 32 + b"\x80\x02\x00\x00",
])
def test_inconsistent_bindings_are_refused(der: bytes) -> None:
    with pytest.raises(IntegrityFailure) as caught:
        events.parse_binding(der, COMMIT)
    assert caught.value.code == Code.EVENT_BINDING_MALFORMED


def test_the_sm2_event_certificate_binds_both_digests(sm2_pki: Sm2Pki) -> None:
    key, cert = issue_sm2_event_certificate(
        sm2_pki, name=" 李四 ", id_commitment_hex=COMMIT, authorization_id="auth-9",
        letter_sha256_hex=SHA, letter_sm3_hex=SM3, now=NOW)
    assert cert.subject.native == {"common_name": "李四", "serial_number": COMMIT}
    binding = verify_sm2_event_binding(cert, letter_sha256_hex=SHA, letter_sm3_hex=SM3,
                                       authorization_id="auth-9")
    assert binding == events.EventBinding("auth-9", SHA, COMMIT, SM3)
    # the intl reader (cryptography's parser) reads the SM2 certificate's binding too
    assert events.read_event_binding(cx509.load_der_x509_certificate(cert.dump())) == binding
    assert not [e for e in cert["tbs_certificate"]["extensions"]
                if e["extn_id"].dotted == sm2_x509.EVENT_BINDING_OID and e["critical"].native]
    assert sm2_x509.public_key_of(cert) == key.public
    assert cert.not_valid_before == (NOW - events.EVENT_CERT_BACKDATE).replace(microsecond=0)


def test_each_signing_gets_a_fresh_key(sm2_pki: Sm2Pki) -> None:
    first, cert1 = issue_sm2_event_certificate(
        sm2_pki, name="A", id_commitment_hex=COMMIT, authorization_id="x",
        letter_sha256_hex=SHA, letter_sm3_hex=SM3, now=NOW)
    second, cert2 = issue_sm2_event_certificate(
        sm2_pki, name="A", id_commitment_hex=COMMIT, authorization_id="x",
        letter_sha256_hex=SHA, letter_sm3_hex=SM3, now=NOW)
    assert first.public != second.public
    assert cert1.serial_number != cert2.serial_number


def test_another_letter_is_a_mismatch(sm2_pki: Sm2Pki) -> None:
    _, cert = issue_sm2_event_certificate(
        sm2_pki, name="A", id_commitment_hex=COMMIT, authorization_id="x",
        letter_sha256_hex=SHA, letter_sm3_hex=SM3, now=NOW)
    for sha, sm3, auth in ((SHA, "00" * 32, None), ("00" * 32, SM3, None), (SHA, SM3, "y")):
        with pytest.raises(IntegrityFailure) as caught:
            verify_sm2_event_binding(cert, letter_sha256_hex=sha, letter_sm3_hex=sm3,
                                     authorization_id=auth)
        assert caught.value.code == Code.EVENT_BINDING_MISMATCH


def test_a_certificate_without_binding_is_not_an_event_certificate(sm2_pki: Sm2Pki) -> None:
    with pytest.raises(IntegrityFailure) as caught:
        read_sm2_event_binding(sm2_pki.seal_cert)
    assert caught.value.code == Code.EVENT_BINDING_MISSING


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""), ("name", "x" * 65), ("id_commitment_hex", "AB" * 32),
    ("letter_sha256_hex", "00"), ("letter_sm3_hex", "zz" * 32), ("authorization_id", ""),
])
def test_bad_input_is_refused(sm2_pki: Sm2Pki, field: str, value: str) -> None:
    args = {"name": "A", "id_commitment_hex": COMMIT, "authorization_id": "x",
            "letter_sha256_hex": SHA, "letter_sm3_hex": SM3, field: value}
    with pytest.raises(ValidationFailed):
        issue_sm2_event_certificate(sm2_pki, now=NOW, **args)


def test_recorded_under_the_sm2_issuing_ca_and_read_back(sm2_pki: Sm2Pki) -> None:
    store = MemoryCertificateStore()
    _, cert = issue_sm2_event_certificate(
        sm2_pki, name="A", id_commitment_hex=COMMIT, authorization_id="x",
        letter_sha256_hex=SHA, letter_sm3_hex=SM3, now=NOW)
    record_sm2_certificate(store, cert, keys=PlainKeys(), kind="event",  # type: ignore[arg-type]
                           authorization_id="x")
    row = store.get(format(cert.serial_number, "x"))
    assert row is not None
    assert row.issuer_key_id == sm2_pki.issuing_key_id
    assert row.not_after == cert.not_valid_after
    back = recorded_sm2_certificate(store, PlainKeys(), cert.serial_number)  # type: ignore[arg-type]
    assert back is not None
    assert back.dump() == cert.dump()
    assert recorded_sm2_certificate(store, PlainKeys(), 12345) is None  # type: ignore[arg-type]
