"""The evidence package in the ``sm`` and ``dual`` profiles (issue 14), on SQLite and
PostgreSQL: exactly the files the contract lists, ``files_sm3`` recomputed (our SM3 and
gmssl's), ``manifest.sm2.p7s`` by the SM2 seal with an SM2 timestamp, SM2 CRLs and OCSP
responses that verify, SM3 leaf digests that match, the SM2 checkpoint key; one byte
changed in any of them fails the check that names it. And an ``intl`` package is the same
set of files as before, its manifest naming its profile.

The letter's SM2 signature is the signing part's; the package must carry its event
certificate (sm2/certificates/event.crt) and its token (sm2/timestamps/signature.tst).
"""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gmssl_fast
import pytest
from asn1crypto import cms
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from fastapi.testclient import TestClient
from gmssl import func
from gmssl import sm3 as gm_sm3

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.evidence.checkpoint_sm2 import verify_sm2_line
from anxin.ledger.leaves_sm3 import LeafDigestMismatch, check_leaf_sm3, leaves_of_entries
from anxin.pki import sm2
from anxin.pki.sm2_cms import (
    Sm2CmsDigestMismatch,
    Sm2CmsMalformed,
    Sm2CmsSignatureInvalid,
    parse_and_verify_detached,
)
from anxin.pki.sm2_revocation import (
    Sm2RevocationInvalid,
    verify_sm2_crl,
    verify_sm2_ocsp_response,
)
from anxin.pki.sm2_tsa_verify import Sm2TokenInvalid, verify_sm2_token
from anxin.pki.sm2_x509 import verify_sm2_chain
from anxin.services.context import Context
from anxin.services.evidence_package_sm2 import letter_sm2_signature
from anxin.services.institutions import add_institution
from anxin.services.setup import initialise
from anxin.web.app import create_app
from tests.common.backends import release_database
from tests.common.factories import Api, sign
from tests.common.letters import flip_byte_in_signed_range

INTL_ONLY = ("manifest.p7s", "timestamps/signature.tst")
COMMON = {"README.txt", "letter.pdf", "authorization.json", "identity/id-commitment.json",
          "identity/sms.json", "ledger/entries.json", "ledger/checkpoint.txt",
          "ledger/checkpoint.tst", "ledger/verifier-key.txt", "ledger/commitment-key.json",
          "report.json", "report.pdf", "report.xml", "manifest.json",
          "consent-receipt.json"}  # CONTRACT §8: the person's consent receipt
INTL_CERTS = {f"certificates/{n}.crt" for n in ("root", "issuing", "tsa", "seal", "event")}
SM2_CERTS = {f"sm2/certificates/{n}.crt" for n in ("root", "issuing", "tsa", "seal")}
SM2_FIXED = {"sm2/ledger/verifier-key.txt", "sm2/ledger/leaves-sm3.json", "manifest.sm2.p7s"}
NOT_IN_MANIFEST = {"manifest.json", "manifest.p7s", "manifest.sm2.p7s"}


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def one_pem(data: bytes) -> asn1_x509.Certificate:
    blocks = list(asn1_pem.unarmor(data, multiple=True))
    assert len(blocks) == 1, "one certificate per file"
    return asn1_x509.Certificate.load(blocks[0][2])


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def _world(tmp: Path, backend: str, profile: str) -> Iterator[dict[str, Any]]:
    release_database(backend)  # a new deployment on the session's shared database
    initialise(load_settings(data_dir=tmp / "data", database_url=backend, profile=profile))
    settings = load_settings(data_dir=tmp / "data", database_url=backend)
    ctx = build_services(settings, background_workers=False)
    try:
        with TestClient(create_app(settings, ctx)) as client:
            inst = add_institution(ctx, f"Package Bank {profile}")
            api = Api(client, inst.api_key, inst.id)
            api.template(max_uses=2)
            auth = api.request()
            sign(client, settings.outbox_path, auth)
            assert api.use(auth["id"]).status_code == 201
            answer = api.get(f"/v1/authorizations/{auth['id']}/evidence.zip")
            assert answer.status_code == 200, answer.text
            sm2_key = client.get("/ledger/key/sm2")
            yield {"ctx": ctx, "files": unzip(answer.content), "profile": profile,
                   "sm2_key": sm2_key.text if sm2_key.status_code == 200 else None}
    finally:
        ctx.close()


