"""The deployment's key material as a set of files, and the identity that names it.

One deployment (one database) has one key set: the files of ``<data dir>/keys`` (root
certificate and CRL, issuing CA, TSA, seal, ledger key, the test CA, the SM2 PKI, the
archived generations, the profile), never the offline root keys and never
``master.key`` (the master secret seals the others; see :meth:`anxin.keys.DataKeys.
seal_key_file`). :func:`read_key_files` reads them in a portable form: private keys
opened with the node's ``ANXIN_KEY_PASSPHRASE`` to plain PKCS#8, so that another node
wraps them with its own passphrase (:func:`write_key_files`) and the master secret is
the one secret a node needs. :func:`identity` is what a node and its database must agree
on: the root certificate's SHA-256, the ledger key id, the profile (and the SM2 root's
SHA-256 in the ``sm``/``dual`` profiles).

Example::

    files = read_key_files(settings.keys_dir, settings.key_passphrase)
    write_key_files(other.keys_dir, files, other.key_passphrase)
    assert identity(files) == identity(read_key_files(other.keys_dir, other.key_passphrase))
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anxin.error_codes import Code
from anxin.errors import ConfigurationError
from anxin.pki import sm2
from anxin.pki.signature_profile import PROFILE_FILE, Profile
from anxin.private_files import create_private_file, private_dir

# Never part of the shared set: the master secret itself (a node gets it from the
# operator), the node's own record of the set it last agreed with its database
# (:data:`SYNCED_FILE`), and files being written.
MASTER_FILE = "master.key"
SYNCED_FILE = "deployment-synced"
EXCLUDED = frozenset({MASTER_FILE, SYNCED_FILE})


def is_private(name: str) -> bool:
    """A private key file (``*.key``): opened to plain PKCS#8 in the shared set."""
    return name.endswith(".key")


def _is_sm2(name: str) -> bool:
    return PurePosixPath(name).parts[0] == "sm2"


def _encrypted(data: bytes) -> bool:
    return b"ENCRYPTED" in data.split(b"\n", 1)[0]


def open_private(name: str, data: bytes, passphrase: str | None) -> bytes:
    """A key file's PEM as plain PKCS#8 (opened with ``passphrase`` if encrypted)."""
    if _encrypted(data) and not passphrase:
        raise ConfigurationError(
            f"keys/{name} is encrypted: set ANXIN_KEY_PASSPHRASE to the passphrase used at init")
    secret = passphrase if _encrypted(data) else None
    try:
        if _is_sm2(name):
            return sm2.SM2PrivateKey.from_pem(data, secret).to_pem(None)
        key = serialization.load_pem_private_key(data, secret.encode() if secret else None)
    except (ValueError, sm2.SM2KeyInvalid) as exc:
        raise ConfigurationError(f"cannot open keys/{name}: {exc}") from None
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def wrap_private(name: str, plain: bytes, passphrase: str | None, profile: Profile) -> bytes:
    """The file to write for a plain PKCS#8 key: encrypted with ``passphrase`` as
    ``anxin init`` would (SM4-CBC for the SM2 keys of the ``sm`` profile)."""
    if not passphrase:
        return plain
    if _is_sm2(name):
        return sm2.SM2PrivateKey.from_pem(plain, None).to_pem(
            passphrase, cipher="sm4" if profile is Profile.SM else "aes")
    key = serialization.load_pem_private_key(plain, None)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(passphrase.encode()))


def read_key_files(keys_dir: Path, passphrase: str | None) -> dict[str, bytes]:
    """Every shared file of ``keys_dir`` by relative POSIX name, private keys in plain
    PKCS#8."""
    out: dict[str, bytes] = {}
    for path in sorted(p for p in keys_dir.rglob("*") if p.is_file()):
        name = path.relative_to(keys_dir).as_posix()
        if name in EXCLUDED or name.endswith(".tmp"):
            continue
        data = path.read_bytes()
        out[name] = open_private(name, data, passphrase) if is_private(name) else data
    return out


