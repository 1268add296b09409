"""Operations: health, metrics, the OpenAPI reference, receipts verifiable from JWKS."""

import hashlib
import json

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from anxin.encoding import b64url_decode
from anxin.seal import verify_jws
from tests.common.factories import sign
from tests.common.ledger_view import event_names, events_of


def test_healthz(client):
    r = client.get("/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


def test_metrics_count_uses_and_codes(api, client, outbox):
    api.template()
    auth = api.request()
    sign(client, outbox, auth)
    api.use(auth["id"])
    api.use(auth["id"])
    text = client.get("/metrics").text
    assert 'anxin_uses_total{code="",outcome="granted"} 1.0' in text
    assert 'anxin_uses_total{code="authorization_exhausted",outcome="refused"} 1.0' in text
    assert 'anxin_sms_codes_sent_total{scope="sign"} 1.0' in text
    assert "anxin_http_requests_total" in text
    assert "anxin_db_replica" not in text  # no replica: no replica gauges (see replica tests)


def test_openapi_documents_every_gate_code(client):
    spec = client.get("/openapi.json").json()
    gate = spec["paths"]["/v1/authorizations/{auth_id}/uses"]["post"]["responses"]
    text = str(gate)
    for code in ("authorization_not_active", "authorization_exhausted", "authorization_expired",
                 "authorization_revoked", "purpose_mismatch", "scope_mismatch"):
        assert code in text
    assert {"201", "401", "403", "404", "409", "422"} <= set(gate)
    body = spec["paths"]["/v1/authorizations/{auth_id}/uses"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"purpose", "reference", "operator", "data_item"}
    assert schema["additionalProperties"] is False
    page = client.get("/docs")
    assert page.status_code == 200
    # Swagger UI renders the operations from /openapi.json (tests/browser/test_api_docs.py);
    # its script and style are served here, not by a CDN.
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        assert f'"{asset}"' in page.text
        got = client.get(asset)
        assert got.status_code == 200
        assert len(got.content) > 100_000
    assert "https://" not in page.text
    assert client.get("/docs/assets/index.html").status_code == 404  # only what it needs


def test_receipt_verifies_with_the_published_key(api, client, outbox):
    api.template()
    auth = api.request()
    sign(client, outbox, auth)
    granted = api.use(auth["id"]).json()
    receipt = granted["receipt"]
    jwk = client.get("/.well-known/jwks.json").json()["keys"][0]
    pub = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64url_decode(jwk["x"]), "big"),
        int.from_bytes(b64url_decode(jwk["y"]), "big"), ec.SECP256R1()).public_key()
    claims = verify_jws(receipt, pub)
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert claims["authorization_id"] == auth["id"]
    assert claims["use_id"] == granted["use_id"]
    assert (claims["letter_sha256"], claims["max_uses"]) == (got["letter_sha256"], 1)
    assert (claims["purpose"], claims["data_item"]) == ("loan_approval", "credit_report")
    # The header names the seal certificate published under /pki/ by its thumbprint.
    header = json.loads(b64url_decode(receipt.split(".")[0]))
    pem = client.get("/pki/seal.crt").content
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    assert header["kid"] == jwk["kid"]
    assert b64url_decode(header["x5t#S256"]) == hashlib.sha256(der).digest()
    assert len(receipt) < 1500
    forged = receipt[:-4] + ("AAAA" if receipt[-4:] != "AAAA" else "BBBB")
    import pytest

    from anxin.errors import IntegrityFailure
    with pytest.raises(IntegrityFailure):
        verify_jws(forged, pub)


def test_the_grant_leaf_commits_to_the_receipt(api, client, outbox, ctx):
    api.template()
    auth = api.request()
    sign(client, outbox, auth)
    granted = api.use(auth["id"]).json()
    leaves = [e for e in events_of(ctx, auth["id"]) if e["event"] == "authorization:use:granted"]
    assert len(leaves) == 1
    assert leaves[0]["use_id"] == granted["use_id"]
    assert leaves[0]["receipt_sha256"] == hashlib.sha256(granted["receipt"].encode()).hexdigest()
    assert event_names(ctx, auth["id"])[-2:] == ["authorization:use:granted",
                                                  "authorization:exhausted"]
