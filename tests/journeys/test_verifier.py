"""The verifier's journey (README "Checking a signature or a package", docs/verification.md):
an institution downloads the evidence package and the root from the platform; a court or
an auditor, on another machine with no server and no database, checks it with
``anxin verify`` — exit code, the JSON answer, the PDF and XML reports — and a tampered
package, a wrong anchor or an unreadable fingerprint each get their documented exit code
(0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 unreadable input)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from tests.journeys.conftest import ROOT, Served, sign_with_the_form


@dataclass
class Held:
    """What the verifier was handed: the package, the letter, the published root."""

    auth_id: str
    package: Path
    letter: Path
    root: Path
    fingerprint: str


@pytest.fixture(scope="module")
def held(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Held:
    seq = 9001
    auth = served.new_authorization(seq)
    with httpx.Client(base_url=served.base_url, follow_redirects=True) as person:
        sign_with_the_form(served, person, auth, seq)
    granted = served.api.post(f"/v1/authorizations/{auth['id']}/uses", json={
        "purpose": "loan_approval", "data_item": "credit_report", "reference": "Q-9001",
        "operator": "officer-3"})
    assert granted.status_code == 201, granted.text
    desk = tmp_path_factory.mktemp(f"verifier-{served.backend}")
    package = served.api.get(f"/v1/authorizations/{auth['id']}/evidence.zip")
    assert package.status_code == 200, package.text
    letter = served.api.get(f"/v1/authorizations/{auth['id']}/letter.pdf")
    assert letter.status_code == 200, letter.text
    root = httpx.get(served.base_url + "/pki/root.crt")
    assert root.status_code == 200
    (desk / "evidence.zip").write_bytes(package.content)
    (desk / "letter.pdf").write_bytes(letter.content)
    (desk / "root.crt").write_bytes(root.content)
    cert = x509.load_pem_x509_certificate(root.content)
    return Held(auth["id"], desk / "evidence.zip", desk / "letter.pdf", desk / "root.crt",
                cert.fingerprint(hashes.SHA256()).hex())


def verify(held: Held, *args: str) -> subprocess.CompletedProcess[str]:
    """``anxin verify`` on the verifier's desk: no data directory, no database URL."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(held.package.parent),
           "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    return subprocess.run([sys.executable, "-m", "anxin", "verify", *args],
                          cwd=held.package.parent, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_package_verifies_offline_with_the_published_root(held: Held) -> None:
    out = verify(held, "evidence.zip", "--trust", "root.crt", "--json",
                 "--report", "report.pdf", "--xml", "report.xml")
    assert out.returncode == 0, out.stdout + out.stderr
    answer = json.loads(out.stdout)
    assert answer["indication"] == "TOTAL_PASSED", answer["failed_checks"]
    assert answer["authorization_id"] == held.auth_id
    assert answer["authorization_status"] == "active"
    desk = held.package.parent
    assert (desk / "report.pdf").read_bytes().startswith(b"%PDF")
    assert b"ValidationReport" in (desk / "report.xml").read_bytes()
    # the verifier's own report of a package is its certificate of completion too
    text = subprocess.run(["pdftotext", "-layout", str(desk / "report.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Certificate of completion" in text


def test_the_published_fingerprint_is_enough(held: Held) -> None:
    out = verify(held, "evidence.zip", "--trust-fingerprint", held.fingerprint)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "TOTAL_PASSED" in out.stdout


def test_the_letter_alone_verifies(held: Held) -> None:
    out = verify(held, "letter.pdf", "--trust", "root.crt")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "TOTAL_PASSED" in out.stdout


def test_a_tampered_package_fails(held: Held) -> None:
    with zipfile.ZipFile(held.package) as z:
        files = {i.filename: z.read(i) for i in z.infolist()}
    record = json.loads(files["authorization.json"])
    record["max_uses"] = 1000
    files["authorization.json"] = json.dumps(record).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    (held.package.parent / "tampered.zip").write_bytes(buf.getvalue())
    out = verify(held, "tampered.zip", "--trust", "root.crt")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "TOTAL_FAILED" in out.stdout


def test_another_root_is_not_a_pass(held: Held) -> None:
    out = verify(held, "evidence.zip", "--trust-fingerprint", "ab" * 32)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "INDETERMINATE" in out.stdout
    assert held.fingerprint[:8].upper() in out.stdout.replace(":", "").upper(), \
        "the answer does not name the root the package claims"


def test_an_unreadable_fingerprint_is_exit_3(held: Held) -> None:
    out = verify(held, "evidence.zip", "--trust-fingerprint", "not-hex")
    assert out.returncode == 3, out.stdout + out.stderr


def test_the_public_verify_page_gives_the_same_answer(served: Served, held: Held) -> None:
    with httpx.Client(base_url=served.base_url) as browser:
        page = browser.get("/verify")
        assert page.status_code == 200
        answer = browser.post("/verify", files={"file": (
            "evidence.zip", held.package.read_bytes(), "application/zip")})
    assert answer.status_code == 200, answer.text
    assert "TOTAL_PASSED" in answer.text


def test_the_package_is_in_the_public_log(served: Served, held: Held) -> None:
    """docs/verification.md ``--ledger URL``: the package's checkpoint is a prefix of the
    log the platform publishes, and its entries are in it."""
    out = verify(held, "evidence.zip", "--trust", "root.crt", "--json",
                 "--ledger", served.base_url)
    assert out.returncode == 0, out.stdout + out.stderr
    checks = {c["id"]: c for c in json.loads(out.stdout)["checks"]}
    assert "ledger_log_consistency" in checks, sorted(checks)
    assert checks["ledger_log_consistency"]["result"] == "PASSED", checks["ledger_log_consistency"]


def test_the_auditor_checks_the_whole_ledger(served: Served) -> None:
    """docs/ledger.md "Audit": ``anxin ledger verify`` on the live data directory."""
    out = served.anxin("ledger", "verify", "--data-dir", "anxin-data")
    assert out.returncode == 0, out.stdout + out.stderr