def digest(files: Mapping[str, bytes]) -> str:
    """The SHA-256 of a whole key set (names and contents), to tell which side changed."""
    h = hashlib.sha256()
    for name in sorted(files):
        content = files[name]
        h.update(f"{name}\x00{len(content)}\x00".encode())
        h.update(content)
    return h.hexdigest()


def read_synced(keys_dir: Path) -> str | None:
    """The digest of the set this node last agreed with its database, if recorded."""
    path = keys_dir / SYNCED_FILE
    return path.read_text(encoding="ascii").strip() if path.is_file() else None


def record_synced(keys_dir: Path, files: Mapping[str, bytes]) -> None:
    """Record that ``files`` is the set this node and its database agree on."""
    path = keys_dir / SYNCED_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    create_private_file(tmp, f"{digest(files)}\n".encode())
    os.replace(tmp, path)


def profile_of(files: Mapping[str, bytes]) -> Profile:
    raw = files.get(PROFILE_FILE)
    return Profile(raw.decode("ascii").strip()) if raw else Profile.INTL


def write_key_files(keys_dir: Path, files: Mapping[str, bytes], passphrase: str | None, *,
                    replace: bool = False) -> list[str]:
    """Write ``files`` (as :func:`read_key_files` returns them) under ``keys_dir``, private
    keys wrapped with ``passphrase``; every file 0600, every folder 0700. Without
    ``replace`` an existing file is an error; with it, a file is replaced atomically.
    Returns the names written."""
    profile = profile_of(files)
    written = []
    for name, content in sorted(files.items()):
        path = keys_dir.joinpath(*PurePosixPath(name).parts)
        if ".." in PurePosixPath(name).parts or PurePosixPath(name).is_absolute():
            raise ConfigurationError(f"key material names a path outside keys/: {name!r}")
        private_dir(path.parent)
        data = wrap_private(name, content, passphrase, profile) if is_private(name) \
            else content
        if replace:
            tmp = path.with_name(path.name + ".tmp")
            tmp.unlink(missing_ok=True)
            create_private_file(tmp, data)
            os.replace(tmp, path)
        else:
            create_private_file(path, data)
        written.append(name)
    return written


@dataclass(frozen=True, slots=True)
class Identity:
    """What names a deployment's keys: a node whose keys differ is another deployment's."""

    root_sha256: str
    ledger_key_id: str
    profile: str
    sm2_root_sha256: str | None = None

    def differences(self, other: Identity) -> list[str]:
        """The parts that differ, each as ``what: this (vs other)``."""
        labels = (("root certificate SHA-256", self.root_sha256, other.root_sha256),
                  ("ledger key id", self.ledger_key_id, other.ledger_key_id),
                  ("signature profile", self.profile, other.profile),
                  ("SM2 root certificate SHA-256", self.sm2_root_sha256,
                   other.sm2_root_sha256))
        return [f"{what} {mine or 'none'} (the database's: {theirs or 'none'})"
                for what, mine, theirs in labels if mine != theirs]


def _cert_sha256(pem: bytes) -> str:
    cert = x509.load_pem_x509_certificates(pem)[0]
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def ledger_key_id(plain_pem: bytes) -> str:
    """The SHA-256 of the ledger key's raw Ed25519 public key (independent of the origin
    the checkpoints are signed under)."""
    key = serialization.load_pem_private_key(plain_pem, None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("keys/ledger.key is not an Ed25519 key")
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def identity(files: Mapping[str, bytes]) -> Identity:
    """The identity of a key set (:func:`read_key_files`)."""
    for needed in ("root.crt", "ledger.key"):
        if needed not in files:
            raise ConfigurationError(f"the key set lacks {needed}")
    sm2_root = files.get("sm2/root.crt")
    return Identity(root_sha256=_cert_sha256(files["root.crt"]),
                    ledger_key_id=ledger_key_id(files["ledger.key"]),
                    profile=profile_of(files).value,
                    sm2_root_sha256=_cert_sha256(sm2_root) if sm2_root else None)


class DeploymentMismatch(ConfigurationError):
    """A node's keys (or master secret) are another deployment's than its database's."""

    code = Code.DEPLOYMENT_MISMATCH
