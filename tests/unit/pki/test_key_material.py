"""The shared key set (anxin.pki.key_material) and its sealing under the master secret
(anxin.keys.DataKeys.seal_key_file), without a database.

A key set read from one keys directory and written to another, under another
passphrase (or none), reads back identical; the private keys are rewrapped, never copied
as they were; its identity names each part that differs; a sealed file opens only under
the same master secret and the same name; a name outside keys/ is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anxin.errors import ConfigurationError
from anxin.keys import DataKeys
from anxin.pki import sm2
from anxin.pki.key_material import (
    DeploymentMismatch,
    Identity,
    identity,
    read_key_files,
    write_key_files,
)
from anxin.pki.keyfiles import is_encrypted_key, write_private_key
from anxin.pki.profiles import NOW, root_ca_builder, sign
from anxin.private_files import create_private_file, private_dir


def _keys_dir(root: Path, passphrase: str | None, *, profile: str = "intl") -> Path:
    keys = private_dir(root / "keys")
    ca = ec.generate_private_key(ec.SECP256R1())
    cert = sign(root_ca_builder(ca.public_key(), NOW), ca)
    (keys / "root.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    write_private_key(keys / "issuing.key", ec.generate_private_key(ec.SECP256R1()),
                      passphrase)
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
        else serialization.NoEncryption())
    create_private_file(keys / "ledger.key", Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc))
    create_private_file(keys / "profile", f"{profile}\n".encode())
    create_private_file(keys / "master.key", b"never shared")
    if profile != "intl":
        private_dir(keys / "sm2")
        create_private_file(keys / "sm2" / "seal.key", sm2.generate_private_key().to_pem(
            passphrase, cipher="sm4" if profile == "sm" else "aes"))
    return keys


@pytest.mark.parametrize(("profile", "first", "second"), [
    ("intl", "one", "two"), ("intl", None, "two"), ("sm", "one", None), ("dual", "a", "b")])
def test_a_key_set_moves_to_another_passphrase_unchanged(tmp_path, profile, first, second):
    source = _keys_dir(tmp_path / "a", first, profile=profile)
    files = read_key_files(source, first)
    assert "master.key" not in files
    assert all(b"ENCRYPTED" not in files[n] for n in files if n.endswith(".key"))
    target = tmp_path / "b" / "keys"
    written = write_key_files(target, files, second)
    assert sorted(written) == sorted(files)
    assert read_key_files(target, second) == files
    assert identity(read_key_files(target, second)) == identity(files)
    for name in (n for n in files if n.endswith(".key")):
        assert is_encrypted_key(target / name) is bool(second)
        assert (target / name).stat().st_mode & 0o777 == 0o600
    if profile == "sm" and second:
        assert b"ENCRYPTED" in (target / "sm2" / "seal.key").read_bytes()


def test_an_encrypted_key_set_needs_its_passphrase(tmp_path):
    source = _keys_dir(tmp_path / "a", "secret")
    with pytest.raises(ConfigurationError, match="ANXIN_KEY_PASSPHRASE"):
        read_key_files(source, None)
    with pytest.raises(ConfigurationError, match="cannot open keys/"):
        read_key_files(source, "wrong")


def test_writing_refuses_to_replace_or_leave_keys(tmp_path):
    files = read_key_files(_keys_dir(tmp_path / "a", None), None)
    target = tmp_path / "b" / "keys"
    write_key_files(target, files, None)
    with pytest.raises(FileExistsError):
        write_key_files(target, {"root.crt": files["root.crt"]}, None)
    write_key_files(target, {"root.crt": b"replaced"}, None, replace=True)
    assert (target / "root.crt").read_bytes() == b"replaced"
    with pytest.raises(ConfigurationError, match="outside keys/"):
        write_key_files(target, {"../escape.crt": b"x"}, None)
    assert not (tmp_path / "b" / "escape.crt").exists()


def test_the_identity_names_each_part_that_differs():
    mine = Identity("aa", "11", "intl")
    assert mine.differences(Identity("aa", "11", "intl")) == []
    diff = mine.differences(Identity("bb", "22", "sm", "cc"))
    assert [d.split(" (")[0] for d in diff] == [
        "root certificate SHA-256 aa", "ledger key id 11", "signature profile intl",
        "SM2 root certificate SHA-256 none"]
    assert "the database's: sm" in diff[2]
    assert issubclass(DeploymentMismatch, ConfigurationError)


def test_a_sealed_file_opens_only_under_its_master_secret_and_name():
    master = os.urandom(32)
    keys = DataKeys(master)
    blob = keys.seal_key_file("tsa.key", b"pem bytes")
    assert DataKeys(master).open_key_file("tsa.key", blob) == b"pem bytes"
    with pytest.raises(ConfigurationError, match="does not open under this master secret"):
        DataKeys(os.urandom(32)).open_key_file("tsa.key", blob)
    with pytest.raises(ConfigurationError, match="does not open"):
        keys.open_key_file("seal.key", blob)
    with pytest.raises(ConfigurationError, match="unknown sealing format"):
        keys.open_key_file("tsa.key", b"\x02" + blob[1:])
    assert blob != keys.seal_key_file("tsa.key", b"pem bytes")  # a fresh nonce each time
