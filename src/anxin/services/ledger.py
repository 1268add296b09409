"""The ledger over a database: the log, its audit, its origin, and a data directory's log.

The ledger's logic is pure (:mod:`anxin.ledger.log`, :mod:`anxin.ledger.audit`,
:mod:`anxin.ledger.origin`) and reaches storage through Protocols; this module plugs in
:class:`anxin.storage.ledger_store.SqlLedgerStore`, so a caller holding a
:class:`~anxin.storage.database.Database` keeps one call for each.

With a read replica (``ANXIN_DATABASE_REPLICA_URL``), :class:`Ledger` makes inclusion and
consistency proofs and reads entries there when the replica has the tree asked about, and
on the primary otherwise: a replica that lags answers as the primary would, never a
``ledger_size_unknown`` the primary would not answer, nor a short page of entries.

Example::

    ledger = Ledger(db, signer=load_note_signer(settings, fix_origin(db, settings)))
    ledger.integrate()
    note = ledger.checkpoint(force=True).note
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from anxin.config import Settings, load_settings
from anxin.evidence.checkpoint_sm2 import Sm2NoteSigner, load_sm2_note_signer
from anxin.evidence.ledger_check import PAGE, LogUnavailable
from anxin.ledger import audit as _audit
from anxin.ledger import origin as _origin
from anxin.ledger.audit import AuditReport
from anxin.ledger.checkpoint import NoteSigner, load_note_signer
from anxin.ledger.log import Entry, LedgerLog, StoredCheckpoint, Timestamp, _utcnow
from anxin.ledger.merkle import consistency_proof, inclusion_proof
from anxin.pki.signature_profile import Profile, read_profile
from anxin.storage.database import Database
from anxin.storage.ledger_store import SqlLedgerStore, SqlLedgerTx
from anxin.storage.replica import ReplicaUnavailable

T = TypeVar("T")

__all__ = ["AuditReport", "Entry", "Ledger", "StorageLog", "StoredCheckpoint",
           "audit_ledger", "fix_origin", "read_origin", "read_stored_origin"]


class Ledger(LedgerLog):
    """The log of ``db`` (its sequencer, proofs, checkpoints and background loop)."""

    def __init__(self, db: Database, *, signer: NoteSigner,
                 timestamp: Timestamp | None = None, checkpoint_interval: float = 2.0,
                 clock: Callable[[], dt.datetime] = _utcnow) -> None:
        super().__init__(SqlLedgerStore(db), signer=signer, timestamp=timestamp,
                         checkpoint_interval=checkpoint_interval, clock=clock)
        self.db = db

    # --- reads the replica can serve (the primary's answer whenever it cannot) -------

    def _on_replica(self, size: int, read: Callable[[SqlLedgerTx], T]) -> T | None:
        """``read`` on the replica if it has a tree of ``size`` leaves, else None. The
        log only grows and a node never changes once written, so what the replica has
        of a tree it has whole."""
        try:
            with self.db.replica_connection() as conn:
                if conn is None:
                    return None
                tx = SqlLedgerTx(conn)
                head = tx.head()
                if head is None or head[0] < size:
                    return None
                return read(tx)
        except ReplicaUnavailable:
            return None

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        got = self._on_replica(size, lambda tx: inclusion_proof(tx, index, size))
        return got if got is not None else super().inclusion_proof(index, size)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        got = self._on_replica(second, lambda tx: consistency_proof(tx, first, second))
        return got if got is not None else super().consistency_proof(first, second)

    def entries(self, start: int, end: int, limit: int = 1000) -> list[Entry]:
        """Entries ``start`` ≤ index < ``end`` (at most ``limit``): those the replica has,
        then the rest from the primary, so that a lagging replica never ends a page early
        (a client would take the early end for the end of the log)."""
        end = min(end, start + limit)
        if end <= start:
            return []
        got = self._on_replica(0, lambda tx: tx.entries(start, end))
        if got is None:
            return super().entries(start, end, limit)
        if len(got) == end - start:
            return got
        rest = got[-1].index + 1 if got else start
        return got + super().entries(rest, end, limit)


def audit_ledger(db: Database, verifier_key: str, *, origin: str | None = None
                 ) -> AuditReport:
    """:func:`anxin.ledger.audit.audit_ledger` of the log stored in ``db``."""
    return _audit.audit_ledger(SqlLedgerStore(db), verifier_key, origin=origin)


def read_stored_origin(db: Database) -> str | None:
    return _origin.read_stored_origin(SqlLedgerStore(db))


def read_origin(db: Database) -> str | None:
    return _origin.read_origin(SqlLedgerStore(db))


def note_signer(settings: Settings, origin: str, profile: Profile) -> NoteSigner:
    """The checkpoint signer: the Ed25519 line always (C2SP, RFC 9162 interoperability),
    and in the ``sm`` and ``dual`` profiles an SM2 line by ``keys/sm2/ledger.key``."""
    extra = [load_sm2_note_signer(settings.keys_dir, settings.key_passphrase, origin)] \
        if profile.has_sm else []
    return load_note_signer(settings, origin, extra=extra)


def sm2_verifier_key(signer: NoteSigner) -> str | None:
    """The verifier key of the signer's SM2 line (``/ledger/key/sm2``), or None."""
    for line_signer in signer.extra:
        if isinstance(line_signer, Sm2NoteSigner):
            return line_signer.verifier_key
    return None


def fix_origin(db: Database, settings: Settings) -> str:
    return _origin.fix_origin(SqlLedgerStore(db), settings)


class StorageLog:
    """A data directory's log, read through storage (read only: no checkpoint is signed;
    the latest stored one is the log's checkpoint): an
    :class:`anxin.evidence.ledger_check.LogSource` for ``anxin verify --ledger DIR``."""

    def __init__(self, data_dir: Path) -> None:
        settings = load_settings(data_dir=data_dir)
        if not (settings.keys_dir / "ledger.key").is_file():
            raise LogUnavailable(f"{data_dir} is not an Anxin data directory")
        self.label = str(data_dir)
        self._db = Database.connect(settings.effective_database_url)
        origin = read_origin(self._db)
        if origin is None:
            self._db.dispose()
            raise LogUnavailable(f"{data_dir}: the log has no origin")
        self._ledger = Ledger(self._db, signer=note_signer(
            settings, origin, read_profile(settings.keys_dir)))

    def checkpoint(self) -> str:
        cp = self._ledger.latest_checkpoint()
        if cp is None:
            raise LogUnavailable(f"{self.label}: the log has no checkpoint")
        return cp.note

    def verifier_key(self) -> str:
        return self._ledger.signer.verifier_key

    def entries(self, start: int, end: int) -> list[tuple[int, bytes]]:
        return [(e.index, e.data) for e in self._ledger.entries(start, end, limit=PAGE)]

    def consistency(self, first: int, second: int) -> list[bytes]:
        return self._ledger.consistency_proof(first, second)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return self._ledger.inclusion_proof(index, size)

    def close(self) -> None:
        self._db.dispose()
