"""OpenSSL 3 and ``anxin.pki.sm2`` agree: on the key files, on the signatures both ways,
and on the default user id (GM/T 0009 Z value), with the commands docs/pki.md gives an
auditor (``openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:…``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from anxin.pki import sm2
from tests.common.openssl_cli import DISTID, ok, run

PASS = "correct horse"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sm2")
    key = sm2.generate_private_key()
    paths = {name: folder / name for name in ("key.pem", "key-enc.pem", "pub.pem", "pub.der",
                                              "data", "sig.der")}
    paths["key.pem"].write_bytes(key.to_pem(None))
    paths["key-enc.pem"].write_bytes(key.to_pem(PASS))
    paths["pub.pem"].write_bytes(key.public_key().to_pem())
    paths["pub.der"].write_bytes(key.public_key().to_der())
    paths["data"].write_bytes("授权书 — the letter's bytes".encode())
    paths["sig.der"].write_bytes(sm2.sign(key, paths["data"].read_bytes()))
    return paths


def openssl_verify(pub: Path, data: Path, sig: Path, distid: str = DISTID) -> tuple[int, str]:
    return run("pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
               "-pkeyopt", distid, "-in", data, "-sigfile", sig)


def test_openssl_reads_our_key_files_as_sm2(files: dict[str, Path]) -> None:
    assert "ASN1 OID: SM2" in ok("pkey", "-in", files["key.pem"], "-noout", "-text")
    assert "ASN1 OID: SM2" in ok("pkey", "-in", files["key-enc.pem"], "-passin",
                                 f"pass:{PASS}", "-noout", "-text")
    code, _ = run("pkey", "-in", files["key-enc.pem"], "-passin", "pass:wrong", "-noout")
    assert code != 0
    assert "ASN1 OID: SM2" in ok("pkey", "-pubin", "-in", files["pub.pem"], "-noout", "-text")
    assert "ASN1 OID: SM2" in ok("pkey", "-pubin", "-inform", "DER", "-in", files["pub.der"],
                                 "-noout", "-text")
    # the same public key, as OpenSSL derives it from our private key file
    assert ok("pkey", "-in", files["key.pem"], "-pubout") == files["pub.pem"].read_text()


def test_openssl_verifies_our_signature(files: dict[str, Path]) -> None:
    code, output = openssl_verify(files["pub.pem"], files["data"], files["sig.der"])
    assert code == 0, output
    assert "Signature Verified Successfully" in output


def test_openssl_refuses_our_signature_under_another_id_or_tampered(
        files: dict[str, Path], tmp_path: Path) -> None:
    code, _ = openssl_verify(files["pub.pem"], files["data"], files["sig.der"],
                             "distid:ALICE123@YAHOO.COM")
    assert code != 0
    data = bytearray(files["data"].read_bytes())
    data[0] ^= 0x01
    (tmp_path / "data").write_bytes(bytes(data))
    assert openssl_verify(files["pub.pem"], tmp_path / "data", files["sig.der"])[0] != 0
    sig = bytearray(files["sig.der"].read_bytes())
    sig[-1] ^= 0x01
    (tmp_path / "sig").write_bytes(bytes(sig))
    assert openssl_verify(files["pub.pem"], files["data"], tmp_path / "sig")[0] != 0


def test_another_user_id_agrees_with_openssl(files: dict[str, Path], tmp_path: Path) -> None:
    key = sm2.SM2PrivateKey.from_pem(files["key.pem"].read_bytes())
    data = files["data"]
    (tmp_path / "sig").write_bytes(sm2.sign(key, data.read_bytes(), user_id=b"ALICE123@YAHOO.COM"))
    code, output = openssl_verify(files["pub.pem"], data, tmp_path / "sig",
                                  "distid:ALICE123@YAHOO.COM")
    assert code == 0, output
    assert openssl_verify(files["pub.pem"], data, tmp_path / "sig")[0] != 0
    ok("pkeyutl", "-sign", "-inkey", files["key.pem"], "-rawin", "-digest", "sm3", "-pkeyopt",
       "distid:ALICE123@YAHOO.COM", "-in", data, "-out", tmp_path / "theirs")
    sm2.verify(key.public_key(), data.read_bytes(), (tmp_path / "theirs").read_bytes(),
               user_id=b"ALICE123@YAHOO.COM")


def test_openssl_keys_and_signatures_work_here(tmp_path: Path) -> None:
    key_file = tmp_path / "openssl.pem"
    ok("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", key_file)
    key = sm2.SM2PrivateKey.from_pem(key_file.read_bytes())
    data = tmp_path / "data"
    data.write_bytes(b"abc" * 100)
    for distid, valid in ((DISTID, True), ("distid:ALICE123@YAHOO.COM", False)):
        sig = tmp_path / "sig"
        ok("pkeyutl", "-sign", "-inkey", key_file, "-rawin", "-digest", "sm3", "-pkeyopt",
           distid, "-in", data, "-out", sig)
        if valid:
            sm2.verify(key.public_key(), data.read_bytes(), sig.read_bytes())
        else:
            with pytest.raises(sm2.SM2SignatureInvalid):
                sm2.verify(key.public_key(), data.read_bytes(), sig.read_bytes())
    # our signature with OpenSSL's key verifies with OpenSSL
    (tmp_path / "ours").write_bytes(sm2.sign(key, data.read_bytes()))
    code, output = run("pkeyutl", "-verify", "-inkey", key_file, "-rawin", "-digest", "sm3",
                       "-pkeyopt", DISTID, "-in", data, "-sigfile", tmp_path / "ours")
    assert code == 0, output


def test_we_read_a_key_openssl_encrypted(tmp_path: Path) -> None:
    plain, locked = tmp_path / "plain.pem", tmp_path / "locked.pem"
    ok("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", plain)
    ok("pkcs8", "-topk8", "-in", plain, "-out", locked, "-v2", "aes-256-cbc", "-v2prf",
       "hmacWithSHA256", "-passout", f"pass:{PASS}")
    assert sm2.SM2PrivateKey.from_pem(locked.read_bytes(), PASS) == \
        sm2.SM2PrivateKey.from_pem(plain.read_bytes())


def test_openssl_sm3_agrees(files: dict[str, Path]) -> None:
    output = ok("dgst", "-sm3", "-r", files["data"])
    assert output.split()[0] == sm2.sm3(files["data"].read_bytes()).hex()
