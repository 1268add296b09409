"""Key and certificate files in the keys directory.

Private keys are PKCS#8 PEM, encrypted with ``ANXIN_KEY_PASSPHRASE`` when it is set
(``BestAvailableEncryption``), created with mode 0600 and never overwritten in place.
Certificates are PEM; a file may hold a chain (leaf first).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from anxin.errors import ConfigurationError


def write_private_key(path: Path, key: ec.EllipticCurvePrivateKey,
                      passphrase: str | None) -> None:
    """Write a new key file; refuses to replace an existing one."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
        else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            encryption)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def load_private_key(path: Path, passphrase: str | None) -> ec.EllipticCurvePrivateKey:
    data = path.read_bytes()
    encrypted = b"ENCRYPTED" in data.split(b"\n", 1)[0]
    if encrypted and not passphrase:
        raise ConfigurationError(
            f"{path} is encrypted: set ANXIN_KEY_PASSPHRASE to the passphrase used at init")
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
