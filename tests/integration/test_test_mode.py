"""Test mode (sandbox): an institution's test key makes test authorizations that carry
``"test": true``, are invisible to the live key (and the reverse), are signed by the test
CA with TEST on every page, accept the fixed code 000000, and are never counted."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import uuid
import zipfile
from io import BytesIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from anxin.services.institutions import add_institution
from anxin.services.test_mode import TEST_OTP
from tests.common.factories import (
    Api,
    form_token_of,
    last_code,
    mobile,
    resident_id,
    sign,
    token_of,
)
from tests.common.letters import pdftotext
from tests.common.portal_fixtures import client, csrf_of, portal_sign_in

__all__ = ["client"]
USE = {"purpose": "loan_approval", "reference": "Q-1", "operator": "officer-7",
       "data_item": "credit_report"}


@pytest.fixture
def pair(client, ctx):
    """The same institution with its live key and its test key."""
    inst = add_institution(ctx, "Sandbox Bank")
    assert inst.test_api_key.startswith("anx_test_")
    assert not inst.api_key.startswith("anx_test_")
    live = Api(client, inst.api_key, inst.id)
    test = Api(client, inst.test_api_key, inst.id)
    live.template()
    return live, test


def sign_with_fixed_code(client, auth):
    """Through the page's real (no-JavaScript) forms: ask for a code, enter 000000."""
    tok = token_of(auth)
    page = client.get(f"/s/{tok}").text
    assert 'id="test-banner"' in page
    ft = form_token_of(client, tok)
    r = client.post(f"/s/{tok}/otp", data={"read_confirmed": "on", "ft": ft},
                    follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"/s/{tok}?msg=code_sent")
    r = client.post(f"/s/{tok}/sign", data={"otp": TEST_OTP, "read_confirmed": "on",
                                            "ft": ft}, follow_redirects=False)
    assert r.headers["location"] == f"/s/{tok}?msg=signed", r.headers.get("location")


def test_test_key_flow_end_to_end(pair, client, outbox, settings, tmp_path, ctx):
    _live, test = pair
    auth = test.request(seq=3)
    assert auth["test"] is True
    sign_with_fixed_code(client, auth)
    got = test.get(f"/v1/authorizations/{auth['id']}").json()
    assert (got["status"], got["test"]) == ("active", True)
    # The code went to the outbox, marked TEST.
    line = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])
    assert line["text"].startswith("[TEST")
    r = test.use(auth["id"])
    assert r.status_code == 201, r.text
    # The receipt says test and is the test seal's, not the platform seal's.
    from anxin.errors import AnxinError
    from anxin.seal import verify_jws

    def seal_key(path):
        return x509.load_pem_x509_certificate(path.read_bytes()).public_key()
    receipt = r.json()["receipt"]
    assert verify_jws(receipt, seal_key(settings.keys_dir / "test" / "seal.crt"))["test"]
    with pytest.raises(AnxinError):
        verify_jws(receipt, seal_key(settings.keys_dir / "seal.crt"))
    # The letter says TEST on every page.
    pdf = test.get(f"/v1/authorizations/{auth['id']}/letter.pdf").content
    text = pdftotext(pdf, tmp_path)
    pages = [p for p in text.split("\f") if p.strip()]
    assert pages
    for page in pages:
        assert "TEST — no legal effect" in page
        assert "测试——不具法律效力" in page
    # The package: the manifest says test; it carries the test CA's root.
    package = test.get(f"/v1/authorizations/{auth['id']}/evidence.zip")
    assert package.status_code == 200
    with zipfile.ZipFile(BytesIO(package.content)) as z:
        manifest = json.loads(z.read("manifest.json"))
        record = json.loads(z.read("authorization.json"))
        report = json.loads(z.read("report.json"))
        root = x509.load_pem_x509_certificate(z.read("certificates/root.crt"))
    assert report["indication"] == "TOTAL_PASSED", report["failed_checks"]  # test root
    assert manifest["test"] is True
    assert record["test"] is True
    assert report["test"] is True
    assert "TEST" in root.subject.rfc4514_string()
    published = client.get("/pki/test/root.crt")
    assert published.status_code == 200
    assert x509.load_pem_x509_certificate(published.content) == root
    assert root != x509.load_pem_x509_certificate((settings.keys_dir / "root.crt").read_bytes())
    report_pdf = test.get(f"/v1/authorizations/{auth['id']}/report.pdf").content
    assert "TEST — no legal effect" in pdftotext(report_pdf, tmp_path)
    # Archive renewal never adds a production time-stamp to a test letter.
    from anxin.services import archive
    assert archive.renew_one(ctx, auth["id"]) is False
    assert test.get(f"/v1/authorizations/{auth['id']}/letter.pdf").content == pdf


