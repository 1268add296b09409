"""Institutions, their API keys (stored only as hashes) and their default webhook secret
(made with the institution, encrypted at rest; it signs deliveries to ``callback_url``)."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.error_codes import Code
from anxin.errors import Unauthenticated, ValidationFailed
from anxin.keys import KeyStore, hash_api_key, new_api_key
from anxin.services.context import Context
from anxin.services.records import record
from anxin.storage.models import Institution


@dataclass(frozen=True, slots=True)
class InstitutionRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class NewInstitution:
    id: str
    name: str
    api_key: str
    webhook_secret: str


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
    api_key = new_api_key()
    inst_id = str(uuid.uuid4())
    secret = "whsec_" + secrets.token_urlsafe(32)
    s.add(Institution(id=inst_id, name=name, code=code, api_key_hash=hash_api_key(api_key),
                      status="active", created_at=now,
                      webhook_secret_enc=keys.encrypt_text(
                          secret, aad=f"{inst_id}/webhook_secret")))
    s.flush()
    record(s, Event.INSTITUTION_CREATED, at=now, institution_id=inst_id)
    return NewInstitution(inst_id, name, api_key, secret)


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


def authenticate(ctx: Context, api_key: str | None) -> InstitutionRef:
    if not api_key:
        raise Unauthenticated("send the API key as 'Authorization: Bearer <key>'",
                              code=Code.MISSING_API_KEY)
    with ctx.db.core_transaction() as conn:
        inst = conn.execute(select(Institution.id, Institution.name, Institution.status).where(
            Institution.api_key_hash == hash_api_key(api_key))).first()
        if inst is None:
            raise Unauthenticated("the API key is not valid", code=Code.INVALID_API_KEY)
        if inst.status != "active":
            raise Unauthenticated("the institution is suspended", code=Code.INSTITUTION_SUSPENDED)
        return InstitutionRef(inst.id, inst.name)
