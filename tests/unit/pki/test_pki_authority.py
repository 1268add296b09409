"""ensure_pki / load_pki: idempotence, encryption at rest, and the certificate profiles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from anxin.config import Settings, load_settings
from anxin.errors import ConfigurationError
from anxin.pki.authority import Pki, ensure_pki, load_pki
from anxin.pki.keyfiles import load_private_key, write_private_key
from anxin.pki.profiles import END_ENTITY_PARTITION, crl_partition_of, own_partition
from anxin.pki.rootkey import offline_root_key_path

FILES = ("root.crt", "root.crl", "issuing.crt", "issuing.key", "tsa.crt",
         "tsa.key", "seal.crt", "seal.key")


def _ext(cert: x509.Certificate, cls: type[x509.ExtensionType]) -> x509.Extension:
    return cert.extensions.get_extension_for_class(cls)


def test_second_run_creates_nothing_and_changes_nothing(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    assert ensure_pki(settings) is True
    before = {name: (settings.keys_dir / name).read_bytes() for name in FILES}
    root_key = offline_root_key_path(settings).read_bytes()
    assert ensure_pki(settings) is False
    assert before == {name: (settings.keys_dir / name).read_bytes() for name in FILES}
    assert offline_root_key_path(settings).read_bytes() == root_key


def test_missing_part_is_recreated_without_touching_the_rest(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    ensure_pki(settings)
    root = (settings.keys_dir / "root.crt").read_bytes()
    (settings.keys_dir / "seal.crt").unlink()
    assert ensure_pki(settings) is True
    assert (settings.keys_dir / "root.crt").read_bytes() == root
    load_pki(settings)  # consistent again


def test_private_keys_are_encrypted_with_the_passphrase(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", key_passphrase="correct horse")
    ensure_pki(settings)
    assert not (settings.keys_dir / "root.key").exists()  # offline, own passphrase
    for name in ("issuing.key", "tsa.key", "seal.key"):
        path = settings.keys_dir / name
        assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert path.stat().st_mode & 0o077 == 0
    with pytest.raises(ConfigurationError, match="ANXIN_KEY_PASSPHRASE"):
        load_pki(load_settings(data_dir=tmp_path / "data"))
    with pytest.raises(ConfigurationError, match="cannot open"):
        load_pki(load_settings(data_dir=tmp_path / "data", key_passphrase="wrong"))
    assert load_pki(settings).tsa_cert.public_key() is not None


def test_an_existing_seal_key_is_kept_and_certified(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    seal_key = ec.generate_private_key(ec.SECP256R1())
    write_private_key(settings.keys_dir / "seal.key", seal_key, None)
    ensure_pki(settings)
    pki = load_pki(settings)
    assert pki.seal_cert.public_key() == seal_key.public_key()
    assert load_private_key(settings.keys_dir / "seal.key", None).private_numbers() == \
        seal_key.private_numbers()


def test_load_refuses_a_pki_with_a_foreign_issuing_ca(tmp_path: Path) -> None:
    one = load_settings(data_dir=tmp_path / "one")
    two = load_settings(data_dir=tmp_path / "two")
    ensure_pki(one)
    ensure_pki(two)
    for name in ("issuing.crt", "issuing.key"):
        (one.keys_dir / name).write_bytes((two.keys_dir / name).read_bytes())
    with pytest.raises(ConfigurationError, match="not issued by"):
        load_pki(one)


def test_incomplete_pki_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"root\.crt"):
        load_pki(load_settings(data_dir=tmp_path / "empty"))


def test_root_profile(pki: Pki) -> None:
    root = pki.root_cert
    assert isinstance(root.public_key(), ec.EllipticCurvePublicKey)
    assert root.public_key().curve.name == "secp384r1"  # type: ignore[union-attr]
    bc = _ext(root, x509.BasicConstraints)
    assert bc.critical
    assert bc.value.ca
    assert bc.value.path_length == 1
    ku = _ext(root, x509.KeyUsage)
    assert ku.critical
    assert ku.value.key_cert_sign
    assert ku.value.crl_sign
    assert root.not_valid_after_utc - root.not_valid_before_utc > dt.timedelta(days=19 * 365)
    root.verify_directly_issued_by(root)


def test_issuing_profile(pki: Pki) -> None:
    issuing = pki.issuing_cert
    issuing.verify_directly_issued_by(pki.root_cert)
    bc = _ext(issuing, x509.BasicConstraints)
    assert bc.critical
    assert bc.value.ca
    assert bc.value.path_length == 0
    ku = _ext(issuing, x509.KeyUsage).value
    assert ku.key_cert_sign
    assert ku.crl_sign
    assert ku.digital_signature
    assert _ext(issuing, x509.AuthorityKeyIdentifier).value.key_identifier == \
        _ext(pki.root_cert, x509.SubjectKeyIdentifier).value.digest
    # No revocation URL: its status (the root's CRL) is supplied in every letter, never
    # fetched (profiles.tsa_builder says why).
    with pytest.raises(x509.ExtensionNotFound):
        issuing.extensions.get_extension_for_class(x509.CRLDistributionPoints)


def test_tsa_has_exactly_one_critical_timestamping_eku(pki: Pki) -> None:
    pki.tsa_cert.verify_directly_issued_by(pki.issuing_cert)
    eku = _ext(pki.tsa_cert, x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert not _ext(pki.tsa_cert, x509.BasicConstraints).value.ca
    assert _ext(pki.tsa_cert, x509.KeyUsage).value.digital_signature


@pytest.mark.parametrize(("which", "label"), [("tsa_cert", "TSA"), ("seal_cert", "Seal")])
def test_long_lived_leaves_name_their_own_crl_partition_and_no_url(
        pki: Pki, which: str, label: str) -> None:
    """No certificate names the OCSP responder (pdfsig would call it); the TSA and the seal
    name no revocation URL at all, only their own CRL partition (profiles.tsa_builder says
    why): their status is always supplied in the letter or package, never fetched."""
    cert: x509.Certificate = getattr(pki, which)
    aia = {d.access_method: d.access_location.value
           for d in _ext(cert, x509.AuthorityInformationAccess).value}
    assert aia == {AuthorityInformationAccessOID.CA_ISSUERS:
                   "https://anxin.example.test/pki/issuing.crt"}
    points = list(_ext(cert, x509.CRLDistributionPoints).value)
    assert [p.full_name for p in points] == [None]
    assert crl_partition_of(cert) == own_partition(label, cert.public_key())
    assert crl_partition_of(cert) != END_ENTITY_PARTITION


def test_published_tsa_file_carries_the_chain(pki: Pki, pki_settings: Settings) -> None:
    chain = x509.load_pem_x509_certificates(pki.pem("tsa.crt"))
    assert chain == [pki.tsa_cert, pki.issuing_cert]
    assert pki.pem("root.crt") == (pki_settings.keys_dir / "root.crt").read_bytes()
    with pytest.raises(KeyError):
        pki.pem("root.key")


def test_root_crl_is_signed_by_the_root(pki: Pki) -> None:
    crl = x509.load_der_x509_crl(pki.root_crl_der)
    assert crl.is_signature_valid(pki.root_cert.public_key())  # type: ignore[arg-type]
    assert crl.issuer == pki.root_cert.subject
