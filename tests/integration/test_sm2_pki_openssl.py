"""OpenSSL 3 (the ``openssl`` command) on the SM2 PKI: the chains, the key files, the
CRLs and OCSP, with what works and what OpenSSL 3.0 cannot do (docs/pki.md "The SM2 PKI").

OpenSSL 3.0 applies ``-vfyopt distid:…`` to the certificate being verified only, never
to the issuers above it, and verifies those without the SM2 user id: a chain of three is
therefore verified link by link (``-partial_chain`` with the issuing CA as anchor for a
leaf, the root for the issuing CA). Each test of a limitation asserts the failure, so the
suite says when an OpenSSL update lifts it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from asn1crypto import crl, ocsp

from anxin.config import Settings, load_settings
from anxin.pki import sm2, sm2_x509
from anxin.pki.revocation import revoke_certificate
from anxin.pki.sm2_authority import Sm2Pki, ensure_sm2_pki, load_sm2_pki, sm2_keys_dir
from anxin.pki.sm2_events import issue_sm2_event_certificate, record_sm2_certificate
from anxin.pki.sm2_revocation import (
    build_sm2_issuing_crl,
    sm2_ocsp_respond,
    verify_sm2_crl,
    verify_sm2_ocsp_response,
)
from tests.common.openssl_cli import DISTID, ok, run
from tests.common.sm2_pki import MemoryCertificateStore, PlainKeys, flip

PASS = "online secret"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = load_settings(data_dir=tmp_path_factory.mktemp("sm2") / "data",
                             base_url="https://anxin.example.test", key_passphrase=PASS)
    assert ensure_sm2_pki(settings, key_cipher="sm4")
    return settings


@pytest.fixture(scope="module")
def pki(settings: Settings) -> Sm2Pki:
    return load_sm2_pki(settings)


@pytest.fixture(scope="module")
def files(settings: Settings, pki: Sm2Pki,
          tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """PEM files of every certificate, two event certificates (the second revoked), their
    issuing CRL, and the store behind them."""
    folder = tmp_path_factory.mktemp("files")
    store = MemoryCertificateStore()
    now = dt.datetime.now(dt.UTC)
    paths = {"root": folder / "root.pem", "issuing": folder / "issuing.pem",
             "tsa": folder / "tsa.pem", "seal": folder / "seal.pem"}
    for name, cert in (("root", pki.root_cert), ("issuing", pki.issuing_cert),
                       ("tsa", pki.tsa_cert), ("seal", pki.seal_cert)):
        paths[name].write_bytes(sm2_x509.to_pem([cert]))
    for name in ("event", "revoked"):
        _, cert = issue_sm2_event_certificate(
            pki, name="张三", id_commitment_hex="ab" * 32, authorization_id="a1",
            letter_sha256_hex="01" * 32, letter_sm3_hex="02" * 32, now=now)
        record_sm2_certificate(store, cert, keys=PlainKeys(), kind="event")  # type: ignore[arg-type]
        paths[name] = folder / f"{name}.pem"
        paths[name].write_bytes(sm2_x509.to_pem([cert]))
    revoked = sm2_x509.load_certificate(paths["revoked"].read_bytes())
    revoke_certificate(store, revoked.serial_number, "keyCompromise", now)
    paths["crl"] = folder / "issuing.crl"
    paths["crl"].write_bytes(build_sm2_issuing_crl(pki, store, now))
    paths["folder"] = folder
    files_store[str(folder)] = store
    return paths


files_store: dict[str, MemoryCertificateStore] = {}


# --- chains ---------------------------------------------------------------------------

@pytest.mark.parametrize(("leaf", "purpose"), [("tsa", "timestampsign"), ("seal", "any"),
                                               ("event", "any")])
def test_openssl_verifies_every_leaf_by_its_issuing_ca(files: dict[str, Path], leaf: str,
                                                       purpose: str) -> None:
    output = ok("verify", "-vfyopt", DISTID, "-partial_chain", "-CAfile", files["issuing"],
                "-purpose", purpose, files[leaf])
    assert f"{files[leaf]}: OK" in output


def test_openssl_verifies_the_issuing_ca_by_the_root(files: dict[str, Path]) -> None:
    assert f"{files['issuing']}: OK" in ok("verify", "-vfyopt", DISTID, "-CAfile",
                                           files["root"], files["issuing"])


def test_the_user_id_matters_to_openssl(files: dict[str, Path]) -> None:
    code, output = run("verify", "-vfyopt", "distid:ALICE123@YAHOO.COM", "-partial_chain",
                       "-CAfile", files["issuing"], files["seal"])
    assert code != 0
    assert "signature failure" in output


def test_openssl_3_0_cannot_verify_the_chain_of_three_in_one_command(
        files: dict[str, Path]) -> None:
    """Limitation (docs): the issuing CA's signature is checked without the user id."""
    code, output = run("verify", "-vfyopt", DISTID, "-CAfile", files["root"], "-untrusted",
                       files["issuing"], files["tsa"])
    assert code != 0
    assert "error 7 at 1 depth lookup: certificate signature failure" in output


