"""The ``certificates`` table as an :class:`anxin.pki.ports.CertificateStore`.

A repository on the caller's session: it reads and writes in the caller's transaction and
never commits (the use case that opened the transaction does).

Example::

    with db.transaction() as session:
        crl_der = build_crl(pki, SqlCertificateStore(session), now)
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anxin.pki.ports import RevokedCertificate, StoredCertificate
from anxin.storage.models import IssuedCertificate


class SqlCertificateStore:
    """Issued certificates in ``certificates``, through one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, certificate: StoredCertificate) -> None:
        self._session.add(IssuedCertificate(
            serial=certificate.serial, kind=certificate.kind,
            issuer_key_id=certificate.issuer_key_id,
            authorization_id=certificate.authorization_id,
            not_before=certificate.not_before, not_after=certificate.not_after,
            der_enc=certificate.der_enc, revoked_at=certificate.revoked_at,
            revocation_reason=certificate.revocation_reason))

    def get(self, serial: str) -> StoredCertificate | None:
        row = self._session.get(IssuedCertificate, serial)
        if row is None:
            return None
        return StoredCertificate(
            serial=row.serial, kind=row.kind, issuer_key_id=row.issuer_key_id,
            authorization_id=row.authorization_id, not_before=row.not_before,
            not_after=row.not_after, der_enc=row.der_enc, revoked_at=row.revoked_at,
            revocation_reason=row.revocation_reason)

    def revoked(self, issuer_key_id: str) -> list[RevokedCertificate]:
        rows = self._session.execute(
            select(IssuedCertificate.serial, IssuedCertificate.revoked_at,
                   IssuedCertificate.revocation_reason)
            .where(IssuedCertificate.revoked_at.is_not(None),
                   IssuedCertificate.issuer_key_id == issuer_key_id)
            .order_by(IssuedCertificate.revoked_at)).all()
        out: list[RevokedCertificate] = []
        for serial, revoked_at, reason in rows:
            assert revoked_at is not None  # selected by the WHERE clause
            out.append(RevokedCertificate(serial=serial, revoked_at=revoked_at, reason=reason))
        return out

    def revoke(self, serial: str, reason: str, at: dt.datetime) -> bool:
        changed = self._session.execute(
            update(IssuedCertificate)
            .where(IssuedCertificate.serial == serial, IssuedCertificate.revoked_at.is_(None))
            .values(revoked_at=at, revocation_reason=reason)
        ).rowcount  # type: ignore[attr-defined]
        return bool(changed == 1)
