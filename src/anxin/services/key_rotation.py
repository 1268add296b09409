"""Use case: rotate the online keys (``anxin keys rotate``) and re-sign the root CRL.

The key files and certificates are :mod:`anxin.pki.rotation`'s; this use case owns the
one database transaction a rotation needs, a short read of the recorded certificates for
the retiring CA's last CRL and OCSP responses, taken after the root key is open and before
any file changes (so no lock is held while keys are made and files move).

Example::

    result = rotate_online_keys(settings, db, root_key_path=Path("/media/usb/root.key"))
    result = rotate_online_keys(settings, db, leaves_only=True)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from anxin.config import Settings
from anxin.pki.authority import load_pki
from anxin.pki.rotation import (
    RotationResult,
    open_rotation_root_key,
    replace_online_keys,
    retirement,
)
from anxin.pki.rotation import resign_root_crl as _resign_root_crl
from anxin.services.deployment_keys import publish_key_material
from anxin.storage.certificate_store import SqlCertificateStore
from anxin.storage.database import Database

__all__ = ["RotationResult", "resign_root_crl", "rotate_online_keys"]


def rotate_online_keys(settings: Settings, db: Database | None = None, *,
                       now: dt.datetime | None = None,
                       leaves_only: bool = False,
                       root_key_path: Path | None = None) -> RotationResult:
    """Retire the issuing CA and TSA keys and make new ones (needs the root key file,
    ``root_key_path``, opened with ``ANXIN_ROOT_KEY_PASSPHRASE``); with ``leaves_only``,
    retire the TSA key only and re-certify the seal (no root key). Without ``db`` the
    retiring CA's final CRL lists no revocations and it leaves no OCSP responses. With
    ``db``, the new key set is stored as the deployment's (``key_material``), which the
    other nodes take at their next start."""
    now = now or dt.datetime.now(dt.UTC)
    root_key = open_rotation_root_key(settings, leaves_only=leaves_only,
                                      root_key_path=root_key_path)
    pki = load_pki(settings)  # also proves the current PKI loads
    if db is None:
        retiring = retirement(pki, None, now, leaves_only=leaves_only)
    else:
        with db.transaction() as session:
            retiring = retirement(pki, SqlCertificateStore(session), now,
                                  leaves_only=leaves_only)
    result = replace_online_keys(settings, retiring, root_key=root_key, now=now,
                                 leaves_only=leaves_only)
    if db is not None:
        publish_key_material(settings, db, now=now)
    return result


def resign_root_crl(settings: Settings, root_key_path: Path, db: Database | None = None, *,
                    now: dt.datetime | None = None) -> dt.datetime:
    """A fresh root CRL (:func:`anxin.pki.rotation.resign_root_crl`); with ``db``, stored
    in the deployment's key material for the other nodes. Returns its ``nextUpdate``."""
    next_update = _resign_root_crl(settings, root_key_path, now=now)
    if db is not None:
        publish_key_material(settings, db, now=now)
    return next_update
