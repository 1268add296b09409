"""What the PKI library needs of storage, as Protocols that :mod:`anxin.storage` implements.

The library never opens a transaction nor imports a database driver: a use case in
:mod:`anxin.services` opens the transaction, wraps its session in a repository
(:class:`anxin.storage.certificate_store.SqlCertificateStore`,
:class:`anxin.storage.serial_store.SqlSerialStore`) and hands that to the functions of
:mod:`~anxin.pki.events`, :mod:`~anxin.pki.revocation` and :mod:`~anxin.pki.rotation`.
A repository never commits.

Serials are hex strings without leading zeros (``format(serial, "x")``), the primary key of
the ``certificates`` table.

Example::

    with db.transaction() as session:
        certificates = SqlCertificateStore(session)
        revoke_certificate(certificates, "5f3a…", "keyCompromise", now)
        crl_der = build_crl(pki, certificates, now)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredCertificate:
    """One issued certificate as stored: the clear columns and the encrypted DER."""

    serial: str  # hex
    kind: str  # "event", …
    issuer_key_id: str  # hex, the issuing CA's subject key identifier
    authorization_id: str | None
    not_before: dt.datetime
    not_after: dt.datetime
    der_enc: bytes  # field-encrypted DER (see anxin.pki.events.certificate_aad)
    revoked_at: dt.datetime | None = None
    revocation_reason: str | None = None  # an RFC 5280 CRLReason name


@dataclass(frozen=True, slots=True)
class RevokedCertificate:
    """A CRL entry: which serial, since when, why."""

    serial: str  # hex
    revoked_at: dt.datetime
    reason: str | None


class CertificateStore(Protocol):
    """The ``certificates`` of the issuing CAs, in the caller's transaction."""

    def add(self, certificate: StoredCertificate) -> None:
        """Record a newly issued certificate (its serial is new)."""
        ...

    def get(self, serial: str) -> StoredCertificate | None:
        """The certificate of ``serial`` (hex), or None if it was never recorded."""
        ...

    def revoked(self, issuer_key_id: str) -> Sequence[RevokedCertificate]:
        """The revoked certificates of one issuing CA, oldest revocation first."""
        ...

    def revoke(self, serial: str, reason: str, at: dt.datetime) -> bool:
        """Mark ``serial`` revoked if it is recorded and not yet revoked; True if it was."""
        ...


class SerialStore(Protocol):
    """Named monotonic counters shared by every worker."""

    def reserve(self, name: str, count: int) -> int:
        """Advance counter ``name`` (created at 0 if missing) by ``count`` and return its
        new value, the last number of the reserved block. Raises
        :class:`anxin.pki.serials.SerialUnavailable` when the counter cannot be reached."""
        ...
