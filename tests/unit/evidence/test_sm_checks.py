"""The SM2/SM3 checks of an evidence package (anxin.evidence.sm_checks) on the SM files
built with the library functions (tests/common/sm2_package.py): all pass against the SM2
root; without it or under another root trust is INDETERMINATE, never a pass; one byte
changed in the letter, a token, the manifest, a leaf, the checkpoint → FAILED naming the
check (the manifest resealed where the test aims behind it)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from io import BytesIO
from typing import Any

import pytest
from pyhanko.pdf_utils.generic import NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from anxin.evidence.anchors import TrustAnchor
from anxin.evidence.report import (
    FAILED,
    FORMAT_FAILURE,
    INDETERMINATE,
    NO_CERTIFICATE_CHAIN_FOUND,
    PASSED,
    REVOKED,
    Report,
)
from anxin.evidence.sm_checks import TITLES, add_sm_checks
from anxin.evidence.sm_letter import read_sm2_letter
from anxin.evidence.sm_trust import split_roots, to_asn1
from anxin.pki import sm2
from anxin.pki.signature_profile import Profile
from anxin.pki.sm2_revocation import build_sm2_issuing_crl
from tests.common.letters import flip_byte_in_signed_range, letter_spec
from tests.common.sm2_package import SmPackage, build_sm_files, reseal, sm2_pki_in
from tests.common.sm2_pki import MemoryCertificateStore, PlainKeys, flip

ALL_SM = set(TITLES)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> SmPackage:
    return build_sm_files(tmp_path_factory.mktemp("smpkg"))


@pytest.fixture(scope="module")
def other_root(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return to_asn1_root(sm2_pki_in(tmp_path_factory.mktemp("other")))


def to_asn1_root(pki: Any) -> Any:
    return pki.root_cert


def run(package: SmPackage, files: dict[str, bytes] | None = None, *,
        roots: list[Any] | None = None, profile: Profile = Profile.SM) -> Report:
    report = Report(subject="p.zip", trust_anchor=TrustAnchor((), "test"))
    given = package.files if files is None else files
    add_sm_checks(report, given, profile=profile,
                  roots=[package.pki.root_cert] if roots is None else roots,
                  record=json.loads(package.files["authorization.json"]))
    return report


def results(report: Report) -> dict[str, str]:
    return {c.id: c.result for c in report.checks}


def changed(package: SmPackage, name: str, data: bytes, *, seal: bool = True
            ) -> dict[str, bytes]:
    """The package's files with ``name`` replaced (and the manifest resealed)."""
    copy = SmPackage(package.pki, package.tsa, {**package.files, name: data},
                     package.event_cert)
    if seal:
        reseal(copy)
    return copy.files


def only_failed(report: Report) -> list[str]:
    return report.failed_checks


def test_every_sm_check_passes_against_the_sm2_root(package):
    report = run(package)
    assert results(report) == dict.fromkeys(ALL_SM, PASSED), [
        (c.id, c.detail) for c in report.checks if c.result != PASSED]
    letter = next(c for c in report.checks if c.id == "sm2_letter_signature")
    assert letter.data["letter_sm3"] == sm2.sm3(letter_spec().letter_text.encode()).hex()
    assert report.facts["sm2_signature_time"]


def test_dual_has_no_sm2_archive_timestamp_check(package):
    report = run(package, profile=Profile.DUAL)
    assert "sm2_archive_timestamp" not in results(report)
    assert set(results(report)) == ALL_SM - {"sm2_archive_timestamp"}


def test_intl_adds_nothing(package):
    assert run(package, profile=Profile.INTL).checks == []


def test_without_a_trusted_sm2_root_trust_is_indeterminate_not_passed(package):
    report = run(package, roots=[])
    got = results(report)
    assert FAILED not in got.values()
    for check in ("sm2_manifest_signature", "sm2_letter_signature",
                  "sm2_signature_timestamp", "sm2_archive_timestamp",
                  "sm2_checkpoint_signature"):
        assert got[check] == INDETERMINATE, check
        assert next(c for c in report.checks if c.id == check).sub_indication == \
            NO_CERTIFICATE_CHAIN_FOUND
    # What needs no root still passes: digests, leaves, the revocation data's signatures.
    assert got["sm2_manifest_files"] == got["ledger_leaves_sm3"] == PASSED


