"""The person's own portal (CONTRACT §4): sign in by SMS code, see every authorization
given (found through the mobile's blind index, never by scanning clear data), every use
of it, download the letter and evidence, revoke in one step, pause and resume.

Sign-in codes: one a minute and five an hour per mobile (plus the platform's SMS limits
per client IP, per session and in total, :mod:`anxin.services.sms_guard`), a code lives
``otp_ttl_seconds``, ``otp_max_failures`` wrong tries kill that code (never the number: a
new code starts afresh). Codes are stored as keyed hashes (scope ``portal``, key the
mobile's blind index).
A code is sent whether or not the number has authorizations, so the form tells nobody
whether a number is known.

Example::

    start_portal_session(ctx, ctx.keys.blind_index("mobile", "+8613900000001"))
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anxin.domain.states import PausedBy
from anxin.domain.subject import mask_mobile, normalize_mobile
from anxin.domain.terms import TermsV2
from anxin.domain.terms_wording import term_rows
from anxin.domain.vocabulary import purpose_label, scope_labels
from anxin.encoding import sha256_hex
from anxin.error_codes import Code
from anxin.errors import NotFound, TooManyRequests, ValidationFailed
from anxin.services.authorizations import settle_status
from anxin.services.consent_receipts import consent_receipt
from anxin.services.context import Context
from anxin.services.deletions import deletions_of
from anxin.services.documents import read_document
from anxin.services.pausing import pause_authorization, resume_authorization
from anxin.services.refusals import refuse, refusing_transaction
from anxin.services.renewal import renewal_chain
from anxin.services.revocation import revoke_authorization
from anxin.services.signing import OtpLocked
from anxin.services.sms_guard import charge_sms, check_sms_country
from anxin.services.uses_log import uses_log
from anxin.services.web_sessions import start_session
from anxin.storage.models import Authorization, Document, Institution, OtpCode, Template
from anxin.storage.portal_models import PortalThrottle


def mobile_index(ctx: Context, mobile: str) -> str:
    return ctx.keys.blind_index("mobile", normalize_mobile(mobile, field="mobile"))


def start_portal_session(ctx: Context, mobile_index: str) -> str:
    """Open a portal session for the person with this mobile blind index; returns the
    cookie value. The passkey sign-in calls this once the assertion is verified."""
    return start_session(ctx, "portal", mobile_index)


def _throttle(s: Session, index: str) -> PortalThrottle:
    q = select(PortalThrottle).where(PortalThrottle.mobile_index == index).with_for_update()
    row = s.scalars(q).first()
    if row is None:
        try:
            with s.begin_nested():
                s.add(PortalThrottle(mobile_index=index, failures=0))
        except IntegrityError:
            pass  # another request made it first
        row = s.scalars(q).first()
        assert row is not None
    return row


def send_portal_code(ctx: Context, mobile: str, *, client_ip: str | None = None,
                     session: str | None = None) -> str:
    """Send a sign-in code; returns the masked number it went to. ``session`` is the
    sign-in form's browser session (see :func:`anxin.services.sms_guard.session_key`).
    A refusal changes nothing (the transaction rolls back)."""
    e164 = check_sms_country(ctx, normalize_mobile(mobile, field="mobile"), field="mobile")
    index = ctx.keys.blind_index("mobile", e164)
    st = ctx.settings
    with ctx.db.transaction() as s:
        row = _throttle(s, index)
        now = ctx.clock()
        sent_last_hour = s.scalar(select(func.count()).select_from(OtpCode).where(
            OtpCode.scope == "portal", OtpCode.key == index,
            OtpCode.created_at > now - dt.timedelta(hours=1))) or 0
        if row.last_sent_at is not None and (
                now - row.last_sent_at).total_seconds() < st.otp_min_interval_seconds:
            wait = st.otp_min_interval_seconds - (now - row.last_sent_at).total_seconds()
            raise TooManyRequests("at most one code a minute", code=Code.OTP_RATE_LIMITED,
                                  retry_after=wait)
        if sent_last_hour >= st.otp_max_sends:
            oldest = s.scalar(select(func.min(OtpCode.created_at)).where(
                OtpCode.scope == "portal", OtpCode.key == index,
                OtpCode.created_at > now - dt.timedelta(hours=1))) or now
            raise TooManyRequests(f"at most {st.otp_max_sends} codes an hour",
                                  code=Code.OTP_SEND_LIMIT,
                                  retry_after=(oldest + dt.timedelta(hours=1) - now
                                               ).total_seconds())
        charge_sms(ctx, s, client_ip=client_ip, session=session)
        # A new code supersedes the older ones (only the newest is checked) and starts
        # with no wrong tries: whatever happened to the old code, the person gets in.
        code = f"{secrets.randbelow(10**6):06d}"
        s.add(OtpCode(scope="portal", key=index,
                      code_hash=ctx.keys.secret_mac("otp-portal", f"{index}:{code}"),
                      created_at=now, failures=0,
                      expires_at=now + dt.timedelta(seconds=st.otp_ttl_seconds)))
        row.last_sent_at = now
        minutes = st.otp_ttl_seconds // 60
        ctx.sms.send(e164, f"【安心授权】登录验证码 {code}，{minutes}分钟内有效，请勿告诉他人。"
                           f"/ Anxin sign-in code {code}, valid {minutes} min. "
                           f"Never share it.")
        ctx.metrics.codes_sent.labels("portal").inc()
    return mask_mobile(e164)


def _newest_live_code(s: Session, index: str, now: dt.datetime) -> OtpCode | None:
    """The newest unexpired portal code of this mobile, used or not, row-locked so that
    concurrent checks of it run one after another."""
    return s.scalars(select(OtpCode).where(
        OtpCode.scope == "portal", OtpCode.key == index, OtpCode.expires_at > now)
        .order_by(OtpCode.id.desc()).limit(1).with_for_update()).first()


def sign_in_with_code(ctx: Context, mobile: str, code: str, *,
                      session: str | None = None) -> str:
    """Check the code; on success open a session and return the cookie value.

    Wrong tries count only against a code that was sent and is still live: with no such
    code nothing is counted (nobody can lock a number that asked for nothing). After
    ``otp_max_failures`` wrong tries that code is dead (``otp_locked``) until the person
    asks for a new one, which the normal send limits allow. The right code submitted
    again from the ``session`` (the sign-in form's browser session) that used it, while it
    lives, is the same success (a double submit), never a wrong try."""
    index = mobile_index(ctx, mobile)
    code = code.strip()
    st = ctx.settings
    used_by = sha256_hex(session) if session else None
    # A refusal commits first: a wrong try stays counted.
    with refusing_transaction(ctx.db) as s:
        now = ctx.clock()
        otp = _newest_live_code(s, index, now)
        well_formed = len(code) == 6 and code.isdigit()
        matches = otp is not None and well_formed and hmac.compare_digest(
            ctx.keys.secret_mac("otp-portal", f"{index}:{code}"), otp.code_hash)
        if otp is None:
            refuse(ValidationFailed("no live code for this number: ask for a new one",
                                    field="code", code=Code.OTP_INVALID))
        elif otp.consumed_at is not None:
            if not (matches and used_by is not None and otp.consumed_by == used_by):
                refuse(ValidationFailed("this code was already used: ask for a new one",
                                        field="code", code=Code.OTP_INVALID))
        elif otp.failures >= st.otp_max_failures:
            refuse(OtpLocked("too many wrong tries of this code: ask for a new one"))
        elif matches:
            otp.consumed_at = now
            otp.consumed_by = used_by
        else:
            otp.failures += 1
            if otp.failures >= st.otp_max_failures:
                refuse(OtpLocked("too many wrong tries of this code: ask for a new one"))
            left = st.otp_max_failures - otp.failures
            refuse(ValidationFailed(
                f"the code is wrong or has expired ({left} tries left)", field="code",
                code=Code.OTP_INVALID, tries_left=left))
    return start_portal_session(ctx, index)


def _own(s: Session, index: str, auth_id: str) -> Authorization:
    a = s.scalars(select(Authorization).where(Authorization.id == auth_id,
                                              Authorization.subject_mobile_index == index)
                  ).first()
    if a is None:  # another person's id and an unknown id look the same
        raise NotFound(f"no authorization {auth_id}", code=Code.AUTHORIZATION_NOT_FOUND)
    return a


def _summary(ctx: Context, s: Session, a: Authorization, locale: str) -> dict[str, Any]:
    inst = s.get(Institution, a.institution_id)
    tpl = s.get(Template, a.template_id)
    assert inst is not None
    assert tpl is not None
    return {"id": a.id, "status": a.status, "institution": inst.name, "title": tpl.title,
            "purpose": purpose_label(a.purpose, locale, ctx.settings.purpose_labels),
            "purpose_code": a.purpose,
            "scope": list(scope_labels(a.data_scope, locale)), "reference": a.reference,
            "valid_from": a.valid_from, "valid_until": a.valid_until, "uses": a.uses,
            "max_uses": a.max_uses, "created_at": a.created_at, "signed_at": a.signed_at,
            # The signature timestamp's genTime (the TSA's); None for a letter signed
            # before it was stored.
            "timestamp_at": a.timestamp_at,
            "status_changed_at": a.status_changed_at, "letter_locale": tpl.locale,
            "paused_by": a.paused_by if a.status == "paused" else None,
            "test": bool(a.test)}


def list_mine(ctx: Context, index: str, locale: str = "zh-CN") -> list[dict[str, Any]]:
    """Every authorization of this person, newest first, across all institutions."""
    with ctx.db.transaction() as s:
        rows = s.scalars(select(Authorization).where(
            Authorization.subject_mobile_index == index).order_by(
            Authorization.created_at.desc(), Authorization.id)).all()
        out = []
        for a in rows:
            settle_status(s, ctx, a)
            out.append(_summary(ctx, s, a, locale))
        return out


def view_mine(ctx: Context, index: str, auth_id: str, locale: str = "zh-CN"
              ) -> dict[str, Any]:
    """One authorization: the letter, every call of the gate on it, what can be downloaded."""
    with ctx.db.transaction() as s:
        a = _own(s, index, auth_id)
        settle_status(s, ctx, a)
        out = _summary(ctx, s, a, locale)
        out["letter_text"] = ctx.keys.decrypt_text(a.letter_enc, aad=f"{a.id}/letter")
        out["letter_sha256"] = a.letter_sha256
        names: dict[str, str] = dict(s.execute(select(Institution.id, Institution.name)).all())
        out["uses_log"] = [
            {"at": u.at, "institution": names.get(u.institution_id, "?"),
             "purpose": purpose_label(u.purpose, locale, ctx.settings.purpose_labels),
             "reference": u.reference,
             "operator": u.operator, "data_item": u.data_item, "granted": u.granted,
             "refusal": u.code, "delete_by": u.delete_by, "deletion_id": u.deletion_id}
            for u in uses_log(s, a.id)]
        out["renewal_chain"] = [
            {**r, "valid_until": dt.datetime.fromisoformat(str(r["valid_until"]))}
            for r in (renewal_chain(s, a) if a.renews or a.renewed_by else [])]
        # Terms v2 in the person's words, and the institution's deletion attestations.
        out["term_rows"] = term_rows(TermsV2.from_stored(a.terms), locale)
        out["deletions"] = [{**d, "at": dt.datetime.fromisoformat(d["deleted_at"]),
                             "count": len(d["items"])} for d in deletions_of(s, a.id)]
        out["has_letter_pdf"] = s.get(Document, (a.id, "letter.pdf")) is not None
        out["has_evidence"] = a.signed_at is not None  # the package and the report
        return out


def letter_pdf_mine(ctx: Context, index: str, auth_id: str) -> bytes:
    with ctx.db.transaction() as s:
        _own(s, index, auth_id)
    pdf = read_document(ctx, None, auth_id, "letter.pdf")
    if pdf is None:
        raise NotFound("this letter has no signed PDF", code=Code.DOCUMENT_NOT_FOUND)
    return pdf


def _signed_own(ctx: Context, index: str, auth_id: str, what: str) -> None:
    with ctx.db.transaction() as s:
        if _own(s, index, auth_id).signed_at is None:
            raise NotFound(f"no {what} for this authorization: it was never signed",
                           code=Code.DOCUMENT_NOT_FOUND)


def evidence_mine(ctx: Context, index: str, auth_id: str) -> bytes:
    """The evidence package of one of the person's signed authorizations."""
    _signed_own(ctx, index, auth_id, "evidence package")
    return ctx.evidence_package(ctx, None, auth_id)


def report_mine(ctx: Context, index: str, auth_id: str) -> bytes:
    """The sealed verification report of one of the person's signed authorizations."""
    _signed_own(ctx, index, auth_id, "verification report")
    return ctx.evidence_report(ctx, None, auth_id)


def receipt_mine(ctx: Context, index: str, auth_id: str) -> bytes:
    """The signed consent receipt (consent-receipt.json) of one of the person's signed
    authorizations (:mod:`anxin.services.consent_receipts`)."""
    _signed_own(ctx, index, auth_id, "consent receipt")
    return consent_receipt(ctx, auth_id)


def revoke_mine(ctx: Context, index: str, auth_id: str) -> dict[str, Any]:
    """Revoke at once: the use gate refuses from the commit on (``authorization_revoked``)."""
    return revoke_authorization(ctx, auth_id, subject_index=index, channel="portal")


def pause_mine(ctx: Context, index: str, auth_id: str) -> dict[str, Any]:
    """Pause at once: the gate refuses (``authorization_paused``) until resumed."""
    return pause_authorization(ctx, auth_id, by=PausedBy.SUBJECT, subject_index=index,
                               channel="portal")


def resume_mine(ctx: Context, index: str, auth_id: str) -> dict[str, Any]:
    """Resume a pause the person set (not one the operator set)."""
    return resume_authorization(ctx, auth_id, by=PausedBy.SUBJECT, subject_index=index,
                                channel="portal")
