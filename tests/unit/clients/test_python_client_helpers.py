"""The Python client's offline helpers against the product's own signers.

``verify_webhook`` checks what ``anxin.services.notifications.sign_payload`` (the delivery
worker's signer) writes; ``verify_receipt`` checks what ``anxin.seal.Seal`` (the gate's
receipt signer) writes, with the JWKS the server publishes (``Seal.jwks``). The two sides
are independent implementations (hmac by hand on both; PyJWT against our JWS code), so a
drift of either format fails here before it fails an integrator. The server-backed half is
tests/journeys/test_python_client.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from anxin.seal import Seal
from anxin.services.notifications import sign_payload
from anxin_client import (
    AnxinProblem,
    ReceiptError,
    WebhookSignatureError,
    verify_receipt,
    verify_webhook,
)

BODY = b'{"event":"authorization:signed","authorization_id":"a1","status":"active"}'
SECRET = "whsec_unit"


def test_a_signature_the_server_made_verifies_and_answers_the_event() -> None:
    now = int(time.time())
    header = sign_payload(SECRET.encode(), BODY, now)
    assert verify_webhook(BODY, header, SECRET) == json.loads(BODY)
    assert verify_webhook(BODY, header, SECRET.encode())["status"] == "active"


@pytest.mark.parametrize(("body", "secret", "match"), [
    (BODY.replace(b"active", b"revoked"), SECRET, "does not match"),
    (BODY + b" ", SECRET, "does not match"),
    (BODY, "whsec_other", "does not match"),
])
def test_an_altered_body_or_another_secret_is_refused(body: bytes, secret: str, match: str
                                                      ) -> None:
    header = sign_payload(SECRET.encode(), BODY, int(time.time()))
    with pytest.raises(WebhookSignatureError, match=match):
        verify_webhook(body, header, secret)


@pytest.mark.parametrize("skew", [301, -301, 10_000])
def test_a_signature_outside_the_tolerance_is_refused_as_a_replay(skew: int) -> None:
    now = 1_800_000_000
    header = sign_payload(SECRET.encode(), BODY, now - skew)
    with pytest.raises(WebhookSignatureError, match="replay"):
        verify_webhook(BODY, header, SECRET, now=now)
    assert verify_webhook(BODY, header, SECRET, tolerance=abs(skew), now=now)


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=1800000000", "t=soon,v1=ab",
                                    "garbage"])
def test_a_malformed_header_is_refused(header: str | None) -> None:
    with pytest.raises(WebhookSignatureError):
        verify_webhook(BODY, header, SECRET, now=1_800_000_000)


def test_any_matching_v1_of_several_is_accepted_and_the_timestamp_is_signed_too() -> None:
    now = 1_800_000_000
    good = sign_payload(SECRET.encode(), BODY, now)
    old_secret_mac = hmac.new(b"whsec_old", f"{now}.".encode() + BODY,
                              hashlib.sha256).hexdigest()
    assert verify_webhook(BODY, f"t={now},v1={old_secret_mac},{good.split(',')[1]}",
                          SECRET, now=now)
    # The same MAC under another timestamp: the timestamp is part of what is signed.
    moved = good.replace(f"t={now}", f"t={now + 1}")
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_webhook(BODY, moved, SECRET, now=now)


def test_a_signed_body_that_is_not_a_json_object_is_refused() -> None:
    now = 1_800_000_000
    with pytest.raises(WebhookSignatureError, match="not a JSON object"):
        verify_webhook(b"[1]", sign_payload(SECRET.encode(), b"[1]", now), SECRET, now=now)


@pytest.fixture(scope="module")
def seal() -> Seal:
    return Seal(ec.generate_private_key(ec.SECP256R1()))


CLAIMS = {"use_id": "u-1", "authorization_id": "a-1", "purpose": "loan_approval",
          "data_item": "credit_report", "max_uses": 1, "granted_at": "2026-12-01T00:00:00Z"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_receipt_of_the_seal_verifies_with_its_published_jwks(seal: Seal) -> None:
    assert verify_receipt(seal.sign_jws(CLAIMS), seal.jwks()) == CLAIMS


def test_a_receipt_whose_payload_changed_is_refused(seal: Seal) -> None:
    header, _, signature = seal.sign_jws(CLAIMS).split(".")
    forged = _b64(json.dumps({**CLAIMS, "max_uses": 99}, separators=(",", ":"),
                             sort_keys=True).encode())
    with pytest.raises(ReceiptError, match="does not verify"):
        verify_receipt(f"{header}.{forged}.{signature}", seal.jwks())


def test_a_receipt_of_another_key_is_refused_even_under_the_same_kid(seal: Seal) -> None:
    other = Seal(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ReceiptError, match="kid"):
        verify_receipt(other.sign_jws(CLAIMS), seal.jwks())
    # An impostor that claims the published kid: its signature still fails.
    header = _b64(json.dumps({"alg": "ES256", "typ": "JWT", "kid": seal.kid}).encode())
    body = _b64(json.dumps(CLAIMS).encode())
    _, _, signature = other.sign_jws(CLAIMS).split(".")
    with pytest.raises(ReceiptError, match="does not verify"):
        verify_receipt(f"{header}.{body}.{signature}", seal.jwks())


@pytest.mark.parametrize("alg", ["none", "HS256", "SM2SM3", "ES384"])
def test_only_es256_is_accepted(seal: Seal, alg: str) -> None:
    header = _b64(json.dumps({"alg": alg, "kid": seal.kid}).encode())
    body = _b64(json.dumps(CLAIMS).encode())
    # HS256 keyed with the public JWK (the classic algorithm confusion) included.
    mac = hmac.new(json.dumps(seal.jwks()["keys"][0]).encode(), f"{header}.{body}".encode(),
                   hashlib.sha256).digest()
    with pytest.raises(ReceiptError, match="only ES256"):
        verify_receipt(f"{header}.{body}.{_b64(mac)}", seal.jwks())


@pytest.mark.parametrize("token", ["", "a.b", "not a jws at all", "a.b.c.d"])
def test_a_malformed_receipt_is_refused(seal: Seal, token: str) -> None:
    with pytest.raises(ReceiptError):
        verify_receipt(token, seal.jwks())


def test_a_problem_from_an_answer_that_is_not_problem_json_keeps_status_and_text() -> None:
    p = AnxinProblem.from_answer(502, b"<html>Bad Gateway</html>", {"retry-after": "7"})
    assert (p.status, p.code, p.retry_after) == (502, "http_502", 7.0)
    assert "Bad Gateway" in p.detail
    q = AnxinProblem.from_answer(429, json.dumps({
        "status": 429, "code": "rate_limited", "detail": "slow down", "retry_after": 3,
        "title": "Too Many Requests"}).encode(), {"retry-after": "9"})
    assert (q.code, q.retry_after, q.title) == ("rate_limited", 3.0, "Too Many Requests")
