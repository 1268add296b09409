"""Issuing the consent receipt of a signed authorization (a use case; issue 17).

The receipt (:mod:`anxin.evidence.consent_receipt`) states facts fixed at signing -- the
letter, its terms, the person as the platform knows them, the signing's time and its
ledger leaf -- and is signed like the gate's receipts, by the deployment's profile: a
compact JWS ES256 by the platform seal (intl), ``SM2SM3`` by the SM2 seal (sm), both
over the same payload (dual: ``jws`` and ``jws_sm2``).

It is issued once, on first ask (the signing page's download, ``/me``, or the evidence
package), after the ledger has given the signing's leaf its index, and stored with the
authorization's documents (``consent-receipt.json``, encrypted at rest like the letter):
every later download and every package carries the same bytes. Issuing changes no state
of the authorization and records no ledger leaf -- the receipt restates the signing leaf
and the letter hash the ledger already commits to, under the platform's signature.

Example::

    document = consent_receipt(ctx, auth_id)   # bytes of consent-receipt.json
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from anxin.error_codes import Code
from anxin.errors import ConfigurationError, NotFound
from anxin.evidence.consent_receipt import (
    FILE_NAME,
    ReceiptFacts,
    build_receipt,
    receipt_document,
    receipt_terms,
)
from anxin.ledger.merkle import leaf_hash
from anxin.pki import sm2
from anxin.services.authorizations import authorization_dict
from anxin.services.context import Context
from anxin.services.documents import read_document
from anxin.services.ledger import read_origin
from anxin.services.uses import sign_receipts as sign_by_profile
from anxin.storage.models import Authorization, Document, Institution, Template

KIND = FILE_NAME


def consent_receipt(ctx: Context, auth_id: str) -> bytes:
    """``consent-receipt.json`` of a signed authorization: the stored one, or issued now
    (the first of two concurrent issuers is stored and both answer it). Raises
    ``document_not_found`` for an authorization that was never signed."""
    stored = read_document(ctx, None, auth_id, KIND)
    if stored is not None:
        return stored
    content = _issue(ctx, auth_id)
    with ctx.db.transaction() as s:
        try:
            with s.begin_nested():
                s.add(_document(ctx, auth_id, content))
        except IntegrityError:
            pass  # another request issued it first: its receipt is the one
    stored = read_document(ctx, None, auth_id, KIND)
    assert stored is not None
    return stored


def _document(ctx: Context, auth_id: str, content: bytes) -> Document:
    import hashlib
    return Document(authorization_id=auth_id, kind=KIND,
                    content_enc=ctx.keys.encrypt(content, aad=f"{auth_id}/{KIND}"),
                    sha256=hashlib.sha256(content).hexdigest(), created_at=ctx.clock())


def _signed_leaf(ctx: Context, auth_id: str) -> tuple[int, bytes]:
    """The index and bytes of the authorization's ``authorization:signed`` leaf (the
    ledger is sequenced first: a leaf has its index only once integrated)."""
    ctx.ledger.integrate_all()
    for entry in ctx.ledger.entries_for_authorization(auth_id):
        try:
            event = json.loads(entry.data).get("event")
        except ValueError:
            continue
        if event == "authorization:signed":
            return entry.index, entry.data
    raise NotFound("the signing of this authorization is not in the ledger yet",
                   code=Code.DOCUMENT_NOT_FOUND)


def _issue(ctx: Context, auth_id: str) -> bytes:
    index, leaf = _signed_leaf_or_unsigned(ctx, auth_id)
    base = ctx.settings.effective_base_url
    origin = read_origin(ctx.db)
    with ctx.db.transaction() as s:
        a = s.get(Authorization, auth_id)
        assert a is not None  # _signed_leaf_or_unsigned found it
        tpl = s.get(Template, a.template_id)
        inst = s.get(Institution, a.institution_id)
        assert tpl is not None
        assert inst is not None
        assert a.signed_at is not None
        signing: dict[str, Any] = dict(a.signing or {})
        is_test = bool(a.test)
        record = authorization_dict(a, tpl)
        v2 = getattr(a, "terms", None)  # terms v2 (issue 17): one JSON object on the row
        if isinstance(v2, dict) and not isinstance(record.get("terms"), dict):
            record["terms"] = v2
        letter_sm3 = None
        if ctx.profile.has_sm:
            text = ctx.keys.decrypt_text(a.letter_enc, aad=f"{a.id}/letter")
            letter_sm3 = sm2.sm3(text.encode("utf-8")).hex()
        facts = ReceiptFacts(
            receipt_id=str(uuid.uuid4()), issued_at=ctx.clock(), base_url=base,
            profile=ctx.profile.value, authorization_id=a.id, reference=a.reference,
            institution_id=inst.id, institution_name=inst.name, institution_code=inst.code,
            title=tpl.title, locale=tpl.locale, template_code=tpl.code,
            template_version=tpl.version, signed_at=a.signed_at, timestamp_at=a.timestamp_at,
            method=str(signing.get("method", "sms")),
            subject_name_masked=a.subject_name_masked, subject_id_type=a.subject_id_type,
            subject_id_masked=a.subject_id_masked,
            subject_mobile_masked=a.subject_mobile_masked,
            id_commitment=str(signing.get("id_commitment", "")),
            letter_sha256=a.letter_sha256, letter_sm3=letter_sm3,
            terms=receipt_terms(record), ledger_origin=origin,
            signed_leaf_index=index, signed_leaf_hash=leaf_hash(leaf).hex(),
            passkey_enrolment=signing.get("passkey_enrolment"))
    receipt = build_receipt(facts)
    if is_test:
        # Test mode: signed by the test CA's seal (ES256 in every profile), like the test
        # gate receipts, never by the platform's.
        if ctx.test_mode is None:
            raise ConfigurationError("a test authorization's receipt needs the test seal")
        jws, jws_sm2 = ctx.test_mode.seal.sign_jws(receipt), None
    else:
        jws, jws_sm2 = sign_by_profile(ctx, receipt)
    return receipt_document(receipt, jws, jws_sm2, base_url=base)


def _signed_leaf_or_unsigned(ctx: Context, auth_id: str) -> tuple[int, bytes]:
    with ctx.db.transaction() as s:
        a = s.get(Authorization, auth_id)
        if a is None:
            raise NotFound(f"no authorization {auth_id}", code=Code.AUTHORIZATION_NOT_FOUND)
        if a.signed_at is None:
            raise NotFound("no consent receipt: the authorization was never signed",
                           code=Code.DOCUMENT_NOT_FOUND)
    return _signed_leaf(ctx, auth_id)
