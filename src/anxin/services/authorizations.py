"""Requesting, reading, listing and cancelling authorizations (institution side)."""

from __future__ import annotations

import base64
import datetime as dt
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.domain.gate import effective_status
from anxin.domain.states import Action, Status
from anxin.domain.subject import Subject
from anxin.domain.terms import (
    NO_TERMS,
    TermsV2,
    check_ceiling,
    narrow_terms,
    resolve_max_uses,
    resolve_validity,
)
from anxin.domain.terms_wording import placeholder_values, terms_paragraph
from anxin.domain.vocabulary import join_labels, purpose_label, scope_labels
from anxin.error_codes import Code
from anxin.errors import Conflict, NotFound, ValidationFailed
from anxin.keys import new_token, token_hash
from anxin.ledger.chain import commit
from anxin.letters.bounds import check_letter
from anxin.letters.text import LetterValues, format_date, letter_sha256, render_letter_text
from anxin.net.outbound import OutboundPolicy
from anxin.services import idempotency, renewal
from anxin.services.context import Context
from anxin.services.embedding import check_return_url
from anxin.services.institutions import InstitutionRef
from anxin.services.records import record
from anxin.services.refusals import refuse, refusing_transaction
from anxin.services.sms_guard import check_sms_country
from anxin.services.subject_reach import check_notify_subject, keeps_token_for_reminder, send_link
from anxin.services.templates import current_template
from anxin.services.transitions import move, move_if_unchanged
from anxin.services.uses_log import uses_log
from anxin.storage.models import Authorization, Institution, Template

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    template: str
    subject: Subject
    reference: str
    valid_until: dt.datetime | None = None
    max_uses: int | None = None
    callback_url: str | None = None
    renews: str | None = None  # the id of the authorization this request renews
    notify_subject: str | None = None   # "sms": Anxin sends the link (services.subject_reach)
    return_url: str | None = None       # allow-listed per institution (services.embedding)
    # The request's terms v2, each narrowing the template's (domain.terms.narrow_terms).
    terms: TermsV2 = NO_TERMS


def _id_type_label(id_type: str, locale: str) -> str:
    labels = {"resident_id": ("居民身份证", "resident ID"), "passport": ("护照", "passport")}
    zh, en = labels[id_type]
    return zh if locale == "zh-CN" else en


