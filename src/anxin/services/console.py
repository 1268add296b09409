"""The operator console's use cases: institutions, templates, the search of
authorizations and the dispute view. Every change is one transaction with its
``console:action`` ledger leaf (operator id and action; never personal data).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from anxin.domain.events import Event
from anxin.domain.states import Status
from anxin.domain.subject import IdType, validate_id_number
from anxin.error_codes import Code
from anxin.errors import NotFound, ValidationFailed
from anxin.keys import hash_api_key, new_api_key
from anxin.net.outbound import OutboundPolicy
from anxin.services.authorizations import authorization_dict
from anxin.services.context import Context
from anxin.services.institutions import insert_institution
from anxin.services.notifications import new_webhook_secret, store_webhook_secret
from anxin.services.records import record
from anxin.storage.models import (
    Authorization,
    Document,
    Institution,
    LedgerLeaf,
    LedgerQueued,
    Template,
    UseRecord,
)
from anxin.storage.portal_models import Notification

SEARCH_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Search:
    institution_id: str | None = None
    status: str | None = None
    reference: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    id_type: str | None = None
    id_number: str | None = None


def _action(s: Any, ctx: Context, operator_id: str, action: str, now: dt.datetime,
            institution_id: str | None = None, **fields: Any) -> None:
    record(s, Event.CONSOLE_ACTION, at=now, institution_id=institution_id,
           operator_id=operator_id, action=action, **fields)


def _institution(s: Any, inst_id: str) -> Institution:
    inst = s.get(Institution, inst_id, with_for_update=True)
    if inst is None:
        raise NotFound(f"no institution {inst_id}", code=Code.INSTITUTION_NOT_FOUND)
    assert isinstance(inst, Institution)
    return inst


def list_institutions(ctx: Context) -> list[dict[str, Any]]:
    with ctx.db.transaction() as s:
        return [{"id": i.id, "name": i.name, "code": i.code, "status": i.status,
                 "callback_url": i.callback_url,
                 "has_secret": i.webhook_secret_enc is not None, "created_at": i.created_at}
                for i in s.scalars(select(Institution).order_by(Institution.name))]


def create_institution(ctx: Context, operator_id: str, name: str, code: str | None
                       ) -> tuple[str, str]:
    """Register an institution; returns its id and API key (shown once)."""
    now = ctx.clock()
    with ctx.db.transaction() as s:
        new = insert_institution(s, name, code, now)
        _action(s, ctx, operator_id, "institution.create", now, new.id)
    return new.id, new.api_key


def set_institution_status(ctx: Context, operator_id: str, inst_id: str, status: str) -> None:
    if status not in ("active", "suspended"):
        raise ValidationFailed("status is active or suspended", field="status")
    now = ctx.clock()
    with ctx.db.transaction() as s:
        inst = _institution(s, inst_id)
        inst.status = status
        if status == "suspended":
            record(s, Event.INSTITUTION_SUSPENDED, at=now, institution_id=inst_id)
        verb = "suspend" if status == "suspended" else "activate"
        _action(s, ctx, operator_id, f"institution.{verb}", now, inst_id)


def rotate_key(ctx: Context, operator_id: str, inst_id: str) -> str:
    api_key = new_api_key()
    now = ctx.clock()
    with ctx.db.transaction() as s:
        inst = _institution(s, inst_id)
        inst.api_key_hash = hash_api_key(api_key)
        record(s, Event.INSTITUTION_KEY_ROTATED, at=now, institution_id=inst_id)
        _action(s, ctx, operator_id, "institution.rotate_key", now, inst_id)
    return api_key


def set_webhook(ctx: Context, operator_id: str, inst_id: str, callback_url: str,
                new_secret: bool) -> str | None:
    """Set the default callback URL; a new secret when asked (or none exists yet).
    Returns the new secret (shown once) or None."""
    url = OutboundPolicy.from_settings(ctx.settings).check_given_url(
        callback_url.strip() or None, field="callback_url")
    now = ctx.clock()
    secret: str | None = None
    with ctx.db.transaction() as s:
        inst = _institution(s, inst_id)
        inst.callback_url = url
        if new_secret or inst.webhook_secret_enc is None:
            secret = new_webhook_secret()
            store_webhook_secret(ctx, inst, secret)
        _action(s, ctx, operator_id, "institution.webhook", now, inst_id,
                new_secret=secret is not None)
    return secret


def template_versions(ctx: Context, inst_id: str | None) -> list[dict[str, Any]]:
    with ctx.db.transaction() as s:
        q = select(Template, Institution.name).join(
            Institution, Institution.id == Template.institution_id)
        if inst_id:
            q = q.where(Template.institution_id == inst_id)
        rows = s.execute(q.order_by(Institution.name, Template.code, Template.version)).all()
        return [{"id": t.id, "institution_id": t.institution_id, "institution": name,
                 "code": t.code, "version": t.version, "title": t.title,
                 "purpose": t.purpose, "is_current": t.is_current,
                 "created_at": t.created_at} for t, name in rows]


def _template_text(t: Template) -> list[str]:
    head = {"title": t.title, "purpose": t.purpose, "data_scope": list(t.data_scope),
            "locale": t.locale, "validity_days": t.validity_days, "max_uses": t.max_uses,
            "require_passkey": t.require_passkey,
            "request_ttl_minutes": t.request_ttl_minutes}
    return [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in head.items()] + [
        "body:"] + t.body.splitlines()


def template_diff(ctx: Context, inst_id: str, code: str, a: int, b: int) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        found = {t.version: t for t in s.scalars(select(Template).where(
            Template.institution_id == inst_id, Template.code == code,
            Template.version.in_([a, b])))}
        if a not in found or b not in found:
            raise NotFound(f"no such versions of {code!r}", code=Code.TEMPLATE_NOT_FOUND)
        lines = list(difflib.unified_diff(_template_text(found[a]), _template_text(found[b]),
                                          f"{code} v{a}", f"{code} v{b}", lineterm=""))
        return {"code": code, "a": a, "b": b, "diff": lines,
                "a_text": _template_text(found[a]), "b_text": _template_text(found[b])}


def search_authorizations(ctx: Context, q: Search) -> list[dict[str, Any]]:
    """Search by institution, status, reference, date of request, or a subject's id
    number (through its blind index: the number itself is never compared in clear)."""
    stmt = select(Authorization, Institution.name).join(
        Institution, Institution.id == Authorization.institution_id)
    if q.institution_id:
        stmt = stmt.where(Authorization.institution_id == q.institution_id)
    if q.status:
        if q.status not in {st.value for st in Status}:
            raise ValidationFailed(f"unknown status {q.status!r}", field="status")
        stmt = stmt.where(Authorization.status == q.status)
    if q.reference:
        stmt = stmt.where(Authorization.reference == q.reference.strip())
    if q.date_from:
        stmt = stmt.where(Authorization.created_at >= dt.datetime.combine(
            q.date_from, dt.time(), dt.UTC))
    if q.date_to:
        stmt = stmt.where(Authorization.created_at < dt.datetime.combine(
            q.date_to + dt.timedelta(days=1), dt.time(), dt.UTC))
    if q.id_number:
        try:
            kind = IdType(q.id_type or "resident_id")
        except ValueError:
            raise ValidationFailed("id_type is resident_id or passport",
                                   field="id_type") from None
        number = validate_id_number(kind, q.id_number, field="id_number")
        stmt = stmt.where(Authorization.subject_id_index == ctx.keys.blind_index(
            "id", f"{kind.value}:{number}"))
    with ctx.db.transaction() as s:
        rows = s.execute(stmt.order_by(Authorization.created_at.desc(), Authorization.id)
                         .limit(SEARCH_LIMIT)).all()
        return [authorization_dict(a) | {"institution": name, "institution_id":
                                         a.institution_id} for a, name in rows]


def dispute_view(ctx: Context, auth_id: str) -> dict[str, Any]:
    """One authorization as a dispute needs it: terms, the ledger timeline (sequenced
    leaves with their index, then those still queued), every gate call, notifications."""
    with ctx.db.transaction() as s:
        a = s.get(Authorization, auth_id)
        if a is None:
            raise NotFound(f"no authorization {auth_id}", code=Code.AUTHORIZATION_NOT_FOUND)
        inst = s.get(Institution, a.institution_id)
        tpl = s.get(Template, a.template_id)
        out = authorization_dict(a, tpl)
        out["institution"] = inst.name if inst else "?"
        timeline = [{"index": leaf.idx, "entry": json.loads(leaf.data)}
                    for leaf in s.scalars(select(LedgerLeaf).where(
                        LedgerLeaf.authorization_id == auth_id).order_by(LedgerLeaf.idx))]
        timeline += [{"index": None, "entry": json.loads(q.data)}
                     for q in s.scalars(select(LedgerQueued).where(
                         LedgerQueued.authorization_id == auth_id).order_by(LedgerQueued.id))]
        out["timeline"] = timeline
        out["uses_log"] = [
            {"at": u.created_at, "granted": u.granted, "code": u.refusal_code,
             "purpose": u.purpose, "data_item": u.data_item, "reference": u.reference,
             "operator": u.operator}
            for u in s.scalars(select(UseRecord).where(UseRecord.authorization_id == auth_id)
                               .order_by(UseRecord.created_at, UseRecord.id))]
        out["notifications"] = [
            {"id": n.id, "event": n.event, "state": n.state, "attempts": n.attempts,
             "last_error": n.last_error, "created_at": n.created_at}
            for n in s.scalars(select(Notification).where(
                Notification.authorization_id == auth_id).order_by(Notification.id))]
        out["has_letter_pdf"] = s.get(Document, (auth_id, "letter.pdf")) is not None
        out["signing"] = {k: v for k, v in (a.signing or {}).items()
                          if k in ("method", "otp_verified_at", "letter_sha256")}
        return out


def record_view(ctx: Context, operator_id: str, action: str, auth_id: str | None = None
                ) -> None:
    """Reading a person's file is an action too (who looked at what, when)."""
    with ctx.db.transaction() as s:
        record(s, Event.CONSOLE_ACTION, at=ctx.clock(), authorization_id=auth_id,
               operator_id=operator_id, action=action)
