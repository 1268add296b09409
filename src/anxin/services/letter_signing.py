"""The cryptographic signature of a letter, inside the signing use case.

For each signing: a fresh event key and certificate (issuing CA, minutes of validity,
binding the authorization id and the letter's SHA-256, the id number only as a salted
commitment), the letter rendered to PDF, signed PAdES B-T with the TSA's timestamp, the
key dropped, then upgraded to B-LTA: the certificates and the revocation data of every
chain used (event certificate, issuing CA, TSA: :func:`anxin.pki.revocation.validation_data`)
in the DSS, then a document timestamp. All of it runs with no transaction open (see
:mod:`anxin.services.ports`); the event certificate is recorded by the signing's
final transaction, only if the signing wins.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import TimeStamper

from anxin.domain.vocabulary import purpose_label, scope_labels
from anxin.letters import LetterSpec, render_letter_pdf, sign_letter, upgrade_to_lta
from anxin.letters.letter_data import open_signed_letter
from anxin.pki.authority import Pki, authority_key_id
from anxin.pki.events import issue_event_certificate, make_id_commitment
from anxin.pki.ports import CertificateStore, RevokedCertificate, StoredCertificate
from anxin.pki.revocation import ValidationData, validation_data
from anxin.services.ports import (
    CertificateStatus,
    LetterToSign,
    SignatureOutcome,
)
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


class PkiLetterSigner:
    """The product's :class:`anxin.services.ports.LetterSigner`."""

    def __init__(self, pki: Pki, timestamper: TimeStamper) -> None:
        self.pki = pki
        self.root_sha256 = hashlib.sha256(
            pki.root_cert.public_bytes(serialization.Encoding.DER)).hexdigest()
        # The process's one timestamper (the context's port): pyHanko caches per instance.
        self.timestamper = timestamper

    def __call__(self, letter: LetterToSign, status: CertificateStatus) -> SignatureOutcome:
        pki = self.pki
        now = letter.now
        salt_hex, commitment = make_id_commitment(letter.subject_id_number)
        key, cert = issue_event_certificate(
            pki, name=letter.subject_name, id_commitment_hex=commitment,
            authorization_id=letter.authorization_id, letter_sha256_hex=letter.letter_sha256,
            now=now, lifetime=EVENT_CERT_LIFETIME)
        spec = LetterSpec(
            authorization_id=letter.authorization_id, locale=letter.locale,
            title=letter.title, institution_name=letter.institution_name,
            purpose_label=purpose_label(letter.purpose, letter.locale),
            scope_labels=scope_labels(letter.data_scope, letter.locale),
            valid_from=letter.valid_from or now, valid_until=letter.valid_until,
            max_uses=letter.max_uses, subject_name=letter.subject_name,
            subject_id_masked=letter.subject_id_masked, reference=letter.reference,
            letter_text=letter.letter_text, letter_sha256=letter.letter_sha256,
            passkey_evidence=_passkey_json(letter), root_sha256=self.root_sha256)
        try:
            signed = sign_letter(
                render_letter_pdf(spec), signer_key=key, signer_cert=cert,
                chain=[pki.issuing_cert, pki.root_cert], timestamper=self.timestamper,
                signer_name=letter.subject_name,
                method_label=METHOD_LABELS.get((letter.method, letter.locale), letter.method),
                reason=REASONS.get(letter.locale, REASONS["en"]), location="Anxin",
                signing_time=now)
        finally:
            del key  # the event key never outlives its one signature
        gen_time = signature_time(signed)
        data = status([cert, pki.tsa_cert, pki.issuing_cert], issued=cert, now=now)
        archived = upgrade_to_lta(
            signed, certificates=[cert, pki.issuing_cert, pki.root_cert, pki.tsa_cert],
            crls=data.crls, ocsp_responses=data.ocsps, timestamper=self.timestamper)
        serial = format(cert.serial_number, "x")
        return SignatureOutcome(pdf=archived, timestamp_at=gen_time, certificate=cert, evidence={
            "event_certificate_serial": serial, "id_commitment": commitment,
            "id_commitment_salt": salt_hex,
            "event_certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode()})


class SnapshotStatus:
    """The product's :class:`anxin.services.ports.CertificateStatus`: the CRLs and
    OCSP responses of :func:`anxin.pki.revocation.validation_data`, read in a
    :meth:`Database.snapshot` (no lock), with the new event certificate made visible to
    the responder as the row it will be once recorded (not revoked, of the current
    issuing CA) but never written: the signing's final transaction records it, or, if the
    signing loses, nothing does."""

    def __init__(self, db: Database, pki: Pki) -> None:
        self.db = db
        self.pki = pki

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


__all__ = ["PkiLetterSigner", "SnapshotStatus", "signature_time"]
