"""The composition root: :func:`build_services` makes every part of a process once, from
:class:`~anxin.config.Settings`, and returns the typed, frozen
:class:`~anxin.services.context.Context` that the web application, the CLI and the
background loops receive.

This is the one module that knows which implementation plays which port (the letter
signer, the passkey check, the evidence builders, the SMS gateway, the real-name check,
the key store, the timestamper, the clock); everything else receives them. To add a
capability, write it behind its port and choose it here.

Example::

    ctx = build_services(load_settings(data_dir=Path("anxin-data")))
    app = create_app(ctx.settings, ctx)
"""

from __future__ import annotations

from collections.abc import Callable

from anxin.config import Settings
from anxin.errors import ConfigurationError
from anxin.identity.realname import RealNameCheck, make_realname_check
from anxin.identity.sms import SmsGateway, make_sms_gateway
from anxin.keys import load_master_key
from anxin.net.outbound import OutboundPolicy
from anxin.pki.signature_profile import Profile, check_profile
from anxin.pki.sm2 import sm3
from anxin.pki.tsa import TimestampAuthority, make_timestamper, timestamp_data
from anxin.seal import load_seal
from anxin.services.context import Context, utcnow
from anxin.services.evidence_package import build_package, build_report_pdf
from anxin.services.ledger import Ledger, fix_origin, note_signer
from anxin.services.letter_signing import PkiLetterSigner
from anxin.services.metrics import Metrics
from anxin.services.passkey_signing import make_passkey_check
from anxin.services.pki_services import open_pki_services
from anxin.services.ports import Clock
from anxin.services.sm2_services import Sm2Services, open_sm2_services
from anxin.services.test_mode import open_test_mode
from anxin.storage.database import Database


def checkpoint_timestamp(tsa: TimestampAuthority, sm2_parts: Sm2Services | None,
                         profile: Profile) -> Callable[[bytes], bytes]:
    """What timestamps each signed checkpoint note: the intl TSA (SHA-256 imprint), or in
    the sm profile the SM2 one (SM3 imprint), whose token the package then carries."""
    if profile is Profile.SM and sm2_parts is not None:
        stamper = sm2_parts.timestamper
        return lambda data: stamper.timestamp(sm3(data))
    return lambda data: timestamp_data(tsa, data)


def build_services(settings: Settings, *, db: Database | None = None,
                   sms: SmsGateway | None = None, realname: RealNameCheck | None = None,
                   clock: Clock = utcnow, background_workers: bool = True,
                   ledger_checkpoints: bool = True) -> Context:
    """Every part of one process, wired. ``db``, ``sms``, ``realname`` and ``clock`` replace
    the implementations the settings choose (tests and embedding hosts use them); the two
    flags say whether an application built on the context runs its background loops."""
    master = settings.keys_dir / "master.key"
    if not master.is_file():
        raise ConfigurationError(
            f"{settings.data_dir} is not initialised: run `anxin init --data-dir "
            f"{settings.data_dir}`")
    outbound = OutboundPolicy.from_settings(settings)  # a bad allow-list fails at start
    profile = check_profile(settings.keys_dir, Profile(settings.profile) if settings.profile
                            else None)
    if db is None:
        db = Database.connect(settings.effective_database_url, pool_size=settings.db_pool_size,
                              replica_url=settings.database_replica_url,
                              replica_wait=settings.database_replica_wait_ms / 1000,
                              idle_in_transaction_seconds=settings.db_idle_in_transaction_seconds)
    pki_services = open_pki_services(settings, db, clock=clock)
    tsa = pki_services.tsa
    keys = load_master_key(master, settings.key_passphrase)
    sm2_parts = open_sm2_services(settings, db, profile, clock=clock)
    # One per process (pyHanko caches in it). In the sm profile ANXIN_TSA_URL names the
    # SM2 TSA, so the intl timestamper (the test CA's letters only) is the built-in one.
    timestamper = make_timestamper(
        settings.model_copy(update={"tsa_url": ""}) if profile is Profile.SM else settings, tsa)
    ledger = Ledger(db, signer=note_signer(settings, fix_origin(db, settings), profile),
                    timestamp=checkpoint_timestamp(tsa, sm2_parts, profile),
                    checkpoint_interval=settings.checkpoint_interval_seconds, clock=clock)
    return Context(
        settings=settings, db=db, pki=pki_services.pki, tsa=tsa, ledger=ledger, keys=keys,
        sms=sms or make_sms_gateway(settings.sms_provider, settings.outbox_path, outbound),
        realname=realname or make_realname_check(settings.realname_provider, outbound),
        seal=load_seal(settings.keys_dir, settings.key_passphrase),
        timestamper=timestamper,
        letter_signer=PkiLetterSigner(pki_services.pki, timestamper, profile=profile,
                                      sm2_parts=sm2_parts,
                                      verify_base_url=settings.effective_base_url),
        passkey_check=make_passkey_check(settings),
        evidence_package=build_package, evidence_report=build_report_pdf,
        metrics=Metrics(), profile=profile, sm2=sm2_parts, clock=clock,
        test_mode=open_test_mode(settings, db, clock=clock),
        background_workers=background_workers, ledger_checkpoints=ledger_checkpoints)


__all__ = ["build_services"]
