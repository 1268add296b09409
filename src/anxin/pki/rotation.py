"""Rotation of the online keys: a new issuing CA and TSA under the same root.

What was signed before stays valid: the old certificates move to
``keys/archive/<UTC stamp>-<old issuing key id>/`` (they are also embedded in every
signature and time-stamp token made with them), the retired issuing CA signs a last CRL
valid until it expires (``issuing-final.crl`` in the same folder), and the old private keys
are destroyed. The seal key is kept and re-certified by the new issuing CA, so receipts'
``kid`` does not change. Running servers keep the old keys until they restart.

Example::

    result = rotate_online_keys(settings, db)
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from sqlalchemy import select

from anxin.config import Settings
from anxin.errors import ConfigurationError
from anxin.pki.authority import (
    build_root_crl,
    issue_generation,
    load_pki,
    subject_key_id,
)
from anxin.pki.keyfiles import check_key_matches, load_certificate, load_private_key
from anxin.storage.database import Database
from anxin.storage.models import IssuedCertificate

ARCHIVED_CERTS = ("issuing.crt", "tsa.crt", "seal.crt")
RETIRED_KEYS = ("issuing.key", "tsa.key")


@dataclass(frozen=True, slots=True)
class RotationResult:
    archive_dir: Path
    old_issuing_key_id: str
    new_issuing_key_id: str
    new_tsa_key_id: str


def _final_crl(settings: Settings, db: Database | None, now: dt.datetime) -> bytes:
    """The retiring issuing CA's last CRL, valid until the CA itself expires."""
    pki = load_pki(settings)
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(pki.issuing_cert.subject)
               .last_update(now)
               .next_update(max(pki.issuing_cert.not_valid_after_utc,
                                now + dt.timedelta(days=1)))
               .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False))
    if db is not None:
        with db.transaction() as session:
            rows = session.execute(
                select(IssuedCertificate.serial, IssuedCertificate.revoked_at)
                .where(IssuedCertificate.revoked_at.is_not(None),
                       IssuedCertificate.issuer_key_id == pki.issuing_key_id)).all()
        for serial, revoked_at in rows:
            assert revoked_at is not None
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(int(serial, 16))
                .revocation_date(revoked_at).build())
    crl = builder.sign(pki.issuing_key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def _destroy(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.write(os.urandom(size))
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()


def rotate_online_keys(settings: Settings, db: Database | None = None, *,
                       now: dt.datetime | None = None) -> RotationResult:
    """Retire the issuing CA and TSA keys and make new ones (needs the root key)."""
    now = now or dt.datetime.now(dt.UTC)
    keys_dir = settings.keys_dir
    root_cert = load_certificate(keys_dir / "root.crt")
    root_key = load_private_key(keys_dir / "root.key", settings.key_passphrase)
    check_key_matches(root_key, root_cert, "root CA")
    final_crl = _final_crl(settings, db, now)  # also proves the current PKI loads
    old_id = subject_key_id(load_certificate(keys_dir / "issuing.crt"))
    archive_dir = keys_dir / "archive" / f"{now:%Y%m%dT%H%M%S%fZ}-{old_id[:8]}"
    try:
        archive_dir.mkdir(parents=True)
    except FileExistsError:
        raise ConfigurationError(f"{archive_dir} exists already") from None
    (archive_dir / "issuing-final.crl").write_bytes(final_crl)
    for name in ARCHIVED_CERTS:
        os.replace(keys_dir / name, archive_dir / name)
    for name in RETIRED_KEYS:
        _destroy(keys_dir / name)
    issue_generation(keys_dir, settings, root_cert, root_key, now)
    crl_tmp = keys_dir / "root.crl.tmp"
    crl_tmp.write_bytes(build_root_crl(root_cert, root_key, now))
    os.replace(crl_tmp, keys_dir / "root.crl")
    pki = load_pki(settings)
    return RotationResult(archive_dir=archive_dir, old_issuing_key_id=old_id,
                          new_issuing_key_id=pki.issuing_key_id,
                          new_tsa_key_id=subject_key_id(pki.tsa_cert))
