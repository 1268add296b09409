"""The product's own signing path end to end: the letter served by the API is a PAdES
B-LTA PDF that pdfsig, pyHanko and `anxin verify` accept, bound to its authorization."""

import subprocess
import sys

import pytest
from cryptography import x509

from anxin.letters import verify_letter
from anxin.pki.events import read_event_binding, verify_event_binding
from tests.common.factories import sign
from tests.common.letters import (
    flip_byte_in_signed_range,
    nss_db_trusting,
    pdfsig,
    pdftotext,
    pyhanko_cli,
)


@pytest.fixture
def signed_letter(api, client, outbox):
    api.template(locale="zh-CN", body="本人{{ subject_name }}授权{{ institution }}查询{{ scope }}，"
                                      "用途：{{ purpose }}；有效期至{{ valid_until }}，"
                                      "可使用{{ max_uses }}次。业务编号{{ reference }}。")
    auth = api.request()
    out = sign(client, outbox, auth)
    r = api.get(f"/v1/authorizations/{auth['id']}/letter.pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    return auth, out, r.content


def test_letter_is_bound_timestamped_and_verifies(signed_letter, api, settings, tmp_path):
    auth, _out, pdf = signed_letter
    got = api.get(f"/v1/authorizations/{auth['id']}").json()
    assert got["timestamp"] is not None
    root = x509.load_pem_x509_certificate((settings.keys_dir / "root.crt").read_bytes())
    result = verify_letter(pdf, [root], binding_check=lambda c, letter: verify_event_binding(
        c, letter_sha256_hex=letter.text_sha256 or "", authorization_id=letter.authorization_id))
    assert (result.indication, result.sub_indication) == ("TOTAL_PASSED", None)
    binding = read_event_binding(result.signer_certificate)
    assert (binding.authorization_id, binding.letter_sha256) == (auth["id"], got["letter_sha256"])
    text = pdftotext(pdf, tmp_path)
    assert "授权" in text
    assert auth["id"] in text.replace("\n", "")


def test_pdfsig_and_pyhanko_accept_it(signed_letter, settings, tmp_path):
    _auth, _out, pdf = signed_letter
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    nss = nss_db_trusting(settings.keys_dir / "root.crt", tmp_path / "nss")
    report = pdfsig(path, nss)
    assert "Signature is Valid." in report
    assert "Certificate is Trusted." in report
    res = pyhanko_cli("sign", "adesverify", "--trust", str(settings.keys_dir / "root.crt"),
                      "--trust-replace", str(path))
    assert "INTACT:TRUSTED" in res.stdout, res.stdout + res.stderr


def test_one_byte_changed_fails_everywhere(signed_letter, settings, tmp_path):
    _auth, _out, pdf = signed_letter
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(flip_byte_in_signed_range(pdf))
    root = x509.load_pem_x509_certificate((settings.keys_dir / "root.crt").read_bytes())
    assert verify_letter(bad.read_bytes(), [root]).indication == "TOTAL_FAILED"
    nss = nss_db_trusting(settings.keys_dir / "root.crt", tmp_path / "nss")
    assert "Signature is Valid." not in pdfsig(bad, nss)


def test_the_event_key_is_not_kept(signed_letter, settings):
    # No private key of an event certificate is ever written to the data directory.
    keys = {p.name for p in settings.keys_dir.rglob("*.key")}
    # (nor the root CA's: it is offline, issue 12 item 14)
    assert keys <= {"master.key", "seal.key", "issuing.key", "tsa.key",
                    "ledger.key"}, keys


def test_cli_verify_passes_and_names_a_failure(signed_letter, settings, tmp_path):
    _auth, _out, pdf = signed_letter
    good = tmp_path / "good.pdf"
    good.write_bytes(pdf)
    cmd = [sys.executable, "-m", "anxin", "verify", "--trust",
           str(settings.keys_dir / "root.crt")]
    r = subprocess.run([*cmd, str(good)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "TOTAL_PASSED" in r.stdout
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(flip_byte_in_signed_range(pdf))
    r = subprocess.run([*cmd, str(bad)], capture_output=True, text=True, check=False)
    assert r.returncode == 1
    assert "TOTAL_FAILED" in r.stdout