@pytest.fixture
def test_package(pair, client, tmp_path):
    _live, test = pair
    auth = test.request(seq=4)
    sign_with_fixed_code(client, auth)
    r = test.get(f"/v1/authorizations/{auth['id']}/evidence.zip")
    assert r.status_code == 200
    path = tmp_path / "test-evidence.zip"
    path.write_bytes(r.content)
    return auth, path


def anxin_verify(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    r = subprocess.run([sys.executable, "-m", "anxin", "verify", *map(str, args), "--json"],
                       capture_output=True, text=True, env=env, check=False)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout)


def sha256_of(pem_path):
    cert = x509.load_pem_x509_certificate(pem_path.read_bytes())
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_a_test_package_never_passes_against_the_production_root(test_package, settings,
                                                                 tmp_path):
    _auth, path = test_package
    production_root = settings.keys_dir / "root.crt"
    # In the data directory: its (production) root is trusted.
    code, report = anxin_verify(path, "--data-dir", settings.data_dir)
    assert (code, report["indication"]) == (2, "INDETERMINATE")
    assert report["sub_indication"] == "NO_CERTIFICATE_CHAIN_FOUND"
    assert report["test"] is True
    # With the production root's fingerprint, or the production root itself.
    for trust in (("--trust-fingerprint", sha256_of(production_root)),
                  ("--trust", production_root)):
        code, report = anxin_verify(path, *trust)
        assert (code, report["indication"]) == (2, "INDETERMINATE"), trust
        assert report["sub_indication"] == "NO_CERTIFICATE_CHAIN_FOUND"
    # With the test root trusted explicitly it verifies, and says it is a test package.
    test_root = tmp_path / "test-root.crt"
    test_root.write_bytes((settings.keys_dir / "test" / "root.crt").read_bytes())
    code, report = anxin_verify(path, "--trust", test_root)
    assert (code, report["indication"]) == (0, "TOTAL_PASSED"), report["failed_checks"]
    assert report["test"] is True
    assert any("TEST" in w for w in report["warnings"])


def test_the_test_letters_chain_does_not_reach_the_production_root(test_package, settings,
                                                                  tmp_path):
    """Checked independently of Anxin's verifier: openssl on the event certificate the
    letter was signed with, and the issuing CA that issued it."""
    _auth, path = test_package
    with zipfile.ZipFile(path) as z:
        for name in ("event", "issuing", "root"):
            (tmp_path / f"{name}.pem").write_bytes(z.read(f"certificates/{name}.crt"))

    def openssl_verify(ca_file):
        return subprocess.run(
            ["openssl", "verify", "-CAfile", str(ca_file), "-untrusted",
             str(tmp_path / "issuing.pem"), str(tmp_path / "event.pem")],
            capture_output=True, text=True, check=False)

    refused = openssl_verify(settings.keys_dir / "root.crt")
    assert refused.returncode != 0
    assert "unable to get local issuer certificate" in refused.stdout + refused.stderr
    accepted = openssl_verify(settings.keys_dir / "test" / "root.crt")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert ": OK" in accepted.stdout
    # The package's root is the test root, not the production one.
    assert (tmp_path / "root.pem").read_bytes() == (
        settings.keys_dir / "test" / "root.crt").read_bytes()


