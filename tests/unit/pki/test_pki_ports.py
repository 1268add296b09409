"""The PKI library on in-memory stores: the ports of ``anxin.pki.ports`` are all the
certificate status, CRL, OCSP, rotation and serial code needs (no database here)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x_ocsp

from anxin.errors import Conflict, NotFound
from anxin.keys import DataKeys
from anxin.pki.authority import Pki
from anxin.pki.events import (
    issue_event_certificate,
    make_id_commitment,
    record_certificate,
    recorded_certificate,
)
from anxin.pki.ports import CertificateStore, RevokedCertificate, SerialStore, StoredCertificate
from anxin.pki.revocation import build_crl, ocsp_respond, revoke_certificate, validation_data
from anxin.pki.rotation import retirement
from anxin.pki.serials import ReservedSerialSource, SerialUnavailable

KEYS = DataKeys(b"\x05" * 32)


class MemoryCertificates:
    def __init__(self) -> None:
        self.rows: dict[str, StoredCertificate] = {}

    def add(self, certificate: StoredCertificate) -> None:
        assert certificate.serial not in self.rows
        self.rows[certificate.serial] = certificate

    def get(self, serial: str) -> StoredCertificate | None:
        return self.rows.get(serial)

    def revoked(self, issuer_key_id: str) -> list[RevokedCertificate]:
        found = [RevokedCertificate(r.serial, r.revoked_at, r.revocation_reason)
                 for r in self.rows.values()
                 if r.revoked_at is not None and r.issuer_key_id == issuer_key_id]
        return sorted(found, key=lambda r: r.revoked_at)

    def revoke(self, serial: str, reason: str, at: dt.datetime) -> bool:
        row = self.rows.get(serial)
        if row is None or row.revoked_at is not None:
            return False
        self.rows[serial] = dataclasses.replace(row, revoked_at=at, revocation_reason=reason)
        return True


class MemoryCounters:
    def __init__(self, *, fail: bool = False) -> None:
        self.values: dict[str, int] = {}
        self.calls: list[int] = []
        self.fail = fail
        self._lock = threading.Lock()

    def reserve(self, name: str, count: int) -> int:
        if self.fail:
            raise SerialUnavailable("counter down")
        with self._lock:
            self.calls.append(count)
            self.values[name] = self.values.get(name, 0) + count
            return self.values[name]


def _event(pki: Pki, now: dt.datetime) -> x509.Certificate:
    _, commitment = make_id_commitment("11010519491231002X")
    _, cert = issue_event_certificate(
        pki, name="张三", id_commitment_hex=commitment, authorization_id="auth-p",
        letter_sha256_hex=hashlib.sha256(b"letter").hexdigest(), now=now)
    return cert


def test_the_memory_stores_satisfy_the_ports() -> None:
    certificates: CertificateStore = MemoryCertificates()
    counters: SerialStore = MemoryCounters()
    assert certificates.get("1") is None
    assert counters.reserve("x", 2) == 2


def test_record_revoke_crl_and_ocsp_through_the_port(pki: Pki, now: dt.datetime) -> None:
    store = MemoryCertificates()
    cert = _event(pki, now)
    record_certificate(store, cert, keys=KEYS, kind="event", authorization_id="auth-p")
    stored = store.rows[format(cert.serial_number, "x")]
    assert stored.issuer_key_id == pki.issuing_key_id
    assert "张三".encode() not in stored.der_enc
    assert recorded_certificate(store, KEYS, cert.serial_number) == cert
    assert recorded_certificate(store, KEYS, 0x1234) is None

    request = (x_ocsp.OCSPRequestBuilder()
               .add_certificate(cert, pki.issuing_cert, hashes.SHA256()).build()
               .public_bytes(Encoding.DER))
    good = x_ocsp.load_der_ocsp_response(ocsp_respond(pki, store, request, now))
    assert good.certificate_status == x_ocsp.OCSPCertStatus.GOOD

    revoke_certificate(store, cert.serial_number, "keyCompromise", now)
    with pytest.raises(Conflict):
        revoke_certificate(store, cert.serial_number, "keyCompromise", now)
    with pytest.raises(NotFound):
        revoke_certificate(store, 0x1234, "keyCompromise", now)
    revoked = x_ocsp.load_der_ocsp_response(ocsp_respond(pki, store, request, now))
    assert revoked.certificate_status == x_ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_reason == x509.ReasonFlags.key_compromise

    crl = x509.load_der_x509_crl(build_crl(pki, store, now))
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    assert entry is not None
    assert crl.is_signature_valid(pki.issuing_cert.public_key())  # type: ignore[arg-type]

    data = validation_data(pki, store, [cert, pki.tsa_cert], now)
    assert len(data.ocsps) == 2  # the event certificate's and the TSA's
    assert pki.root_crl_der in data.crls


def test_the_retiring_ca_lists_the_stores_revocations(pki: Pki, now: dt.datetime) -> None:
    store = MemoryCertificates()
    cert = _event(pki, now)
    record_certificate(store, cert, keys=KEYS, kind="event")
    revoke_certificate(store, cert.serial_number, "keyCompromise", now)
    full = retirement(pki, store, now)
    final = x509.load_der_x509_crl(full.final_crl)
    assert final.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    assert format(pki.tsa_cert.serial_number, "x") in full.final_ocsps
    leaves = retirement(pki, store, now, leaves_only=True)
    assert leaves.final_ocsps == {}
    bare = x509.load_der_x509_crl(retirement(pki, None, now).final_crl)
    assert len(bare) == 0


def test_reserved_serials_come_in_blocks_from_the_store() -> None:
    counters = MemoryCounters()
    source = ReservedSerialSource(counters, name="tsa", block_size=4)
    assert [source.next_serial() for _ in range(6)] == [1, 2, 3, 4, 5, 6]
    assert counters.calls == [4, 4]
    single = ReservedSerialSource(counters, name="other")
    assert [single.next_serial(), single.next_serial()] == [1, 2]


def test_a_failing_store_reports_serial_unavailable() -> None:
    source = ReservedSerialSource(MemoryCounters(fail=True), block_size=1)
    with pytest.raises(SerialUnavailable):
        source.next_serial()
