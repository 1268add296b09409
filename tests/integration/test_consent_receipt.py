"""Issue 17 "Consent receipt to the person" (CONTRACT §8): the signed consent receipt.

- After signing, ``GET /s/<token>/receipt.json`` answers it in the signing browser, for
  the download window only (another client, or the same one later: 401
  ``signed_download_expired``, the expired page for a browser); it validates against the
  published JSON Schema (``/schemas/consent-receipt.json``, the jsonschema library) and
  its JWS verifies with PyJWT and the key of ``/.well-known/jwks.json`` -- not our code.
- It says what the record and the ledger say (authorization, letter hash, signing and
  TSA time, terms, masked subject, id commitment, signing leaf) and never the full id
  number or the commitment's salt; it is issued once (every download, ``/me`` and the
  evidence package carry the same bytes).
- ``GET /me/authorizations/{id}/receipt.json``: the owner only (another person's: 404).
- The package's ``consent_receipt`` check passes, and fails (TOTAL_FAILED, named) for a
  changed receipt and for a receipt re-signed by the seal over facts of another letter.
- sm: ``jws`` is SM2SM3 and verifies with gmssl (the second implementation); dual: the
  ES256 ``jws`` (PyJWT) and ``jws_sm2`` (gmssl) over the same payload.
SQLite and PostgreSQL (the ``backend`` fixture).
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import zipfile
from typing import Any

import jsonschema
import jwt
import pytest
from fastapi.testclient import TestClient

from anxin.encoding import b64url_decode
from anxin.evidence.consent_receipt import FILE_NAME
from anxin.evidence.package_verify import verify_files
from anxin.evidence.sm_trust import from_asn1
from anxin.pki import seal_sm2
from anxin.seal import Seal
from anxin.services.evidence_package import collect_files, finish_package
from anxin.storage.models import Authorization
from anxin.web.app import create_app
from tests.common.factories import resident_id, sign, token_of
from tests.common.gmssl_check import gm_verify

JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html,application/xhtml+xml"}


def _signed(api: Any, client: TestClient, outbox: Any, seq: int) -> dict[str, Any]:
    api.template(max_uses=3)
    auth = api.request(seq=seq, max_uses=2)
    sign(client, outbox, auth)
    return auth


def _validator(client: TestClient) -> jsonschema.Draft202012Validator:
    r = client.get("/schemas/consent-receipt.json")
    assert r.status_code == 200, r.text
    schema = r.json()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema,
                                           format_checker=jsonschema.FormatChecker())


def _pyjwt_payload(client: TestClient, token: str) -> dict[str, Any]:
    """The payload as PyJWT decodes it with the published JWKS (ES256 only)."""
    (jwk,) = client.get("/.well-known/jwks.json").json()["keys"]
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]
    key = jwt.PyJWK(jwk).key
    payload: dict[str, Any] = jwt.decode(token, key, algorithms=["ES256"],
                                         options={"verify_aud": False})
    return payload


def _sm2_key(client: TestClient) -> Any:
    (jwk,) = client.get("/.well-known/jwks-sm2.json").json()["keys"]
    return jwk, seal_sm2.public_key_from_jwk(jwk)


def _gmssl_accepts(token: str, key: Any) -> bool:
    h64, p64, s64 = token.split(".")
    sig = b64url_decode(s64)
    return gm_verify(key, f"{h64}.{p64}".encode(), int.from_bytes(sig[:32], "big"),
                     int.from_bytes(sig[32:], "big"))


def test_after_signing_the_receipt_validates_and_verifies_with_pyjwt(api, client, outbox,
                                                                    ctx):
    auth = _signed(api, client, outbox, 31)
    r = client.get(f"/s/{token_of(auth)}/receipt.json")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"] == "no-store"
    doc = r.json()
    _validator(client).validate(doc)
    receipt = doc["receipt"]
    assert _pyjwt_payload(client, doc["jws"]) == receipt
    assert "jws_sm2" not in doc
    # One byte of the payload changed: PyJWT refuses it.
    h64, _p64, s64 = doc["jws"].split(".")
    forged = base64.urlsafe_b64encode(json.dumps(
        receipt | {"jurisdiction": "HK"}).encode()).rstrip(b"=").decode()
    with pytest.raises(jwt.InvalidSignatureError):
        _pyjwt_payload(client, f"{h64}.{forged}.{s64}")

    record = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert receipt["authorization"] == {"id": auth["id"], "reference": record["reference"]}
    assert receipt["letter"]["sha256"] == auth["letter_sha256"]
    assert receipt["letter"]["sm3"] is None  # intl
    assert receipt["consentTime"] == record["signed_at"]
    assert receipt["trustedTime"]["time"] == record["timestamp"]
    assert receipt["terms"] == {k: record[k] for k in
                                ("purpose", "data_scope", "valid_from", "valid_until",
                                 "max_uses")}
    assert receipt["terms"]["max_uses"] == 2
    assert receipt["expiryTime"] == record["valid_until"]
    assert receipt["jurisdiction"] == "CN"
    assert receipt["piiControllers"][0]["piiController"] == "Example Bank"
    assert receipt["withdrawalMethod"] == f"{ctx.settings.effective_base_url}/me"
    assert receipt["@context"]["purposes"] == "dpv:hasPurpose"
    assert receipt["@context"]["dpv"] == "https://w3id.org/dpv#"
    # The person as the platform knows them: masked, and the id number's commitment.
    with ctx.db.transaction() as s:
        signing = s.get(Authorization, auth["id"]).signing
    assert receipt["dataSubject"]["idNumberMasked"] == record["subject"]["id_number"]
    assert receipt["dataSubject"]["idNumberCommitment"]["value"] == signing["id_commitment"]
    assert resident_id(31) not in r.text
    assert signing["id_commitment_salt"] not in r.text
    # The signing leaf it names is the signing, at that index.
    ctx.ledger.integrate_all()
    (entry,) = ctx.ledger.entries(receipt["ledger"]["signedLeafIndex"],
                                  receipt["ledger"]["signedLeafIndex"] + 1)
    assert json.loads(entry.data)["event"] == "authorization:signed"
    assert json.loads(entry.data)["authorization_id"] == auth["id"]


def test_the_receipt_is_issued_once(api, client, outbox, ctx):
    auth = _signed(api, client, outbox, 32)
    first = client.get(f"/s/{token_of(auth)}/receipt.json").content
    assert client.get(f"/s/{token_of(auth)}/receipt.json").content == first
    files = collect_files(ctx, api.institution_id, auth["id"])
    assert files[FILE_NAME] == first


def test_only_the_signing_browser_for_a_short_time(api, client, outbox, settings, ctx,
                                                   clock):
    auth = _signed(api, client, outbox, 33)
    tok = token_of(auth)
    page = client.get(f"/s/{tok}").text
    assert f'href="/s/{tok}/receipt.json"' in page
    with TestClient(create_app(settings, ctx)) as other:
        r = other.get(f"/s/{tok}/receipt.json", headers=JSON)
        assert (r.status_code, r.json()["code"]) == (401, "signed_download_expired")
        r = other.get(f"/s/{tok}/receipt.json", headers=HTML)
        assert r.status_code == 401
        assert 'data-kind="expired"' in r.text
        assert "receipt.json" not in other.get(f"/s/{tok}").text
    clock.advance(seconds=11 * 60)
    r = client.get(f"/s/{tok}/receipt.json", headers=JSON)
    assert (r.status_code, r.json()["code"]) == (401, "signed_download_expired")
    assert "receipt.json" not in client.get(f"/s/{tok}").text
    # A link that names nothing: 404, as for the letter.
    r = client.get("/s/not-a-token/receipt.json", headers=JSON)
    assert (r.status_code, r.json()["code"]) == (404, "signing_link_invalid")


def test_an_unsigned_request_has_no_receipt(api, client, ctx):
    api.template()
    auth = api.request(seq=34)
    r = client.get(f"/s/{token_of(auth)}/receipt.json", headers=JSON)
    assert (r.status_code, r.json()["code"]) == (401, "signed_download_expired")
    from anxin.services.consent_receipts import consent_receipt
    with pytest.raises(Exception, match="never signed"):
        consent_receipt(ctx, auth["id"])
    from anxin.storage.models import Document
    with ctx.db.transaction() as s:
        assert s.get(Document, (auth["id"], FILE_NAME)) is None


def _package_files(ctx: Any, api: Any, auth_id: str) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(finish_package(
            ctx, collect_files(ctx, api.institution_id, auth_id), auth_id))) as z:
        return {n: z.read(n) for n in z.namelist()}


def _verify(ctx: Any, files: dict[str, bytes]) -> Any:
    roots = [ctx.pki.root_cert]
    if ctx.sm2 is not None:
        roots.append(from_asn1(ctx.sm2.pki.root_cert))
    return verify_files(files, "p.zip", roots, "test root")


def _check(report: Any, name: str) -> Any:
    (check,) = [c for c in report.checks if c.id == name]
    return check


def test_the_package_carries_the_receipt_and_verify_checks_it(api, client, outbox, ctx,
                                                             tmp_path):
    auth = _signed(api, client, outbox, 35)
    assert api.use(auth["id"]).status_code == 201
    files = _package_files(ctx, api, auth["id"])
    manifest = json.loads(files["manifest.json"])
    assert FILE_NAME in manifest["files"]
    report = _verify(ctx, files)
    assert report.indication == "TOTAL_PASSED", [(c.id, c.detail) for c in report.checks
                                                 if c.result != "PASSED"]
    assert _check(report, "consent_receipt").result == "PASSED"
    assert json.loads(files["report.json"])["indication"] == "TOTAL_PASSED"

    # Changed: the receipt says 9 uses where its JWS says 2.
    doc = json.loads(files[FILE_NAME])
    doc["receipt"]["terms"]["max_uses"] = 9
    changed = dict(files) | {FILE_NAME: json.dumps(doc).encode()}
    report = _verify(ctx, changed)
    assert report.indication == "TOTAL_FAILED"
    assert "consent_receipt" in report.failed_checks
    assert "not what its jws signs" in _check(report, "consent_receipt").detail

    # Re-signed by the platform seal itself, but over another letter's hash: the content
    # check, not the signature, finds it.
    doc = json.loads(files[FILE_NAME])
    doc["receipt"]["letter"]["sha256"] = "0" * 64
    doc["jws"] = ctx.seal.sign_jws(doc["receipt"])
    resigned = dict(files) | {FILE_NAME: json.dumps(doc).encode()}
    check = _check(_verify(ctx, resigned), "consent_receipt")
    assert check.result == "FAILED"
    assert "another letter SHA-256" in check.detail

    # Signed by another key: refused.
    from cryptography.hazmat.primitives.asymmetric import ec
    doc = json.loads(files[FILE_NAME])
    doc["jws"] = Seal(ec.generate_private_key(ec.SECP256R1())).sign_jws(doc["receipt"])
    check = _check(_verify(ctx, dict(files) | {FILE_NAME: json.dumps(doc).encode()}),
                   "consent_receipt")
    assert check.result == "FAILED"
    assert "does not verify" in check.detail

    # anxin verify on the changed package: TOTAL_FAILED, naming the check.
    pkg = tmp_path / "changed.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in changed.items():
            z.writestr(n, b)
    pkg.write_bytes(buf.getvalue())
    root = tmp_path / "root.crt"
    root.write_bytes((ctx.settings.keys_dir / "root.crt").read_bytes())
    r = subprocess.run([sys.executable, "-m", "anxin", "verify", str(pkg), "--trust",
                        str(root), "--json"], capture_output=True, text=True, check=False)
    out = json.loads(r.stdout)
    assert out["indication"] == "TOTAL_FAILED"
    assert any(c["id"] == "consent_receipt" and c["result"] == "FAILED"
               for c in out["checks"])


@pytest.mark.parametrize("signature_profile", ["sm"])
def test_sm_receipt_is_sm2sm3_and_gmssl_verifies_it(api, client, outbox, ctx):
    auth = _signed(api, client, outbox, 36)
    doc = client.get(f"/s/{token_of(auth)}/receipt.json").json()
    _validator(client).validate(doc)
    assert jwt.get_unverified_header(doc["jws"])["alg"] == "SM2SM3"
    assert "jws_sm2" not in doc
    jwk, key = _sm2_key(client)
    assert jwt.get_unverified_header(doc["jws"])["kid"] == jwk["kid"]
    assert seal_sm2.verify_sm2_jws(doc["jws"], key) == doc["receipt"]
    assert _gmssl_accepts(doc["jws"], key)
    h64, p64, s64 = doc["jws"].split(".")
    other = base64.urlsafe_b64encode(b64url_decode(p64).replace(b'"CN"', b'"HK"')
                                     ).rstrip(b"=").decode()
    assert not _gmssl_accepts(f"{h64}.{other}.{s64}", key)
    assert len(doc["receipt"]["letter"]["sm3"]) == 64
    assert doc["keys"]["jws"].endswith("/.well-known/jwks-sm2.json")
    files = _package_files(ctx, api, auth["id"])
    assert _check(_verify(ctx, files), "consent_receipt").result == "PASSED"


@pytest.mark.parametrize("signature_profile", ["dual"])
def test_dual_receipt_has_both_signatures_over_one_payload(api, client, outbox, ctx):
    auth = _signed(api, client, outbox, 37)
    doc = client.get(f"/s/{token_of(auth)}/receipt.json").json()
    _validator(client).validate(doc)
    assert _pyjwt_payload(client, doc["jws"]) == doc["receipt"]
    _jwk, key = _sm2_key(client)
    assert seal_sm2.verify_sm2_jws(doc["jws_sm2"], key) == doc["receipt"]
    assert _gmssl_accepts(doc["jws_sm2"], key)
    files = _package_files(ctx, api, auth["id"])
    report = _verify(ctx, files)
    check = _check(report, "consent_receipt")
    assert check.result == "PASSED", check.detail
    assert check.data["algorithms"] == ["ES256", "SM2SM3"]
    # The SM2 signature is judged too: another payload under jws_sm2 fails.
    doc = json.loads(files[FILE_NAME])
    doc["jws_sm2"] = ctx.sm2.seal.sign_jws(doc["receipt"] | {"jurisdiction": "HK"})
    check = _check(_verify(ctx, dict(files) | {FILE_NAME: json.dumps(doc).encode()}),
                   "consent_receipt")
    assert check.result == "FAILED"
    assert "jws_sm2" in check.detail