def test_isolation_both_ways_on_every_route(pair, client, outbox, clock):
    live, test = pair
    t_auth = test.request(seq=5)
    l_auth = live.request(seq=6)
    sign_with_fixed_code(client, t_auth)
    sign(client, outbox, l_auth)
    assert test.use(t_auth["id"]).status_code == 201
    clock.advance(seconds=5)  # past the events' settling time
    for key, own, other in ((test, t_auth, l_auth), (live, l_auth, t_auth)):
        oid = other["id"]
        for method, path in (("get", f"/v1/authorizations/{oid}"),
                             ("post", f"/v1/authorizations/{oid}/uses"),
                             ("post", f"/v1/authorizations/{oid}/cancel"),
                             ("get", f"/v1/authorizations/{oid}/letter.pdf"),
                             ("get", f"/v1/authorizations/{oid}/evidence.zip"),
                             ("get", f"/v1/authorizations/{oid}/report.pdf")):
            r = key.use(oid) if path.endswith("/uses") else getattr(key, method)(path)
            assert r.status_code == 404, (key.api_key[:9], path, r.text)
            assert r.json()["code"] == "authorization_not_found"
        listed = {a["id"] for a in key.get("/v1/authorizations").json()["items"]}
        assert own["id"] in listed
        assert oid not in listed
        events = key.get("/v1/events").json()["events"]
        ids = {e["authorization_id"] for e in events}
        assert own["id"] in ids
        assert oid not in ids
        assert {e["test"] for e in events} == {key is test}
    # The other's authorization is untouched: no use spent, nothing cancelled.
    assert live.get(f"/v1/authorizations/{l_auth['id']}").json()["uses"] == 0
    got = test.get(f"/v1/authorizations/{t_auth['id']}").json()
    assert (got["status"], got["uses"]) == ("exhausted", 1)


def test_an_idempotency_key_of_the_test_key_is_not_the_live_keys(pair, client, outbox):
    live, test = pair
    live.template(max_uses=3)
    t_auth, l_auth = test.request(seq=7), live.request(seq=8)
    sign_with_fixed_code(client, t_auth)
    sign(client, outbox, l_auth)
    h = {"Idempotency-Key": "same-key-1"}
    first = test.post(f"/v1/authorizations/{t_auth['id']}/uses", USE, headers=h)
    again = test.post(f"/v1/authorizations/{t_auth['id']}/uses", USE, headers=h)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["use_id"] == again.json()["use_id"]
    theirs = live.post(f"/v1/authorizations/{l_auth['id']}/uses", USE, headers=h)
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["use_id"] != first.json()["use_id"]


def test_the_fixed_code_is_refused_for_a_live_authorization(pair, client, outbox, clock):
    live, _test = pair
    auth = live.request(seq=9)
    tok = token_of(auth)
    assert 'id="test-banner"' not in client.get(f"/s/{tok}").text
    assert client.post(f"/s/{tok}/otp").status_code == 204
    while last_code(outbox) == TEST_OTP:  # one chance in a million: ask for another
        clock.advance(seconds=61)
        assert client.post(f"/s/{tok}/otp").status_code == 204
    r = client.post(f"/s/{tok}/sign", json={"otp": TEST_OTP, "read_confirmed": True})
    assert (r.status_code, r.json()["code"]) == (422, "otp_invalid")
    assert r.json()["tries_left"] == 4  # counted as any wrong code
    assert live.get(f"/v1/authorizations/{auth['id']}").json()["status"] == "pending"
    # ... and a live letter is never the test CA's.
    r = client.post(f"/s/{tok}/sign", json={"otp": last_code(outbox), "read_confirmed": True})
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(BytesIO(live.get(
            f"/v1/authorizations/{auth['id']}/evidence.zip").content)) as z:
        assert "TEST" not in x509.load_pem_x509_certificate(
            z.read("certificates/root.crt")).subject.rfc4514_string()
        assert "test" not in json.loads(z.read("manifest.json"))


