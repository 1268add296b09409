"""The consent receipt: the person's signed, machine-readable record of one consent
(issue 17, CONTRACT §8; docs/verification.md "The consent receipt").

A receipt is a JSON-LD object in the structure of the Kantara Consent Receipt v1.1
(``version``, ``jurisdiction``, ``consentTimestamp``, ``collectionMethod``,
``consentReceiptID``, ``language``, ``piiPrincipalId``, ``piiControllers``,
``policyUrl``, ``services[].purposes[]``, ``sensitive``, ``spiCat``) with the
ISO/IEC TS 27560 record's facts (the record id, the PII principal, the controllers, the
purposes and categories, the consent event and its state, the notice and how to
withdraw). Its ``@context`` maps those names to W3C DPV terms where DPV has one
(``dpv:ConsentRecord``, ``dpv:hasIdentifier``, ``dpv:hasJurisdiction``,
``dpv:hasDataSubject``, ``dpv:hasDataController``, ``dpv:hasPurpose``,
``dpv:hasPersonalData``, ``dpv:hasExpiryTime``, ``dpv:hasConsentStatus``,
``dpv:hasNotice``, ``dpv:hasWithdrawalMethod``, ``dpv:hasLegalBasis``) and everything
else to the deployment's own vocabulary (``<base>/schemas/consent-receipt#``), so the
object reads as plain JSON and as linked data alike. The context is inline: nothing is
fetched to read a receipt.

What the platform knows of the person is all it says of them: the masked name, id number
and mobile and the id number's salted SHA-256 commitment (the one in the event
certificate), never the full id number and never the salt. The terms are serialised
generically (:func:`receipt_terms`): whatever the authorization's terms hold -- validity,
``max_uses``, and the terms v2 (``frequency``, ``data_range``, ``data_life_days``) -- is
in the receipt as the record states it.

The download (``consent-receipt.json``, :func:`receipt_document`) is
``{"receipt": <the JSON-LD object>, "jws": <compact JWS whose payload is that object>}``
(``jws_sm2`` beside it in the ``dual`` profile): people read ``receipt``, verifiers check
``jws`` with the platform seal's key and compare its payload with ``receipt``. The JSON
Schema of that document is :data:`SCHEMA_FILE`, served at ``/schemas/consent-receipt.json``.

>>> facts = example_facts()
>>> r = build_receipt(facts)
>>> (r["jurisdiction"], r["authorization"]["id"], r["terms"]["max_uses"])
('CN', 'a1', 3)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final

from anxin.domain.vocabulary import LOCALES, purpose_label, scope_labels

FILE_NAME: Final = "consent-receipt.json"  # in the evidence package and as the download
SCHEMA_PATH: Final = "/schemas/consent-receipt.json"
SCHEMA_FILE: Final = "schemas/consent-receipt.json"  # beside this module
KANTARA_VERSION: Final = "KI-CR-v1.1.0"
CONFORMS_TO: Final = ("ISO/IEC TS 27560:2023", KANTARA_VERSION)
TYPE: Final = "anxin-consent-receipt"

# The authorization's terms that are not v2 terms: the letter's purpose, scope, validity
# and use count. Everything else the record keeps under "terms" joins them.
CORE_TERMS: Final = ("purpose", "data_scope", "valid_from", "valid_until", "max_uses")

COLLECTION_METHODS: Final = {
    "sms": "Electronic signature of the authorization letter on the Anxin signing page, "
           "after the person confirmed having read it, with a one-time code sent by SMS to "
           "their mobile (PAdES signature by a one-signing event certificate, RFC 3161 "
           "timestamp)",
    "sms+passkey": "Electronic signature of the authorization letter on the Anxin signing "
                   "page, after the person confirmed having read it, with a one-time code "
                   "sent by SMS to their mobile and a passkey (WebAuthn) assertion over the "
                   "letter's SHA-256 (PAdES signature by a one-signing event certificate, "
                   "RFC 3161 timestamp)",
}

# GB/T 35273-2020 Annex B lists credit and loan records (个人财产信息: 信贷记录、征信信息)
# as sensitive personal information; PIPL art. 28 names financial accounts.
SENSITIVE_CATEGORIES: Final = ("personal property information: credit records "
                               "(GB/T 35273-2020 Annex B; PIPL art. 28)",)


def context(base_url: str) -> dict[str, Any]:
    """The receipt's inline JSON-LD context."""
    iri = {"@type": "@id"}
    when = {"@type": "xsd:dateTime"}
    return {
        "@version": 1.1,
        "@vocab": f"{base_url.rstrip('/')}/schemas/consent-receipt#",
        "dpv": "https://w3id.org/dpv#",
        "dct": "http://purl.org/dc/terms/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "ConsentRecord": "dpv:ConsentRecord",
        "DataController": "dpv:DataController",
        "DataSubject": "dpv:DataSubject",
        "Purpose": "dpv:Purpose",
        "PersonalData": "dpv:PersonalData",
        "consentReceiptID": "dpv:hasIdentifier",
        "conformsTo": "dct:conformsTo",
        "issuer": "dct:publisher",
        "issued": {"@id": "dct:issued", **when},
        "language": "dct:language",
        "jurisdiction": "dpv:hasJurisdiction",
        "consentTime": {"@id": "dct:date", **when},
        "consentStatus": {"@id": "dpv:hasConsentStatus", **iri},
        "legalBasis": {"@id": "dpv:hasLegalBasis", **iri},
        "dataSubject": "dpv:hasDataSubject",
        "piiControllers": "dpv:hasDataController",
        "purposes": "dpv:hasPurpose",
        "dataCategories": "dpv:hasPersonalData",
        "validFrom": {"@id": "dct:valid", **when},
        "expiryTime": {"@id": "dpv:hasExpiryTime", **when},
        "policyUrl": {"@id": "dpv:hasNotice", **iri},
        "withdrawalMethod": {"@id": "dpv:hasWithdrawalMethod", **iri},
        "url": iri,
        "terms": {"@id": "terms", "@type": "@json"},
        "labels": {"@id": "labels", "@type": "@json"},
    }


