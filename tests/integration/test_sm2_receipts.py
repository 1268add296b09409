"""Issue 14: the gate's receipts in the sm and dual profiles, and where their keys are.

- dual: a grant answers ``receipt`` (ES256 by the intl seal) and ``receipt_sm2`` (SM2SM3
  by the SM2 seal) over the same payload; each verifies with the published key, the SM2
  one with Anxin's verifier AND the second implementation (gmssl, Z computed by the test);
  an idempotent replay (this process or another) answers the same both; the use record,
  the ledger's grant leaf and the package's ``uses_log`` keep both.
- sm: ``receipt`` is the SM2SM3 JWS, no ``receipt_sm2``.
- intl: no ``receipt_sm2``, ``/.well-known/jwks-sm2.json`` is a 404 problem.
- The package's checks: a changed ``receipt_sm2`` in authorization.json fails
  ``use_receipts_sm2`` naming it (and ``ledger_commitments``, whose entry commits to it).
SQLite and PostgreSQL (the ``backend`` fixture).
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from anxin.bootstrap import build_services
from anxin.encoding import b64url_decode
from anxin.evidence.anchors import TrustAnchor
from anxin.evidence.ledger_completeness import add_completeness_checks
from anxin.evidence.report import Report
from anxin.pki import seal_sm2, sm2
from anxin.pki.sm2_x509 import load_certificate, public_key_of
from anxin.seal import verify_jws
from anxin.services.evidence_package import collect_files
from anxin.services.uses import UseCall, consume_use_with_key
from anxin.storage.models import UseRecord
from tests.common.factories import sign
from tests.common.gmssl_check import gm_verify

BODY = {"purpose": "loan_approval", "reference": "Q-1", "operator": "officer-7",
        "data_item": "credit_report"}


def _signed(api: Any, client: Any, outbox: Any, seq: int, max_uses: int = 3) -> dict[str, Any]:
    api.template(max_uses=max_uses)
    auth = api.request(seq=seq, max_uses=max_uses)
    sign(client, outbox, auth)
    return auth


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    h64, p64, s64 = token.split(".")
    return (json.loads(b64url_decode(h64)), json.loads(b64url_decode(p64)),
            b64url_decode(s64))


def _sm2_key_published(client: Any) -> Any:
    r = client.get("/.well-known/jwks-sm2.json")
    assert r.status_code == 200, r.text
    (jwk,) = r.json()["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "SM2", "SM2SM3", "sig")
    key = seal_sm2.public_key_from_jwk(jwk)
    # The same key as the published SM2 seal certificate's.
    cert = load_certificate(client.get("/pki/sm2/seal.crt").content)
    assert public_key_of(cert).point == key.point
    return key


def _es256_key_published(client: Any) -> ec.EllipticCurvePublicKey:
    (jwk,) = client.get("/.well-known/jwks.json").json()["keys"]
    assert (jwk["crv"], jwk["alg"]) == ("P-256", "ES256")
    x, y = (int.from_bytes(b64url_decode(jwk[k]), "big") for k in ("x", "y"))
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def _gmssl_accepts(token: str, key: Any) -> bool:
    h64, p64, s64 = token.split(".")
    sig = b64url_decode(s64)
    return gm_verify(key, f"{h64}.{p64}".encode(), int.from_bytes(sig[:32], "big"),
                     int.from_bytes(sig[32:], "big"))


@pytest.mark.parametrize("signature_profile", ["dual"])
def test_dual_grant_answers_both_receipts_over_one_payload(api, client, outbox, ctx):
    auth = _signed(api, client, outbox, 401)
    r = api.use(auth["id"])
    assert r.status_code == 201, r.text
    out = r.json()
    es, sm = out["receipt"], out["receipt_sm2"]
    es_header, es_payload, _ = _parts(es)
    sm_header, sm_payload, sm_sig = _parts(sm)
    assert es_header["alg"] == "ES256"
    assert sm_header["alg"] == "SM2SM3"
    assert es_payload == sm_payload
    assert sm_payload["use_id"] == out["use_id"]
    assert sm_payload["authorization_id"] == auth["id"]
    # The SM2 header names the SM2 seal certificate it was signed under.
    seal_der = load_certificate(client.get("/pki/sm2/seal.crt").content).dump()
    assert b64url_decode(sm_header["x5t#S256"]) == hashlib.sha256(seal_der).digest()

    assert verify_jws(es, _es256_key_published(client)) == es_payload
    sm2_key = _sm2_key_published(client)
    assert seal_sm2.verify_sm2_jws(sm, sm2_key) == sm_payload
    assert len(sm_sig) == 64
    assert _gmssl_accepts(sm, sm2_key)
    # The second implementation refuses what the first refuses: one byte of the payload.
    h64, _p64, s64 = sm.split(".")
    other = seal_sm2.b64url(json.dumps(sm_payload | {"data_item": "credit_score"},
                                       separators=(",", ":"), sort_keys=True).encode())
    assert not _gmssl_accepts(f"{h64}.{other}.{s64}", sm2_key)

    # Stored with the use, and committed to by the grant's leaf.
    with ctx.db.transaction() as s:
        use = s.scalars(select(UseRecord).where(UseRecord.id == out["use_id"])).one()
        assert (use.receipt, use.receipt_sm2) == (es, sm)
    ctx.ledger.integrate_all()
    files = collect_files(ctx, api.institution_id, auth["id"])
    record = json.loads(files["authorization.json"])
    (entry,) = [u for u in record["uses_log"] if u["use_id"] == out["use_id"]]
    assert (entry["receipt"], entry["receipt_sm2"]) == (es, sm)
    leaves = [json.loads(base64.b64decode(e["data"]))
              for e in json.loads(files["ledger/entries.json"])["entries"]]
    (grant,) = [x for x in leaves if x.get("use_id") == out["use_id"]]
    assert grant["receipt_sha256"] == hashlib.sha256(es.encode()).hexdigest()
    assert grant["receipt_sm2_sha256"] == hashlib.sha256(sm.encode()).hexdigest()


def _openssl_accepts(token: str, seal_pem: bytes, tmp: Path) -> bool:
    """``openssl pkeyutl -verify -rawin -digest sm3`` (the default distid) of the token's
    signing input, with the key of the published SM2 seal certificate."""
    h64, p64, s64 = token.split(".")
    sig = b64url_decode(s64)
    (tmp / "seal.crt").write_bytes(seal_pem)
    (tmp / "input").write_bytes(f"{h64}.{p64}".encode())
    (tmp / "sig.der").write_bytes(sm2.encode_signature(int.from_bytes(sig[:32], "big"),
                                                       int.from_bytes(sig[32:], "big")))
    pub = subprocess.run(["openssl", "x509", "-in", str(tmp / "seal.crt"), "-pubkey",
                          "-noout"], capture_output=True, check=True).stdout
    (tmp / "seal.pub").write_bytes(pub)
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                        str(tmp / "seal.pub"), "-rawin", "-digest", "sm3", "-pkeyopt",
                        "distid:1234567812345678", "-in", str(tmp / "input"), "-sigfile",
                        str(tmp / "sig.der")], capture_output=True, text=True, check=False)
    return r.returncode == 0 and "Signature Verified Successfully" in r.stdout


@pytest.mark.parametrize("signature_profile", ["dual"])
def test_dual_receipt_sm2_verifies_with_openssl(api, client, outbox, tmp_path):
    auth = _signed(api, client, outbox, 408)
    sm = api.use(auth["id"]).json()["receipt_sm2"]
    seal_pem = client.get("/pki/sm2/seal.crt").content
    assert _openssl_accepts(sm, seal_pem, tmp_path)
    assert not _openssl_accepts(_one_byte(sm, 1), seal_pem, tmp_path)


@pytest.mark.parametrize("signature_profile", ["dual"])
def test_dual_idempotent_replay_answers_the_same_both_receipts(api, client, outbox,
                                                               settings):
    auth = _signed(api, client, outbox, 402)
    path = f"/v1/authorizations/{auth['id']}/uses"
    first = api.post(path, BODY, headers={"Idempotency-Key": "dual-1"})
    assert first.status_code == 201, first.text
    assert first.json()["receipt_sm2"]
    again = api.post(path, BODY, headers={"Idempotency-Key": "dual-1"})
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    other = build_services(settings)  # another worker, or after a restart
    try:
        replayed = consume_use_with_key(other, api.api_key, auth["id"], UseCall(**BODY),
                                        idempotency_key="dual-1")
    finally:
        other.close()
    assert (replayed["receipt"], replayed["receipt_sm2"]) == (
        first.json()["receipt"], first.json()["receipt_sm2"])
    assert api.get(f"/v1/authorizations/{auth['id']}").json()["uses"] == 1


@pytest.mark.parametrize("signature_profile", ["sm"])
def test_sm_receipt_is_the_sm2_jws(api, client, outbox):
    auth = _signed(api, client, outbox, 403)
    out = api.use(auth["id"]).json()
    assert "receipt_sm2" not in out
    header, payload, _ = _parts(out["receipt"])
    assert header["alg"] == "SM2SM3"
    key = _sm2_key_published(client)
    assert seal_sm2.verify_sm2_jws(out["receipt"], key) == payload
    assert _gmssl_accepts(out["receipt"], key)
    assert payload["use_id"] == out["use_id"]
    # jwks.json stays ES256-only (docs/pki.md, "Where the keys are published, and why there").
    assert [k["alg"] for k in client.get("/.well-known/jwks.json").json()["keys"]] == ["ES256"]


def test_intl_has_no_sm2_receipt_nor_sm2_jwks(api, client, outbox):
    auth = _signed(api, client, outbox, 404)
    out = api.use(auth["id"]).json()
    assert "receipt_sm2" not in out
    assert _parts(out["receipt"])[0]["alg"] == "ES256"
    r = client.get("/.well-known/jwks-sm2.json")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_found"


def test_the_gate_answer_schema_names_receipt_sm2(client):
    op = client.get("/openapi.json").json()["paths"][
        "/v1/authorizations/{auth_id}/uses"]["post"]
    ref = op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    schema = client.get("/openapi.json").json()["components"]["schemas"][ref.split("/")[-1]]
    assert "receipt_sm2" in schema["properties"]
    assert "receipt_sm2" not in schema["required"]
    assert "receipt" in schema["required"]


# The package's receipt checks on a real dual package's files. The SM2 seal certificate
# and the manifest's profile are put where CONTRACT's sm-contract says the package holds
# them (sm2/certificates/seal.crt; "profile"), whoever builds it.

def _dual_files(api: Any, client: Any, outbox: Any, ctx: Any, seq: int) -> dict[str, bytes]:
    auth = _signed(api, client, outbox, seq)
    for ref in ("Q-1", "Q-2"):
        assert api.use(auth["id"], reference=ref).status_code == 201
    files = collect_files(ctx, api.institution_id, auth["id"])
    files.setdefault("sm2/certificates/seal.crt", ctx.sm2.pki.pem("seal.crt"))
    files["manifest.json"] = json.dumps({"profile": "dual", "files": {}}).encode()
    return files


def _checks(files: dict[str, bytes]) -> dict[str, Any]:
    record = json.loads(files["authorization.json"])
    entries = json.loads(files["ledger/entries.json"])["entries"]
    proven = [(int(e["index"]), base64.b64decode(e["data"])) for e in entries]
    report = Report(subject="t", trust_anchor=TrustAnchor((), "none"))
    add_completeness_checks(report, files, record, proven)
    return {c.id: c for c in report.checks}


def _with_use(files: dict[str, bytes], change: Any) -> dict[str, bytes]:
    record = json.loads(files["authorization.json"])
    change(record["uses_log"][-1])
    return files | {"authorization.json": json.dumps(record).encode()}


def _one_byte(token: str, part: int) -> str:
    pieces = token.split(".")
    raw = bytearray(b64url_decode(pieces[part]))
    raw[len(raw) // 2] ^= 0x01
    pieces[part] = seal_sm2.b64url(bytes(raw))
    return ".".join(pieces)


@pytest.mark.parametrize("signature_profile", ["dual"])
def test_dual_package_receipt_checks_pass_and_name_a_changed_receipt_sm2(
        api, client, outbox, ctx):
    files = _dual_files(api, client, outbox, ctx, 405)
    checks = _checks(files)
    for name in ("ledger_commitments", "use_receipts", "use_receipts_sm2"):
        assert checks[name].result == "PASSED", checks[name].detail
    assert "ES256" in checks["use_receipts"].detail

    for part in (1, 2):  # one byte of the payload, then of the signature
        bad = _with_use(files, lambda u, p=part: u.update(
            receipt_sm2=_one_byte(u["receipt_sm2"], p)))
        got = _checks(bad)
        assert got["use_receipts_sm2"].result == "FAILED"
        assert "receipt_sm2" in got["use_receipts_sm2"].detail
        assert got["use_receipts"].result == "PASSED"
        assert got["ledger_commitments"].result == "FAILED"
        assert "receipt_sm2" in got["ledger_commitments"].detail

    # A dual package's use without receipt_sm2 fails too (no silent downgrade).
    got = _checks(_with_use(files, lambda u: u.pop("receipt_sm2")))
    assert got["use_receipts_sm2"].result == "FAILED"
    assert "receipt_sm2 is missing" in got["use_receipts_sm2"].detail
    # ES256 receipt changed: use_receipts names it.
    got = _checks(_with_use(files, lambda u: u.update(receipt=_one_byte(u["receipt"], 2))))
    assert got["use_receipts"].result == "FAILED"
    assert "receipt (ES256)" in \
        got["use_receipts"].detail
    # The SM2 seal certificate missing: named.
    got = _checks({k: v for k, v in files.items() if k != "sm2/certificates/seal.crt"})
    assert got["use_receipts_sm2"].result == "FAILED"
    assert "sm2/certificates/seal.crt" in got["use_receipts_sm2"].detail


@pytest.mark.parametrize("signature_profile", ["sm"])
def test_sm_package_receipt_is_checked_with_the_sm2_seal(api, client, outbox, ctx):
    auth = _signed(api, client, outbox, 406)
    assert api.use(auth["id"]).status_code == 201
    files = collect_files(ctx, api.institution_id, auth["id"])
    files.setdefault("sm2/certificates/seal.crt", ctx.sm2.pki.pem("seal.crt"))
    files["manifest.json"] = json.dumps({"profile": "sm", "files": {}}).encode()
    checks = _checks(files)
    assert checks["use_receipts"].result == "PASSED", checks["use_receipts"].detail
    assert "SM2SM3" in checks["use_receipts"].detail
    assert "use_receipts_sm2" not in checks
    bad = _with_use(files, lambda u: u.update(receipt=_one_byte(u["receipt"], 2)))
    got = _checks(bad)["use_receipts"]
    assert got.result == "FAILED"
    assert "receipt (SM2SM3)" in got.detail
    # An ES256 receipt in an sm package is the wrong algorithm, whoever signed it.
    es = ctx.seal.sign_jws(_parts(json.loads(files["authorization.json"])
                                  ["uses_log"][-1]["receipt"])[1])
    got = _checks(_with_use(files, lambda u: u.update(receipt=es)))["use_receipts"]
    assert got.result == "FAILED"
    assert "this profile's is SM2SM3" in got.detail


def test_intl_package_receipts_verify_with_the_intl_seal(api, client, outbox, ctx):
    auth = _signed(api, client, outbox, 407)
    assert api.use(auth["id"]).status_code == 201
    files = collect_files(ctx, api.institution_id, auth["id"])
    assert x509.load_pem_x509_certificate(files["certificates/seal.crt"])
    checks = _checks(files)  # no manifest here: the algorithm is read from the receipt
    assert checks["use_receipts"].result == "PASSED", checks["use_receipts"].detail
    assert "use_receipts_sm2" not in checks
    got = _checks(_with_use(files, lambda u: u.update(receipt=_one_byte(u["receipt"], 1))))
    assert got["use_receipts"].result == "FAILED"