def test_a_test_key_reads_templates_but_never_changes_them(pair):
    live, test = pair
    assert [t["code"] for t in test.get("/v1/templates").json()["items"]] == ["credit"]
    r = test.post("/v1/templates", {"code": "credit", "title": "Changed", "purpose":
                                    "loan_approval", "data_scope": ["credit_report"],
                                    "body": "x {{ subject_name }}", "locale": "en"})
    assert (r.status_code, r.json()["code"]) == (403, "test_key_not_allowed")
    assert live.get("/v1/templates/credit").json()["title"] == "Credit check"


def test_test_authorizations_are_never_counted(pair, client, outbox, ctx):
    from anxin.services.console_stats import Period, dashboard

    _live, test = pair
    zone = ctx.settings.zone
    period = Period.last_days(ctx.clock().astimezone(zone).date(), zone)
    before = dashboard(ctx, period)
    metrics_before = client.get("/metrics").text
    auth = test.request(seq=10)
    sign_with_fixed_code(client, auth)
    assert test.use(auth["id"]).status_code == 201
    assert test.use(auth["id"]).status_code == 409
    declined = test.request(seq=11)
    assert client.post(f"/s/{token_of(declined)}/decline").status_code == 200
    after = dashboard(ctx, period)
    assert after["totals"] == before["totals"]
    assert after["per_day"] == before["per_day"]
    assert after["refused_by_reason"] == before["refused_by_reason"]
    assert test.institution_id not in {i["id"] for i in after["per_institution"]}

    def counters(text):
        return [line for line in text.splitlines()
                if line.startswith(("anxin_uses", "anxin_authorizations", "anxin_sms"))]
    assert counters(client.get("/metrics").text) == counters(metrics_before)


def test_the_cli_issues_a_new_test_key(pair, settings, client):
    live, test = pair
    env = {**os.environ, "ANXIN_DATABASE_URL": settings.database_url}
    r = subprocess.run([sys.executable, "-m", "anxin", "institution", "test-key",
                        live.institution_id, "--json", "--data-dir", str(settings.data_dir)],
                       capture_output=True, text=True, env=env, check=False)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["id"] == live.institution_id
    assert out["test_api_key"].startswith("anx_test_")
    assert test.get("/v1/authorizations").status_code == 401  # the old test key is gone
    fresh = Api(client, out["test_api_key"], live.institution_id)
    assert fresh.get("/v1/templates").status_code == 200
    assert live.get("/v1/templates").status_code == 200  # the live key is untouched


def test_the_portal_and_the_console_mark_test_authorizations(pair, client, outbox, settings,
                                                             ctx):
    from anxin.console.totp import totp_code
    from tests.integration.test_console import PASSWORD, _add_operator, _login

    live, test = pair
    t_auth = test.request(seq=12)
    l_auth = live.request(seq=13)
    sign_with_fixed_code(client, t_auth)
    # The person's portal: the test authorization is marked, the live one is not.
    portal_sign_in(client, outbox, mobile(12))
    listing = client.get("/me").text
    assert t_auth["id"] in listing
    assert "TEST 测试" in listing
    detail = client.get(f"/me/authorizations/{t_auth['id']}").text
    assert 'id="test-banner"' in detail
    # The console: live by default, test or all on asking, TEST marked.
    name = f"tm-{uuid.uuid4().hex[:8]}"
    secret = _add_operator(settings, name)
    assert _login(client, name, PASSWORD, totp_code(secret, ctx.clock().timestamp())
                  ).status_code == 303
    csrf = csrf_of(client.get("/console/authorizations").text)

    def found(mode):
        r = client.post("/console/authorizations", data={
            "csrf": csrf, "institution": live.institution_id, **({"mode": mode} if mode else {})})
        assert r.status_code == 200
        return set(re.findall(r'class="result" data-id="([^"]+)"', r.text)), r.text

    ids, _ = found(None)
    assert (l_auth["id"] in ids, t_auth["id"] in ids) == (True, False)
    ids, page = found("test")
    assert (l_auth["id"] in ids, t_auth["id"] in ids) == (False, True)
    assert '<span class="badge test">TEST</span>' in page
    ids, _ = found("all")
    assert {l_auth["id"], t_auth["id"]} <= ids
    assert 'id="test-banner"' in client.get(f"/console/authorizations/{t_auth['id']}").text
    # Issue a test key from the console: shown once, and it works.
    r = client.post(f"/console/institutions/{live.institution_id}/test-key",
                    data={"csrf": csrf})
    key = re.search(r'id="new-test-key">[^<]*<code>(anx_test_[^<]+)</code>', r.text)
    assert key, r.text
    assert Api(client, key.group(1), live.institution_id).get(
        f"/v1/authorizations/{t_auth['id']}").json()["test"] is True


