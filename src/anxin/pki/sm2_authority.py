"""The SM2 PKI on disk: create it once (``ensure_sm2_pki``), load it once
(``load_sm2_pki``); the national-profile twin of :mod:`anxin.pki.authority`.

Layout of ``<data dir>/keys/sm2`` (0700, private keys 0600)::

    root.crt   root.crl        SM2 root CA, 20 years, pathlen 1; its key is NOT here
                               (``<data dir>/offline/sm2-root.key``, encrypted with
                               ``ANXIN_ROOT_KEY_PASSPHRASE`` when set; the server never
                               opens it)
    issuing.key issuing.crt    SM2 issuing CA, pathlen 0: event certs, CRL, OCSP
    tsa.key    tsa.crt         SM2 TSA, EKU timeStamping (critical); tsa.crt = TSA
                               certificate followed by the issuing CA
    seal.key   seal.crt        SM2 platform seal

Every certificate is PEM; every private key PKCS#8 PEM, encrypted (PBES2, PBKDF2-HMAC-
SHA256) with ``ANXIN_KEY_PASSPHRASE`` when set, under AES-256-CBC or, with
``key_cipher="sm4"`` (the ``sm`` profile), SM4-CBC (1.2.156.10197.1.104.2). ``openssl
pkey -passin`` opens both. This module is not wired into ``anxin init``: the caller picks
the profile and calls it.

Example::

    created = ensure_sm2_pki(settings, key_cipher="sm4")
    pki = load_sm2_pki(settings)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from asn1crypto import x509

from anxin.config import Settings
from anxin.errors import ConfigurationError
from anxin.pki import sm2, sm2_x509
from anxin.pki.rootkey import ROOT_PASSPHRASE_SETTING
from anxin.pki.sm2_revocation import build_sm2_root_crl
from anxin.pki.sm2_x509 import Sm2PkiUrls, load_certificate, load_certificates, to_pem
from anxin.private_files import create_private_file, private_dir

PUBLISHED: Final = ("root.crt", "issuing.crt", "tsa.crt", "seal.crt")
ONLINE_KEYS: Final = ("issuing.key", "tsa.key", "seal.key")


@dataclass(frozen=True)
class Sm2Pki:
    """Loaded SM2 certificates (asn1crypto) and online keys; load once per process."""

    urls: Sm2PkiUrls
    root_cert: x509.Certificate
    issuing_cert: x509.Certificate
    issuing_key: sm2.SM2PrivateKey
    tsa_cert: x509.Certificate
    tsa_key: sm2.SM2PrivateKey
    seal_cert: x509.Certificate
    seal_key: sm2.SM2PrivateKey
    root_crl_der: bytes

    @property
    def issuing_key_id(self) -> str:
        return sm2_x509.subject_key_id(self.issuing_cert).hex()

    @property
    def platform_serials(self) -> frozenset[int]:
        """The TSA's and seal's serials: the OCSP responder answers ``good`` for them."""
        return frozenset({self.tsa_cert.serial_number, self.seal_cert.serial_number})

    def pem(self, name: str) -> bytes:
        """The published PEM files (``tsa.crt`` carries the issuing CA after the TSA)."""
        chains = {"root.crt": [self.root_cert], "issuing.crt": [self.issuing_cert],
                  "tsa.crt": [self.tsa_cert, self.issuing_cert], "seal.crt": [self.seal_cert]}
        if name not in chains:
            raise KeyError(name)
        return to_pem(chains[name])


def sm2_keys_dir(settings: Settings) -> Path:
    return settings.keys_dir / "sm2"


def offline_sm2_root_key_path(settings: Settings) -> Path:
    """Where a new SM2 root key is written: ``<data dir>/offline/sm2-root.key``."""
    return settings.data_dir / "offline" / "sm2-root.key"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_key(path: Path, key: sm2.SM2PrivateKey, passphrase: str | None,
               cipher: sm2.KeyCipher) -> None:
    private_dir(path.parent)
    create_private_file(path, key.to_pem(passphrase, cipher=cipher))


def _read_key(path: Path, passphrase: str | None, setting: str) -> sm2.SM2PrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigurationError(f"no key file at {path}") from None
    if b"ENCRYPTED" in data.split(b"\n", 1)[0] and not passphrase:
        raise ConfigurationError(f"{path} is encrypted: set {setting} to the passphrase "
                                 "used at init")
    return sm2.SM2PrivateKey.from_pem(data, passphrase)


def _ensure_key(path: Path, passphrase: str | None,
                cipher: sm2.KeyCipher) -> sm2.SM2PrivateKey:
    """Reuse a key left by an earlier (possibly interrupted) run, or make a new one."""
    if path.exists():
        return _read_key(path, passphrase, "ANXIN_KEY_PASSPHRASE")
    key = sm2.generate_private_key()
    _write_key(path, key, passphrase, cipher)
    return key


def _write_certificates(path: Path, certs: list[x509.Certificate]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(to_pem(certs))
    tmp.replace(path)


def _check_key(key: sm2.SM2PrivateKey, cert: x509.Certificate, what: str) -> None:
    if sm2_x509.public_key_of(cert) != key.public:
        raise ConfigurationError(f"the SM2 {what} key does not match its certificate")


def _open_root_key(path: Path, settings: Settings,
                   root_cert: x509.Certificate | None) -> sm2.SM2PrivateKey:
    key = _read_key(path, settings.root_key_passphrase, ROOT_PASSPHRASE_SETTING)
    if root_cert is not None:
        _check_key(key, root_cert, "root CA")
    return key


def _root(settings: Settings, folder: Path, now: dt.datetime, root_key_path: Path | None,
          cipher: sm2.KeyCipher) -> tuple[x509.Certificate, sm2.SM2PrivateKey | None]:
    """The root certificate, and its key if this run needs it (a new or partial PKI)."""
    root_path = folder / "root.crt"
    if not root_path.exists():
        key_path = root_key_path or offline_sm2_root_key_path(settings)
        if key_path.exists():  # left by an interrupted run
            root_key = _open_root_key(key_path, settings, None)
        else:
            root_key = sm2.generate_private_key()
            _write_key(key_path, root_key, settings.root_key_passphrase, cipher)
        root_cert = sm2_x509.issue_root_ca(root_key, now)
        _write_certificates(root_path, [root_cert])
        return root_cert, root_key
    root_cert = load_certificate(root_path.read_bytes())
    needs_root = [n for n in ("issuing.crt", "root.crl") if not (folder / n).exists()]
    if not needs_root:
        return root_cert, None
    if root_key_path is None:
        raise ConfigurationError(f"{folder} lacks {', '.join(needs_root)}, which the SM2 "
                                 "root CA signs: give the offline SM2 root key")
    return root_cert, _open_root_key(root_key_path, settings, root_cert)


def ensure_sm2_pki(settings: Settings, *, now: dt.datetime | None = None,
                   key_cipher: sm2.KeyCipher = "aes",
                   root_key_path: Path | None = None) -> bool:
    """Create whatever part of the SM2 PKI is missing; True if anything was created.

    A new root key goes to ``root_key_path`` (default ``offline/sm2-root.key``), never
    to ``keys/sm2``; once ``root.crt`` exists it is opened only to finish a partial PKI,
    and only from an explicit ``root_key_path``. ``key_cipher`` is the PBES2 cipher of
    the keys written by this run (``"aes"`` or ``"sm4"``)."""
    if key_cipher not in sm2.KEY_CIPHERS:
        raise ConfigurationError(f"unknown key cipher {key_cipher!r}: aes or sm4")
    now = now or _utcnow()
    folder = private_dir(sm2_keys_dir(settings))
    if all((folder / n).exists() for n in (*PUBLISHED, "root.crl", *ONLINE_KEYS)):
        return False
    root_cert, root_key = _root(settings, folder, now, root_key_path, key_cipher)
    urls = Sm2PkiUrls(settings.effective_base_url)
    pw = settings.key_passphrase
    issuing_key = _ensure_key(folder / "issuing.key", pw, key_cipher)
    if not (folder / "issuing.crt").exists():
        assert root_key is not None
        _write_certificates(folder / "issuing.crt", [sm2_x509.issue_issuing_ca(
            issuing_key.public, root_cert, root_key, urls, now)])
    issuing = load_certificate((folder / "issuing.crt").read_bytes())
    _check_key(issuing_key, issuing, "issuing CA")
    tsa_key = _ensure_key(folder / "tsa.key", pw, key_cipher)
    if not (folder / "tsa.crt").exists():
        _write_certificates(folder / "tsa.crt", [
            sm2_x509.issue_tsa(tsa_key.public, issuing, issuing_key, urls, now), issuing])
    seal_key = _ensure_key(folder / "seal.key", pw, key_cipher)
    if not (folder / "seal.crt").exists():
        _write_certificates(folder / "seal.crt", [
            sm2_x509.issue_seal(seal_key.public, issuing, issuing_key, urls, now)])
    if not (folder / "root.crl").exists():
        assert root_key is not None
        (folder / "root.crl").write_bytes(
            build_sm2_root_crl(root_cert, root_key, now, until=issuing.not_valid_after))
    return True


def load_sm2_pki(settings: Settings) -> Sm2Pki:
    """Load and cross-check the online part of the SM2 PKI (never the root key): every key
    matches its certificate, and the certificates chain to ``root.crt`` (signatures,
    CA flags, path length, key usage, the TSA's critical timeStamping EKU)."""
    folder = sm2_keys_dir(settings)
    missing = [n for n in (*PUBLISHED, "root.crl", *ONLINE_KEYS) if not (folder / n).is_file()]
    if missing:
        raise ConfigurationError(f"the SM2 PKI in {folder} is incomplete (missing "
                                 f"{', '.join(missing)})")
    pw = settings.key_passphrase

    def cert(name: str) -> x509.Certificate:
        return load_certificates((folder / name).read_bytes())[0]

    def key(name: str) -> sm2.SM2PrivateKey:
        return _read_key(folder / name, pw, "ANXIN_KEY_PASSPHRASE")

    pki = Sm2Pki(urls=Sm2PkiUrls(settings.effective_base_url), root_cert=cert("root.crt"),
                 issuing_cert=cert("issuing.crt"), issuing_key=key("issuing.key"),
                 tsa_cert=cert("tsa.crt"), tsa_key=key("tsa.key"),
                 seal_cert=cert("seal.crt"), seal_key=key("seal.key"),
                 root_crl_der=(folder / "root.crl").read_bytes())
    _cross_check(pki)
    return pki


def _cross_check(pki: Sm2Pki) -> None:
    for private, certificate, what in ((pki.issuing_key, pki.issuing_cert, "issuing CA"),
                                       (pki.tsa_key, pki.tsa_cert, "TSA"),
                                       (pki.seal_key, pki.seal_cert, "seal")):
        _check_key(private, certificate, what)
    at = max(pki.tsa_cert.not_valid_before, pki.seal_cert.not_valid_before)
    try:
        sm2_x509.verify_sm2_chain(pki.issuing_cert, [], pki.root_cert, at=at,
                                  key_usage=("key_cert_sign", "crl_sign"))
        sm2_x509.verify_sm2_chain(pki.tsa_cert, [pki.issuing_cert], pki.root_cert, at=at,
                                  key_usage=("digital_signature",), eku="time_stamping")
        sm2_x509.verify_sm2_chain(pki.seal_cert, [pki.issuing_cert], pki.root_cert, at=at)
    except sm2_x509.Sm2CertificateInvalid as exc:
        raise ConfigurationError(f"the SM2 PKI does not hold together ({exc.check}): "
                                 f"{exc.detail}") from None


def sm2_root_key_warnings(settings: Settings) -> list[str]:
    """What to say about an SM2 root key left on this machine (as the intl root key)."""
    path = offline_sm2_root_key_path(settings)
    if not path.is_file():
        return []
    if b"ENCRYPTED" not in path.read_bytes().split(b"\n", 1)[0]:
        return [f"WARNING: the SM2 root CA key is stored UNENCRYPTED at {path}. Move it off "
                "this machine now (offline storage). Set ANXIN_ROOT_KEY_PASSPHRASE at init "
                "to encrypt it."]
    return [f"note: the SM2 root CA key (encrypted with ANXIN_ROOT_KEY_PASSPHRASE) is at "
            f"{path}: keep it offline, not on the web server."]