@pytest.fixture(scope="module", params=["sm", "dual"])
def world(request: pytest.FixtureRequest, backend: str,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One signed and used authorization of the profile, and its package."""
    yield from _world(tmp_path_factory.mktemp(f"pkg-{request.param}"), backend, request.param)


@pytest.fixture(scope="module")
def intl_world(backend: str, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[dict[str, Any]]:
    yield from _world(tmp_path_factory.mktemp("pkg-intl"), backend, "intl")


def ctx_of(world: dict[str, Any]) -> Context:
    ctx: Context = world["ctx"]
    return ctx


def sm2_pki(world: dict[str, Any]) -> Any:
    sm2_services = ctx_of(world).sm2
    assert sm2_services is not None
    return sm2_services.pki


# --- the set of files ---------------------------------------------------------------------

def test_the_package_has_exactly_the_files_the_contract_lists(world: dict[str, Any]) -> None:
    files = world["files"]
    names = set(files)
    assert letter_sm2_signature(files["letter.pdf"]) is not None  # sm and dual sign SM2
    expected = COMMON | SM2_CERTS | SM2_FIXED | {"sm2/certificates/event.crt",
                                                 "sm2/timestamps/signature.tst"}
    if world["profile"] == "dual":
        expected |= INTL_CERTS | set(INTL_ONLY)
    revocation = {n for n in names if n.startswith(("revocation/", "sm2/revocation/"))}
    assert names - revocation == expected
    # SM2 status: one OCSP response per valid SM2 end-entity (TSA, seal, event), one CRL per
    # partition (each has its own) and the root's CRL for the issuing CA.
    sm2_ocsp = {n for n in revocation if re.fullmatch(r"sm2/revocation/ocsp-\d+\.der", n)}
    sm2_crl = {n for n in revocation if re.fullmatch(r"sm2/revocation/crl-\d+\.crl", n)}
    assert sm2_ocsp == {f"sm2/revocation/ocsp-{i}.der" for i in range(3)}
    assert sm2_crl == {f"sm2/revocation/crl-{i}.crl" for i in range(4)}
    intl = revocation - sm2_ocsp - sm2_crl
    if world["profile"] == "sm":
        assert intl == set()
        assert not any(n.startswith(("certificates/", "revocation/")) for n in names)
    else:
        assert intl
        assert all(re.fullmatch(r"revocation/(crl-\d+\.crl|ocsp-\d+\.der)", n)
                            for n in intl)


def test_the_sm2_certificates_are_the_deployments_and_chain_to_its_sm2_root(
        world: dict[str, Any]) -> None:
    files, pki = world["files"], sm2_pki(world)
    for name in ("root", "issuing", "tsa", "seal"):
        assert one_pem(files[f"sm2/certificates/{name}.crt"]).dump() == \
            getattr(pki, f"{name}_cert").dump()
    root = one_pem(files["sm2/certificates/root.crt"])
    issuing = one_pem(files["sm2/certificates/issuing.crt"])
    now = ctx_of(world).clock()
    verify_sm2_chain(one_pem(files["sm2/certificates/seal.crt"]), [issuing], root, at=now)
    event = one_pem(files["sm2/certificates/event.crt"])
    verify_sm2_chain(event, [issuing], root, at=now,
                     key_usage=("digital_signature", "non_repudiation"))
    signature = letter_sm2_signature(files["letter.pdf"])
    assert signature is not None
    assert signature.signer_certificate == event.dump()
    # The record's SM2 event certificate is the file, not repeated in authorization.json.
    signing = json.loads(files["authorization.json"])["signing"]
    assert "event_certificate_sm2_pem" not in signing
    assert int(signing["event_certificate_sm2_serial"], 16) == event.serial_number


def test_openssl_verifies_the_packaged_sm2_chain(world: dict[str, Any], tmp_path: Path) -> None:
    for name in ("root", "issuing", "seal"):
        (tmp_path / f"{name}.crt").write_bytes(world["files"][f"sm2/certificates/{name}.crt"])
    vfy = ["openssl", "verify", "-vfyopt", "distid:1234567812345678"]
    ok = subprocess.run([*vfy, "-CAfile", "root.crt", "issuing.crt"], cwd=tmp_path,
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "issuing.crt: OK" in ok.stdout
    ok = subprocess.run([*vfy, "-partial_chain", "-CAfile", "issuing.crt", "-purpose", "any",
                         "seal.crt"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "seal.crt: OK" in ok.stdout


def test_the_sm2_signature_token_is_the_letters(world: dict[str, Any]) -> None:
    files = world["files"]
    signature = letter_sm2_signature(files["letter.pdf"])
    assert signature is not None
    token = files["sm2/timestamps/signature.tst"]
    assert token == signature.timestamp_token
    stamp = verify_sm2_token(token, digest=sm2.sm3(signature.cms.signature))
    assert stamp.tsa_certificate == sm2_pki(world).tsa_cert.dump()


# --- the manifest -------------------------------------------------------------------------

def manifest(files: dict[str, bytes]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(files["manifest.json"])
    return document


def test_the_manifest_names_the_profile_and_the_sm3_of_every_file(
        world: dict[str, Any]) -> None:
    files = world["files"]
    document = manifest(files)
    assert document["profile"] == world["profile"]
    listed = set(files) - NOT_IN_MANIFEST
    assert set(document["files"]) == listed
    assert set(document["files_sm3"]) == listed
    for name in listed:
        assert document["files_sm3"][name] == sm2.sm3(files[name]).hex(), name
    # SM3 by a second implementation (pure-Python gmssl), for the letter.
    gm = gm_sm3.sm3_hash(func.bytes_to_list(files["letter.pdf"]))
    assert document["files_sm3"]["letter.pdf"] == gm


def test_openssl_dgst_sm3_agrees_with_files_sm3(world: dict[str, Any], tmp_path: Path) -> None:
    files = world["files"]
    (tmp_path / "authorization.json").write_bytes(files["authorization.json"])
    out = subprocess.run(["openssl", "dgst", "-sm3", "-r", "authorization.json"],
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == manifest(files)["files_sm3"]["authorization.json"]


def test_manifest_sm2_p7s_is_by_the_sm2_seal_and_sm2_timestamped(world: dict[str, Any]) -> None:
    files, pki = world["files"], sm2_pki(world)
    info = parse_and_verify_detached(files["manifest.sm2.p7s"],
                                     content_digest=sm2.sm3(files["manifest.json"]))
    assert info.signer_certificate == pki.seal_cert.dump()
    assert pki.issuing_cert.dump() in info.certificates
    assert pki.root_cert.dump() in info.certificates
    assert info.message_digest == sm2.sm3(files["manifest.json"])
    assert info.timestamp_token is not None
    stamp = verify_sm2_token(info.timestamp_token, digest=sm2.sm3(info.signature))
    assert stamp.tsa_certificate == pki.tsa_cert.dump()


def test_manifest_sm2_p7s_fails_on_one_byte_of_the_manifest_or_of_itself(
        world: dict[str, Any]) -> None:
    files = world["files"]
    body, seal = files["manifest.json"], files["manifest.sm2.p7s"]
    changed = flip(body, body.index(b"letter.pdf") + 70)
    with pytest.raises(Sm2CmsDigestMismatch):
        parse_and_verify_detached(seal, content_digest=sm2.sm3(changed))
    # The signature value itself (the last BIT/OCTET run before the unsigned attributes):
    info = parse_and_verify_detached(seal, content_digest=sm2.sm3(body))
    at = seal.index(info.signature) + len(info.signature) // 2
    with pytest.raises((Sm2CmsSignatureInvalid, Sm2CmsMalformed)):
        parse_and_verify_detached(flip(seal, at), content_digest=sm2.sm3(body))


def _gmssl_verify(cert_der: bytes, data: bytes, signature_der: bytes) -> bool:
    """GmSSL's verdict (the ``gmssl-fast`` wheel, default user id) on an SM2 signature.
    Not the pure-Python ``gmssl``: its verify once raised TypeError (``_add_point`` given
    None) on this seal's valid signature, making the test flaky (tests/common/gmssl_check.py)."""
    point = asn1_x509.Certificate.load(cert_der).public_key["public_key"].native
    r, s = sm2.decode_signature(signature_der)
    verifier = gmssl_fast.SM2(public_key=point.hex())
    try:
        return bool(verifier.verify(data, r.to_bytes(32, "big") + s.to_bytes(32, "big")))
    except gmssl_fast.GmsslError:
        return False


def _openssl(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], cwd=folder, capture_output=True, text=True,
                          check=False)