def test_another_sm2_root_does_not_vouch_for_the_package(package, other_root):
    got = results(run(package, roots=[other_root]))
    assert got["sm2_letter_signature"] == got["sm2_manifest_signature"] == INDETERMINATE
    # Two roots given, one of them the package's: trusted.
    assert results(run(package, roots=[other_root, package.pki.root_cert])) == \
        dict.fromkeys(ALL_SM, PASSED)


def test_split_roots_sends_sm2_roots_to_the_sm_checks(package):
    from tests.common.test_ca import build_test_pki
    intl = build_test_pki().root_cert
    intl_roots, sm2_roots = split_roots([intl, package.root])
    assert intl_roots == [intl]
    assert [r.dump() for r in sm2_roots] == [package.pki.root_cert.dump()]
    assert to_asn1(package.root).dump() == package.pki.root_cert.dump()


# --- tampering: one byte → FAILED naming the check ---------------------------------------

def test_one_byte_of_the_letter_fails_the_sm2_letter_signature(package):
    letter = flip_byte_in_signed_range(package.files["letter.pdf"])
    unsealed = run(package, changed(package, "letter.pdf", letter, seal=False))
    assert "sm2_manifest_files" in only_failed(unsealed)
    report = run(package, changed(package, "letter.pdf", letter))
    assert "sm2_letter_signature" in only_failed(report)
    assert "sm2_manifest_files" not in only_failed(report)
    check = next(c for c in report.checks if c.id == "sm2_letter_signature")
    assert "SM3" in check.detail or "digest" in check.detail


def test_a_change_after_the_sm2_signature_fails_it(package):
    writer = IncrementalPdfFileWriter(BytesIO(package.files["letter.pdf"]), strict=False)
    writer.root[NameObject("/Lang")] = TextStringObject("en-US")
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    report = run(package, changed(package, "letter.pdf", out.getvalue()))
    assert "sm2_letter_signature" in only_failed(report)
    assert "modified after its SM2 signature" in next(
        c.detail for c in report.checks if c.id == "sm2_letter_signature")


def test_one_byte_of_the_sm2_signature_token_fails_the_timestamp(package):
    token = package.files["sm2/timestamps/signature.tst"]
    report = run(package, changed(package, "sm2/timestamps/signature.tst",
                                  flip(token, len(token) - 10)))
    assert only_failed(report) == ["sm2_signature_timestamp"]


def test_a_missing_sm2_signature_token_fails_the_timestamp(package):
    files = {n: b for n, b in package.files.items() if n != "sm2/timestamps/signature.tst"}
    report = run(package, files)
    assert "sm2_signature_timestamp" in only_failed(report)


def test_one_byte_of_the_manifest_fails_its_sm2_signature(package):
    manifest = package.files["manifest.json"]
    at = manifest.index(b'"created_at"') + 20
    report = run(package, {**package.files, "manifest.json": flip(manifest, at)})
    assert only_failed(report) == ["sm2_manifest_signature"]


