"""Where the root CA key lives: never among the online keys (issue 12 item 14).

The root CA signs only the issuing CA's certificate and the root CRL, at ``anxin init``
and at root operations (``anxin keys rotate``, ``anxin keys root-crl``), which take the
key file explicitly (``--root-key PATH``). ``anxin init`` writes it to
``<data dir>/offline/root.key``: encrypted with ``ANXIN_ROOT_KEY_PASSPHRASE`` when that is
set, otherwise in clear with a loud warning to move it off the machine. ``anxin serve``
never opens it (:func:`anxin.pki.authority.load_pki` loads the online keys only), so the
web server works with the file gone.

Example::

    key = open_root_key(Path("/media/offline/root.key"), settings, root_cert)
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from anxin.config import Settings
from anxin.errors import ConfigurationError
from anxin.pki.keyfiles import (
    check_key_matches,
    is_encrypted_key,
    load_private_key,
    write_private_key,
)
from anxin.private_files import private_dir

ROOT_PASSPHRASE_SETTING = "ANXIN_ROOT_KEY_PASSPHRASE"  # noqa: S105 (the setting's name)


def offline_root_key_path(settings: Settings) -> Path:
    """Where ``anxin init`` writes the root CA key: ``<data dir>/offline/root.key``."""
    return settings.data_dir / "offline" / "root.key"


def write_root_key(path: Path, key: ec.EllipticCurvePrivateKey, settings: Settings) -> None:
    """A new root key file (0600 in a 0700 folder), encrypted if the passphrase is set."""
    private_dir(path.parent)
    write_private_key(path, key, settings.root_key_passphrase)


def open_root_key(path: Path, settings: Settings,
                  root_cert: x509.Certificate | None = None) -> ec.EllipticCurvePrivateKey:
    """Open the root key given to a root operation; checks it against ``root.crt``."""
    key = load_private_key(path, settings.root_key_passphrase,
                           passphrase_setting=ROOT_PASSPHRASE_SETTING)
    if root_cert is not None:
        check_key_matches(key, root_cert, "root CA")
    return key


def move_legacy_root_key(settings: Settings) -> bool:
    """Move a ``keys/root.key`` left by an earlier version out of the online keys, to
    ``offline/root.key`` (the warning of :func:`root_key_warnings` then says where)."""
    legacy = settings.keys_dir / "root.key"
    if not legacy.is_file():
        return False
    target = offline_root_key_path(settings)
    private_dir(target.parent)
    if target.exists():
        raise ConfigurationError(
            f"{legacy} and {target} both exist: keep the one that matches root.crt offline "
            "and delete the other")
    os.replace(legacy, target)
    return True


def root_key_warnings(settings: Settings) -> list[str]:
    """What ``anxin init`` and ``anxin serve`` say about the root key left on this machine."""
    path = offline_root_key_path(settings)
    if not path.is_file():
        return []
    if not is_encrypted_key(path):
        return [f"WARNING: the root CA key is stored UNENCRYPTED at {path}. Move it off "
                "this machine now (offline storage); root operations take it back with "
                "--root-key PATH. Set ANXIN_ROOT_KEY_PASSPHRASE at init to encrypt it."]
    return [f"note: the root CA key (encrypted with ANXIN_ROOT_KEY_PASSPHRASE) is at {path}:"
            " keep it offline, not on the web server; root operations take it with "
            "--root-key PATH."]
