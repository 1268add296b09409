"""The operator console's use cases: institutions, templates, the search of
authorizations and the dispute view. Every change is one transaction with its
``console:action`` ledger leaf (operator id and action; never personal data).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from anxin.domain.events import Event
from anxin.domain.states import PausedBy, Status
from anxin.domain.subject import IdType, normalize_mobile, validate_id_number
from anxin.domain.vocabulary import join_labels, purpose_label, scope_labels
from anxin.error_codes import Code
from anxin.errors import NotFound, ValidationFailed
from anxin.keys import hash_api_key, new_api_key, new_test_api_key
from anxin.letters.render import LetterSpec, render_letter_pdf
from anxin.letters.text import format_date, letter_sha256, render_letter_text, sample_values
from anxin.net.outbound import OutboundPolicy
from anxin.services.authorizations import authorization_dict
from anxin.services.context import Context
from anxin.services.deletions import deletions_of
from anxin.services.embedding import update_embedding
from anxin.services.institutions import InstitutionRef, insert_institution
from anxin.services.notifications import new_webhook_secret, store_webhook_secret
from anxin.services.pausing import pause_authorization, resume_authorization
from anxin.services.records import record
from anxin.services.templates import (
    TemplateSpec,
    current_template,
    put_template,
    template_dict,
    validate_spec,
)
from anxin.services.uses_log import uses_log
from anxin.storage.models import (
    Authorization,
    Document,
    Institution,
    LedgerLeaf,
    LedgerQueued,
    OtpCode,
    Template,
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
    mobile: str | None = None
    # Test mode: live authorizations (the default), test ones, or all.
    mode: str = "live"


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
                 "has_secret": i.webhook_secret_enc is not None, "created_at": i.created_at,
                 "frame_ancestors": list(i.frame_ancestors or []),
                 "return_url_prefixes": list(i.return_url_prefixes or [])}
                for i in s.scalars(select(Institution).order_by(Institution.name))]


def create_institution(ctx: Context, operator_id: str, name: str, code: str | None
                       ) -> tuple[str, str, str]:
    """Register an institution; returns its id, API key and default webhook secret (both
    shown once)."""
    now = ctx.clock()
    with ctx.db.transaction() as s:
        new = insert_institution(s, name, code, now, keys=ctx.keys)
        _action(s, ctx, operator_id, "institution.create", now, new.id)
    return new.id, new.api_key, new.webhook_secret


def issue_test_key(ctx: Context, operator_id: str, inst_id: str) -> str:
    """A new test API key (test mode, shown once); the previous test key stops working."""
    key = new_test_api_key()
    now = ctx.clock()
    with ctx.db.transaction() as s:
        inst = _institution(s, inst_id)
        inst.test_api_key_hash = hash_api_key(key)
        record(s, Event.INSTITUTION_KEY_ROTATED, at=now, institution_id=inst_id, key="test")
        _action(s, ctx, operator_id, "institution.test_key", now, inst_id)
    return key


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


def set_embedding(ctx: Context, operator_id: str, inst_id: str, frame_ancestors: str,
                  return_url_prefixes: str) -> None:
    """The console's form for PATCH /v1/institution's lists: one entry a line."""
    def lines(text: str) -> list[str]:
        return [x.strip() for x in text.splitlines() if x.strip()]
    now = ctx.clock()
    with ctx.db.transaction() as s:
        _institution(s, inst_id)
        update_embedding(ctx, inst_id, frame_ancestors=lines(frame_ancestors),
                         return_url_prefixes=lines(return_url_prefixes), s=s, at=now)
        _action(s, ctx, operator_id, "institution.embedding", now, inst_id)


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
    """Search by institution, status, reference, date of request, a subject's id number
    or mobile (through their blind indexes: neither is ever compared in clear)."""
    stmt = select(Authorization, Institution.name).join(
        Institution, Institution.id == Authorization.institution_id)
    if q.institution_id:
        stmt = stmt.where(Authorization.institution_id == q.institution_id)
    if q.status:
        if q.status not in {st.value for st in Status}:
            raise ValidationFailed(f"unknown status {q.status!r}", field="status")
        stmt = stmt.where(Authorization.status == q.status)
    if q.mode not in ("live", "test", "all"):
        raise ValidationFailed("mode is live, test or all", field="mode")
    if q.mode != "all":
        stmt = stmt.where(Authorization.test.is_(q.mode == "test"))
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
    if q.mobile:
        stmt = stmt.where(Authorization.subject_mobile_index == ctx.keys.blind_index(
            "mobile", normalize_mobile(q.mobile, field="mobile")))
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
        # The queue first: each statement reads its own snapshot on PostgreSQL, and a
        # leaf the sequencer moves between the two reads is then among the sequenced
        # (and dropped from the queued: a leaf's bytes are unique). Leaves first lost it
        # from the timeline (a clean CI run's dispute view missed a refused use).
        queued = [q.data for q in s.scalars(select(LedgerQueued).where(
            LedgerQueued.authorization_id == auth_id).order_by(LedgerQueued.id))]
        leaves = list(s.scalars(select(LedgerLeaf).where(
            LedgerLeaf.authorization_id == auth_id).order_by(LedgerLeaf.idx)))
        seen = {leaf.data for leaf in leaves}
        timeline = [{"index": leaf.idx, "entry": json.loads(leaf.data)} for leaf in leaves]
        timeline += [{"index": None, "entry": json.loads(data)} for data in queued
                     if data not in seen]
        out["timeline"] = timeline
        sends = [{"ip": c.client_ip, "user_agent": c.user_agent} for c in s.scalars(
            select(OtpCode).where(OtpCode.scope == "sign", OtpCode.key == auth_id)
            .order_by(OtpCode.id))]
        out["steps"] = _steps(timeline, a.signing or {}, sends)
        out["uses_log"] = uses_log(s, auth_id)  # UseEntry: at, granted, code, purpose, ...
        out["deletions"] = deletions_of(s, auth_id)
        out["notifications"] = [
            {"id": n.id, "event": n.event, "state": n.state, "attempts": n.attempts,
             "last_error": n.last_error, "created_at": n.created_at}
            for n in s.scalars(select(Notification).where(
                Notification.authorization_id == auth_id).order_by(Notification.id))]
        out["has_letter_pdf"] = s.get(Document, (auth_id, "letter.pdf")) is not None
        out["signing"] = {k: v for k, v in (a.signing or {}).items()
                          if k in ("method", "otp_verified_at", "letter_sha256", "client_ip",
                                   "user_agent")}
        out["signing"]["passkey"] = bool((a.signing or {}).get("passkey"))
        return out


# The steps the signing browser took: the signing's record holds its client's IP and
# user agent (anxin.services.signing); each code sent keeps the client that asked for it
# on its ``otp_codes`` row (the n-th row of the link is the leaf with ``send_number`` n);
# the other steps record none. The ledger leaves carry neither.
_SIGNING_STEPS = {Event.OTP_VERIFIED.value, Event.PASSKEY_VERIFIED.value, Event.SIGNED.value}
# Ledger fields of a step worth a line in the timeline (no hashes, ids or commitments).
STEP_FIELDS = ("purpose", "template_version", "send_number", "failures", "provider",
               "result", "method", "data_item", "reason", "channel", "action")


def _step_client(event: str, entry: dict[str, Any], signing: dict[str, Any],
                 sends: list[dict[str, str | None]]) -> dict[str, str | None] | None:
    """The client (IP, user agent) recorded for one step, or None."""
    if event in _SIGNING_STEPS and signing:
        return {"ip": signing.get("client_ip"), "user_agent": signing.get("user_agent")}
    number = entry.get("send_number")
    if event == Event.OTP_SENT.value and isinstance(number, int) and 0 < number <= len(sends):
        return sends[number - 1]
    return None


def _steps(timeline: list[dict[str, Any]], signing: dict[str, Any],
           sends: list[dict[str, str | None]]) -> list[dict[str, Any]]:
    """The timeline as a person reads it: each step's time, event, a few readable facts,
    the client (IP, user agent) where one was recorded, and the hashes set apart."""
    steps = []
    for e in timeline:
        entry = e["entry"]
        event = str(entry.get("event", ""))
        client = _step_client(event, entry, signing, sends)
        steps.append({
            "index": e["index"], "at": entry.get("at"), "event": event,
            "facts": [(k, entry[k]) for k in STEP_FIELDS if entry.get(k) not in (None, "")],
            "hashes": [(k, v) for k, v in entry.items()
                       if k.endswith("sha256") and isinstance(v, str)],
            "client": client})
    return steps


def template_form(ctx: Context, inst_id: str, code: str | None) -> dict[str, Any]:
    """The editor's starting values: the current version of ``code``, or a blank one."""
    with ctx.db.transaction() as s:
        inst = s.get(Institution, inst_id)
        if inst is None:
            raise NotFound(f"no institution {inst_id}", code=Code.INSTITUTION_NOT_FOUND)
        t = current_template(s, inst_id, code) if code else None
        base = {"institution_id": inst_id, "institution": inst.name, "code": code or "",
                "title": "", "purpose": ctx.settings.purposes[0], "data_scope": [],
                "body": "", "locale": "zh-CN", "validity_days": 30, "max_uses": 1,
                "require_passkey": False, "request_ttl_minutes": 1440, "version": None}
        if t is not None:
            base |= template_dict(t)
        return base


