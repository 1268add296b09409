"""The national-cryptography journeys (docs/pki.md "Signature profiles"): an operator makes an
``sm`` or a ``dual`` deployment with ``anxin init --profile``; a person signs; the
institution asks the gate and downloads the evidence; a verifier checks it offline with
``anxin verify`` against the published root(s) — and, for ``dual``, the letter's PAdES
signature with pdfsig and stock pyHanko as for an intl letter. One server per profile and
back-end, driven from the outside only."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from tests.common.letters import nss_db_trusting, pdfsig, pyhanko_cli
from tests.journeys.conftest import ROOT, Served, _start, sign_with_the_form


@pytest.fixture(scope="module", params=[("sm", "sqlite"), ("dual", "sqlite"),
                                        ("sm", "postgres"), ("dual", "postgres")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def deployment(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[str, Served]]:
    profile, backend = request.param
    with ExitStack() as stack:
        yield profile, _start(backend, tmp_path_factory.mktemp(f"{profile}-{backend}"), stack,
                              profile=profile)


def _verify(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``anxin verify`` on the verifier's machine: no data directory, no server."""
    return subprocess.run([sys.executable, "-m", "anxin", "verify", *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT / "tests",
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")})


def _fingerprint(pem: bytes) -> str:
    return x509.load_pem_x509_certificate(pem).fingerprint(hashes.SHA256()).hex()


def test_sign_use_and_verify_in_the_national_profiles(deployment: tuple[str, Served],
                                                      tmp_path: Path) -> None:
    profile, served = deployment
    assert httpx.get(served.base_url + "/pki/profile").json() == {"profile": profile}
    auth = served.new_authorization(7101)
    with httpx.Client(base_url=served.base_url, follow_redirects=True) as person:
        sign_with_the_form(served, person, auth, 7101)
    granted = served.api.post(f"/v1/authorizations/{auth['id']}/uses", json={
        "purpose": "loan_approval", "data_item": "credit_report", "reference": "Q-7101",
        "operator": "officer-1"})
    assert granted.status_code == 201, granted.text
    answer = granted.json()
    header = json.loads(base64.urlsafe_b64decode(answer["receipt"].split(".")[0] + "=="))
    assert header["alg"] == ("SM2SM3" if profile == "sm" else "ES256")
    assert ("receipt_sm2" in answer) is (profile == "dual")

    package = served.api.get(f"/v1/authorizations/{auth['id']}/evidence.zip")
    assert package.status_code == 200, package.text
    (tmp_path / "evidence.zip").write_bytes(package.content)
    names = set(zipfile.ZipFile(tmp_path / "evidence.zip").namelist())
    assert {"manifest.sm2.p7s", "sm2/certificates/event.crt",
            "sm2/ledger/leaves-sm3.json"} <= names
    assert ("manifest.p7s" in names) is (profile == "dual")

    roots = [httpx.get(served.base_url + "/pki/sm2/root.crt").content]
    if profile == "dual":
        roots.append(httpx.get(served.base_url + "/pki/root.crt").content)
    trust = [arg for pem in roots for arg in ("--trust-fingerprint", _fingerprint(pem))]
    checked = _verify(tmp_path / "evidence.zip", *trust, "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["indication"] == "TOTAL_PASSED"
    assert report.get("profile") == profile, report.keys()
    ids = {c["id"] for c in report["checks"]}
    assert {"sm2_letter_signature", "sm2_manifest_signature", "sm2_checkpoint_signature",
            "ledger_leaves_sm3"} <= ids, ids

    # one byte of the letter: the package fails, naming the SM2 letter check
    with zipfile.ZipFile(tmp_path / "evidence.zip") as zin:
        files = {n: zin.read(n) for n in zin.namelist()}
    letter = bytearray(files["letter.pdf"])
    letter[len(letter) // 3] ^= 0x01
    files["letter.pdf"] = bytes(letter)
    with zipfile.ZipFile(tmp_path / "tampered.zip", "w") as zout:
        for n, b in files.items():
            zout.writestr(n, b)
    failed = _verify(tmp_path / "tampered.zip", *trust, "--json")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert json.loads(failed.stdout)["indication"] == "TOTAL_FAILED"

    if profile == "dual":  # the PAdES signature, for ordinary tools, as in intl
        letter_pdf = tmp_path / "letter.pdf"
        letter_pdf.write_bytes(served.api.get(f"/v1/authorizations/{auth['id']}/letter.pdf")
                               .content)
        (tmp_path / "root.crt").write_bytes(roots[1])
        nss = nss_db_trusting(tmp_path / "root.crt", tmp_path / "nss")
        first = pdfsig(letter_pdf, nss).split("Signature #2")[0]
        assert "Signature is Valid." in first
        assert "Certificate is Trusted." in first
        judged = pyhanko_cli("sign", "adesverify", "--trust", str(tmp_path / "root.crt"),
                             "--trust-replace", str(letter_pdf))
        assert ":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>" in judged.stdout, \
            judged.stdout + judged.stderr
