"""Rotation of the online keys: a new issuing CA and TSA under the same root, or (with
``leaves_only``) a new TSA and a re-certified seal under the same issuing CA.

Rotate the leaves before the TSA certificate ages out (five years), the issuing CA before
it does (ten); then ``anxin archive renew`` adds a document timestamp by the new TSA to
every stored letter (:mod:`anxin.services.archive`). A leaves-only rotation needs no root
key; a full one takes the root key file explicitly (``root_key_path``: the root key is
offline, see :mod:`anxin.pki.rootkey`), as does re-signing the root CRL
(:func:`resign_root_crl`). What was signed before stays valid: the old certificates move to
``keys/archive/<UTC stamp>-<old issuing key id>/`` (they are also embedded in every
signature and time-stamp token made with them), the retired issuing CA signs a last CRL
valid until it expires (``issuing-final.crl`` in the same folder), and the old private keys
are destroyed. The seal key is kept and re-certified by the new issuing CA, so receipts'
``kid`` does not change. Running servers keep the old keys until they restart.

The key files are this module's; the retiring CA's last CRL and OCSP responses need the
recorded certificates, which the caller reads in its own transaction through a
:class:`~anxin.pki.ports.CertificateStore`: the use case is
:func:`anxin.services.key_rotation.rotate_online_keys`.

Example::

    root_key = open_rotation_root_key(settings, leaves_only=False, root_key_path=path)
    with db.transaction() as session:
        retiring = retirement(load_pki(settings), SqlCertificateStore(session), now)
    result = replace_online_keys(settings, retiring, root_key=root_key, now=now)
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from anxin.config import Settings
from anxin.errors import ConfigurationError
from anxin.pki.authority import (
    Pki,
    build_root_crl,
    issue_generation,
    load_pki,
    subject_key_id,
)
from anxin.pki.keyfiles import load_certificate
from anxin.pki.ports import CertificateStore
from anxin.pki.revocation import crl_scope, ocsp_for_certificate
from anxin.pki.rootkey import open_root_key

ARCHIVED_CERTS = ("issuing.crt", "tsa.crt", "seal.crt")
RETIRED_KEYS = ("issuing.key", "tsa.key")


@dataclass(frozen=True, slots=True)
class RotationResult:
    archive_dir: Path
    old_issuing_key_id: str
    new_issuing_key_id: str
    new_tsa_key_id: str


# How long after a full rotation `anxin archive renew` has to run (the background renewal
# of `anxin serve` does, within a day): the retired CA's final CRL announces no update
# after this, and a past validation of the retired TSA's archive timestamps slides its
# control time back to that date, which must follow the renewal that proves them.
RENEW_WITHIN = dt.timedelta(days=90)


def _live_leaves(pki: Pki, now: dt.datetime) -> list[x509.Certificate]:
    """The retiring issuing CA's TSA and seal certificates (current and archived) that
    have not expired."""
    return [pki.tsa_cert, pki.seal_cert, *(
        c for c in pki.archived_certs
        if c.issuer == pki.issuing_cert.subject and c.not_valid_after_utc > now)]


def _final_until(pki: Pki, now: dt.datetime) -> dt.datetime:
    """``RENEW_WITHIN`` from now, but never after the CA or one of its live leaves
    expires (the control time of a past validation of their timestamps slides back to
    it, and must fall inside their validity)."""
    until = min([now + RENEW_WITHIN, pki.issuing_cert.not_valid_after_utc,
                 *(c.not_valid_after_utc - dt.timedelta(days=1)
                   for c in _live_leaves(pki, now))])
    return max(until, now + dt.timedelta(hours=1))


@dataclass(frozen=True, slots=True)
class Retirement:
    """What the retiring issuing CA signs before its key is destroyed."""

    final_crl: bytes  # DER, nextUpdate at _final_until
    final_ocsps: Mapping[str, bytes]  # DER responses for its live leaves, by serial (hex)


def _final_ocsps(pki: Pki, certificates: CertificateStore,
                 now: dt.datetime) -> dict[str, bytes]:
    """The retiring CA's last OCSP responses for its live leaves, by serial (hex)."""
    until = _final_until(pki, now)
    return {format(c.serial_number, "x"): ocsp_for_certificate(pki, certificates, c, now,
                                                               until=until)
            for c in _live_leaves(pki, now)}