def test_openssl_and_gmssl_check_manifest_sm2_p7s(world: dict[str, Any], tmp_path: Path) -> None:
    """An auditor's steps, without Anxin's verifier: SM3 of manifest.json is the signed
    messageDigest (openssl dgst), the SM2 signature over the signed attributes verifies with
    the seal certificate's key (openssl pkeyutl, GmSSL), and not once a byte changes."""
    files = world["files"]
    signer = cms.ContentInfo.load(files["manifest.sm2.p7s"])["content"]["signer_infos"][0]
    attrs = {a["type"].dotted: a["values"][0] for a in signer["signed_attrs"]}
    (tmp_path / "manifest.json").write_bytes(files["manifest.json"])
    dgst = _openssl(tmp_path, "dgst", "-sm3", "-r", "manifest.json").stdout.split()[0]
    assert attrs["1.2.840.113549.1.9.4"].native.hex() == dgst
    signed_attrs = b"\x31" + bytes(signer["signed_attrs"].dump())[1:]
    signature = bytes(signer["signature"].native)
    (tmp_path / "attrs.der").write_bytes(signed_attrs)
    (tmp_path / "attrs-x.der").write_bytes(flip(signed_attrs, len(signed_attrs) - 3))
    (tmp_path / "sig.der").write_bytes(signature)
    (tmp_path / "seal.crt").write_bytes(files["sm2/certificates/seal.crt"])
    assert _openssl(tmp_path, "x509", "-in", "seal.crt", "-pubkey", "-noout",
                    "-out", "seal-pub.pem").returncode == 0
    verify = ["pkeyutl", "-verify", "-pubin", "-inkey", "seal-pub.pem", "-rawin", "-digest",
              "sm3", "-pkeyopt", "distid:1234567812345678", "-sigfile", "sig.der", "-in"]
    ok = _openssl(tmp_path, *verify, "attrs.der")
    assert "Signature Verified Successfully" in ok.stdout, ok.stdout + ok.stderr
    refused = _openssl(tmp_path, *verify, "attrs-x.der")
    assert refused.returncode != 0
    assert "Verification Failure" in refused.stdout
    seal_der = one_pem(files["sm2/certificates/seal.crt"]).dump()
    assert _gmssl_verify(seal_der, signed_attrs, signature)
    assert not _gmssl_verify(seal_der, flip(signed_attrs, len(signed_attrs) - 3), signature)


