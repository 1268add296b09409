"""The services' context: everything a use case needs, built once from :class:`Settings`.

Example::

    ctx = open_context(load_settings(data_dir=Path("anxin-data")))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anxin.config import Settings
from anxin.errors import ConfigurationError
from anxin.identity.realname import RealNameCheck, make_realname_check
from anxin.identity.sms import SmsGateway, make_sms_gateway
from anxin.keys import DataKeys, load_master_key
from anxin.ledger.checkpoint import load_note_signer
from anxin.net.outbound import OutboundPolicy
from anxin.pki.authority import Pki
from anxin.pki.services import open_pki_services
from anxin.pki.tsa import TimestampAuthority, timestamp_data
from anxin.seal import Seal, load_seal
from anxin.services.ledger import Ledger, fix_origin
from anxin.services.metrics import Metrics
from anxin.storage.database import Database


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Context:
    settings: Settings
    db: Database
    keys: DataKeys
    sms: SmsGateway
    realname: RealNameCheck
    seal: Seal
    metrics: Metrics
    pki: Pki
    tsa: TimestampAuthority
    ledger: Ledger
    clock: Callable[[], dt.datetime] = utcnow
    # Plug-ins added by later parts (letter signer, ledger, PKI); None until configured.
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        self.db.dispose()


def open_context(settings: Settings, *, db: Database | None = None,
                 sms: SmsGateway | None = None, realname: RealNameCheck | None = None,
                 clock: Callable[[], dt.datetime] = utcnow) -> Context:
    master = settings.keys_dir / "master.key"
    if not master.is_file():
        raise ConfigurationError(
            f"{settings.data_dir} is not initialised: run `anxin init --data-dir "
            f"{settings.data_dir}`")
    outbound = OutboundPolicy.from_settings(settings)  # a bad allow-list fails at start
    if db is None:
        db = Database.connect(settings.effective_database_url, pool_size=settings.db_pool_size)
    pki_services = open_pki_services(settings, db, clock=clock)
    tsa = pki_services.tsa
    ledger = Ledger(db, signer=load_note_signer(settings, fix_origin(db, settings)),
                    timestamp=lambda data: timestamp_data(tsa, data),
                    checkpoint_interval=settings.checkpoint_interval_seconds, clock=clock)
    ctx = Context(
        settings=settings, db=db, pki=pki_services.pki, tsa=tsa, ledger=ledger,
        keys=load_master_key(master, settings.key_passphrase),
        sms=sms or make_sms_gateway(settings.sms, settings.outbox_path, outbound),
        realname=realname or make_realname_check(settings.realname, outbound),
        seal=load_seal(settings.keys_dir, settings.key_passphrase),
        metrics=Metrics(), clock=clock)
    from anxin.services.letter_signing import PkiLetterSigner
    ctx.extras["letter_signer"] = PkiLetterSigner(settings, ctx.pki, ctx.tsa, ctx.keys)
    return ctx


def data_dir_ready(data_dir: Path) -> bool:
    return (data_dir / "keys" / "master.key").is_file()