@pytest.mark.parametrize("signature_profile", ["sm"])
def test_in_the_sm_profile_a_test_letter_is_the_test_cas_intl_one(pair, client, settings,
                                                                 tmp_path):
    from anxin.letters import verify_letter

    _live, test = pair
    auth = test.request(seq=14)
    sign_with_fixed_code(client, auth)
    pdf = test.get(f"/v1/authorizations/{auth['id']}/letter.pdf").content
    test_root = x509.load_pem_x509_certificate(
        (settings.keys_dir / "test" / "root.crt").read_bytes())
    result = verify_letter(pdf, [test_root])
    assert result.indication == "TOTAL_PASSED"
    assert "TEST — no legal effect" in pdftotext(pdf, tmp_path)
    with zipfile.ZipFile(BytesIO(test.get(
            f"/v1/authorizations/{auth['id']}/evidence.zip").content)) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert (manifest["profile"], manifest["test"]) == ("intl", True)
        assert not [n for n in z.namelist() if n.startswith("sm2/")]
        assert json.loads(z.read("report.json"))["indication"] == "TOTAL_PASSED"


class RecordingGateway:
    """Stands for the real SMS gateway: what reaches it is recorded."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        self.sent.append((to, text))


def test_test_sms_never_reach_the_real_gateway(pair, outbox, ctx, clock):
    import dataclasses

    from anxin.notify.expiry_reminders import remind_expiring
    from anxin.services import signing

    live, test = pair
    gateway = RecordingGateway()
    real = dataclasses.replace(ctx, sms=gateway)
    t_auth, l_auth = test.request(seq=15), live.request(seq=16)
    signing.send_code(real, token_of(l_auth))  # the control: a live code goes to it
    assert [to for to, _ in gateway.sent] == ["+86" + mobile(16)]
    signing.send_code(real, token_of(t_auth))
    assert [to for to, _ in gateway.sent] == ["+86" + mobile(16)]
    line = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])
    assert line["to"] == "+86" + mobile(15)
    assert line["text"].startswith("[TEST")
    out = signing.sign(real, token_of(t_auth), otp=TEST_OTP, read_confirmed=True,
                       client_ip=None, user_agent=None)
    assert out["status"] == "active"
    # The expiry reminder of a test authorization: the outbox too, never the gateway.
    clock.advance(days=25)
    remind_expiring(real)
    assert ("+86" + mobile(15)) not in {to for to, _ in gateway.sent}
    mine = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines()]
    assert [x for x in mine if x["to"] == "+86" + mobile(15)
            and x["text"].startswith("[TEST") and "/me/authorizations/" in x["text"]]


def test_a_test_key_cannot_renew_a_live_authorization(pair, client, outbox):
    live, test = pair
    original = live.request(seq=17)
    sign(client, outbox, original)
    r = test.post("/v1/authorizations", {
        "template": "credit", "reference": "RENEW-1", "renews": original["id"],
        "subject": {"name": "Zhang San", "id_type": "resident_id",
                    "id_number": resident_id(17), "mobile": mobile(17)}})
    assert (r.status_code, r.json()["code"]) == (404, "authorization_not_found"), r.text
    assert live.get(f"/v1/authorizations/{original['id']}").json().get("renewed_by") is None