def test_in_sm_there_is_no_intl_seal_and_in_dual_both(world: dict[str, Any]) -> None:
    files = world["files"]
    if world["profile"] == "sm":
        assert "manifest.p7s" not in files
    else:
        assert "manifest.p7s" in files


# --- SM2 status ---------------------------------------------------------------------------

def test_the_sm2_crls_and_ocsp_responses_verify(world: dict[str, Any]) -> None:
    files, pki = world["files"], sm2_pki(world)
    now = ctx_of(world).clock()
    crls = [b for n, b in sorted(files.items()) if n.startswith("sm2/revocation/crl-")]
    # The issuing CA's partition CRLs first, the root's CRL (covering the issuing CA) last.
    assert crls[-1] == pki.root_crl_der
    assert verify_sm2_crl(crls[-1], pki.root_cert, at=now).partition is None
    partitions = {verify_sm2_crl(der, pki.issuing_cert, at=now).partition for der in crls[:-1]}
    assert None not in partitions
    assert len(partitions) == len(crls) - 1
    subjects = [one_pem(files["sm2/certificates/event.crt"]), pki.tsa_cert, pki.seal_cert]
    responses = [b for n, b in sorted(files.items()) if n.startswith("sm2/revocation/ocsp-")]
    assert len(responses) == len(subjects)
    for der, cert in zip(responses, subjects, strict=True):
        assert verify_sm2_ocsp_response(der, pki.issuing_cert, cert, at=now).status == "good"


