"""The services' context: every part a use case needs, typed, built once by the
composition root (:func:`anxin.bootstrap.build_services`).

A use case receives the :class:`Context` and calls its ports (the letter signer, the
passkey check, the evidence builders, the SMS gateway, the real-name check, the key store,
the timestamper, the clock); it never builds one and never looks one up by name. The
context is frozen: a different part is a different context
(``dataclasses.replace(ctx, sms=...)``), never a mutation behind other users' backs.

Example::

    ctx = build_services(load_settings(data_dir=Path("anxin-data")))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyhanko.sign.timestamps import TimeStamper

from anxin.config import Settings
from anxin.identity.realname import RealNameCheck
from anxin.identity.sms import SmsGateway
from anxin.keys import KeyStore
from anxin.pki.authority import Pki
from anxin.pki.signature_profile import Profile
from anxin.pki.tsa import TimestampAuthority
from anxin.seal import Seal
from anxin.services.ledger import Ledger
from anxin.services.metrics import Metrics
from anxin.services.ports import Clock, LetterSigner, PasskeyCheck
from anxin.services.sm2_services import Sm2Services
from anxin.services.test_mode import TestMode
from anxin.storage.database import Database


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


EvidenceBuilder = Callable[["Context", str | None, str], bytes]
"""``(ctx, institution_id or None for the platform's own staff, authorization id)`` → the
evidence package (ZIP) or the verification report (PDF) of one signed authorization."""


@dataclass
class ProcessCaches:
    """What a process remembers between requests; each entry is re-checked where it is used
    (see :mod:`anxin.services.uses`), so a stale one can only miss."""

    institution_of_key: dict[str, str] = field(default_factory=dict)
    signed_authorizations: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Context:
    settings: Settings
    db: Database
    keys: KeyStore
    sms: SmsGateway
    realname: RealNameCheck
    seal: Seal
    metrics: Metrics
    pki: Pki
    tsa: TimestampAuthority
    timestamper: TimeStamper
    ledger: Ledger
    letter_signer: LetterSigner
    passkey_check: PasskeyCheck
    evidence_package: EvidenceBuilder
    evidence_report: EvidenceBuilder
    # The deployment's signature profile, fixed at init (anxin.pki.signature_profile).
    profile: Profile = Profile.INTL
    # The SM2/SM3 parts (PKI, TSA, seal) in the sm and dual profiles; None in intl.
    sm2: Sm2Services | None = None
    # Test mode's test CA, signer and SMS outbox (anxin.services.test_mode); None when the
    # data directory has no test CA: test letters are then refused.
    test_mode: TestMode | None = None
    clock: Clock = utcnow
    # Which loops an application built on this context runs (tests turn them off and run
    # them by hand): notification delivery, expiry sweep and archive renewal; checkpoints.
    background_workers: bool = True
    ledger_checkpoints: bool = True
    caches: ProcessCaches = field(default_factory=ProcessCaches)

    def close(self) -> None:
        self.db.dispose()


def data_dir_ready(data_dir: Path) -> bool:
    return (data_dir / "keys" / "master.key").is_file()


__all__ = ["Context", "EvidenceBuilder", "ProcessCaches", "data_dir_ready", "utcnow"]
