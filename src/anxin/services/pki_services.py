"""Build the PKI services of a process once: the loaded :class:`Pki` and the TSA, whose
serial numbers come from the database.

:class:`DbSerialSource` is the TSA's serial source on the ``counters`` table: each block
is reserved in a short transaction of its own (:mod:`anxin.pki.serials` says why), through
the :class:`anxin.storage.serial_store.SqlSerialStore` repository.

Example::

    services = open_pki_services(settings, db)   # in anxin.bootstrap.build_services
    timestamper = make_timestamper(settings, services.tsa)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from anxin.config import Settings
from anxin.pki.authority import Pki, load_pki
from anxin.pki.serials import TSA_SERIAL_COUNTER, ReservedSerialSource, SerialUnavailable
from anxin.pki.tsa import TimestampAuthority
from anxin.storage.database import Database
from anxin.storage.serial_store import SqlSerialStore


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DatabaseSerialStore:
    """A :class:`anxin.pki.ports.SerialStore` whose every reservation is one short
    transaction of its own (it commits: a reserved block is spent even if the caller's
    use case later rolls back, which leaves a harmless gap)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def reserve(self, name: str, count: int) -> int:
        try:
            with self._db.transaction() as session:
                return SqlSerialStore(session).reserve(name, count)
        except SQLAlchemyError as exc:
            raise SerialUnavailable(f"cannot reserve a serial number: {exc}") from exc


class DbSerialSource(ReservedSerialSource):
    """Serials from ``counters`` (row ``name``), shared by every worker."""

    def __init__(self, db: Database, *, name: str = TSA_SERIAL_COUNTER,
                 block_size: int = 1, prefetch: bool = False) -> None:
        super().__init__(DatabaseSerialStore(db), name=name, block_size=block_size,
                         prefetch=prefetch)


@dataclass(frozen=True)
class PkiServices:
    pki: Pki
    tsa: TimestampAuthority


def open_pki_services(settings: Settings, db: Database, *,
                      clock: Callable[[], dt.datetime] = _utcnow,
                      serial_block_size: int = 64) -> PkiServices:
    """Load the keys (once) and make the built-in TSA with database-backed serials,
    reserved ``serial_block_size`` at a time ahead of use (see :mod:`anxin.pki.serials`);
    call it at start-up, outside any transaction."""
    pki = load_pki(settings)
    serials = DbSerialSource(db, block_size=serial_block_size, prefetch=True)
    tsa = TimestampAuthority(pki, serials, clock=clock)
    return PkiServices(pki=pki, tsa=tsa)