def request_authorization(ctx: Context, inst: InstitutionRef, req: AuthorizationRequest, *,
                          idempotency_key: str | None, body_for_digest: Any
                          ) -> tuple[int, dict[str, Any]]:
    if not req.reference.strip() or len(req.reference) > 200:
        raise ValidationFailed("reference has 1 to 200 characters", field="reference")
    OutboundPolicy.from_settings(ctx.settings).check_given_url(req.callback_url,
                                                               field="callback_url")
    # The signing code goes by SMS to this number: refuse, before anything is stored, a
    # number the deployment does not send SMS to.
    check_sms_country(ctx, req.subject.mobile, field="subject.mobile")
    check_notify_subject(req.notify_subject)
    digest = idempotency.request_digest(body_for_digest)

    def run(s: Session) -> tuple[int, dict[str, Any]]:
        now = ctx.clock()
        tpl = current_template(s, inst.id, req.template)
        if tpl is None:
            raise ValidationFailed(f"unknown template {req.template!r}", field="template",
                                   code=Code.UNKNOWN_TEMPLATE)
        valid_until = resolve_validity(now=now, template_days=tpl.validity_days,
                                       requested_until=req.valid_until)
        max_uses = resolve_max_uses(template_max=tpl.max_uses, requested=req.max_uses)
        days = max(1, -(-int((valid_until - now).total_seconds()) // 86400))
        check_ceiling(tpl.purpose, validity_days=days, max_uses=max_uses,
                      ceilings=ctx.settings.purpose_ceilings)
        terms = narrow_terms(TermsV2.from_stored(tpl.terms), req.terms)
        institution = s.get(Institution, inst.id)
        assert institution is not None
        return_url = check_return_url(ctx, institution.return_url_prefixes, req.return_url)
        subj = req.subject
        k = ctx.keys
        id_index = k.blind_index("id", f"{subj.id_type.value}:{subj.id_number}")
        original = None
        if req.renews is not None:
            original = renewal.lock_original(s, inst.id, req.renews, test=inst.test)
            settle_status(s, ctx, original)  # judged on its status as of now
            renewal.check_renewable(s, original, purpose=tpl.purpose,
                                    subject_id_index=id_index, now=now)
        values = LetterValues(
            subject_name=subj.name, subject_id_type=_id_type_label(subj.id_type, tpl.locale),
            subject_id_number=subj.id_number, institution=institution.name,
            purpose=purpose_label(tpl.purpose, tpl.locale, ctx.settings.purpose_labels),
            scope=join_labels(scope_labels(tpl.data_scope, tpl.locale), tpl.locale),
            valid_from=format_date(now, tpl.locale),
            valid_until=format_date(valid_until, tpl.locale), validity_days=days,
            max_uses=max_uses, reference=req.reference,
            **placeholder_values(terms, tpl.locale))
        limits = ctx.settings
        text = render_letter_text(tpl.body, values, max_chars=limits.letter_max_chars)
        if not terms.empty:
            # What the gate enforces is in the signed words, whatever the template says.
            text = f"{text.rstrip()}\n\n{terms_paragraph(terms, tpl.locale)}\n"
        check_letter(text, locale=tpl.locale, title=tpl.title, institution=institution.name,
                     purpose_label=values.purpose,
                     scope_labels=scope_labels(tpl.data_scope, tpl.locale),
                     subject_name=subj.name, reference=req.reference, max_uses=max_uses,
                     max_chars=limits.letter_max_chars, max_pages=limits.letter_max_pages)
        auth_id = str(uuid.uuid4())
        token = new_token()
        expires = now + dt.timedelta(minutes=tpl.request_ttl_minutes)
        # The token is otherwise kept only as a hash: a reminder needs the link again.
        keep_token = req.notify_subject == "sms" and keeps_token_for_reminder(
            ctx, created_at=now, request_expires_at=expires)
        a = Authorization(
            id=auth_id, institution_id=inst.id, template_id=tpl.id, status=Status.PENDING.value,
            purpose=tpl.purpose, data_scope=list(tpl.data_scope), reference=req.reference,
            subject_name_enc=k.encrypt_text(subj.name, aad=f"{auth_id}/name"),
            subject_name_masked=_mask_name(subj.name), subject_id_type=subj.id_type.value,
            subject_id_enc=k.encrypt_text(subj.id_number, aad=f"{auth_id}/id"),
            subject_id_index=id_index,
            subject_id_masked=subj.id_masked,
            subject_mobile_enc=k.encrypt_text(subj.mobile, aad=f"{auth_id}/mobile"),
            subject_mobile_index=k.blind_index("mobile", subj.mobile),
            subject_mobile_masked=subj.mobile_masked, valid_from=now, valid_until=valid_until,
            max_uses=max_uses, uses=0,
            letter_enc=k.encrypt_text(text, aad=f"{auth_id}/letter"),
            letter_sha256=letter_sha256(text), token_hash=token_hash(token),
            request_expires_at=expires, notify_subject=req.notify_subject,
            return_url=return_url,
            signing_token_enc=k.encrypt_text(token, aad=f"{auth_id}/signing_token")
            if keep_token else None,
            callback_url=req.callback_url, realname=None, otp_sends=0, otp_failures=0,
            signing=None, status_changed_at=now, created_at=now, ledger_seq=0,
            commitment_salt=os.urandom(16), terms=terms.stored(),
            freq_max=None if terms.frequency is None else terms.frequency.max_uses,
            freq_per=None if terms.frequency is None else terms.frequency.per,
            freq_period=None, freq_uses=0, test=inst.test)
        s.add(a)
        s.flush()
        renewal_of = {}
        if original is not None:
            renewal.link(original, a)
            renewal_of = {"renews": original.id}
        record(s, Event.REQUESTED, at=now, authorization_id=auth_id, institution_id=inst.id,
               **renewal_of,
               template_id=tpl.id, template_version=tpl.version, purpose=tpl.purpose,
               letter_sha256=a.letter_sha256, subject_index=a.subject_id_index,
               reference_commitment=commit(k.commitment_key(auth_id, a.commitment_salt),
                                           "reference", req.reference),
               max_uses=max_uses, terms=terms.stored(),
               valid_until=valid_until.isoformat(), **({"test": True} if inst.test else {}))
        signing_url = f"{ctx.settings.effective_base_url}/s/{token}"
        if req.notify_subject == "sms":
            # Last, inside the transaction: a refused or failed send stores nothing.
            send_link(ctx, s, a, url=signing_url, locale=tpl.locale,
                      institution=institution.name, reminder=False)
        if not inst.test:  # test mode never counts in production figures
            ctx.metrics.authorizations_requested.inc()
        out = authorization_dict(a, tpl)
        out["signing_url"] = signing_url
        return 201, out

    # A test key's Idempotency-Keys live apart from the live key's.
    route = ("test " if inst.test else "") + "POST /v1/authorizations"
    return idempotency.run_idempotent(ctx.db, ctx.clock, inst.id, route,
                                      idempotency_key, digest, run)


def _mask_name(name: str) -> str:
    from anxin.domain.subject import mask_name
    return mask_name(name)


def authorization_dict(a: Authorization, tpl: Template | None = None) -> dict[str, Any]:
    def iso(v: dt.datetime | None) -> str | None:
        return None if v is None else v.isoformat()

    out: dict[str, Any] = {
        "id": a.id, "status": a.status, "purpose": a.purpose, "data_scope": list(a.data_scope),
        "reference": a.reference, "valid_from": iso(a.valid_from),
        "valid_until": iso(a.valid_until), "max_uses": a.max_uses, "uses": a.uses,
        "uses_remaining": max(a.max_uses - a.uses, 0) if a.status in ("active", "paused")
        else (0 if a.status != "pending" else a.max_uses),
        "paused_by": a.paused_by if a.status == "paused" else None,
        "renews": a.renews, "renewed_by": a.renewed_by,
        "signed_at": iso(a.signed_at), "timestamp": iso(a.timestamp_at),
        "letter_sha256": a.letter_sha256, "request_expires_at": iso(a.request_expires_at),
        "created_at": iso(a.created_at), "status_changed_at": iso(a.status_changed_at),
        "revoked_at": iso(a.status_changed_at) if a.status == "revoked" else None,
        "status_times": status_times(a),
        "notify_subject": a.notify_subject, "return_url": a.return_url,
        "viewed_at": iso(a.viewed_at), "reminder_sent_at": iso(a.reminder_sent_at),
        **TermsV2.from_stored(a.terms).to_dict(),
        "subject": {"name": a.subject_name_masked, "id_type": a.subject_id_type,
                    "id_number": a.subject_id_masked, "mobile": a.subject_mobile_masked},
        "test": bool(a.test),
    }
    if tpl is not None:
        out["template"] = {"code": tpl.code, "version": tpl.version}
    return out


def status_times(a: Authorization) -> dict[str, str | None]:
    """When the authorization entered each status it went through, as far as the row
    knows: requested (``pending``), signed (``active``), and the current status since
    ``status_changed_at``. The evidence package adds the full history from the ledger."""
    times: dict[str, str | None] = {"pending": a.created_at.isoformat()}
    if a.signed_at is not None:
        times["active"] = a.signed_at.isoformat()
    if a.status not in times:
        times[a.status] = a.status_changed_at.isoformat()
    return times


def settle_status(s: Session, ctx: Context, a: Authorization) -> None:
    """Apply the time-driven transitions (expired, lapsed) on read, with their leaves."""
    now = ctx.clock()
    eff = effective_status(Status(a.status), now=now, valid_until=a.valid_until,
                           request_expires_at=a.request_expires_at)
    if eff.value == a.status:
        return
    # Conditional, so that two concurrent readers record the transition once.
    move_if_unchanged(s, a, Action.EXPIRE if eff is Status.EXPIRED else Action.LAPSE, at=now)


def load_for_institution(s: Session, inst: InstitutionRef, auth_id: str,
                         *, for_update: bool = False) -> Authorization:
    # Test mode: a test key's authorization is not found with the live key, and the reverse.
    q = select(Authorization).where(Authorization.id == auth_id,
                                    Authorization.institution_id == inst.id,
                                    Authorization.test == inst.test)
    if for_update:
        q = q.with_for_update()
    a = s.scalars(q).first()
    if a is None:
        raise NotFound(f"no authorization {auth_id}", code=Code.AUTHORIZATION_NOT_FOUND)
    return a


def require_visible(ctx: Context, inst: InstitutionRef, auth_id: str) -> None:
    """404 unless the authorization is the institution's and of the key's mode (test or
    live): what the document routes check before they read by institution id."""
    with ctx.db.transaction() as s:
        load_for_institution(s, inst, auth_id)


def needs_settling(ctx: Context, a: Authorization) -> bool:
    """Whether a read of ``a`` must record a time-driven transition (:func:`settle_status`),
    which a read on the replica cannot."""
    return effective_status(Status(a.status), now=ctx.clock(), valid_until=a.valid_until,
                            request_expires_at=a.request_expires_at).value != a.status


def _detail(s: Session, a: Authorization) -> dict[str, Any]:
    out = authorization_dict(a, s.get(Template, a.template_id))
    if a.renews is not None or a.renewed_by is not None:
        out["renewal_chain"] = renewal.renewal_chain(s, a)
    out["uses_log"] = [u.as_dict() for u in uses_log(s, a.id)]
    return out


def get_authorization(ctx: Context, inst: InstitutionRef, auth_id: str) -> dict[str, Any]:
    """The record, read-your-writes: with a replica, a fresh read there (it has replayed
    every commit made before the request, or the read is the primary's); a record due a
    time-driven transition is read again on the primary, which records it."""
    def as_read(s: Session) -> dict[str, Any] | None:
        a = load_for_institution(s, inst, auth_id)
        return None if needs_settling(ctx, a) else _detail(s, a)

    if ctx.db.replica is not None and (out := ctx.db.read_fresh(as_read)) is not None:
        return out
    with ctx.db.transaction() as s:
        a = load_for_institution(s, inst, auth_id)
        settle_status(s, ctx, a)
        return _detail(s, a)


def list_authorizations(ctx: Context, inst: InstitutionRef, *, status: str | None,
                        reference: str | None, page: int = 1, after: str | None = None,
                        page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """A page of the institution's authorizations, newest first: by number (``page``) or
    after a cursor (``after``, the ``next`` of the previous answer; O(page) however deep).
    ``total`` counts at most :data:`TOTAL_CAP` rows (``total_capped`` says when there are
    more), so no answer reads O(rows) index entries (docs/api.md, "Pagination")."""
    if page < 1:
        raise ValidationFailed("page starts at 1", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"page_size is between 1 and {MAX_PAGE_SIZE}",
                               field="page_size")
    if status is not None and status not in {st.value for st in Status}:
        raise ValidationFailed(f"unknown status {status!r}", field="status")
    if after is not None and page != 1:
        raise ValidationFailed("page and after exclude each other: a cursor says where "
                               "the page starts", field="after")
    cursor = None if after is None else parse_cursor(after)
    where = [Authorization.institution_id == inst.id, Authorization.test == inst.test]
    if status is not None:
        where.append(Authorization.status == status)
    if reference is not None:
        where.append(Authorization.reference == reference)
    q = _PageQuery(where, page, page_size, cursor)

    def as_read(s: Session) -> dict[str, Any] | None:
        rows, more, total = q.read(s)
        if any(needs_settling(ctx, a) for a in rows):
            return None
        return q.answer([authorization_dict(a) for a in rows], rows, more, total)

    # A list may lag (the replica as it is); a page with a row due a time-driven
    # transition is made again on the primary, which records it.
    if ctx.db.replica is not None and (out := ctx.db.read_lagging(as_read)) is not None:
        return out
    with ctx.db.transaction() as s:
        rows, more, total = q.read(s)
        items = []
        for a in rows:
            settle_status(s, ctx, a)
            items.append(authorization_dict(a))
        return q.answer(items, rows, more, total)


# ``total`` is counted up to this many rows: past it the count would cost O(rows) (1.3 s
# at 1M authorizations, bench/cluster.py growth) for a figure no page needs.
TOTAL_CAP = 10_000


@dataclass(frozen=True)
class Cursor:
    """Where a cursor page starts: after the row ``(created_at, id)`` in the list's order
    (newest first, ties by id)."""

    created_at: dt.datetime
    id: str


def make_cursor(created_at: dt.datetime, auth_id: str) -> str:
    """The ``after`` that starts a page just after the row ``(created_at, auth_id)``."""
    at = created_at.astimezone(dt.UTC).replace(tzinfo=None)
    raw = f"{at.isoformat()}|{auth_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_cursor(after: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode()
        at, auth_id = raw.split("|")
        return Cursor(dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC), str(uuid.UUID(auth_id)))
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise ValidationFailed("after is the next of a previous answer", field="after") \
            from None


@dataclass(frozen=True)
class _PageQuery:
    """One page's SQL: its ids read from ix_authorizations_list (or, with a status,
    ix_authorizations_list_status) newest first, ``page_size + 1`` of them (the extra
    says whether there is a next page without counting), then the rows of the page alone;
    the total is a count of at most TOTAL_CAP + 1 index entries."""

    where: list[ColumnElement[bool]]
    page: int
    page_size: int
    cursor: Cursor | None

    def read(self, s: Session) -> tuple[Sequence[Authorization], bool, int]:
        newest_first = (Authorization.created_at.desc(), Authorization.id)
        where = list(self.where)
        ids = select(Authorization.id)
        if self.cursor is not None:
            c = self.cursor
            # created_at <= c bounds the index scan; the ties before c are filtered out.
            where += [Authorization.created_at <= c.created_at,
                      ~((Authorization.created_at == c.created_at) & (Authorization.id <= c.id))]
        else:
            ids = ids.offset((self.page - 1) * self.page_size)
        page_ids = list(s.scalars(ids.where(*where).order_by(*newest_first)
                                  .limit(self.page_size + 1)))
        more = len(page_ids) > self.page_size
        page_ids = page_ids[:self.page_size]
        rows = s.scalars(select(Authorization).where(Authorization.id.in_(page_ids))
                         .order_by(*newest_first)).all() if page_ids else []
        capped = select(Authorization.id).where(*self.where).limit(TOTAL_CAP + 1).subquery()
        total = s.scalar(select(func.count()).select_from(capped)) or 0
        return rows, more, total

    def answer(self, items: list[dict[str, Any]], rows: Sequence[Authorization], more: bool,
               total: int) -> dict[str, Any]:
        by_number = self.cursor is None
        return {"items": items, "page": self.page if by_number else None,
                "page_size": self.page_size, "total": min(total, TOTAL_CAP),
                "total_capped": total > TOTAL_CAP,
                "next_page": self.page + 1 if by_number and more else None,
                "next": make_cursor(rows[-1].created_at, rows[-1].id) if more else None}


def not_pending(status: str) -> Conflict:
    return Conflict(f"the authorization is {status}, no longer pending",
                    code=Code.AUTHORIZATION_NOT_PENDING, status_now=status)


def cancel_authorization(ctx: Context, inst: InstitutionRef, auth_id: str) -> dict[str, Any]:
    with refusing_transaction(ctx.db) as s:
        a = load_for_institution(s, inst, auth_id, for_update=True)
        settle_status(s, ctx, a)  # a lapse found here is kept even if we refuse
        if a.status != Status.PENDING.value:
            refuse(not_pending(a.status))
        move(s, a, Action.CANCEL, at=ctx.clock())
        return authorization_dict(a)
