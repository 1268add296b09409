"""Test mode (sandbox): an institution's test key makes test authorizations that carry
``"test": true``, are invisible to the live key (and the reverse), are signed by the test
CA with TEST on every page, accept the fixed code 000000, and are never counted."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO

import pytest
from cryptography import x509

from anxin.services.institutions import add_institution
from anxin.services.test_mode import TEST_OTP
from tests.common.factories import Api, form_token_of, token_of
from tests.common.letters import pdftotext


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


def test_test_key_flow_end_to_end(pair, client, outbox, settings, tmp_path):
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
    assert manifest["test"] is True
    assert record["test"] is True
    assert report["test"] is True
    assert "TEST" in root.subject.rfc4514_string()
    published = client.get("/pki/test/root.crt")
    assert published.status_code == 200
    assert x509.load_pem_x509_certificate(published.content) == root
    assert root != x509.load_pem_x509_certificate((settings.keys_dir / "root.crt").read_bytes())
