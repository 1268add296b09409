"""The SM2/SM3 parts of a process (issue 14), made once when the profile is ``sm`` or ``dual``.

- ``pki`` — the SM2 PKI of ``keys/sm2`` (:func:`anxin.pki.sm2_authority.load_sm2_pki`);
- ``tsa`` — the built-in SM2 TSA (SM3 imprints, SM2 tokens), its serials from the same
  database counter as the intl TSA's, so a serial is never given twice across both;
- ``timestamper`` — where SM2 tokens come from: the built-in TSA, or an external SM2 TSA
  (``ANXIN_TSA_URL`` in the ``sm`` profile, ``ANXIN_SM2_TSA_URL`` in ``dual``, where
  ``ANXIN_TSA_URL`` stays the intl one), every answer checked before use;
- ``seal`` — the SM2 seal, signing ``SM2SM3`` receipts with the SM2 seal certificate's key.

Example::

    sm2 = open_sm2_services(settings, db, Profile.DUAL)   # in anxin.bootstrap
    token = sm2.timestamper.timestamp(sm3(data))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from anxin.config import Settings
from anxin.net.outbound import OutboundPolicy
from anxin.pki.seal_sm2 import Sm2Seal
from anxin.pki.signature_profile import Profile
from anxin.pki.sm2_authority import Sm2Pki, load_sm2_pki
from anxin.pki.sm2_tsa import Sm2TimestampAuthority
from anxin.pki.sm2_tsa_client import HttpSm2TimeStamper, InProcessSm2TimeStamper, Sm2TimeStamper
from anxin.services.pki_services import DbSerialSource
from anxin.storage.database import Database


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Sm2Services:
    pki: Sm2Pki
    tsa: Sm2TimestampAuthority
    timestamper: Sm2TimeStamper
    seal: Sm2Seal


def sm2_tsa_url(settings: Settings, profile: Profile) -> str:
    """The external SM2 TSA's URL, or "" for the built-in one."""
    return settings.tsa_url if profile is Profile.SM else settings.sm2_tsa_url


def open_sm2_services(settings: Settings, db: Database, profile: Profile, *,
                      clock: Callable[[], dt.datetime] = _utcnow,
                      serial_block_size: int = 64) -> Sm2Services | None:
    """The SM2 parts, or None in the ``intl`` profile; call once at start-up."""
    if not profile.has_sm:
        return None
    pki = load_sm2_pki(settings)
    serials = DbSerialSource(db, block_size=serial_block_size, prefetch=True)
    tsa = Sm2TimestampAuthority(pki.tsa_key, pki.tsa_cert.dump(), [pki.issuing_cert.dump()],
                                serials, clock=clock)
    url = sm2_tsa_url(settings, profile)
    timestamper: Sm2TimeStamper = (
        HttpSm2TimeStamper(url, OutboundPolicy.from_settings(settings)) if url
        else InProcessSm2TimeStamper(tsa))
    return Sm2Services(pki=pki, tsa=tsa, timestamper=timestamper,
                       seal=Sm2Seal(pki.seal_key, cert_der=pki.seal_cert.dump()))


__all__ = ["Sm2Services", "open_sm2_services", "sm2_tsa_url"]