def test_one_byte_of_an_sm2_crl_or_ocsp_response_fails_naming_the_check(
        world: dict[str, Any]) -> None:
    files, pki = world["files"], sm2_pki(world)
    crl = files["sm2/revocation/crl-0.crl"]
    with pytest.raises(Sm2RevocationInvalid) as failed:
        verify_sm2_crl(flip(crl, len(crl) - 40), pki.issuing_cert)
    assert failed.value.check in ("signature", "malformed")
    ocsp = files["sm2/revocation/ocsp-0.der"]
    cert = one_pem(files["sm2/certificates/event.crt"])
    at = ocsp.index(b"\x18\x0f") + 5  # inside producedAt (GeneralizedTime)
    with pytest.raises(Sm2RevocationInvalid) as failed:
        verify_sm2_ocsp_response(flip(ocsp, at), pki.issuing_cert, cert)
    assert failed.value.check in ("signature", "malformed")


# --- the ledger ---------------------------------------------------------------------------

def packaged_leaves(files: dict[str, bytes]) -> dict[int, bytes]:
    return leaves_of_entries(json.loads(files["ledger/entries.json"])["entries"])


def test_leaves_sm3_passes_check_leaf_sm3_and_fails_on_one_byte(world: dict[str, Any]) -> None:
    files = world["files"]
    leaves = packaged_leaves(files)
    assert len(leaves) >= 4  # requested, code sent, code verified, signed, use granted
    check_leaf_sm3(leaves, files["sm2/ledger/leaves-sm3.json"])
    index = sorted(leaves)[1]
    tampered = dict(leaves)
    tampered[index] = flip(leaves[index], 3)
    with pytest.raises(LeafDigestMismatch, match=f"leaf {index}"):
        check_leaf_sm3(tampered, files["sm2/ledger/leaves-sm3.json"])
    dropped = dict(leaves)
    del dropped[index]
    with pytest.raises(LeafDigestMismatch):
        check_leaf_sm3(dropped, files["sm2/ledger/leaves-sm3.json"])


def test_the_sm2_verifier_key_is_the_published_one_and_checks_the_checkpoint(
        world: dict[str, Any]) -> None:
    files = world["files"]
    key = files["sm2/ledger/verifier-key.txt"].decode().strip()
    assert world["sm2_key"] is not None
    assert key == world["sm2_key"].strip()
    note = files["ledger/checkpoint.txt"].decode()
    checkpoint = verify_sm2_line(note, key)
    assert checkpoint.size == json.loads(files["ledger/entries.json"])["checkpoint_size"]
    # The Ed25519 key stays in every profile.
    assert files["ledger/verifier-key.txt"].decode().strip() != key


def test_the_checkpoint_token_is_what_the_ledger_stored(world: dict[str, Any]) -> None:
    files = world["files"]
    token = files["ledger/checkpoint.tst"]
    note = files["ledger/checkpoint.txt"]
    if world["profile"] == "sm":  # an SM2 token over the SM3 of the note
        verify_sm2_token(token, digest=sm2.sm3(note))
        with pytest.raises(Sm2TokenInvalid):
            verify_sm2_token(token, digest=sm2.sm3(flip(note, 5)))
    else:  # dual: the intl TSA's token, as in intl
        with pytest.raises(Sm2TokenInvalid):
            verify_sm2_token(token, digest=sm2.sm3(note))


