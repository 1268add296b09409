"""The cryptographic signature of a letter, inside the signing use case, per signature
profile (:class:`anxin.pki.signature_profile.Profile`).

For each signing: fresh event keys and certificates (minutes of validity, binding the
authorization id and the letter's digests, the id number only as a salted commitment, one
salt for both certificates of a ``dual`` signing), the letter rendered to PDF, then:

- ``intl``: PAdES B-T by the P-256 event certificate with the intl TSA's timestamp, then
  B-LTA: the certificates and revocation data of every chain used (event certificate,
  issuing CA, TSA: :func:`anxin.pki.revocation.validation_data`) in the DSS, then the intl
  document timestamp ``AnxinArchiveTimestamp``.
- ``dual``: the same PAdES B-T field, then the invisible SM2 field ``AnxinSignatureSM2``
  (``/SubFilter /Anxin.SM2.detached``, an SM2 CMS by the SM2 event certificate with an SM2
  signature timestamp, :func:`anxin.letters.sign_sm2.sign_letter_sm2`), then one DSS with the
  intl and the SM2 validation data (:func:`anxin.pki.sm2_validation.sm2_validation_data`)
  and the intl document timestamp, which covers both signatures.
- ``sm``: the SM2 field with the visible stamp (``/SubFilter /adbe.pkcs7.detached``), then
  a DSS with the SM2 validation data and the SM2 document timestamp
  ``AnxinArchiveTimestampSM2`` (SM3 imprint).

The SM2 event certificate binds the SM3 of the same bytes whose SHA-256 is the letter's
``letter_sha256`` (the UTF-8 letter text, :func:`anxin.letters.text.letter_sha256`). All of
it runs with no transaction open (see :mod:`anxin.services.ports`); the event
certificates are recorded by the signing's final transaction, only if the signing wins.
Test mode (``anx_test_`` keys and their test CA, when present) signs intl in every profile.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import TimeStamper

from anxin.domain.terms import TermsV2
from anxin.domain.terms_wording import term_rows
from anxin.domain.vocabulary import purpose_label, scope_labels
from anxin.errors import ConfigurationError
from anxin.letters import LetterSpec, render_letter_pdf, sign_letter, upgrade_to_lta
from anxin.letters.letter_data import open_signed_letter
from anxin.letters.qr import verification_url
from anxin.letters.sign_sm2 import (
    SUBFILTER_DUAL,
    SUBFILTER_PKCS7,
    add_sm2_document_timestamp,
    sign_letter_sm2,
)
from anxin.pki import sm2, sm2_cms
from anxin.pki.authority import Pki, authority_key_id
from anxin.pki.events import issue_event_certificate, make_id_commitment
from anxin.pki.ports import CertificateStore, RevokedCertificate, StoredCertificate
from anxin.pki.revocation import ValidationData, validation_data
from anxin.pki.signature_profile import Profile
from anxin.pki.sm2_authority import Sm2Pki
from anxin.pki.sm2_events import issue_sm2_event_certificate
from anxin.pki.sm2_validation import sm2_validation_data
from anxin.pki.sm2_x509 import authority_key_id as sm2_authority_key_id
from anxin.pki.sm2_x509 import to_pem
from anxin.services.ports import (
    CertificateStatus,
    LetterToSign,
    SignatureOutcome,
)
from anxin.services.sm2_services import Sm2Services
from anxin.storage.certificate_store import SqlCertificateStore
from anxin.storage.database import Database

# Minutes, not years: the key signs once and is dropped. Thirty rather than ten because
# poppler's pdfsig judges a certificate at the current time, not at the signature time, and
# an institution usually checks the letter within the half hour after signing.
EVENT_CERT_LIFETIME = dt.timedelta(minutes=30)

METHOD_LABELS = {
    ("sms", "zh-CN"): "短信验证码", ("sms", "en"): "SMS code",
    ("sms+passkey", "zh-CN"): "短信验证码 + 通行密钥", ("sms+passkey", "en"): "SMS code + passkey",
}
REASONS = {"zh-CN": "同意本授权书", "en": "I agree to this authorization"}
LOCATION = "Anxin"


def _passkey_json(letter: LetterToSign) -> bytes | None:
    if not letter.passkey_evidence:
        return None
    return json.dumps(letter.passkey_evidence, sort_keys=True, ensure_ascii=False).encode()


def signature_time(pdf: bytes) -> dt.datetime | None:
    """The genTime of the signature's RFC 3161 timestamp token."""
    signed_data = open_signed_letter(pdf).signature.signed_data
    signer = signed_data["signer_infos"][0]
    for attr in signer["unsigned_attrs"] or []:
        if attr["type"].native == "signature_time_stamp_token":
            token = attr["values"][0]
            info = token["content"]["encap_content_info"]["content"].parsed
            when = info["gen_time"].native
            return when if isinstance(when, dt.datetime) else None
    return None