def test_one_byte_of_the_manifest_signature_fails_it(package):
    p7s = package.files["manifest.sm2.p7s"]
    report = run(package, {**package.files, "manifest.sm2.p7s": flip(p7s, len(p7s) // 2)})
    assert only_failed(report) == ["sm2_manifest_signature"]


def test_a_file_changed_behind_files_sm3_fails_the_sm3_manifest(package):
    files = dict(package.files)
    files["authorization.json"] += b" "
    report = run(package, files)
    assert "sm2_manifest_files" in only_failed(report)
    check = next(c for c in report.checks if c.id == "sm2_manifest_files")
    assert check.data["changed"] == ["authorization.json"]


def test_a_manifest_without_files_sm3_fails(package):
    manifest = json.loads(package.files["manifest.json"])
    del manifest["files_sm3"]
    report = run(package, {**package.files, "manifest.json": json.dumps(manifest).encode()})
    check = next(c for c in report.checks if c.id == "sm2_manifest_files")
    assert (check.result, check.sub_indication) == (FAILED, FORMAT_FAILURE)


def test_one_byte_of_a_leaf_fails_the_leaf_digests(package):
    entries = json.loads(package.files["ledger/entries.json"])
    leaf = bytearray(base64.b64decode(entries["entries"][0]["data"]))
    leaf[5] ^= 0x01
    entries["entries"][0]["data"] = base64.b64encode(bytes(leaf)).decode()
    report = run(package, changed(package, "ledger/entries.json",
                                  json.dumps(entries).encode()))
    assert only_failed(report) == ["ledger_leaves_sm3"]


def test_one_byte_of_the_checkpoint_sm2_line_fails_it(package):
    note = package.files["ledger/checkpoint.txt"].decode()
    lines = note.split("\n")
    sm2_line = next(i for i, line in enumerate(lines) if line.startswith("—")
                    and i == len(lines) - 2)
    head, blob = lines[sm2_line].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[-3] ^= 0x01
    lines[sm2_line] = f"{head} {base64.b64encode(bytes(raw)).decode()}"
    report = run(package, changed(package, "ledger/checkpoint.txt",
                                  "\n".join(lines).encode()))
    assert "sm2_checkpoint_signature" in only_failed(report)


def test_one_byte_of_the_checkpoint_sm2_token_fails_it(package):
    token = package.files["ledger/checkpoint.tst"]
    report = run(package, changed(package, "ledger/checkpoint.tst",
                                  flip(token, len(token) - 10)))
    assert only_failed(report) == ["sm2_checkpoint_signature"]


def test_another_event_certificate_fails_the_letter_check(package):
    report = run(package, changed(package, "sm2/certificates/event.crt",
                                  package.files["sm2/certificates/seal.crt"]))
    assert "sm2_letter_signature" in only_failed(report)


def test_another_id_commitment_fails_the_letter_check(package):
    report = run(package, changed(package, "identity/id-commitment.json",
                                  json.dumps({"salt": "00", "commitment": "ab" * 32}).encode()))
    assert only_failed(report) == ["sm2_letter_signature"]


def test_a_revoked_sm2_event_certificate_fails_the_revocation_check(package):
    store = MemoryCertificateStore()
    from anxin.pki.sm2_events import record_sm2_certificate
    record_sm2_certificate(store, package.event_cert, keys=PlainKeys(), kind="event")
    now = dt.datetime.now(dt.UTC)
    store.revoke(format(package.event_cert.serial_number, "x"), "keyCompromise", now)
    crl = build_sm2_issuing_crl(package.pki, store, now)
    files = {n: b for n, b in package.files.items() if not n.endswith(".der")}
    files["sm2/revocation/crl-0.crl"] = crl
    copy = SmPackage(package.pki, package.tsa, files, package.event_cert)
    reseal(copy)
    report = run(package, copy.files)
    check = next(c for c in report.checks if c.id == "sm2_revocation")
    assert (check.result, check.sub_indication) == (FAILED, REVOKED)


def test_no_sm2_revocation_data_fails_the_revocation_check(package):
    files = {n: b for n, b in package.files.items() if not n.startswith("sm2/revocation/")}
    report = run(package, files)
    check = next(c for c in report.checks if c.id == "sm2_revocation")
    assert (check.result, check.sub_indication) == (FAILED, FORMAT_FAILURE)


def test_one_byte_of_the_sm2_document_timestamp_fails_the_archive_check(package):
    pdf = package.files["letter.pdf"]
    stamp = read_sm2_letter(pdf, pool_der=[]).document_timestamps[0].token
    hexed = stamp.hex().encode()
    at = pdf.lower().index(hexed) + len(hexed) - 20  # inside the token's signature
    tampered = bytearray(pdf)
    tampered[at] = ord("0") if tampered[at] != ord("0") else ord("1")
    report = run(package, changed(package, "letter.pdf", bytes(tampered)))
    assert only_failed(report) == ["sm2_archive_timestamp"]


def test_an_unreadable_letter_fails_and_the_letter_bound_checks_are_unproven(package):
    report = run(package, changed(package, "letter.pdf", b"%PDF-1.7\nnot a pdf"))
    got = results(report)
    assert got["sm2_letter_signature"] == FAILED
    assert got["sm2_signature_timestamp"] == got["sm2_revocation"] == INDETERMINATE
