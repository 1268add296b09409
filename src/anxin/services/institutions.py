"""Institutions, their API keys (stored only as hashes: a live key ``anx_…`` and a test
key ``anx_test_…`` per institution, test mode: docs/api.md "Test mode") and their default
webhook secret (made with the institution, encrypted at rest; it signs deliveries to
``callback_url``)."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.error_codes import Code
from anxin.errors import NotFound, Unauthenticated, ValidationFailed
from anxin.keys import KeyStore, hash_api_key, is_test_api_key, new_api_key, new_test_api_key
from anxin.services.context import Context
from anxin.services.records import record
from anxin.storage.models import Institution


@dataclass(frozen=True, slots=True)
class InstitutionRef:
    id: str
    name: str
    # Authenticated with the test key: sees and makes only test authorizations.
    test: bool = False


@dataclass(frozen=True, slots=True)
class NewInstitution:
    id: str
    name: str
    api_key: str
    webhook_secret: str
    test_api_key: str


def insert_institution(s: Session, name: str, code: str | None,
                       now: dt.datetime, *, keys: KeyStore) -> NewInstitution:
    """Validate and add an institution with a new API key and a new default webhook
    secret (both shown once), in the caller's transaction."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise ValidationFailed("the institution name has 1 to 200 characters", field="name")
    if code is not None and not (code.isalnum() and len(code) == 18):
        raise ValidationFailed("a unified social credit code has 18 letters and digits",
                               field="code")
    api_key, test_key = new_api_key(), new_test_api_key()
    inst_id = str(uuid.uuid4())
    secret = "whsec_" + secrets.token_urlsafe(32)
    s.add(Institution(id=inst_id, name=name, code=code, api_key_hash=hash_api_key(api_key),
                      test_api_key_hash=hash_api_key(test_key),
                      status="active", created_at=now,
                      webhook_secret_enc=keys.encrypt_text(
                          secret, aad=f"{inst_id}/webhook_secret")))
    s.flush()
    record(s, Event.INSTITUTION_CREATED, at=now, institution_id=inst_id)
    return NewInstitution(inst_id, name, api_key, secret, test_key)


def add_institution(ctx: Context, name: str, code: str | None = None) -> NewInstitution:
    with ctx.db.transaction() as s:
        return insert_institution(s, name, code, ctx.clock(), keys=ctx.keys)


def rotate_api_key(ctx: Context, institution_id: str) -> str:
    api_key = new_api_key()
    now = ctx.clock()
    with ctx.db.transaction() as s:
        inst = s.get(Institution, institution_id)
        if inst is None:
            raise ValidationFailed("no such institution", field="institution_id")
        inst.api_key_hash = hash_api_key(api_key)
        record(s, Event.INSTITUTION_KEY_ROTATED, at=now, institution_id=institution_id)
    return api_key


def find_institution(ctx: Context, id_or_code: str) -> str:
    """The id of the institution named by its id or its unified social credit code."""
    with ctx.db.transaction() as s:
        found = s.scalars(select(Institution.id).where(
            (Institution.id == id_or_code) | (Institution.code == id_or_code))).all()
    if len(found) != 1:
        raise NotFound(f"no single institution {id_or_code!r}",
                       code=Code.INSTITUTION_NOT_FOUND)
    return found[0]


def issue_test_key(ctx: Context, institution_id: str) -> str:
    """A new test key for the institution (the first one, or a replacement: the previous
    test key stops working); recorded like a rotation of the live key."""
    test_key = new_test_api_key()
    now = ctx.clock()
    with ctx.db.transaction() as s:
        inst = s.get(Institution, institution_id)
        if inst is None:
            raise ValidationFailed("no such institution", field="institution_id")
        inst.test_api_key_hash = hash_api_key(test_key)
        record(s, Event.INSTITUTION_KEY_ROTATED, at=now, institution_id=institution_id,
               key="test")
    return test_key


def authenticate(ctx: Context, api_key: str | None) -> InstitutionRef:
    """The institution of a live or test key (``InstitutionRef.test`` says which)."""
    if not api_key:
        raise Unauthenticated("send the API key as 'Authorization: Bearer <key>'",
                              code=Code.MISSING_API_KEY)
    test = is_test_api_key(api_key)
    column = Institution.test_api_key_hash if test else Institution.api_key_hash
    with ctx.db.core_transaction() as conn:
        inst = conn.execute(select(Institution.id, Institution.name, Institution.status).where(
            column == hash_api_key(api_key))).first()
        if inst is None:
            raise Unauthenticated("the API key is not valid", code=Code.INVALID_API_KEY)
        if inst.status != "active":
            raise Unauthenticated("the institution is suspended", code=Code.INSTITUTION_SUSPENDED)
        return InstitutionRef(inst.id, inst.name, test=test)