def test_openssl_refuses_a_tampered_certificate(files: dict[str, Path]) -> None:
    der = sm2_x509.load_certificate(files["seal"].read_bytes()).dump()
    tampered = files["folder"] / "tampered.der"
    tampered.write_bytes(flip(der, len(der) - 4))
    code, _output = run("verify", "-vfyopt", DISTID, "-partial_chain", "-CAfile",
                       files["issuing"], tampered)
    assert code != 0


def test_openssl_shows_the_profiles(files: dict[str, Path]) -> None:
    tsa = ok("x509", "-in", files["tsa"], "-noout", "-text")
    assert "Signature Algorithm: SM2-with-SM3" in tsa
    assert "ASN1 OID: SM2" in tsa
    assert "X509v3 Extended Key Usage: critical\n                Time Stamping" in tsa
    assert "Digital Signature, Non Repudiation" in tsa
    root = ok("x509", "-in", files["root"], "-noout", "-text")
    assert "CA:TRUE, pathlen:1" in root
    assert "Certificate Sign, CRL Sign" in root
    issuing = ok("x509", "-in", files["issuing"], "-noout", "-text")
    assert "CA:TRUE, pathlen:0" in issuing
    assert "CA Issuers - URI:https://anxin.example.test/pki/sm2/root.crt" in issuing
    event = ok("x509", "-in", files["event"], "-noout", "-text")
    assert "URI:https://anxin.example.test/pki/sm2/issuing.crl" in event
    assert "OCSP - URI:https://anxin.example.test/pki/sm2/ocsp" in event
    assert "2.25.220222545698027225064232607535105138982.1:" in event  # the binding
    purposes = ok("x509", "-in", files["tsa"], "-noout", "-purpose")
    assert "Time Stamp signing : Yes" in purposes


def _pkeyutl_verifies(folder: Path, signer: Path, tbs: bytes, signature: bytes) -> None:
    (folder / "tbs.der").write_bytes(tbs)
    (folder / "sig.der").write_bytes(signature)
    ok("x509", "-in", signer, "-pubkey", "-noout", "-out", folder / "pub.pem")
    assert "Signature Verified Successfully" in ok(
        "pkeyutl", "-verify", "-pubin", "-inkey", folder / "pub.pem", "-rawin", "-digest",
        "sm3", "-pkeyopt", DISTID, "-in", folder / "tbs.der", "-sigfile", folder / "sig.der")


def test_openssl_pkeyutl_verifies_the_root_self_signature(files: dict[str, Path]) -> None:
    root = sm2_x509.load_certificate(files["root"].read_bytes())
    _pkeyutl_verifies(files["folder"], files["root"], root["tbs_certificate"].dump(),
                      root["signature_value"].native)


# --- key files ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["issuing.key", "tsa.key", "seal.key"])
def test_openssl_reads_the_sm4_encrypted_key_files(settings: Settings, name: str) -> None:
    path = sm2_keys_dir(settings) / name
    assert "ASN1 OID: SM2" in ok("pkey", "-in", path, "-passin", f"pass:{PASS}", "-noout",
                                 "-text")
    assert "sm4-cbc" in ok("asn1parse", "-in", path)
    code, _ = run("pkey", "-in", path, "-passin", "pass:wrong", "-noout")
    assert code != 0


