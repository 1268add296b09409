"""Test mode (sandbox): the parts a process needs for test authorizations, made once.

An institution's test key (``anx_test_…``) makes test authorizations (``"test": true``):
the same API, pages and rules, but

- their letters say TEST on every page and are signed, time-stamped and sealed by the
  test CA (:mod:`anxin.pki.test_ca`), in the intl profile whatever the deployment's, with
  the built-in test TSA (never ``ANXIN_TSA_URL``): they never chain to the production root;
- their gate receipts are signed ES256 by the test seal (``/pki/test/seal.crt``);
- their SMS always go to the outbox file (never the real gateway) and the fixed code
  :data:`TEST_OTP` is accepted in place of the one sent (for test authorizations only);
- they are never counted in production figures (dashboard, stats, metrics) or exports;
- a live key never sees them, and a test key sees nothing else (404).

Example::

    test = open_test_mode(settings, db, clock=clock)   # in anxin.bootstrap
    signer = test.letter_signer if letter.test else ctx.letter_signer
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from pyhanko.sign.timestamps import TimeStamper

from anxin.config import Settings
from anxin.identity.sms import OutboxSms, SmsGateway
from anxin.pki.authority import Pki
from anxin.pki.test_ca import has_test_pki, load_test_pki, test_keys_dir
from anxin.pki.tsa import TimestampAuthority, make_timestamper
from anxin.seal import Seal, load_seal
from anxin.services.letter_signing import PkiLetterSigner
from anxin.services.pki_services import DbSerialSource
from anxin.storage.database import Database

# The code a test authorization also accepts (documented in docs/api.md "Test mode").
TEST_OTP = "000000"
# The test TSA's serial numbers: a counter of their own.
TEST_TSA_SERIAL_COUNTER = "tsa_serial_test"


@dataclass(frozen=True)
class TestMode:
    """The test CA and what signs with it; the SMS gateway of test authorizations."""

    __test__ = False  # not a pytest class

    pki: Pki
    tsa: TimestampAuthority
    timestamper: TimeStamper
    letter_signer: PkiLetterSigner
    sms: SmsGateway
    # Signs test grants' receipts (ES256, /pki/test/seal.crt), never the platform seal.
    seal: Seal


def open_test_mode(settings: Settings, db: Database, *,
                   clock: Callable[[], dt.datetime]) -> TestMode | None:
    """The test-mode parts, or None when the data directory has no test CA yet (made by
    ``anxin init``/``anxin serve``; test letters then cannot be signed: fail closed)."""
    if not has_test_pki(settings):
        return None
    pki = load_test_pki(settings)
    tsa = TimestampAuthority(pki, DbSerialSource(db, name=TEST_TSA_SERIAL_COUNTER),
                             clock=clock)
    timestamper = make_timestamper(settings.model_copy(update={"tsa_url": ""}), tsa)
    signer = PkiLetterSigner(pki, timestamper, verify_base_url=settings.effective_base_url,
                             test=True)
    return TestMode(pki=pki, tsa=tsa, timestamper=timestamper, letter_signer=signer,
                    sms=OutboxSms(settings.outbox_path),
                    seal=load_seal(test_keys_dir(settings), settings.key_passphrase))


def marked_sms_text(text: str) -> str:
    """A test authorization's SMS: marked, and naming the fixed code."""
    return f"[TEST 测试] {text} (test mode: {TEST_OTP} also works)"


__all__ = ["TEST_OTP", "TestMode", "marked_sms_text", "open_test_mode"]
