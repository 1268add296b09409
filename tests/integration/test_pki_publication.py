"""The use cases behind /pki and /tsa (anxin.services.pki_publication): what a verifier
gets for an unreadable request and when the database fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import core, ocsp, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x_ocsp

from anxin.pki.authority import Pki
from anxin.pki.serials import InMemorySerialSource
from anxin.pki.tsa import TimestampAuthority
from anxin.services.pki_publication import issuing_crl, ocsp_answer, timestamp_reply
from tests.integration.pki_support import make_pki, sqlite_db, utcnow


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("publication"))[1]


def _request(pki: Pki) -> bytes:
    return (x_ocsp.OCSPRequestBuilder()
            .add_certificate(pki.tsa_cert, pki.issuing_cert, hashes.SHA256()).build()
            .public_bytes(Encoding.DER))


def test_the_crl_and_ocsp_come_from_the_database(pki: Pki, tmp_path: Path) -> None:
    db = sqlite_db(tmp_path)
    crl = x509.load_der_x509_crl(issuing_crl(db, pki, utcnow()))
    assert crl.issuer == pki.issuing_cert.subject
    reply = x_ocsp.load_der_ocsp_response(ocsp_answer(db, pki, _request(pki), utcnow()))
    assert reply.certificate_status == x_ocsp.OCSPCertStatus.GOOD
    db.dispose()


def test_an_unreadable_ocsp_request_is_malformed(pki: Pki, tmp_path: Path) -> None:
    db = sqlite_db(tmp_path)
    for body in (None, b"not DER"):
        status = ocsp.OCSPResponse.load(ocsp_answer(db, pki, body, utcnow()))
        assert status["response_status"].native == "malformed_request"
    db.dispose()


def test_a_database_failure_is_try_later(pki: Pki, tmp_path: Path) -> None:
    db = sqlite_db(tmp_path)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE certificates")
    status = ocsp.OCSPResponse.load(ocsp_answer(db, pki, _request(pki), utcnow()))
    assert status["response_status"].native == "try_later"
    db.dispose()


def test_a_request_too_large_for_the_tsa_is_bad_data_format(pki: Pki) -> None:
    reply = timestamp_reply(TimestampAuthority(pki, InMemorySerialSource()), None)
    outer = core.Sequence.load(reply, strict=True)  # a rejection is SEQUENCE { status }
    assert len(outer) == 1
    status = tsp.PKIStatusInfo.load(outer[0].dump())
    assert status["status"].native == "rejection"
    assert set(status["fail_info"].native) == {"bad_data_format"}
