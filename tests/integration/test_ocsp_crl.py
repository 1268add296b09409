"""Certificate status against OpenSSL: `openssl ocsp` and `openssl crl -verify`."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from asn1crypto import ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x_ocsp
from fastapi.testclient import TestClient

from anxin.errors import Conflict, NotFound, ValidationFailed
from anxin.pki.events import issue_event_certificate, make_id_commitment, record_certificate
from anxin.pki.revocation import build_crl, ocsp_respond, revoke_certificate
from anxin.storage.certificate_store import SqlCertificateStore
from tests.integration.pki_support import (
    TEST_KEYS,
    FakeCtx,
    make_app,
    make_ctx,
    make_pki,
    openssl,
    sqlite_db,
    utcnow,
)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[FakeCtx]:
    settings, pki = make_pki(tmp_path)
    db = sqlite_db(tmp_path)
    ctx = make_ctx(settings, pki, db)
    for name in ("root.crt", "issuing.crt"):
        (tmp_path / name).write_bytes(pki.pem(name))
    yield ctx
    db.dispose()


@pytest.fixture
def client(env: FakeCtx) -> Iterator[TestClient]:
    with TestClient(make_app(env)) as c:
        yield c


def _event_cert(ctx: FakeCtx, path: Path, *, record: bool = True) -> x509.Certificate:
    _, commitment = make_id_commitment("11010519491231002X")
    _, cert = issue_event_certificate(
        ctx.pki, name="李四", id_commitment_hex=commitment, authorization_id="auth-9",
        letter_sha256_hex=hashlib.sha256(b"letter").hexdigest(), now=utcnow())
    if record:
        with ctx.db.transaction() as session:
            store = SqlCertificateStore(session)
            record_certificate(store, cert, keys=TEST_KEYS, kind="event",
                               authorization_id="auth-9")
    path.write_bytes(cert.public_bytes(Encoding.PEM))
    return cert


def _ask(client: TestClient, tmp_path: Path, cert_path: Path, *extra: str) -> str:
    """openssl builds the request, POST /pki/ocsp answers, openssl checks the answer."""
    openssl("ocsp", "-issuer", tmp_path / "issuing.crt", "-cert", cert_path,
            "-reqout", tmp_path / "req.der", *extra)
    response = client.post("/pki/ocsp", content=(tmp_path / "req.der").read_bytes(),
                           headers={"Content-Type": "application/ocsp-request"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ocsp-response"
    (tmp_path / "resp.der").write_bytes(response.content)
    # -reqin (not -cert, which would build a new request) so openssl checks our nonce echo
    return openssl("ocsp", "-respin", tmp_path / "resp.der", "-reqin", tmp_path / "req.der",
                   "-CAfile", tmp_path / "root.crt", "-resp_text")


def test_good_then_revoked(env: FakeCtx, client: TestClient, tmp_path: Path) -> None:
    cert = _event_cert(env, tmp_path / "event.crt")
    answer = _ask(client, tmp_path, tmp_path / "event.crt")
    assert "Response verify OK" in answer
    assert "Cert Status: good" in answer
    with env.db.transaction() as session:
        store = SqlCertificateStore(session)
        revoke_certificate(store, cert.serial_number, "keyCompromise", utcnow())
    answer = _ask(client, tmp_path, tmp_path / "event.crt")
    assert "Response verify OK" in answer
    assert "Cert Status: revoked" in answer
    assert "Revocation Reason: keyCompromise" in answer


def test_vafile_trust_and_nonce(env: FakeCtx, client: TestClient, tmp_path: Path) -> None:
    _event_cert(env, tmp_path / "event.crt")
    openssl("ocsp", "-issuer", tmp_path / "issuing.crt", "-cert", tmp_path / "event.crt",
            "-reqout", tmp_path / "req.der")
    request = ocsp.OCSPRequest.load((tmp_path / "req.der").read_bytes())
    nonce = request["tbs_request"]["request_extensions"][0]["extn_value"].native
    reply = client.post("/pki/ocsp", content=(tmp_path / "req.der").read_bytes()).content
    (tmp_path / "resp.der").write_bytes(reply)
    answer = openssl("ocsp", "-respin", tmp_path / "resp.der", "-VAfile",
                     tmp_path / "issuing.crt", "-issuer", tmp_path / "issuing.crt",
                     "-cert", tmp_path / "event.crt", "-no_nonce")  # nonce: checked below
    assert "Response verify OK" in answer
    assert f"{tmp_path / 'event.crt'}: good" in answer
    basic = ocsp.OCSPResponse.load(reply).basic_ocsp_response
    echoed = basic["tbs_response_data"]["response_extensions"][0]
    assert echoed["extn_id"].native == "nonce"
    assert echoed["extn_value"].native == nonce


def test_never_issued_and_foreign_certs_are_unknown(env: FakeCtx, client: TestClient,
                                                    tmp_path: Path) -> None:
    _event_cert(env, tmp_path / "unrecorded.crt", record=False)
    answer = _ask(client, tmp_path, tmp_path / "unrecorded.crt", "-no_nonce")
    assert "Cert Status: unknown" in answer
    # a certificate of another installation's CA: not ours to vouch for
    _, foreign = make_pki(tmp_path / "foreign")
    (tmp_path / "foreign-seal.crt").write_bytes(foreign.pem("seal.crt"))
    (tmp_path / "foreign-issuing.crt").write_bytes(foreign.pem("issuing.crt"))
    openssl("ocsp", "-issuer", tmp_path / "foreign-issuing.crt", "-cert",
            tmp_path / "foreign-seal.crt", "-reqout", tmp_path / "req.der")
    reply = client.post("/pki/ocsp", content=(tmp_path / "req.der").read_bytes()).content
    single = ocsp.OCSPResponse.load(reply).basic_ocsp_response["tbs_response_data"][
        "responses"][0]
    assert single["cert_status"].name == "unknown"
    assert single["cert_id"]["serial_number"].native == foreign.seal_cert.serial_number


def test_the_tsa_and_seal_certificates_are_good(env: FakeCtx, client: TestClient,
                                                tmp_path: Path) -> None:
    for name in ("tsa.crt", "seal.crt"):
        (tmp_path / name).write_bytes(env.pki.pem(name))
        assert "Cert Status: good" in _ask(client, tmp_path, tmp_path / name)


@pytest.mark.parametrize("body", [b"", b"not an OCSP request", b"\x30\x00"])
def test_malformed_requests(client: TestClient, body: bytes) -> None:
    response = client.post("/pki/ocsp", content=body)
    assert response.status_code == 200
    assert ocsp.OCSPResponse.load(response.content)["response_status"].native == \
        "malformed_request"


def test_sha256_cert_ids_are_understood(env: FakeCtx, tmp_path: Path) -> None:
    cert = _event_cert(env, tmp_path / "event.crt")
    request = (x_ocsp.OCSPRequestBuilder()
               .add_certificate(cert, env.pki.issuing_cert, hashes.SHA256()).build())
    with env.db.transaction() as session:
        store = SqlCertificateStore(session)
        reply = ocsp_respond(env.pki, store, request.public_bytes(Encoding.DER), utcnow())
    parsed = x_ocsp.load_der_ocsp_response(reply)
    assert parsed.certificate_status == x_ocsp.OCSPCertStatus.GOOD
    assert parsed.hash_algorithm.name == "sha256"
    assert parsed.responder_key_hash == bytes.fromhex(env.pki.issuing_key_id)
    assert parsed.responder_name is None
    env.pki.issuing_key.public_key().verify(parsed.signature, parsed.tbs_response_bytes,
                                            ec.ECDSA(hashes.SHA256()))


def test_crl_verifies_with_openssl_and_lists_revocations(env: FakeCtx, client: TestClient,
                                                         tmp_path: Path) -> None:
    revoked = _event_cert(env, tmp_path / "a.crt")
    kept = _event_cert(env, tmp_path / "b.crt")
    with env.db.transaction() as session:
        store = SqlCertificateStore(session)
        revoke_certificate(store, format(revoked.serial_number, "x"), "superseded",
                           utcnow())
    response = client.get("/pki/issuing.crl")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pkix-crl"
    (tmp_path / "issuing.crl").write_bytes(response.content)
    (tmp_path / "chain.pem").write_bytes(env.pki.pem("root.crt") + env.pki.pem("issuing.crt"))
    out = openssl("crl", "-inform", "DER", "-in", tmp_path / "issuing.crl", "-CAfile",
                  tmp_path / "chain.pem", "-verify", "-noout", "-text")
    assert "verify OK" in out
    assert format(revoked.serial_number, "X") in out.replace(":", "").upper()
    assert format(kept.serial_number, "X") not in out.replace(":", "").upper()
    crl = x509.load_der_x509_crl(response.content)
    assert crl.get_revoked_certificate_by_serial_number(revoked.serial_number) is not None
    assert crl.next_update_utc is not None
    assert crl.next_update_utc > utcnow()
    # and the root's CRL, for the issuing CA
    root_crl = client.get("/pki/root.crl")
    (tmp_path / "root.crl").write_bytes(root_crl.content)
    assert "verify OK" in openssl("crl", "-inform", "DER", "-in", tmp_path / "root.crl",
                                  "-CAfile", tmp_path / "root.crt", "-verify", "-noout")


def test_openssl_verify_uses_the_crl(env: FakeCtx, tmp_path: Path) -> None:
    cert = _event_cert(env, tmp_path / "event.crt")
    (tmp_path / "chain.pem").write_bytes(env.pki.pem("root.crt"))
    with env.db.transaction() as session:
        store = SqlCertificateStore(session)
        (tmp_path / "crl.pem").write_bytes(_pem_crl(build_crl(env.pki, store, utcnow()))
                                           + _pem_crl(env.pki.root_crl_der))
    args = ("verify", "-crl_check_all", "-CAfile", tmp_path / "chain.pem", "-untrusted",
            tmp_path / "issuing.crt", "-CRLfile", tmp_path / "crl.pem",
            tmp_path / "event.crt")
    assert "OK" in openssl(*args)
    with env.db.transaction() as session:
        store = SqlCertificateStore(session)
        revoke_certificate(store, cert.serial_number, "keyCompromise", utcnow())
        (tmp_path / "crl.pem").write_bytes(_pem_crl(build_crl(env.pki, store, utcnow()))
                                           + _pem_crl(env.pki.root_crl_der))
    with pytest.raises(AssertionError, match="certificate revoked"):
        openssl(*args)


def _pem_crl(der: bytes) -> bytes:
    return x509.load_der_x509_crl(der).public_bytes(Encoding.PEM)


def test_revocation_errors(env: FakeCtx, tmp_path: Path) -> None:
    cert = _event_cert(env, tmp_path / "event.crt")
    now = utcnow()
    with env.db.transaction() as session:
        store = SqlCertificateStore(session)
        with pytest.raises(ValidationFailed):
            revoke_certificate(store, cert.serial_number, "because", now)
        with pytest.raises(ValidationFailed):
            revoke_certificate(store, "not-hex", "keyCompromise", now)
        with pytest.raises(NotFound):
            revoke_certificate(store, 12345, "keyCompromise", now)
        revoke_certificate(store, cert.serial_number, "keyCompromise", now)
        with pytest.raises(Conflict):
            revoke_certificate(store, cert.serial_number, "keyCompromise",
                               now + dt.timedelta(seconds=1))


def test_pem_endpoints(env: FakeCtx, client: TestClient) -> None:
    for name in ("root.crt", "issuing.crt", "tsa.crt", "seal.crt"):
        response = client.get(f"/pki/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-pem-file"
        assert response.content == env.pki.pem(name)
    assert client.get("/pki/root.key").status_code == 404


@pytest.mark.parametrize("encode", [
    lambda der: quote(base64.b64encode(der).decode(), safe=""),  # RFC 6960 A.1, to the letter
    lambda der: base64.b64encode(der).decode(),  # '/' and '+' left as they are
    lambda der: base64.urlsafe_b64encode(der).decode().rstrip("="),  # base64url, no padding
])
def test_ocsp_over_get(env: FakeCtx, client: TestClient, tmp_path: Path, encode) -> None:
    _event_cert(env, tmp_path / "event.crt")
    openssl("ocsp", "-issuer", tmp_path / "issuing.crt", "-cert", tmp_path / "event.crt",
            "-reqout", tmp_path / "req.der")
    der = (tmp_path / "req.der").read_bytes()
    response = client.get("/pki/ocsp/" + encode(der))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ocsp-response"
    (tmp_path / "resp.der").write_bytes(response.content)
    answer = openssl("ocsp", "-respin", tmp_path / "resp.der", "-reqin", tmp_path / "req.der",
                     "-CAfile", tmp_path / "root.crt", "-resp_text")
    assert "Response verify OK" in answer
    assert "Cert Status: good" in answer


def test_ocsp_get_that_is_not_a_request_answers_malformed(client: TestClient) -> None:
    for junk in ("not*base64", base64.b64encode(b"not DER").decode()):
        reply = client.get("/pki/ocsp/" + quote(junk, safe=""))
        assert reply.status_code == 200
        assert x_ocsp.load_der_ocsp_response(reply.content).response_status == \
            x_ocsp.OCSPResponseStatus.MALFORMED_REQUEST
