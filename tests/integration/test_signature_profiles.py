"""The signature profile at the outside: ``GET /pki/profile`` and what each profile serves."""

import hashlib

import pytest
from asn1crypto import ocsp
from fastapi.testclient import TestClient

from anxin.bootstrap import build_services
from anxin.config import Settings
from anxin.evidence.checkpoint_sm2 import verify_sm2_line
from anxin.ledger.checkpoint import verify_checkpoint
from anxin.pki.sm2 import sm3
from anxin.pki.sm2_revocation import verify_sm2_crl, verify_sm2_ocsp_response
from anxin.pki.sm2_tsa import TimestampFailed, sm3_request, token_of_reply
from anxin.pki.sm2_tsa_client import HttpSm2TimeStamper, InProcessSm2TimeStamper
from anxin.pki.sm2_tsa_verify import verify_sm2_token
from anxin.pki.sm2_x509 import load_certificates, verify_sm2_chain
from anxin.pki.tsa import InProcessTimeStamper
from anxin.services.context import Context
from tests.common.factories import Api


def test_pki_profile_of_a_default_deployment_is_intl(client: TestClient) -> None:
    answer = client.get("/pki/profile")
    assert answer.status_code == 200
    assert answer.json() == {"profile": "intl"}


def test_an_intl_deployment_has_no_sm2_ledger_key(client: TestClient) -> None:
    answer = client.get("/ledger/key/sm2")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("signature_profile", ["dual"])
def test_a_dual_deployment_publishes_its_sm2_checkpoint_key(
        client: TestClient, ctx: Context, api: Api, signature_profile: str) -> None:
    assert client.get("/pki/profile").json() == {"profile": "dual"}
    vkey = client.get("/ledger/key/sm2").text.strip()
    assert vkey.startswith(ctx.ledger.signer.name + "+")
    api.template()
    api.request()
    cp = ctx.ledger.checkpoint(force=True)
    assert cp is not None
    assert verify_sm2_line(cp.note, vkey).size == cp.size
    # the Ed25519 line still verifies with the intl key, ignoring the SM2 line
    assert verify_checkpoint(cp.note, client.get("/ledger/key").text.strip()).size == cp.size


SM2_FILES = ("root.crt", "issuing.crt", "tsa.crt", "seal.crt")


def test_an_intl_deployment_has_no_sm2_pki(client: TestClient) -> None:
    for path in ("/pki/sm2/root.crt", "/pki/sm2/issuing.crl", "/pki/sm2/root.crl"):
        assert client.get(path).status_code == 404
    assert client.post("/tsa/sm2", content=b"x").status_code == 404
    assert client.post("/pki/sm2/ocsp", content=b"x").status_code == 404


@pytest.mark.parametrize("signature_profile", ["sm", "dual"])
def test_the_sm2_pki_is_published_and_chains_to_its_root(
        client: TestClient, ctx: Context, signature_profile: str) -> None:
    certs = {name: load_certificates(client.get(f"/pki/sm2/{name}").content)
             for name in SM2_FILES}
    root, issuing = certs["root.crt"][0], certs["issuing.crt"][0]
    # a CRL may be issued by the GET itself: judge everything at a moment after both
    issuing_crl = client.get("/pki/sm2/issuing.crl").content
    root_crl = client.get("/pki/sm2/root.crl").content
    now = ctx.clock()
    verify_sm2_chain(certs["tsa.crt"][0], [issuing], root, at=now, eku="time_stamping")
    verify_sm2_chain(certs["seal.crt"][0], [issuing], root, at=now)
    crl = verify_sm2_crl(issuing_crl, issuing, at=now)
    assert crl is not None
    verify_sm2_crl(root_crl, root, at=now)
    # the unqualified names are the SM2 ones in sm, the intl ones in dual
    same = client.get("/pki/root.crt").content == client.get("/pki/sm2/root.crt").content
    assert same is (signature_profile == "sm")


@pytest.mark.parametrize("signature_profile", ["sm", "dual"])
def test_the_sm2_tsa_answers_sm3_requests(client: TestClient, signature_profile: str) -> None:
    digest = sm3(b"a letter")
    reply = client.post("/tsa/sm2", content=sm3_request(digest, nonce=99),
                        headers={"Content-Type": "application/timestamp-query"})
    assert reply.headers["content-type"] == "application/timestamp-reply"
    info = verify_sm2_token(token_of_reply(reply.content), digest=digest, nonce=99)
    assert info.digest == digest
    unqualified = client.post("/tsa", content=sm3_request(digest, nonce=7))
    if signature_profile == "sm":  # /tsa is the SM2 TSA
        verify_sm2_token(token_of_reply(unqualified.content), digest=digest, nonce=7)
    else:  # /tsa is the intl one, which refuses an SM3 imprint
        assert b"SM3" not in unqualified.content
        with pytest.raises(TimestampFailed):
            token_of_reply(unqualified.content)


@pytest.mark.parametrize("signature_profile", ["sm"])
def test_the_sm2_ocsp_responder_answers_for_the_tsa(client: TestClient, ctx: Context,
                                                    signature_profile: str) -> None:
    assert ctx.sm2 is not None
    issuing, tsa_cert = ctx.sm2.pki.issuing_cert, ctx.sm2.pki.tsa_cert
    request = ocsp.OCSPRequest({"tbs_request": {"request_list": [{"req_cert": {
        "hash_algorithm": {"algorithm": "sha256"},
        "issuer_name_hash": hashlib.sha256(issuing.subject.dump()).digest(),
        "issuer_key_hash": hashlib.sha256(issuing.public_key["public_key"].native).digest(),
        "serial_number": tsa_cert.serial_number}}]}}).dump()
    for path in ("/pki/sm2/ocsp", "/pki/ocsp"):
        answer = client.post(path, content=request,
                             headers={"Content-Type": "application/ocsp-request"})
        status = verify_sm2_ocsp_response(answer.content, issuing, tsa_cert, at=ctx.clock())
        assert status.status == "good"


@pytest.mark.parametrize(("signature_profile", "setting"), [("sm", "tsa_url"),
                                                            ("dual", "sm2_tsa_url")])
def test_an_external_sm2_tsa_is_named_by_the_profiles_setting(
        settings: Settings, signature_profile: str, setting: str) -> None:
    """sm: ANXIN_TSA_URL is the SM2 TSA (the intl timestamper stays built in); dual:
    ANXIN_SM2_TSA_URL is, and ANXIN_TSA_URL stays the intl one."""
    url = "https://sm2-tsa.example.com/tsa"
    ctx = build_services(settings.model_copy(update={setting: url}),
                         background_workers=False)
    try:
        assert ctx.sm2 is not None
        assert isinstance(ctx.sm2.timestamper, HttpSm2TimeStamper)
        assert ctx.sm2.timestamper.url == url
        assert isinstance(ctx.timestamper, InProcessTimeStamper)
    finally:
        ctx.close()
    built_in = build_services(settings, background_workers=False)
    try:
        assert built_in.sm2 is not None
        assert isinstance(built_in.sm2.timestamper, InProcessSm2TimeStamper)
    finally:
        built_in.close()