@dataclass(frozen=True, slots=True)
class ReceiptFacts:
    """Everything a receipt states, as the platform recorded it at signing."""

    receipt_id: str
    issued_at: dt.datetime
    base_url: str
    profile: str
    authorization_id: str
    reference: str
    institution_id: str
    institution_name: str
    institution_code: str | None
    title: str
    locale: str
    template_code: str | None
    template_version: int | None
    signed_at: dt.datetime
    timestamp_at: dt.datetime | None
    method: str
    subject_name_masked: str
    subject_id_type: str
    subject_id_masked: str
    subject_mobile_masked: str
    id_commitment: str
    letter_sha256: str
    letter_sm3: str | None
    terms: Mapping[str, Any]
    ledger_origin: str | None
    signed_leaf_index: int
    signed_leaf_hash: str
    passkey_enrolment: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


V2_TERMS = ("frequency", "data_range", "data_life_days")

def receipt_terms(record: Mapping[str, Any]) -> dict[str, Any]:
    """The terms of an authorization record (``authorization.json``'s shape): the core
    terms and, generically, every entry of its ``terms`` object (terms v2 and whatever
    is added later), each as the record states it."""
    terms: dict[str, Any] = {k: record.get(k) for k in CORE_TERMS}
    # Terms v2 as the record states them at its top level (services.authorizations)
    terms.update({k: record[k] for k in V2_TERMS if record.get(k) is not None})
    more = record.get("terms")
    if isinstance(more, Mapping):
        terms.update({str(k): v for k, v in more.items() if k not in CORE_TERMS})
    return terms


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def _labels(code: str, of: Any) -> dict[str, str]:
    return {loc: of(code, loc) for loc in LOCALES}


def build_receipt(f: ReceiptFacts) -> dict[str, Any]:
    """The JSON-LD consent receipt of ``f`` (the payload the platform seal signs)."""
    base = f.base_url.rstrip("/")
    terms = dict(f.terms)
    scope = [str(c) for c in terms.get("data_scope") or []]
    purpose = str(terms.get("purpose") or "")
    valid_until = terms.get("valid_until")
    categories = [{"@type": "PersonalData", "code": c,
                   "labels": _labels(c, lambda code, loc: scope_labels([code], loc)[0])}
                  for c in scope]
    until_words = (f"valid until {valid_until}, or until withdrawn at {base}/me "
                   "(withdrawal stops every later use; it does not undo earlier ones)")
    receipt: dict[str, Any] = {
        "@context": context(base),
        "@id": f"urn:uuid:{f.receipt_id}",
        "@type": "ConsentRecord",
        "type": TYPE,
        "version": KANTARA_VERSION,
        "conformsTo": list(CONFORMS_TO),
        "schema": f"{base}{SCHEMA_PATH}",
        "consentReceiptID": f.receipt_id,
        "issuer": {"name": "Anxin 安心授权", "url": base},
        "issued": _iso(f.issued_at),
        "jurisdiction": "CN",
        "language": f.locale,
        "consentTimestamp": int(f.signed_at.timestamp()),
        "consentTime": _iso(f.signed_at),
        "trustedTime": None if f.timestamp_at is None else {
            "time": _iso(f.timestamp_at),
            "source": "the RFC 3161 signature timestamp of the signed letter"},
        "collectionMethod": COLLECTION_METHODS.get(f.method, f.method),
        "collectionMethodCode": f.method,
        "consentType": "EXPLICIT",
        "consentStatus": "dpv:ConsentGiven",
        "legalBasis": "dpv:Consent",
        "piiPrincipalId": f"sha256:{f.id_commitment}",
        "dataSubject": {
            "@type": "DataSubject", "name": f.subject_name_masked,
            "idType": f.subject_id_type, "idNumberMasked": f.subject_id_masked,
            "idNumberCommitment": {
                "algorithm": "SHA-256(salt || id_number)", "value": f.id_commitment,
                "note": "the commitment the event certificate carries; its salt is in the "
                        "evidence package, not here"},
            "mobileMasked": f.subject_mobile_masked},
        "piiControllers": [{
            "@type": "DataController", "piiController": f.institution_name,
            "id": f.institution_id, "code": f.institution_code}],
        "policyUrl": f"{base}/verify?id={f.authorization_id}",
        "services": [{
            "service": f.title,
            "purposes": [{
                "@type": "Purpose", "purpose": purpose_label(purpose, f.locale),
                "purposeCode": purpose, "labels": _labels(purpose, purpose_label),
                "purposeCategory": ["credit information query"],
                "consentType": "EXPLICIT", "primaryPurpose": True,
                "piiCategory": list(scope_labels(scope, f.locale)),
                "dataCategories": categories,
                "termination": until_words,
                "thirdPartyDisclosure": False}]}],
        "sensitive": True,
        "spiCat": list(SENSITIVE_CATEGORIES),
        "validFrom": terms.get("valid_from"),
        "expiryTime": valid_until,
        "terms": terms,
        "letter": {"sha256": f.letter_sha256, "sm3": f.letter_sm3, "title": f.title,
                   "locale": f.locale,
                   "template": {"code": f.template_code, "version": f.template_version}},
        "authorization": {"id": f.authorization_id, "reference": f.reference},
        "ledger": {"origin": f.ledger_origin, "event": "authorization:signed",
                   "signedLeafIndex": f.signed_leaf_index,
                   "signedLeafHash": f.signed_leaf_hash},
        "withdrawalMethod": f"{base}/me",
        "signatureProfile": f.profile,
    }
    if f.passkey_enrolment is not None:
        receipt["passkeyEnrolment"] = f.passkey_enrolment
    receipt.update(f.extra)
    return receipt