# --- the report ---------------------------------------------------------------------------

def test_the_report_pdf_is_sealed_sm2_in_sm(world: dict[str, Any]) -> None:
    files, pki = world["files"], sm2_pki(world)
    signature = letter_sm2_signature(files["report.pdf"])
    if world["profile"] == "sm":
        assert signature is not None
        assert signature.signer_certificate == pki.seal_cert.dump()
        assert signature.timestamp_token is not None
        verify_sm2_token(signature.timestamp_token, digest=sm2.sm3(signature.cms.signature))
    else:
        assert signature is None  # dual keeps the intl PAdES seal ordinary tools check


def test_the_readme_names_the_sm2_root_fingerprint(world: dict[str, Any]) -> None:
    import hashlib
    files, pki = world["files"], sm2_pki(world)
    text = files["README.txt"].decode()
    assert hashlib.sha256(pki.root_cert.dump()).hexdigest() in text
    assert "manifest.sm2.p7s" in text
    assert "-vfyopt distid:1234567812345678" in text


# --- intl: as before ----------------------------------------------------------------------

INTL_FILES = COMMON | INTL_CERTS | set(INTL_ONLY)


def test_an_intl_package_is_the_same_set_of_files_as_before(
        intl_world: dict[str, Any]) -> None:
    files = intl_world["files"]
    names = set(files)
    revocation = {n for n in names if n.startswith("revocation/")}
    assert names - revocation == INTL_FILES
    assert revocation
    assert all(re.fullmatch(r"revocation/(crl-\d+\.crl|ocsp-\d+\.der)", n)
                              for n in revocation)
    document = manifest(files)
    assert set(document) == {"format", "created_at", "files", "profile"}
    assert document["profile"] == "intl"
    assert set(document["files"]) == names - NOT_IN_MANIFEST
    assert "SM2" not in files["README.txt"].decode()
    report = json.loads(files["report.json"])
    assert report["indication"] == "TOTAL_PASSED", [
        c for c in report["checks"] if c.get("result") != "PASSED"]


def test_the_leaf_entries_are_base64_of_the_exact_leaves(world: dict[str, Any]) -> None:
    """leaves-sm3.json covers the same (index, data) that entries.json carries."""
    files = world["files"]
    entries = json.loads(files["ledger/entries.json"])["entries"]
    rows = json.loads(files["sm2/ledger/leaves-sm3.json"])["leaves"]
    assert [r["index"] for r in rows] == sorted(e["index"] for e in entries)
    by_index = {e["index"]: base64.b64decode(e["data"]) for e in entries}
    for row in rows:
        assert row["sm3"] == sm2.sm3(b"\x00" + by_index[row["index"]]).hex()


# --- the report the package carries (the verifier's verdict on these files) -----------------

PACKAGE_CHECKS = ("manifest_files", "sm2_manifest_files", "sm2_manifest_signature",
                  "sm2_checkpoint_signature", "ledger_leaves_sm3", "ledger_inclusion")


def test_the_embedded_report_passes_every_check_of_the_package_files(
        world: dict[str, Any]) -> None:
    files = world["files"]
    report = json.loads(files["report.json"])
    assert report["profile"] == world["profile"]
    results = {c["id"]: c["result"] for c in report["checks"]}
    for check in PACKAGE_CHECKS:
        assert results.get(check) == "PASSED", (check, results)
    if world["profile"] == "dual":
        assert results.get("manifest_signature") == "PASSED", results
    if world["profile"] == "sm":
        assert letter_sm2_signature(files["letter.pdf"]) is not None
        assert report["indication"] == "TOTAL_PASSED", results


@pytest.mark.parametrize("world", ["dual"], indirect=True)
def test_a_dual_package_passes_whole(world: dict[str, Any]) -> None:
    report = json.loads(world["files"]["report.json"])
    assert report["indication"] == "TOTAL_PASSED", [
        c for c in report["checks"] if c["result"] != "PASSED"]


