"""Key and certificate files in the keys directory.

Private keys are PKCS#8 PEM, encrypted with ``ANXIN_KEY_PASSPHRASE`` when it is set
(``BestAvailableEncryption``; the root CA's with ``ANXIN_ROOT_KEY_PASSPHRASE``), created
with mode 0600 in a 0700 folder and never overwritten in place.
Certificates are PEM; a file may hold a chain (leaf first).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from anxin.errors import ConfigurationError
from anxin.private_files import create_private_file


def write_private_key(path: Path, key: ec.EllipticCurvePrivateKey,
                      passphrase: str | None) -> None:
    """Write a new key file; refuses to replace an existing one."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
        else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            encryption)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    create_private_file(path, pem)


def is_encrypted_key(path: Path) -> bool:
    """True if the PEM key file is passphrase-protected (PKCS#8 ``ENCRYPTED``)."""
    return b"ENCRYPTED" in path.read_bytes().split(b"\n", 1)[0]


def load_private_key(path: Path, passphrase: str | None, *,
                     passphrase_setting: str = "ANXIN_KEY_PASSPHRASE",  # noqa: S107 (a name)
                     ) -> ec.EllipticCurvePrivateKey:
    """Open a key file; ``passphrase_setting`` names the setting in error messages."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigurationError(f"no key file at {path}") from None
    encrypted = b"ENCRYPTED" in data.split(b"\n", 1)[0]
    if encrypted and not passphrase:
        raise ConfigurationError(
            f"{path} is encrypted: set {passphrase_setting} to the passphrase used at init")
    try:
        key = serialization.load_pem_private_key(
            data, passphrase.encode() if (passphrase and encrypted) else None)
    except ValueError as exc:
        raise ConfigurationError(f"cannot open {path}: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigurationError(f"{path} must hold an EC private key")
    return key


def write_certificates(path: Path, certs: list[x509.Certificate]) -> None:
    """Write PEM certificates atomically (temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    os.replace(tmp, path)


def load_certificates(path: Path) -> list[x509.Certificate]:
    certs = x509.load_pem_x509_certificates(path.read_bytes())
    if not certs:
        raise ConfigurationError(f"{path} holds no certificate")
    return certs


def load_certificate(path: Path) -> x509.Certificate:
    """The first (leaf) certificate of a PEM file."""
    return load_certificates(path)[0]


def check_key_matches(key: ec.EllipticCurvePrivateKey, cert: x509.Certificate,
                      what: str) -> None:
    if cert.public_key() != key.public_key():
        raise ConfigurationError(f"the {what} key does not match its certificate")
