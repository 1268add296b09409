"""The ports of the use cases: what signing needs from the parts that plug into it.

A signing runs in three steps (see :func:`anxin.services.signing.sign`): a short
transaction checks the request and reads a :class:`LetterToSign`; the signer then renders
and signs the letter with **no transaction open** (event certificate, timestamps,
validation data: tens of milliseconds, and HTTP calls when the TSA is external); a short
conditional transaction finally stores the :class:`SignatureOutcome` if the request is
still pending and its code still unconsumed. So a signer never sees a ``Session``: what it
needs of storage it is given (the letter, and a :class:`CertificateStatus` that answers
from a read-only snapshot), and what must be stored it returns (the PDF, the event
certificate to record).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from sqlalchemy.orm import Session

from anxin.pki.revocation import ValidationData
from anxin.storage.models import Authorization

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True, slots=True)
class LetterToSign:
    """Everything a signer needs, read (and decrypted) in the first transaction."""

    authorization_id: str
    letter_sha256: str
    letter_text: str
    locale: str
    title: str
    institution_name: str
    purpose: str
    data_scope: tuple[str, ...]
    valid_from: dt.datetime | None
    valid_until: dt.datetime
    max_uses: int
    reference: str
    subject_name: str
    subject_id_number: str
    subject_id_masked: str
    method: str
    passkey_evidence: dict[str, Any] | None
    now: dt.datetime
    # Terms v2 (anxin.domain.terms.TermsV2.stored), printed in the key terms table.
    terms: dict[str, Any] | None = None
    # The purpose's words where the deployment configured them (purpose_labels).
    purpose_label: str | None = None
    # Test mode: signed only by the test CA's signer (each signer refuses the other kind).
    test: bool = False


@dataclass(frozen=True, slots=True)
class SignatureOutcome:
    """A signed letter, stored by the final transaction only if the signing wins.

    ``certificate`` is the intl event certificate to record in ``certificates`` (None for
    a signer that issues none, or in the ``sm`` profile), ``sm2_certificate`` the SM2 one
    (``sm`` and ``dual``: an asn1crypto certificate, recorded under the SM2 issuing CA's
    key id); a discarded outcome's certificates are never recorded."""

    pdf: bytes
    timestamp_at: dt.datetime | None
    evidence: dict[str, Any]
    certificate: x509.Certificate | None = None
    sm2_certificate: asn1_x509.Certificate | None = None


class CertificateStatus(Protocol):
    """The validation data (CRLs, OCSP responses) of ``certs`` as the platform's responder
    will answer once ``issued`` (a certificate not recorded yet) is recorded; read with no
    lock held. :meth:`sm2` is the same for SM2 certificates and the SM2 responder (the
    ``sm`` and ``dual`` profiles)."""

    def __call__(self, certs: Sequence[x509.Certificate], *, issued: x509.Certificate,
                 now: dt.datetime) -> ValidationData: ...

    def sm2(self, certs: Sequence[asn1_x509.Certificate], *,
            issued: asn1_x509.Certificate, now: dt.datetime,
            cert_id_hash: str = "sm3") -> ValidationData: ...


class LetterSigner(Protocol):
    """Signs a letter outside any transaction (the PKI part plugs in here)."""

    def __call__(self, letter: LetterToSign, status: CertificateStatus
                 ) -> SignatureOutcome: ...


PasskeyCheck = Callable[[Session, Authorization, dict[str, Any], dt.datetime], dict[str, Any]]