def test_offline_verify_names_the_sm_check_a_changed_byte_breaks(world: dict[str, Any]) -> None:
    from anxin.evidence.offline import verify_bytes
    from anxin.evidence.sm_trust import from_asn1
    ctx, files = ctx_of(world), dict(world["files"])
    roots = [ctx.pki.root_cert, from_asn1(sm2_pki(world).root_cert)]
    leaves = files["sm2/ledger/leaves-sm3.json"]
    at = leaves.index(b'"sm3": "') + 8  # one hex digit of the first leaf's SM3
    files["sm2/ledger/leaves-sm3.json"] = (leaves[:at] + (b"1" if leaves[at:at + 1] != b"1"
                                                          else b"2") + leaves[at + 1:])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    report = verify_bytes(buf.getvalue(), "tampered.zip", roots, "test roots")
    results = {c.id: c.result for c in report.checks}
    assert report.indication == "TOTAL_FAILED"
    assert results["sm2_manifest_files"] == "FAILED"
    assert results["manifest_files"] == "FAILED"


def _tamper(files: dict[str, bytes], what: str) -> dict[str, bytes]:
    """One byte (one digit) of the letter, the SM2 signature token, the manifest or a leaf."""
    files = dict(files)
    if what == "letter":
        files["letter.pdf"] = flip_byte_in_signed_range(files["letter.pdf"])
    elif what == "token":
        token = files["sm2/timestamps/signature.tst"]
        files["sm2/timestamps/signature.tst"] = flip(token, len(token) - 3)  # its signature
    elif what == "manifest":
        text = files["manifest.json"]
        at = text.index(b'"created_at": "') + len(b'"created_at": "') + 3  # the year's last
        files["manifest.json"] = text[:at] + (b"7" if text[at:at + 1] != b"7" else b"8") \
            + text[at + 1:]
    else:  # one leaf: a character of one entry's data, still base64
        entries = json.loads(files["ledger/entries.json"])
        data = bytearray(base64.b64decode(entries["entries"][0]["data"]))
        data[5] ^= 0x01
        entries["entries"][0]["data"] = base64.b64encode(bytes(data)).decode()
        files["ledger/entries.json"] = json.dumps(entries).encode()
    return files


NAMED_BY = {"letter": "sm2_letter_signature", "token": "sm2_signature_timestamp",
            "manifest": "sm2_manifest_signature", "leaf": "ledger_leaves_sm3"}


@pytest.mark.parametrize("what", sorted(NAMED_BY))
def test_one_byte_of_letter_token_manifest_or_leaf_fails_naming_the_sm_check(
        world: dict[str, Any], what: str) -> None:
    """Issue 14's tamper tests on real sm and dual packages, through the offline verifier
    (the intl profile has them in test_evidence.py): TOTAL_FAILED, the SM check named."""
    from anxin.evidence.offline import verify_bytes
    from anxin.evidence.sm_trust import from_asn1
    ctx = ctx_of(world)
    roots = [ctx.pki.root_cert, from_asn1(sm2_pki(world).root_cert)]
    intact = verify_bytes(_zip(world["files"]), "intact.zip", roots, "test roots")
    assert intact.indication == "TOTAL_PASSED", [
        (c.id, c.result) for c in intact.checks if c.result != "PASSED"]
    report = verify_bytes(_zip(_tamper(world["files"], what)), "tampered.zip", roots,
                          "test roots")
    results = {c.id: c.result for c in report.checks}
    assert report.indication == "TOTAL_FAILED"
    assert results[NAMED_BY[what]] == "FAILED", results
    if what == "manifest":  # it lists the others; its own bytes are its seals' to vouch for
        if world["profile"] == "dual":  # the ECDSA seal too
            assert results["manifest_signature"] == "FAILED", results
    else:  # and the SHA-256 manifest, in every profile
        assert results["manifest_files"] == "FAILED"


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()