def receipt_document(receipt: Mapping[str, Any], jws: str, jws_sm2: str | None = None,
                     *, base_url: str) -> bytes:
    """``consent-receipt.json``: the receipt, its JWS (and in dual the SM2 one) and
    where their keys are published."""
    base = base_url.rstrip("/")
    alg = jws_alg_of(jws)
    doc: dict[str, Any] = {
        "receipt": dict(receipt), "jws": jws,
        "keys": {"jws": f"{base}/.well-known/jwks{'-sm2' if alg == 'SM2SM3' else ''}.json"},
        "how_to_verify": "jws is a compact JWS (RFC 7515) by the platform seal, its kid "
                         "published at the keys URL; its payload is exactly 'receipt'. "
                         "See docs/verification.md, 'The consent receipt'."}
    if jws_sm2 is not None:
        doc["jws_sm2"] = jws_sm2
        doc["keys"]["jws_sm2"] = f"{base}/.well-known/jwks-sm2.json"
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True).encode()


def jws_alg_of(token: str) -> str | None:
    """The ``alg`` a compact JWS's header names (unverified), or None."""
    from anxin import untrusted_json
    from anxin.encoding import b64url_decode
    try:
        value = untrusted_json.load_object(b64url_decode(token.split(".")[0])).get("alg")
    except (ValueError, IndexError):
        return None
    return value if isinstance(value, str) else None


def schema() -> dict[str, Any]:
    """The published JSON Schema of ``consent-receipt.json`` (draft 2020-12)."""
    text = resources.files("anxin.evidence").joinpath(SCHEMA_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def example_facts(**changes: Any) -> ReceiptFacts:
    """Facts of an example receipt (doctests, the schema's own test)."""
    at = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    values: dict[str, Any] = {
        "receipt_id": "0f6c2a3e-8f0b-4d55-9d8e-3a8c1f1e2b11", "issued_at": at,
        "base_url": "https://anxin.example", "profile": "intl", "authorization_id": "a1",
        "reference": "LOAN-1", "institution_id": "i1", "institution_name": "示例银行",
        "institution_code": "EXB", "title": "个人征信查询授权书", "locale": "zh-CN",
        "template_code": "credit", "template_version": 1, "signed_at": at,
        "timestamp_at": at + dt.timedelta(seconds=1), "method": "sms",
        "subject_name_masked": "张*", "subject_id_type": "resident_id",
        "subject_id_masked": "110101********1234", "subject_mobile_masked": "139****0001",
        "id_commitment": "ab" * 32, "letter_sha256": "cd" * 32, "letter_sm3": None,
        "terms": {"purpose": "loan_approval", "data_scope": ["credit_report"],
                  "valid_from": at.isoformat(),
                  "valid_until": (at + dt.timedelta(days=30)).isoformat(), "max_uses": 3},
        "ledger_origin": "anxin.example/ledger", "signed_leaf_index": 7,
        "signed_leaf_hash": "ef" * 32}
    values.update(changes)
    return ReceiptFacts(**values)
