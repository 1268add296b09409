"""The cryptographic signature of a letter, inside the signing use case.

For each signing: a fresh event key and certificate (issuing CA, minutes of validity,
binding the authorization id and the letter's SHA-256, the id number only as a salted
commitment), the letter rendered to PDF, signed PAdES B-T with the TSA's timestamp, the
key dropped, then upgraded to B-LTA: the certificates and the revocation data of every
chain used (event certificate, issuing CA, TSA: :func:`anxin.pki.revocation.validation_data`)
in the DSS, then a document timestamp. Everything commits with the signing itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from anxin.config import Settings
from anxin.domain.vocabulary import purpose_label, scope_labels
from anxin.keys import DataKeys
from anxin.letters import LetterSpec, render_letter_pdf, sign_letter, upgrade_to_lta
from anxin.letters.letter_data import open_signed_letter
from anxin.pki.authority import Pki
from anxin.pki.events import issue_event_certificate, make_id_commitment, record_certificate
from anxin.pki.revocation import validation_data
from anxin.pki.tsa import TimestampAuthority, make_timestamper
from anxin.services.ports import SignatureOutcome
from anxin.storage.models import Authorization, Institution, Template

# Minutes, not years: the key signs once and is dropped. Thirty rather than ten because
# poppler's pdfsig judges a certificate at the current time, not at the signature time, and
# an institution usually checks the letter within the half hour after signing.
EVENT_CERT_LIFETIME = dt.timedelta(minutes=30)

METHOD_LABELS = {
    ("sms", "zh-CN"): "短信验证码", ("sms", "en"): "SMS code",
    ("sms+passkey", "zh-CN"): "短信验证码 + 通行密钥", ("sms+passkey", "en"): "SMS code + passkey",
}
REASONS = {"zh-CN": "同意本授权书", "en": "I agree to this authorization"}


def _passkey_json(auth: Authorization) -> bytes | None:
    evidence = (auth.signing or {}).get("passkey")
    if not evidence:
        return None
    return json.dumps(evidence, sort_keys=True, ensure_ascii=False).encode()


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

    def __init__(self, settings: Settings, pki: Pki, tsa: TimestampAuthority,
                 keys: DataKeys) -> None:
        self.pki = pki
        self.keys = keys  # encrypts the event certificate in `certificates`
        self.root_sha256 = hashlib.sha256(
            pki.root_cert.public_bytes(serialization.Encoding.DER)).hexdigest()
        # One timestamper per process: pyHanko caches per instance.
        self.timestamper = make_timestamper(settings, tsa)

    def __call__(self, session: Session, auth: Authorization, letter_text: str,
                 subject_name: str, subject_id_number: str, method: str,
                 now: dt.datetime) -> SignatureOutcome:
        tpl = session.get(Template, auth.template_id)
        inst = session.get(Institution, auth.institution_id)
        assert tpl is not None
        assert inst is not None
        pki = self.pki
        salt_hex, commitment = make_id_commitment(subject_id_number)
        key, cert = issue_event_certificate(
            pki, name=subject_name, id_commitment_hex=commitment, authorization_id=auth.id,
            letter_sha256_hex=auth.letter_sha256, now=now, lifetime=EVENT_CERT_LIFETIME)
        record_certificate(session, cert, keys=self.keys, kind="event",
                           authorization_id=auth.id)
        spec = LetterSpec(
            authorization_id=auth.id, locale=tpl.locale, title=tpl.title,
            institution_name=inst.name, purpose_label=purpose_label(auth.purpose, tpl.locale),
            scope_labels=scope_labels(auth.data_scope, tpl.locale),
            valid_from=auth.valid_from or now, valid_until=auth.valid_until,
            max_uses=auth.max_uses, subject_name=subject_name,
            subject_id_masked=auth.subject_id_masked, reference=auth.reference,
            letter_text=letter_text, letter_sha256=auth.letter_sha256,
            passkey_evidence=_passkey_json(auth), root_sha256=self.root_sha256)
        try:
            signed = sign_letter(
                render_letter_pdf(spec), signer_key=key, signer_cert=cert,
                chain=[pki.issuing_cert, pki.root_cert], timestamper=self.timestamper,
                signer_name=subject_name,
                method_label=METHOD_LABELS.get((method, tpl.locale), method),
                reason=REASONS.get(tpl.locale, REASONS["en"]), location="Anxin",
                signing_time=now)
        finally:
            del key  # the event key never outlives its one signature
        gen_time = signature_time(signed)
        status = validation_data(pki, session, [cert, pki.tsa_cert, pki.issuing_cert], now)
        archived = upgrade_to_lta(
            signed, certificates=[cert, pki.issuing_cert, pki.root_cert, pki.tsa_cert],
            crls=status.crls, ocsp_responses=status.ocsps, timestamper=self.timestamper)
        serial = format(cert.serial_number, "x")
        return SignatureOutcome(pdf=archived, timestamp_at=gen_time, evidence={
            "event_certificate_serial": serial, "id_commitment": commitment,
            "id_commitment_salt": salt_hex,
            "event_certificate_pem": cert.public_bytes(serialization.Encoding.PEM).decode()})


__all__ = ["PkiLetterSigner", "signature_time"]
