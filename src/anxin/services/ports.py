"""The ports of the use cases: what signing needs from the parts that plug into it.

The composition root (:mod:`anxin.bootstrap`) chooses an implementation of each and puts it
into the typed :class:`~anxin.services.context.Context`; a use case calls the port and never
builds one. A missing part is a type error at start-up, not a hidden ``None`` at run time.

- :class:`LetterSigner` — the cryptographic signature of a letter
  (the product's: :class:`anxin.services.letter_signing.PkiLetterSigner`);
- :data:`PasskeyCheck` — the passkey assertion that travels with a signing
  (:func:`anxin.services.passkey_signing.make_passkey_check`).

The ports of the libraries are where the libraries are: the SMS gateway
(:class:`anxin.identity.sms.SmsGateway`), the real-name check
(:class:`anxin.identity.realname.RealNameCheck`), the key store
(:class:`anxin.keys.KeyStore`), pyHanko's ``TimeStamper``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from anxin.storage.models import Authorization

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True, slots=True)
class SignatureOutcome:
    pdf: bytes
    timestamp_at: dt.datetime | None
    evidence: dict[str, Any]


class LetterSigner(Protocol):
    """Signs the letter inside the signing transaction (the PKI part plugs in here)."""

    def __call__(self, session: Session, auth: Authorization, letter_text: str,
                 subject_name: str, subject_id_number: str, method: str,
                 now: dt.datetime) -> SignatureOutcome: ...


PasskeyCheck = Callable[[Session, Authorization, dict[str, Any], dt.datetime], dict[str, Any]]