class _RecordingTimeStamper(TimeStamper):
    """The process's timestamper, remembering the tokens of one signature: the letter's
    signature time is read from the token itself, not by parsing the signed PDF again
    (that re-read cost a fifth of an intl signing)."""

    def __init__(self, inner: TimeStamper) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.inner = inner
        self.tokens: list[Any] = []

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> Any:
        token = await self.inner.async_timestamp(message_digest, md_algorithm)
        self.tokens.append(token)
        return token

    def gen_time(self) -> dt.datetime | None:
        if not self.tokens:
            return None
        info = self.tokens[-1]["content"]["encap_content_info"]["content"].parsed
        when = info["gen_time"].native
        return when if isinstance(when, dt.datetime) else None


def token_time(token_der: bytes) -> dt.datetime | None:
    """The genTime of an RFC 3161 token (DER ContentInfo), e.g. an SM2 one."""
    info = cms.ContentInfo.load(token_der)["content"]["encap_content_info"]["content"]
    when = info.parsed["gen_time"].native
    return when if isinstance(when, dt.datetime) else None


def _sha256_hex(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


@dataclass(frozen=True, slots=True)
class _Event:
    """The event certificates of one signing (one commitment, one salt)."""

    salt_hex: str
    commitment: str
    letter_sm3: str


@dataclass(frozen=True, slots=True)
class _Sm2Signed:
    pdf: bytes
    cert: asn1_x509.Certificate
    token: bytes | None


class PkiLetterSigner:
    """The product's :class:`anxin.services.ports.LetterSigner`, in the deployment's
    ``profile`` (``sm2`` is required in ``sm`` and ``dual``)."""

    def __init__(self, pki: Pki, timestamper: TimeStamper, *,
                 profile: Profile = Profile.INTL, sm2_parts: Sm2Services | None = None,
                 verify_base_url: str | None = None, test: bool = False) -> None:
        if profile.has_sm and sm2_parts is None:
            raise ValueError(f"the {profile.value} profile signs with the SM2 PKI: none given")
        self.pki = pki
        self.profile = profile
        self.sm2 = sm2_parts
        root_der = (sm2_parts.pki.root_cert.dump() if profile is Profile.SM and sm2_parts
                    else pki.root_cert.public_bytes(serialization.Encoding.DER))
        # The letter prints the fingerprint of the root its (first) signature chains to,
        # and in ``dual`` the SM2 root's too (its second signature's).
        self.root_sha256 = _sha256_hex(root_der)
        self.sm2_root_sha256 = (_sha256_hex(sm2_parts.pki.root_cert.dump())
                                if profile is Profile.DUAL and sm2_parts else None)
        # The process's one timestamper (the context's port): pyHanko caches per instance.
        self.timestamper = timestamper
        # The deployment's address: the letter prints <base>/verify?id=<id> and its QR code.
        self.verify_base_url = verify_base_url
        # Test mode: the test CA's signer signs test letters only, the platform's signer
        # live letters only (fail closed: a mix-up raises, nothing is signed).
        self.test = test
        if test and profile is not Profile.INTL:
            raise ValueError("the test CA signs intl letters only")

    def _spec(self, letter: LetterToSign) -> LetterSpec:
        now = letter.now
        return LetterSpec(
            authorization_id=letter.authorization_id, locale=letter.locale,
            title=letter.title, institution_name=letter.institution_name,
            purpose_label=letter.purpose_label or purpose_label(letter.purpose, letter.locale),
            scope_labels=scope_labels(letter.data_scope, letter.locale),
            valid_from=letter.valid_from or now, valid_until=letter.valid_until,
            max_uses=letter.max_uses, subject_name=letter.subject_name,
            subject_id_masked=letter.subject_id_masked, reference=letter.reference,
            letter_text=letter.letter_text, letter_sha256=letter.letter_sha256,
            passkey_evidence=_passkey_json(letter), root_sha256=self.root_sha256,
            sm2_root_sha256=self.sm2_root_sha256,
            verify_url=(verification_url(self.verify_base_url, letter.authorization_id)
                        if self.verify_base_url else None),
            term_rows=tuple(term_rows(TermsV2.from_stored(letter.terms), letter.locale)),
            test=letter.test)

    def __call__(self, letter: LetterToSign, status: CertificateStatus) -> SignatureOutcome:
        if bool(letter.test) != self.test:
            raise ConfigurationError(
                "a test authorization's letter is signed by the test CA only, a live one "
                f"never by it (letter test={letter.test}, signer test={self.test})")
        salt_hex, commitment = make_id_commitment(letter.subject_id_number)
        event = _Event(salt_hex, commitment,
                       sm2.sm3(letter.letter_text.encode("utf-8")).hex())
        rendered = render_letter_pdf(self._spec(letter))
        if self.profile is Profile.SM:
            return self._sign_sm(letter, status, rendered, event)
        if self.profile is Profile.DUAL:
            return self._sign_dual(letter, status, rendered, event)
        return self._sign_intl(letter, status, rendered, event)

    # --- the intl PAdES signature ------------------------------------------------------------

    def _pades(self, letter: LetterToSign, rendered: bytes, event: _Event
               ) -> tuple[bytes, x509.Certificate, dt.datetime | None]:
        """The PAdES B-T signature, its event certificate and its token's genTime."""
        pki = self.pki
        stamper = _RecordingTimeStamper(self.timestamper)
        key, cert = issue_event_certificate(
            pki, name=letter.subject_name, id_commitment_hex=event.commitment,
            authorization_id=letter.authorization_id, letter_sha256_hex=letter.letter_sha256,
            now=letter.now, lifetime=EVENT_CERT_LIFETIME)
        try:
            signed = sign_letter(
                rendered, signer_key=key, signer_cert=cert,
                chain=[pki.issuing_cert, pki.root_cert], timestamper=stamper,
                signer_name=letter.subject_name, method_label=_method_label(letter),
                reason=_reason(letter), location=LOCATION, signing_time=letter.now)
        finally:
            del key  # the event key never outlives its one signature
        return signed, cert, stamper.gen_time()

    def _intl_certificates(self, cert: x509.Certificate) -> list[x509.Certificate]:
        pki = self.pki
        return [cert, pki.issuing_cert, pki.root_cert, pki.tsa_cert]

    def _intl_status(self, status: CertificateStatus, cert: x509.Certificate,
                     now: dt.datetime) -> ValidationData:
        pki = self.pki
        return status([cert, pki.tsa_cert, pki.issuing_cert], issued=cert, now=now)

    def _sign_intl(self, letter: LetterToSign, status: CertificateStatus, rendered: bytes,
                   event: _Event) -> SignatureOutcome:
        signed, cert, gen_time = self._pades(letter, rendered, event)
        data = self._intl_status(status, cert, letter.now)
        archived = upgrade_to_lta(
            signed, certificates=self._intl_certificates(cert), crls=data.crls,
            ocsp_responses=data.ocsps, timestamper=self.timestamper)
        return SignatureOutcome(pdf=archived, timestamp_at=gen_time, certificate=cert,
                                evidence={**_commitment(event), **_intl_evidence(cert)})

    # --- the SM2 signature ----------------------------------------------------------------------

    def _sm2_parts(self) -> Sm2Services:
        assert self.sm2 is not None  # checked in __init__ for the sm and dual profiles
        return self.sm2

    def _sm2_field(self, letter: LetterToSign, pdf: bytes, event: _Event, *,
                   visible: bool) -> _Sm2Signed:
        parts = self._sm2_parts()
        pki = parts.pki
        key, cert = issue_sm2_event_certificate(
            pki, name=letter.subject_name, id_commitment_hex=event.commitment,
            authorization_id=letter.authorization_id, letter_sha256_hex=letter.letter_sha256,
            letter_sm3_hex=event.letter_sm3, now=letter.now, lifetime=EVENT_CERT_LIFETIME)
        tokens: list[bytes] = []

        def timestamp(digest: bytes) -> bytes:
            token = parts.timestamper.timestamp(digest)
            tokens.append(token)
            return token

        sign_cms = functools.partial(
            sm2_cms.sign_detached, signer_key=key, signer_cert=cert.dump(),
            chain=[pki.issuing_cert.dump(), pki.root_cert.dump()], timestamp=timestamp)
        try:
            signed = sign_letter_sm2(
                pdf, sign_cms=sign_cms, signer_name=letter.subject_name,
                reason=_reason(letter), location=LOCATION, signing_time=letter.now,
                stamp_method_label=_method_label(letter) if visible else None,
                subfilter=SUBFILTER_PKCS7 if visible else SUBFILTER_DUAL)
        finally:
            del key, sign_cms  # the SM2 event key never outlives its one signature
        return _Sm2Signed(signed, cert, tokens[-1] if tokens else None)

    def _sm2_certificates(self, cert: asn1_x509.Certificate) -> list[asn1_x509.Certificate]:
        pki = self._sm2_parts().pki
        return [cert, pki.issuing_cert, pki.root_cert, pki.tsa_cert]

    def _sm2_status(self, status: CertificateStatus, cert: asn1_x509.Certificate,
                    now: dt.datetime) -> ValidationData:
        pki = self._sm2_parts().pki
        # dual's DSS is read by ordinary validators too: SHA-256 CertIDs there
        # (anxin.pki.sm2_validation says why), SM3 in sm.
        return status.sm2([cert, pki.tsa_cert, pki.issuing_cert], issued=cert, now=now,
                          cert_id_hash="sha256" if self.profile is Profile.DUAL else "sm3")

    def _sign_sm(self, letter: LetterToSign, status: CertificateStatus, rendered: bytes,
                 event: _Event) -> SignatureOutcome:
        signed = self._sm2_field(letter, rendered, event, visible=True)
        data = self._sm2_status(status, signed.cert, letter.now)
        archived = add_sm2_document_timestamp(
            signed.pdf, timestamp=self._sm2_parts().timestamper.timestamp,
            certificates=[c.dump() for c in self._sm2_certificates(signed.cert)],
            crls=data.crls, ocsp_responses=data.ocsps)
        return SignatureOutcome(
            pdf=archived, timestamp_at=token_time(signed.token) if signed.token else None,
            sm2_certificate=signed.cert,
            evidence={**_commitment(event), **_sm2_evidence(signed.cert)})

    def _sign_dual(self, letter: LetterToSign, status: CertificateStatus, rendered: bytes,
                   event: _Event) -> SignatureOutcome:
        pades, cert, gen_time = self._pades(letter, rendered, event)
        both = self._sm2_field(letter, pades, event, visible=False)
        intl = self._intl_status(status, cert, letter.now)
        national = self._sm2_status(status, both.cert, letter.now)
        archived = upgrade_to_lta(
            both.pdf, certificates=[*self._intl_certificates(cert),
                                    *self._sm2_certificates(both.cert)],
            crls=[*intl.crls, *national.crls], ocsp_responses=[*intl.ocsps, *national.ocsps],
            timestamper=self.timestamper)
        return SignatureOutcome(
            pdf=archived, timestamp_at=gen_time, certificate=cert, sm2_certificate=both.cert,
            evidence={**_commitment(event), **_intl_evidence(cert),
                      **_sm2_evidence(both.cert)})


def _method_label(letter: LetterToSign) -> str:
    return METHOD_LABELS.get((letter.method, letter.locale), letter.method)


def _reason(letter: LetterToSign) -> str:
    return REASONS.get(letter.locale, REASONS["en"])


def _commitment(event: _Event) -> dict[str, str]:
    return {"id_commitment": event.commitment, "id_commitment_salt": event.salt_hex}


def _intl_evidence(cert: x509.Certificate) -> dict[str, str]:
    return {"event_certificate_serial": format(cert.serial_number, "x"),
            "event_certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode()}


def _sm2_evidence(cert: asn1_x509.Certificate) -> dict[str, str]:
    return {"event_certificate_sm2_serial": format(cert.serial_number, "x"),
            "event_certificate_sm2_pem": to_pem([cert]).decode()}


class SnapshotStatus:
    """The product's :class:`anxin.services.ports.CertificateStatus`: the CRLs and
    OCSP responses of :func:`anxin.pki.revocation.validation_data` (intl) or
    :func:`anxin.pki.sm2_validation.sm2_validation_data` (:meth:`sm2`), read in a
    :meth:`Database.snapshot` (no lock), with the new event certificate made visible to
    the responder as the row it will be once recorded (not revoked, of the current
    issuing CA) but never written: the signing's final transaction records it, or, if the
    signing loses, nothing does."""

    def __init__(self, db: Database, pki: Pki, sm2_pki: Sm2Pki | None = None) -> None:
        self.db = db
        self.pki = pki
        self.sm2_pki = sm2_pki

    def __call__(self, certs: Sequence[x509.Certificate], *, issued: x509.Certificate,
                 now: dt.datetime) -> ValidationData:
        pending = StoredCertificate(
            serial=format(issued.serial_number, "x"), kind="event",
            issuer_key_id=authority_key_id(issued), authorization_id=None,
            not_before=issued.not_valid_before_utc, not_after=issued.not_valid_after_utc,
            der_enc=b"")
        with self.db.snapshot() as session:
            return validation_data(self.pki, _WithPending(SqlCertificateStore(session), pending),
                                   certs, now)

    def sm2(self, certs: Sequence[asn1_x509.Certificate], *, issued: asn1_x509.Certificate,
            now: dt.datetime, cert_id_hash: str = "sm3") -> ValidationData:
        if self.sm2_pki is None:
            raise ValueError("this deployment has no SM2 PKI (intl profile)")
        issuer = sm2_authority_key_id(issued)
        pending = StoredCertificate(
            serial=format(issued.serial_number, "x"), kind="event",
            issuer_key_id=issuer.hex() if issuer else "", authorization_id=None,
            not_before=issued.not_valid_before, not_after=issued.not_valid_after,
            der_enc=b"")
        with self.db.snapshot() as session:
            return sm2_validation_data(
                self.sm2_pki, _WithPending(SqlCertificateStore(session), pending), certs, now,
                cert_id_hash=cert_id_hash)


class _WithPending:
    """A read-only :class:`~anxin.pki.ports.CertificateStore` in which one certificate not
    recorded yet is already visible; writing through it is a programming error."""

    def __init__(self, stored: CertificateStore, pending: StoredCertificate) -> None:
        self.stored = stored
        self.pending = pending

    def add(self, certificate: StoredCertificate) -> None:
        raise AssertionError("the signing snapshot is read-only")

    def get(self, serial: str) -> StoredCertificate | None:
        return self.pending if serial == self.pending.serial else self.stored.get(serial)

    def revoked(self, issuer_key_id: str) -> Sequence[RevokedCertificate]:
        return self.stored.revoked(issuer_key_id)

    def revoke(self, serial: str, reason: str, at: dt.datetime) -> bool:
        raise AssertionError("the signing snapshot is read-only")


__all__ = ["PkiLetterSigner", "SnapshotStatus", "signature_time", "token_time"]