def save_template_version(ctx: Context, operator_id: str, inst_id: str, spec: TemplateSpec
                          ) -> tuple[bool, dict[str, Any]]:
    """A new version of the template (the same checks as ``POST /v1/templates``), with its
    ``console:action`` leaf. Returns whether a version was made (False: unchanged)."""
    with ctx.db.transaction() as s:
        inst = s.get(Institution, inst_id)
        if inst is None:
            raise NotFound(f"no institution {inst_id}", code=Code.INSTITUTION_NOT_FOUND)
        ref = InstitutionRef(inst.id, inst.name)
    status, t = put_template(ctx, ref, spec)
    if status == 201:
        now = ctx.clock()
        with ctx.db.transaction() as s:
            _action(s, ctx, operator_id, "template.version", now, inst_id,
                    template_id=t["id"], template_version=t["version"])
    return status == 201, t


def preview_letter(ctx: Context, inst_id: str, spec: TemplateSpec) -> bytes:
    """The letter a request on ``spec`` would make, with sample values, as the PDF
    renderer draws it (the same ``render_letter_pdf``); unsigned, never stored."""
    validate_spec(ctx, spec)
    with ctx.db.transaction() as s:
        inst = s.get(Institution, inst_id)
        if inst is None:
            raise NotFound(f"no institution {inst_id}", code=Code.INSTITUTION_NOT_FOUND)
        name = inst.name
    now = ctx.clock()
    until = now + dt.timedelta(days=spec.validity_days)
    scope = scope_labels(spec.data_scope, spec.locale)
    values = replace(sample_values(spec.locale), institution=name,
                     purpose=purpose_label(spec.purpose, spec.locale),
                     scope=join_labels(scope, spec.locale), validity_days=spec.validity_days,
                     max_uses=spec.max_uses, valid_from=format_date(now, spec.locale),
                     valid_until=format_date(until, spec.locale))
    text = render_letter_text(spec.body, values, max_chars=ctx.settings.letter_max_chars)
    return render_letter_pdf(LetterSpec(
        authorization_id="00000000-0000-0000-0000-000000000000", locale=spec.locale,
        title=spec.title, institution_name=name,
        purpose_label=purpose_label(spec.purpose, spec.locale), scope_labels=scope,
        valid_from=now, valid_until=until,
        max_uses=spec.max_uses, subject_name=values.subject_name,
        subject_id_masked=values.subject_id_number[:4] + "**********" +
        values.subject_id_number[-4:], reference=values.reference, letter_text=text,
        letter_sha256=letter_sha256(text)))


def record_view(ctx: Context, operator_id: str, action: str, auth_id: str | None = None
                ) -> None:
    """Reading a person's file is an action too (who looked at what, when)."""
    with ctx.db.transaction() as s:
        record(s, Event.CONSOLE_ACTION, at=ctx.clock(), authorization_id=auth_id,
               operator_id=operator_id, action=action)


def pause_on_dispute(ctx: Context, operator_id: str, auth_id: str) -> dict[str, Any]:
    """The operator pauses an authorization during a dispute (or takes over the person's
    pause): only the operator can lift it. The leaf names the operator."""
    return pause_authorization(ctx, auth_id, by=PausedBy.OPERATOR, channel="console",
                               operator_id=operator_id)


def resume_after_dispute(ctx: Context, operator_id: str, auth_id: str) -> dict[str, Any]:
    return resume_authorization(ctx, auth_id, by=PausedBy.OPERATOR, channel="console",
                                operator_id=operator_id)