def test_openssl_reads_aes_encrypted_key_files(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", key_passphrase=PASS)
    assert ensure_sm2_pki(settings, key_cipher="aes")
    path = sm2_keys_dir(settings) / "issuing.key"
    assert "aes-256-cbc" in ok("asn1parse", "-in", path)
    assert "ASN1 OID: SM2" in ok("pkey", "-in", path, "-passin", f"pass:{PASS}", "-noout",
                                 "-text")


# --- CRL ------------------------------------------------------------------------------

def test_openssl_reads_the_crl_and_its_revoked_entry(files: dict[str, Path],
                                                     pki: Sm2Pki) -> None:
    text = ok("crl", "-inform", "DER", "-in", files["crl"], "-noout", "-text")
    revoked = sm2_x509.load_certificate(files["revoked"].read_bytes())
    event = sm2_x509.load_certificate(files["event"].read_bytes())
    assert format(revoked.serial_number, "X") in text.replace(":", "").upper()
    assert format(event.serial_number, "X") not in text.replace(":", "").upper()
    assert "Key Compromise" in text
    assert "Signature Algorithm: SM2-with-SM3" in text
    assert "Only User Certificates" in text
    parsed = verify_sm2_crl(files["crl"].read_bytes(), pki.issuing_cert)
    assert parsed.entry(revoked.serial_number) is not None


def test_openssl_pkeyutl_verifies_the_crl_signature(files: dict[str, Path]) -> None:
    signed = crl.CertificateList.load(files["crl"].read_bytes())
    _pkeyutl_verifies(files["folder"], files["issuing"], signed["tbs_cert_list"].dump(),
                      signed["signature"].native)


def test_openssl_3_0_crl_verify_fails_for_sm2(files: dict[str, Path]) -> None:
    """Limitation (docs): ``openssl crl -verify`` takes no user id and fails."""
    code, output = run("crl", "-inform", "DER", "-in", files["crl"], "-CAfile",
                       files["issuing"], "-noout", "-verify")
    assert "verify failure" in output or code != 0


# --- OCSP -----------------------------------------------------------------------------

@pytest.mark.parametrize("digest", ["-sha1", "-sha256", "-sm3"])
def test_openssl_requests_are_answered_good_and_revoked(
        files: dict[str, Path], pki: Sm2Pki, digest: str) -> None:
    store = files_store[str(files["folder"])]
    folder = files["folder"]
    for name, status in (("event", "good"), ("revoked", "revoked"), ("tsa", "good")):
        request, response = folder / "req.der", folder / "resp.der"
        ok("ocsp", digest, "-issuer", files["issuing"], "-cert", files[name], "-reqout",
           request)
        nonce = ocsp.OCSPRequest.load(request.read_bytes())["tbs_request"][
            "request_extensions"][0]["extn_value"].native
        response.write_bytes(sm2_ocsp_respond(pki, store, request.read_bytes(),
                                              dt.datetime.now(dt.UTC)))
        cert = sm2_x509.load_certificate(files[name].read_bytes())
        answer = verify_sm2_ocsp_response(response.read_bytes(), pki.issuing_cert, cert,
                                          at=dt.datetime.now(dt.UTC), nonce=nonce)
        assert answer.status == status
        text = ok("ocsp", digest, "-respin", response, "-resp_text", "-noverify", "-issuer",
                  files["issuing"], "-cert", files[name])
        assert f"{files[name]}: {status}" in text


def test_an_unknown_certificate_is_unknown(files: dict[str, Path], pki: Sm2Pki,
                                           tmp_path: Path) -> None:
    stranger = sm2_x509.issue_end_entity(
        pki.seal_key.public, sm2_x509.ca_name("stranger", pki.seal_key.public),
        pki.issuing_cert, pki.issuing_key, pki.urls, dt.datetime.now(dt.UTC),
        dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
    (tmp_path / "s.pem").write_bytes(sm2_x509.to_pem([stranger]))
    ok("ocsp", "-issuer", files["issuing"], "-cert", tmp_path / "s.pem", "-reqout",
       tmp_path / "req.der")
    (tmp_path / "resp.der").write_bytes(sm2_ocsp_respond(
        pki, files_store[str(files["folder"])], (tmp_path / "req.der").read_bytes(),
        dt.datetime.now(dt.UTC)))
    text = ok("ocsp", "-respin", tmp_path / "resp.der", "-resp_text", "-noverify",
              "-issuer", files["issuing"], "-cert", tmp_path / "s.pem")
    assert f"{tmp_path / 's.pem'}: unknown" in text


def test_openssl_3_0_ocsp_verify_fails_for_sm2(files: dict[str, Path], pki: Sm2Pki) -> None:
    """Limitation (docs): ``openssl ocsp -verify_other … -CAfile …`` checks the response's
    SM2 signature without the user id and reports a signature failure."""
    folder = files["folder"]
    ok("ocsp", "-issuer", files["issuing"], "-cert", files["event"], "-reqout",
       folder / "r.der")
    (folder / "a.der").write_bytes(sm2_ocsp_respond(
        pki, files_store[str(folder)], (folder / "r.der").read_bytes(),
        dt.datetime.now(dt.UTC)))
    # (-no_nonce: with -cert, openssl builds a request of its own with a new nonce)
    code, output = run("ocsp", "-respin", folder / "a.der", "-no_nonce", "-issuer",
                       files["issuing"], "-cert", files["event"],
                       "-verify_other", files["issuing"], "-CAfile", files["root"])
    assert code != 0
    assert "Response Verify Failure" in output
    assert "signature failure" in output
    # while pkeyutl, given the user id, verifies the same signature
    basic = ocsp.OCSPResponse.load((folder / "a.der").read_bytes())["response_bytes"][
        "response"].parsed
    _pkeyutl_verifies(folder, files["issuing"], basic["tbs_response_data"].dump(),
                      basic["signature"].native)


def test_a_key_openssl_wrapped_with_sm4_opens_here(tmp_path: Path) -> None:
    ok("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out",
       tmp_path / "k.pem")
    ok("pkcs8", "-topk8", "-in", tmp_path / "k.pem", "-v2", "sm4-cbc", "-passout",
       f"pass:{PASS}", "-out", tmp_path / "k-sm4.pem")
    key = sm2.SM2PrivateKey.from_pem((tmp_path / "k-sm4.pem").read_bytes(), PASS)
    assert key == sm2.SM2PrivateKey.from_pem((tmp_path / "k.pem").read_bytes())
    with pytest.raises(sm2.SM2KeyInvalid):
        sm2.SM2PrivateKey.from_pem((tmp_path / "k-sm4.pem").read_bytes(), "wrong")
