"""Templates: versioned, immutable once made. Changing a template makes a new version;
an authorization keeps the exact version it was requested under."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.domain.letter_wording import check_wording
from anxin.domain.terms import NO_TERMS, TermsV2, check_ceiling, check_purpose_and_scope
from anxin.domain.vocabulary import LOCALES, join_labels, purpose_label, scope_labels
from anxin.error_codes import Code
from anxin.errors import NotFound, ValidationFailed
from anxin.letters.bounds import check_template_letter
from anxin.letters.text import check_template_body
from anxin.services import idempotency
from anxin.services.context import Context
from anxin.services.institutions import InstitutionRef
from anxin.services.records import record
from anxin.storage.models import Template


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    code: str
    title: str
    purpose: str
    data_scope: tuple[str, ...]
    body: str
    locale: str
    validity_days: int
    max_uses: int = 1
    require_passkey: bool = False
    request_ttl_minutes: int = 1440
    terms: TermsV2 = NO_TERMS

    def content_sha256(self) -> str:
        d = {k: getattr(self, k) for k in self.__slots__ if k not in ("code", "terms")}
        d["data_scope"] = list(self.data_scope)
        if not self.terms.empty:  # absent v2 terms leave earlier versions' digests as they were
            d["terms"] = self.terms.to_dict()
        return hashlib.sha256(json.dumps(d, sort_keys=True, ensure_ascii=False).encode()
                              ).hexdigest()


def validate_spec(ctx: Context, spec: TemplateSpec) -> None:
    s = ctx.settings
    if not spec.code or len(spec.code) > 64 or not all(
            c.isalnum() or c in "-_." for c in spec.code):
        raise ValidationFailed("code has 1 to 64 letters, digits, '-', '_' or '.'", field="code")
    if not spec.title.strip() or len(spec.title) > 200:
        raise ValidationFailed("title has 1 to 200 characters", field="title")
    if spec.locale not in LOCALES:
        raise ValidationFailed("locale is zh-CN or en", field="locale")
    check_purpose_and_scope(spec.purpose, spec.data_scope, purposes=s.purposes,
                            categories=s.data_categories)
    if not 1 <= spec.validity_days <= 3660:
        raise ValidationFailed("validity_days is between 1 and 3660", field="validity_days")
    if not 1 <= spec.max_uses <= 10000:
        raise ValidationFailed("max_uses is between 1 and 10000", field="max_uses")
    if not 5 <= spec.request_ttl_minutes <= 43200:
        raise ValidationFailed("request_ttl_minutes is between 5 and 43200",
                               field="request_ttl_minutes")
    check_ceiling(spec.purpose, validity_days=spec.validity_days, max_uses=spec.max_uses,
                  ceilings=s.purpose_ceilings)
    check_template_body(spec.body, spec.locale)
    check_wording(spec.body, title=spec.title, max_uses=spec.max_uses, terms=spec.terms)
    check_template_letter(
        spec.body, locale=spec.locale, title=spec.title,
        purpose_label=purpose_label(spec.purpose, spec.locale, s.purpose_labels),
        scope_labels=scope_labels(spec.data_scope, spec.locale),
        scope=join_labels(scope_labels(spec.data_scope, spec.locale), spec.locale),
        validity_days=spec.validity_days, max_uses=spec.max_uses,
        max_chars=s.letter_max_chars, max_pages=s.letter_max_pages)


def template_dict(t: Template) -> dict[str, Any]:
    return {"id": t.id, "code": t.code, "version": t.version, "title": t.title,
            "purpose": t.purpose, "data_scope": list(t.data_scope), "body": t.body,
            "locale": t.locale, "validity_days": t.validity_days, "max_uses": t.max_uses,
            "require_passkey": t.require_passkey,
            "request_ttl_minutes": t.request_ttl_minutes, "content_sha256": t.content_sha256,
            "created_at": t.created_at.isoformat(),
            **TermsV2.from_stored(t.terms).to_dict()}


def put_template(ctx: Context, inst: InstitutionRef, spec: TemplateSpec, *,
                 idempotency_key: str | None = None,
                 body_for_digest: Any = None) -> tuple[int, dict[str, Any]]:
    """Create the first version, or a new one if the content changed. 201 when a version
    was made; 200 with the current version when the content is unchanged."""
    validate_spec(ctx, spec)
    digest = idempotency.request_digest(body_for_digest if body_for_digest is not None
                                        else spec.content_sha256())

    def run(s: Session) -> tuple[int, dict[str, Any]]:
        now = ctx.clock()
        current = current_template(s, inst.id, spec.code)
        if current is not None and current.content_sha256 == spec.content_sha256():
            return 200, template_dict(current)
        version = (s.scalar(select(func.max(Template.version)).where(
            Template.institution_id == inst.id, Template.code == spec.code)) or 0) + 1
        s.execute(update(Template).where(Template.institution_id == inst.id,
                                         Template.code == spec.code).values(is_current=False))
        t = Template(id=str(uuid.uuid4()), institution_id=inst.id, code=spec.code,
                     version=version, is_current=True, title=spec.title, purpose=spec.purpose,
                     data_scope=list(spec.data_scope), body=spec.body, locale=spec.locale,
                     validity_days=spec.validity_days, max_uses=spec.max_uses,
                     require_passkey=spec.require_passkey,
                     request_ttl_minutes=spec.request_ttl_minutes,
                     content_sha256=spec.content_sha256(), created_at=now,
                     terms=spec.terms.stored())
        s.add(t)
        s.flush()
        record(s, Event.TEMPLATE_VERSIONED, at=now, institution_id=inst.id,
               template_id=t.id, template_version=version, content_sha256=t.content_sha256)
        return 201, template_dict(t)

    return idempotency.run_idempotent(ctx.db, ctx.clock, inst.id, "POST /v1/templates",
                                      idempotency_key, digest, run)


def current_template(s: Session, institution_id: str, code: str) -> Template | None:
    return s.scalars(select(Template).where(
        Template.institution_id == institution_id, Template.code == code,
        Template.is_current.is_(True))).first()


def get_template(ctx: Context, inst: InstitutionRef, code: str,
                 version: int | None = None) -> dict[str, Any]:
    """A template (read-your-writes: a fresh read, on the replica once it has caught up
    with the primary, else on the primary)."""
    def read(s: Session) -> dict[str, Any]:
        if version is None:
            t = current_template(s, inst.id, code)
        else:
            t = s.scalars(select(Template).where(
                Template.institution_id == inst.id, Template.code == code,
                Template.version == version)).first()
        if t is None:
            raise NotFound(f"no template {code!r}", code=Code.TEMPLATE_NOT_FOUND)
        out = template_dict(t)
        out["versions"] = list(s.scalars(select(Template.version).where(
            Template.institution_id == inst.id, Template.code == code).order_by(
            Template.version)))
        return out

    return ctx.db.read_fresh(read)


def list_templates_page(ctx: Context, inst: InstitutionRef, *, page: int,
                        page_size: int) -> dict[str, Any]:
    """A page of the current versions, by code (``page`` from 1)."""
    if page < 1 or page_size < 1:
        raise ValidationFailed("page and page_size start at 1",
                               field="page" if page < 1 else "page_size")
    def read(s: Session) -> dict[str, Any]:
        current = select(Template).where(Template.institution_id == inst.id,
                                         Template.is_current.is_(True))
        total = s.scalar(select(func.count()).select_from(current.subquery())) or 0
        rows = s.scalars(current.order_by(Template.code).offset((page - 1) * page_size)
                         .limit(page_size)).all()
        return {"items": [template_dict(t) for t in rows], "page": page,
                "page_size": page_size, "total": total,
                "next_page": page + 1 if page * page_size < total else None}

    return ctx.db.read_lagging(read)  # a list may lag (the replica as it is)
