"""The SM2 PKI on disk: layout, the offline root key, keys encrypted at rest (AES or SM4),
the cross-checks of load_sm2_pki. OpenSSL reading the files: the integration test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from asn1crypto import keys, pem

from anxin.config import Settings, load_settings
from anxin.errors import ConfigurationError
from anxin.pki import sm2, sm2_x509
from anxin.pki.sm2_authority import (
    Sm2Pki,
    ensure_sm2_pki,
    load_sm2_pki,
    offline_sm2_root_key_path,
    sm2_keys_dir,
    sm2_root_key_warnings,
)

LAYOUT = ["issuing.crt", "issuing.key", "root.crl", "root.crt", "seal.crt", "seal.key",
          "tsa.crt", "tsa.key"]


def _cipher_oid(path: Path) -> str:
    kind, _, der = pem.unarmor(path.read_bytes())
    assert kind == "ENCRYPTED PRIVATE KEY"
    info = keys.EncryptedPrivateKeyInfo.load(der)
    return str(info["encryption_algorithm"]["parameters"]["encryption_scheme"]["algorithm"]
               .dotted)


def test_the_layout_and_the_offline_root_key(sm2_settings: Settings, sm2_pki: Sm2Pki) -> None:
    folder = sm2_keys_dir(sm2_settings)
    assert sorted(p.name for p in folder.iterdir()) == LAYOUT
    assert folder.stat().st_mode & 0o777 == 0o700
    for name in ("issuing.key", "tsa.key", "seal.key"):
        assert (folder / name).stat().st_mode & 0o777 == 0o600
    root_key = offline_sm2_root_key_path(sm2_settings)
    assert root_key.name == "sm2-root.key"
    assert root_key.parent.name == "offline"
    opened = sm2.SM2PrivateKey.from_pem(root_key.read_bytes(), "root secret")
    assert sm2_x509.public_key_of(sm2_pki.root_cert) == opened.public
    assert sm2_root_key_warnings(sm2_settings)[0].startswith("note:")
    # tsa.crt is the TSA certificate then the issuing CA
    chain = sm2_x509.load_certificates((folder / "tsa.crt").read_bytes())
    assert [c.dump() for c in chain] == [sm2_pki.tsa_cert.dump(), sm2_pki.issuing_cert.dump()]
    assert sm2_pki.pem("tsa.crt") == (folder / "tsa.crt").read_bytes()
    assert sm2_pki.urls.issuing_crl == "https://anxin.example.test/pki/sm2/issuing.crl"


def test_online_keys_are_sm4_encrypted_at_rest(sm2_settings: Settings) -> None:
    folder = sm2_keys_dir(sm2_settings)
    for name in ("issuing.key", "tsa.key", "seal.key"):
        assert _cipher_oid(folder / name) == "1.2.156.10197.1.104.2"  # SM4-CBC
    # the root key was written by the same run, so SM4 too
    assert _cipher_oid(offline_sm2_root_key_path(sm2_settings)) == "1.2.156.10197.1.104.2"


def test_aes_is_the_default_cipher_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", key_passphrase="pw")
    assert ensure_sm2_pki(settings)
    folder = sm2_keys_dir(settings)
    assert _cipher_oid(folder / "issuing.key") == "2.16.840.1.101.3.4.1.42"  # AES-256-CBC
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert not ensure_sm2_pki(settings, key_cipher="sm4")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    # no root passphrase: the root key is in clear and the warning says so
    assert sm2_root_key_warnings(settings)[0].startswith("WARNING")
    load_sm2_pki(settings)


def test_the_wrong_or_missing_passphrase_is_a_typed_error(sm2_settings: Settings) -> None:
    wrong = load_settings(data_dir=sm2_settings.data_dir, key_passphrase="wrong",
                          base_url="https://anxin.example.test")
    with pytest.raises(sm2.SM2KeyInvalid):
        load_sm2_pki(wrong)
    missing = load_settings(data_dir=sm2_settings.data_dir, key_passphrase=None,
                            base_url="https://anxin.example.test")
    with pytest.raises(ConfigurationError, match="ANXIN_KEY_PASSPHRASE"):
        load_sm2_pki(missing)


def _copy(sm2_settings: Settings, tmp_path: Path) -> Settings:
    shutil.copytree(sm2_settings.data_dir, tmp_path / "data")
    return load_settings(data_dir=tmp_path / "data", key_passphrase="online secret",
                         root_key_passphrase="root secret")


def test_load_refuses_a_key_that_is_not_its_certificates(sm2_settings: Settings,
                                                         tmp_path: Path) -> None:
    settings = _copy(sm2_settings, tmp_path)
    folder = sm2_keys_dir(settings)
    (folder / "seal.key").unlink()
    shutil.copy(folder / "tsa.key", folder / "seal.key")
    with pytest.raises(ConfigurationError, match="seal key does not match"):
        load_sm2_pki(settings)


def test_load_refuses_a_chain_that_does_not_hold(sm2_settings: Settings,
                                                 tmp_path: Path) -> None:
    settings = _copy(sm2_settings, tmp_path)
    folder = sm2_keys_dir(settings)
    other = sm2_x509.issue_root_ca(sm2.generate_private_key(), load_sm2_pki(settings)
                                   .root_cert.not_valid_before)
    (folder / "root.crt").write_bytes(sm2_x509.to_pem([other]))
    with pytest.raises(ConfigurationError, match="does not hold together"):
        load_sm2_pki(settings)


def test_an_incomplete_pki_is_named(sm2_settings: Settings, tmp_path: Path) -> None:
    settings = _copy(sm2_settings, tmp_path)
    (sm2_keys_dir(settings) / "root.crl").unlink()
    with pytest.raises(ConfigurationError, match=r"root\.crl"):
        load_sm2_pki(settings)
    # finishing it needs the offline root key, given explicitly
    with pytest.raises(ConfigurationError, match="root key"):
        ensure_sm2_pki(settings)
    assert ensure_sm2_pki(settings, root_key_path=offline_sm2_root_key_path(settings))
    load_sm2_pki(settings)
