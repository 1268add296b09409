"""Data-protection keys: field encryption, blind indexes, keyed hashes of secrets.

One random 32-byte master secret lives in ``<data dir>/keys/master.key`` (wrapped with
AES-GCM under a scrypt key from ``ANXIN_KEY_PASSPHRASE`` when that is set). Purpose keys
are derived from it with HKDF, so a blind index can never be confused with a MAC of a code.

>>> k = DataKeys(b"\\x00" * 32)
>>> k.decrypt(k.encrypt(b"13800138000", aad="mobile"), aad="mobile")
b'13800138000'
>>> k.blind_index("mobile", "+8613800138000") == k.blind_index("mobile", "+8613800138000")
True
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from anxin.encoding import sha256_hex
from anxin.errors import ConfigurationError, IntegrityFailure

_WRAP_MAGIC = b"ANXW1"
_PLAIN_MAGIC = b"ANXK1"


def _derive(master: bytes, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"anxin/{label}".encode()).derive(master)


class KeyStore(Protocol):
    """The port of the data-protection keys (the product's: :class:`DataKeys`; an HSM-backed
    store implements the same)."""

    def encrypt(self, plaintext: bytes, *, aad: str) -> bytes: ...
    def decrypt(self, blob: bytes, *, aad: str) -> bytes: ...
    def encrypt_text(self, text: str, *, aad: str) -> bytes: ...
    def decrypt_text(self, blob: bytes, *, aad: str) -> str: ...
    def blind_index(self, kind: str, value: str) -> str: ...
    def secret_mac(self, kind: str, value: str) -> str: ...
    def commitment_key(self, authorization_id: str, salt: bytes | None) -> bytes: ...


class DataKeys:
    """Keys derived from the master secret; immutable after construction."""

    def __init__(self, master: bytes) -> None:
        if len(master) != 32:
            raise ConfigurationError("the master key must be 32 bytes")
        self._aead = AESGCM(_derive(master, "field-encryption"))
        self._index_key = _derive(master, "blind-index")
        self._secret_key = _derive(master, "secret-mac")
        self._commitment_root = _derive(master, "ledger-commitment")
        self._key_material = AESGCM(_derive(master, "key-material"))

    def encrypt(self, plaintext: bytes, *, aad: str) -> bytes:
        nonce = os.urandom(12)
        return b"\x01" + nonce + self._aead.encrypt(nonce, plaintext, aad.encode())

    def decrypt(self, blob: bytes, *, aad: str) -> bytes:
        if not blob or blob[0] != 1:
            raise IntegrityFailure("unknown field-encryption format")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], aad.encode())
        except InvalidTag:
            raise IntegrityFailure(f"encrypted field {aad!r} does not decrypt") from None

    def encrypt_text(self, text: str, *, aad: str) -> bytes:
        return self.encrypt(text.encode(), aad=aad)

    def decrypt_text(self, blob: bytes, *, aad: str) -> str:
        return self.decrypt(blob, aad=aad).decode()

    def blind_index(self, kind: str, value: str) -> str:
        """A keyed hash to find a value again without storing it in clear."""
        return hmac.new(self._index_key, f"{kind}\x00{value}".encode(),
                        hashlib.sha256).hexdigest()

    def secret_mac(self, kind: str, value: str) -> str:
        """A keyed hash of a short secret (one-time code, session token)."""
        return hmac.new(self._secret_key, f"{kind}\x00{value}".encode(),
                        hashlib.sha256).hexdigest()

    def seal_key_file(self, name: str, content: bytes) -> bytes:
        """A key file of the deployment sealed for the database (``key_material``):
        AES-GCM under the key-encryption key derived from the master secret, the file's
        name as associated data (a row moved to another name does not open)."""
        nonce = os.urandom(12)
        return b"\x01" + nonce + self._key_material.encrypt(
            nonce, content, f"key-material/{name}".encode())

    def open_key_file(self, name: str, blob: bytes) -> bytes:
        """The content of a sealed key file, or :class:`ConfigurationError` when this master
        secret does not open it (another deployment's secret, or a tampered row)."""
        if not blob or blob[0] != 1:
            raise ConfigurationError(f"key material {name!r}: unknown sealing format")
        try:
            return self._key_material.decrypt(blob[1:13], blob[13:],
                                              f"key-material/{name}".encode())
        except InvalidTag:
            raise ConfigurationError(
                f"key material {name!r} does not open under this master secret") from None

    def commitment_key(self, authorization_id: str, salt: bytes | None) -> bytes:
        """The key of one authorization's commitments in leaves and receipts
        (:func:`anxin.ledger.chain.commit`): HKDF of a master-derived key with the
        authorization's random salt. The evidence package discloses it, which opens that
        authorization's commitments and no other's."""
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                    info=f"anxin/commitment/{authorization_id}".encode()
                    ).derive(self._commitment_root)


def _kek(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def create_master_key(path: Path, passphrase: str | None) -> None:
    write_master_key(path, secrets.token_bytes(32), passphrase)


def write_master_key(path: Path, master: bytes, passphrase: str | None) -> None:
    """Write ``master`` (32 bytes) to a new 0600 file, wrapped with ``passphrase`` when
    given (``anxin init`` makes a random one; ``anxin node add`` writes the deployment's)."""
    if len(master) != 32:
        raise ConfigurationError("the master key must be 32 bytes")
    if passphrase:
        salt, nonce = os.urandom(16), os.urandom(12)
        blob = _WRAP_MAGIC + salt + nonce + AESGCM(_kek(passphrase, salt)).encrypt(
            nonce, master, _WRAP_MAGIC)
    else:
        blob = _PLAIN_MAGIC + master
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(blob)


def load_master_key(path: Path, passphrase: str | None) -> DataKeys:
    return DataKeys(read_master_secret(path, passphrase))


def read_master_secret(path: Path, passphrase: str | None) -> bytes:
    """The 32 bytes of the master key file (``anxin node secret`` prints them)."""
    blob = path.read_bytes()
    if blob.startswith(_PLAIN_MAGIC):
        return blob[len(_PLAIN_MAGIC):]
    if blob.startswith(_WRAP_MAGIC):
        if not passphrase:
            raise ConfigurationError(
                f"{path} is encrypted: set ANXIN_KEY_PASSPHRASE to the passphrase used at init")
        body = blob[len(_WRAP_MAGIC):]
        salt, nonce, ct = body[:16], body[16:28], body[28:]
        try:
            master = AESGCM(_kek(passphrase, salt)).decrypt(nonce, ct, _WRAP_MAGIC)
        except InvalidTag:
            raise ConfigurationError("ANXIN_KEY_PASSPHRASE does not open the master key") from None
        return master
    raise ConfigurationError(f"{path} is not an Anxin master key")


TEST_KEY_PREFIX = "anx_test_"


def new_api_key() -> str:
    key = "anx_" + secrets.token_urlsafe(32)
    # A live key never looks like a test one (a token may begin with "test_").
    return key if not key.startswith(TEST_KEY_PREFIX) else new_api_key()


def new_test_api_key() -> str:
    """A test-mode key (``anx_test_…``): its authorizations carry ``test`` (docs/api.md)."""
    return TEST_KEY_PREFIX + secrets.token_urlsafe(32)


def is_test_api_key(api_key: str) -> bool:
    return api_key.startswith(TEST_KEY_PREFIX)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The look-up hash of a bearer secret made by :func:`new_token` or
    :func:`new_api_key`: with 256 bits of entropy a plain SHA-256 is a safe index."""
    return sha256_hex(token)


# An API key is looked up as every other token is.
hash_api_key = token_hash
