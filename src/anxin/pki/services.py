"""Build the PKI services of a process once: the loaded :class:`Pki` and the TSA.

Example::

    services = open_pki_services(settings, db)
    ctx.pki, ctx.tsa = services.pki, services.tsa
    timestamper = make_timestamper(settings, services.tsa)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from anxin.config import Settings
from anxin.pki.authority import Pki, load_pki
from anxin.pki.serials import DbSerialSource
from anxin.pki.tsa import TimestampAuthority
from anxin.storage.database import Database


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
