"""``verify_files`` of an sm package (SM files from tests/common/sm2_package.py): the SM
checks run and are named, the intl checks without an object are listed not applicable
(not run, not failed), the checks of every profile still run, the report states the
profile and the algorithms; one byte of the letter, the SM2 token, the manifest or a leaf
→ TOTAL_FAILED naming the check; trust from the data directory and fingerprints includes
the SM2 root."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from cryptography import x509

from anxin.config import load_settings
from anxin.evidence.anchors import fingerprint
from anxin.evidence.offline import select_trust
from anxin.evidence.package_verify import verify_files
from anxin.evidence.report import PASSED, TOTAL_FAILED, Report
from anxin.evidence.report_pdf import render_report_pdf
from anxin.evidence.sm_checks import REPLACED_IN_SM, TITLES
from anxin.pki.sm2_authority import ensure_sm2_pki
from tests.common.letters import flip_byte_in_signed_range
from tests.common.sm2_package import SmPackage, build_sm_files
from tests.common.sm2_pki import flip

EVERY_PROFILE = {"manifest_files", "checkpoint_signature", "ledger_inclusion",
                 "sms_evidence"}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> SmPackage:
    return build_sm_files(tmp_path_factory.mktemp("smpkg"))


def verify(package: SmPackage, files: dict[str, bytes] | None = None) -> Report:
    return verify_files(dict(package.files if files is None else files), "p.zip",
                        [package.root], "the test's SM2 root")


def test_an_sm_package_runs_the_sm_checks_and_lists_the_intl_ones_not_applicable(package):
    report = verify(package)
    got = {c.id: c.result for c in report.checks}
    assert {k: got[k] for k in TITLES} == dict.fromkeys(TITLES, PASSED), [
        (c.id, c.detail) for c in report.checks if c.result != PASSED]
    assert set(got) >= EVERY_PROFILE
    assert all(got[k] == PASSED for k in EVERY_PROFILE)
    replaced = {check_id for check_id, _title, _by in REPLACED_IN_SM}
    assert not replaced & set(got), "an intl check without an object ran"
    assert {n["id"] for n in report.not_applicable} == replaced
    assert report.failed_checks == []
    as_json = report.as_dict()
    assert as_json["profile"] == "sm"
    assert as_json["algorithms"]["letter"] == [
        "SM2 / SM3 (GB/T 35275 CMS, adbe.pkcs7.detached)"]
    assert as_json["trust_anchor"]["sha256"] == fingerprint(package.root)
    assert as_json["trust_anchor"]["claimed_root"]["sha256"] == fingerprint(package.root)
    assert report.facts["signature_time"] == report.facts["sm2_signature_time"]
    assert report.warnings == []


def test_the_report_pdf_shows_the_profile_algorithms_and_sm_checks(package, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(render_report_pdf(verify(package)))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    for needle in ("国密（SM2 / SM3）", "SM2 / SM3 (GB/T 35275 CMS", "SM3 of every packaged leaf",
                   "授权书 SM2 签名", "not applicable in the sm profile"):
        assert needle in text.replace("\n", " ") or needle in text, needle


@pytest.mark.parametrize(("what", "check"), [
    ("letter", "sm2_letter_signature"), ("token", "sm2_signature_timestamp"),
    ("manifest", "sm2_manifest_signature"), ("leaf", "ledger_inclusion"),
])
def test_one_byte_changed_fails_the_sm_package_naming_the_check(package, what, check):
    files = dict(package.files)
    if what == "letter":
        files["letter.pdf"] = flip_byte_in_signed_range(files["letter.pdf"])
    elif what == "token":
        token = files["sm2/timestamps/signature.tst"]
        files["sm2/timestamps/signature.tst"] = flip(token, len(token) - 10)
    elif what == "manifest":
        manifest = files["manifest.json"]
        files["manifest.json"] = flip(manifest, manifest.index(b'"created_at"') + 20)
    else:
        entries = json.loads(files["ledger/entries.json"])
        leaf = bytearray(base64.b64decode(entries["entries"][0]["data"]))
        leaf[5] ^= 0x01
        entries["entries"][0]["data"] = base64.b64encode(bytes(leaf)).decode()
        files["ledger/entries.json"] = json.dumps(entries).encode()
    report = verify(package, files)
    assert report.indication == TOTAL_FAILED
    assert check in report.failed_checks, report.failed_checks
    if what == "leaf":
        assert "ledger_leaves_sm3" in report.failed_checks
    if what != "manifest":  # the file changed behind both manifests
        assert {"manifest_files", "sm2_manifest_files"} <= set(report.failed_checks)


def test_an_unknown_profile_fails_the_package(package):
    manifest = json.loads(package.files["manifest.json"])
    manifest["profile"] = "quantum"
    report = verify(package, {**package.files,
                              "manifest.json": json.dumps(manifest).encode()})
    assert "package_profile" in report.failed_checks


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_data_directory_of_an_sm_deployment_trusts_its_sm2_root(package, tmp_path: Path):
    settings = load_settings(data_dir=tmp_path / "data")
    ensure_sm2_pki(settings)
    local = (settings.keys_dir / "sm2" / "root.crt").read_bytes()
    roots, anchor = select_trust(_zip(package.files), trust=(), fingerprints=(),
                                 settings=settings)
    assert [fingerprint(r) for r in roots] == [
        fingerprint(x509.load_pem_x509_certificate(local))]
    assert "local data directory" in anchor.source


def test_trust_fingerprint_finds_the_sm2_root_inside_the_package(package, tmp_path: Path):
    settings = load_settings(data_dir=tmp_path / "empty")
    roots, anchor = select_trust(_zip(package.files), trust=(),
                                 fingerprints=[fingerprint(package.root)], settings=settings)
    assert [fingerprint(r) for r in roots] == [fingerprint(package.root)]
    assert anchor.unmatched_fingerprints == ()