def _final_crl(pki: Pki, certificates: CertificateStore | None, now: dt.datetime) -> bytes:
    """The retiring issuing CA's last CRL, ``nextUpdate`` at :func:`_final_until`."""
    until = _final_until(pki, now)
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(pki.issuing_cert.subject)
               .last_update(now)
               .next_update(until)
               .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   pki.issuing_key.public_key()), critical=False)
               .add_extension(crl_scope(), critical=True))
    if certificates is not None:
        for revoked in certificates.revoked(pki.issuing_key_id):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(int(revoked.serial, 16))
                .revocation_date(revoked.revoked_at).build())
    crl = builder.sign(pki.issuing_key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def retirement(pki: Pki, certificates: CertificateStore | None, now: dt.datetime, *,
               leaves_only: bool = False) -> Retirement:
    """The final CRL and (for a full rotation) the final OCSP responses of ``pki``'s
    issuing CA, from the recorded certificates (none without a store)."""
    final_ocsps = {} if leaves_only or certificates is None else \
        _final_ocsps(pki, certificates, now)
    return Retirement(final_crl=_final_crl(pki, certificates, now), final_ocsps=final_ocsps)


def _destroy(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.write(os.urandom(size))
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()


def open_rotation_root_key(settings: Settings, *, leaves_only: bool = False,
                           root_key_path: Path | None = None,
                           ) -> ec.EllipticCurvePrivateKey | None:
    """The root key a full rotation signs the new issuing CA with (``root_key_path``,
    opened with ``ANXIN_ROOT_KEY_PASSPHRASE``); None for a leaves-only rotation."""
    if leaves_only:
        return None
    if root_key_path is None:
        raise ConfigurationError(
            "a full rotation signs a new issuing CA with the root CA key: pass "
            "--root-key PATH (or rotate the leaves only with --leaves)")
    return open_root_key(root_key_path, settings,
                         load_certificate(settings.keys_dir / "root.crt"))


def replace_online_keys(settings: Settings, retiring: Retirement, *,
                        root_key: ec.EllipticCurvePrivateKey | None, now: dt.datetime,
                        leaves_only: bool = False) -> RotationResult:
    """Retire the issuing CA and TSA keys and make new ones signed with ``root_key``
    (:func:`open_rotation_root_key`); with ``leaves_only``, retire the TSA key only and
    re-certify the seal (no root key). ``retiring`` is :func:`retirement` of the current
    keys, written beside the archived certificates."""
    keys_dir = settings.keys_dir
    root_cert = load_certificate(keys_dir / "root.crt")
    if not leaves_only and root_key is None:
        raise ConfigurationError("a full rotation needs the root CA key")
    old_id = subject_key_id(load_certificate(keys_dir / "issuing.crt"))
    archive_dir = keys_dir / "archive" / f"{now:%Y%m%dT%H%M%S%fZ}-{old_id[:8]}"
    try:
        archive_dir.mkdir(parents=True)
    except FileExistsError:
        raise ConfigurationError(f"{archive_dir} exists already") from None
    archived: tuple[str, ...] = ARCHIVED_CERTS
    retired: tuple[str, ...] = RETIRED_KEYS
    if leaves_only:
        archived, retired = ("tsa.crt", "seal.crt"), ("tsa.key",)
    else:
        (archive_dir / "issuing-final.crl").write_bytes(retiring.final_crl)
        (archive_dir / "final-ocsp").mkdir()
        for serial, response in retiring.final_ocsps.items():
            (archive_dir / "final-ocsp" / f"{serial}.der").write_bytes(response)
    for name in archived:
        os.replace(keys_dir / name, archive_dir / name)
    for name in retired:
        _destroy(keys_dir / name)
    issue_generation(keys_dir, settings, root_cert, None if leaves_only else root_key, now)
    if root_key is not None and not leaves_only:
        _write_root_crl(keys_dir, root_cert, root_key, now)
    pki = load_pki(settings)
    return RotationResult(archive_dir=archive_dir, old_issuing_key_id=old_id,
                          new_issuing_key_id=pki.issuing_key_id,
                          new_tsa_key_id=subject_key_id(pki.tsa_cert))


def _write_root_crl(keys_dir: Path, root_cert: x509.Certificate,
                    root_key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> dt.datetime:
    """Sign and atomically replace ``root.crl``; returns its ``nextUpdate``."""
    der = build_root_crl(root_cert, root_key, now,
                         until=load_certificate(keys_dir / "issuing.crt").not_valid_after_utc)
    crl_tmp = keys_dir / "root.crl.tmp"
    crl_tmp.write_bytes(der)
    os.replace(crl_tmp, keys_dir / "root.crl")
    next_update = x509.load_der_x509_crl(der).next_update_utc
    assert next_update is not None
    return next_update


def resign_root_crl(settings: Settings, root_key_path: Path, *,
                    now: dt.datetime | None = None) -> dt.datetime:
    """A fresh root CRL (``anxin keys root-crl``), signed with the root key file given;
    returns its ``nextUpdate``. Run it before the current one's ``nextUpdate``; restart
    running servers afterwards (they load ``root.crl`` at start)."""
    now = now or dt.datetime.now(dt.UTC)
    root_cert = load_certificate(settings.keys_dir / "root.crt")
    root_key = open_root_key(root_key_path, settings, root_cert)
    return _write_root_crl(settings.keys_dir, root_cert, root_key, now)
