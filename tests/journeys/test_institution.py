"""The institution's journey through the console and the API (docs/console.md
"Institutions", docs/notifications.md, docs/api.md): an operator creates the institution
(its API key shown once) and sets its callback URL and webhook secret (shown once); the
institution requests an authorization; the person signs; the institution receives an
HMAC-signed callback (checked as docs/notifications.md tells institutions to), finds it in
``GET /v1/events``, and asks the gate, whose receipt verifies with the key at
``/.well-known/jwks.json``. Suspending the institution stops its key, the gate included;
rotating the key stops the old one at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from typing import Any

import httpx
import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.common.factories import EN_BODY, mobile, resident_id
from tests.common.receiver import receiver
from tests.journeys.conftest import Forms, Served, console_sign_in, sign_with_the_form


def verify_anxin_signature(secret: str, body: bytes, header: str, tolerance: int = 300
                           ) -> None:
    """docs/notifications.md's function, as an institution would copy it."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, got = int(parts["t"]), parts["v1"]
    if abs(time.time() - t) > tolerance:
        raise ValueError("stale timestamp: possible replay")
    want = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, got):
        raise ValueError("bad signature")


def _b64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_receipt(jws: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """A compact ES256 JWS checked against the platform's JWKS (docs/api.md)."""
    header_b64, payload_b64, sig_b64 = jws.split(".")
    header = json.loads(_b64(header_b64))
    assert header["alg"] == "ES256"
    keys = [k for k in jwks["keys"] if k.get("kid") == header.get("kid")] or jwks["keys"]
    sig = _b64(sig_b64)
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    for k in keys:
        public = ec.EllipticCurvePublicNumbers(
            int.from_bytes(_b64(k["x"]), "big"), int.from_bytes(_b64(k["y"]), "big"),
            ec.SECP256R1()).public_key()
        try:
            public.verify(der, f"{header_b64}.{payload_b64}".encode(),
                          ec.ECDSA(hashes.SHA256()))
        except Exception:  # noqa: S112 - try the next key of the set
            continue
        return dict(json.loads(_b64(payload_b64)))
    raise AssertionError("the receipt verifies with no key of /.well-known/jwks.json")


def institution_row(page: str, name: str) -> str:
    """The id of the institution called ``name`` on the console's institutions page."""
    found = re.search(r'<tr class="institution" data-id="([^"]+)"[^>]*><td>'
                      + re.escape(name) + r"<br>", page)
    assert found, f"{name} is not on the institutions page"
    return found.group(1)


def wait_for(predicate: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_an_institution_from_the_console_gets_signed_callbacks_and_receipts(
        served: Served, browser: httpx.Client, operator: pyotp.TOTP) -> None:
    console_sign_in(served, browser, operator)
    name = f"Journey Bank {uuid.uuid4().hex[:6]}"
    page = browser.get("/console/institutions")
    action, fields = Forms(page.text).form("create-institution")
    created = browser.post(action, data={**fields, "name": name})
    assert created.status_code == 200
    key = re.search(r'id="new-key">[^<]*<code>(anx_[^<]+)</code>', created.text)
    assert key, "the new institution's API key is not shown"
    inst_id = institution_row(created.text, name)

    with receiver() as (url, received), httpx.Client(
            base_url=served.base_url, headers={"Authorization": f"Bearer {key.group(1)}"},
            timeout=60) as api:
        action, fields = Forms(created.text).form(f"/console/institutions/{inst_id}/webhook")
        saved = browser.post(action, data={**fields, "callback_url": url + "/anxin",
                                           "new_secret": "on"})
        secret = re.search(r'id="new-secret">[^<]*<code>([^<]+)</code>', saved.text)
        assert secret, "the webhook secret is not shown"

        assert api.post("/v1/templates", json={
            "code": "journey-inst", "title": "Credit check", "purpose": "loan_approval",
            "data_scope": ["credit_report"], "body": EN_BODY, "locale": "en",
            "validity_days": 30, "max_uses": 1}).status_code == 201
        seq = 9501
        body = {"template": "journey-inst", "reference": f"JOURNEY-{seq}",
                "subject": {"name": "Li Si", "id_type": "resident_id",
                            "id_number": resident_id(seq), "mobile": mobile(seq)}}
        first = api.post("/v1/authorizations", json=body, headers={"Idempotency-Key": "k-1"})
        again = api.post("/v1/authorizations", json=body, headers={"Idempotency-Key": "k-1"})
        assert first.status_code == 201, first.text
        assert again.json()["id"] == first.json()["id"], "Idempotency-Key made a second one"
        auth = first.json()

        sign_with_the_form(served, browser, auth, seq)
        wait_for(lambda: any(r["body"].get("event") == "authorization:signed"
                             for r in received), "the authorization:signed callback")
        call = next(r for r in received if r["body"]["event"] == "authorization:signed")
        viewed = next(r for r in received if r["body"]["event"] == "authorization:viewed")
        assert (viewed["body"]["authorization_id"], viewed["body"]["status"]) == (
            auth["id"], "pending")
        assert call["path"] == "/anxin"
        headers = {k.lower(): v for k, v in call["headers"].items()}
        verify_anxin_signature(secret.group(1), call["raw"], headers["anxin-signature"])
        assert headers["anxin-event"] == "authorization:signed"
        assert call["body"]["authorization_id"] == auth["id"]
        assert call["body"]["status"] == "active"
        assert call["body"]["reference"] == f"JOURNEY-{seq}"
        assert mobile(seq) not in call["raw"].decode()
        assert "Li Si" not in call["raw"].decode(), "a callback carries personal data"

        def caught_up() -> list[dict[str, Any]]:
            # GET /v1/events answers rows a moment old only (docs/notifications.md).
            return [e for e in api.get("/v1/events").json()["events"]
                    if e["authorization_id"] == auth["id"]]
        # The person opened the page (authorization:viewed, issue 16), then signed.
        wait_for(lambda: [(e["event"], e["delivery"]) for e in caught_up()]
                 == [("authorization:viewed", "delivered"),
                     ("authorization:signed", "delivered")], "GET /v1/events to catch up")

        use = api.post(f"/v1/authorizations/{auth['id']}/uses", json={
            "purpose": "loan_approval", "data_item": "credit_report", "reference": "Q-1",
            "operator": "officer-2"})
        assert use.status_code == 201, use.text
        claims = verify_receipt(use.json()["receipt"],
                                httpx.get(served.base_url + "/.well-known/jwks.json").json())
        assert claims["authorization_id"] == auth["id"]
        assert claims["use_id"] == use.json()["use_id"]
        assert claims["letter_sha256"] == api.get(
            f"/v1/authorizations/{auth['id']}").json()["letter_sha256"]
        wait_for(lambda: any(r["body"].get("event") == "authorization:exhausted"
                             for r in received), "the authorization:exhausted callback")

        page = browser.get("/console/institutions")
        action, fields = Forms(page.text).form(f"/console/institutions/{inst_id}/suspend")
        asked = browser.post(action, data=fields)  # suspending asks first
        assert api.get("/v1/templates").status_code == 200, "suspended without confirmation"
        action, fields = Forms(asked.text).form(f"/console/institutions/{inst_id}/suspend")
        assert fields.get("confirmed") == "yes"
        browser.post(action, data=fields)
        refused = api.get("/v1/templates")
        assert refused.status_code == 401
        assert refused.json()["code"] == "institution_suspended"
        gate = api.post(f"/v1/authorizations/{auth['id']}/uses", json={
            "purpose": "loan_approval", "data_item": "credit_report", "reference": "Q-2",
            "operator": "officer-2"})
        assert gate.status_code == 401
        assert gate.json()["code"] == "institution_suspended"

        page = browser.get("/console/institutions")
        action, fields = Forms(page.text).form(f"/console/institutions/{inst_id}/activate")
        browser.post(action, data=fields)
        assert api.get("/v1/templates").status_code == 200

        action, fields = Forms(page.text).form(f"/console/institutions/{inst_id}/rotate-key")
        asked = browser.post(action, data=fields)  # rotating asks first
        action, fields = Forms(asked.text).form(f"/console/institutions/{inst_id}/rotate-key")
        rotated = browser.post(action, data=fields)
        new_key = re.search(r'id="new-key">[^<]*<code>(anx_[^<]+)</code>', rotated.text)
        assert new_key, "the rotated API key is not shown"
        assert api.get("/v1/templates").status_code == 401, "the old key still works"
        assert api.get("/v1/templates", headers={
            "Authorization": f"Bearer {new_key.group(1)}"}).status_code == 200
