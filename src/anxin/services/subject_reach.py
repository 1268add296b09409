"""Reaching the person: the signing link by SMS, one reminder before the request lapses,
and the ``authorization:viewed`` event when the signing page is first opened.

Anxin sends the signing link only when the request asks for it
(``"notify_subject": "sms"`` on ``POST /v1/authorizations``); otherwise the institution
hands ``signing_url`` to the person itself (its app, its own SMS, a QR code). An SMS goes
under the platform's SMS rules (:mod:`anxin.services.sms_guard`): only to the countries
of ``ANXIN_SMS_COUNTRIES`` (checked when the request is made: 422 naming
``subject.mobile``), charged against the global limit and a per-number limit
(``sms_limit_per_session`` per window for one mobile), in the letter's locale.

The reminder (``ANXIN_SIGNING_REMINDER_MINUTES`` before the request lapses, 0: none) is
sent by the sweep (:mod:`anxin.notify.sweep`). It is claimed first by a conditional
UPDATE of ``reminder_sent_at`` in the same transaction as the SMS and its leaf, so with
any number of sweepers one reminder is sent; a failed send rolls the claim back and the
next pass tries again.

Example::

    sent = send_due_reminders(ctx)      # the number of reminders sent in this pass
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.domain.states import Status
from anxin.errors import AnxinError, ValidationFailed
from anxin.services.context import Context
from anxin.services.embedding import return_target
from anxin.services.notifications import notify
from anxin.services.records import record
from anxin.services.sms_guard import charge_sms, check_sms_country
from anxin.storage.models import Authorization, Institution, Template

log = logging.getLogger(__name__)
A = Authorization
NOTIFY_CHOICES = ("sms",)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def check_notify_subject(value: str | None) -> str | None:
    if value is not None and value not in NOTIFY_CHOICES:
        raise ValidationFailed("notify_subject is \"sms\" or absent (Anxin then sends "
                               "nothing: the institution delivers signing_url)",
                               field="notify_subject")
    return value


def _deadline(ctx: Context, at: dt.datetime, locale: str) -> str:
    local = at.astimezone(ctx.settings.zone)
    if locale == "zh-CN":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {_MONTHS[local.month - 1]} {local:%H:%M} ({local.tzname()})"


def link_text(locale: str, *, institution: str, url: str, deadline: str,
              reminder: bool) -> str:
    """The SMS carrying the signing link, in the letter's locale."""
    if locale == "zh-CN":
        if reminder:
            return (f"【安心授权】提醒：{institution}请您签署的授权书尚未签署，"
                    f"链接将于{deadline}失效：{url} 如非本人办理，请忽略本短信。")
        return (f"【安心授权】{institution}请您阅读并签署个人信息查询授权书：{url} "
                f"链接{deadline}前有效。如非本人办理，请忽略本短信。")
    if reminder:
        return (f"Anxin reminder: the authorization {institution} asked you to sign is not "
                f"signed yet; the link lapses {deadline}: {url} If you did not apply, "
                "ignore this message.")
    return (f"Anxin: {institution} asks you to read and sign an authorization to query "
            f"your personal data: {url} The link is valid until {deadline}. If you did "
            "not apply, ignore this message.")


def send_link(ctx: Context, s: Session, a: Authorization, *, url: str, locale: str,
              institution: str, reminder: bool) -> None:
    """Send the link (or the reminder) to the person's mobile inside the caller's
    transaction, with its leaf; the gateway is called last, so a failure rolls it all
    back."""
    mobile = ctx.keys.decrypt_text(a.subject_mobile_enc, aad=f"{a.id}/mobile")
    check_sms_country(ctx, mobile, field="subject.mobile")
    charge_sms(ctx, s, client_ip=None, session=f"mobile:{a.subject_mobile_index}")
    now = ctx.clock()
    record(s, Event.REMINDER_SENT if reminder else Event.LINK_SENT, at=now,
           authorization_id=a.id, institution_id=a.institution_id)
    text = link_text(locale, institution=institution, url=url,
                     deadline=_deadline(ctx, a.request_expires_at, locale), reminder=reminder)
    ctx.sms.send(mobile, text)
    ctx.metrics.links_sent.labels("reminder" if reminder else "invitation").inc()


def keeps_token_for_reminder(ctx: Context, *, created_at: dt.datetime,
                             request_expires_at: dt.datetime) -> bool:
    """Whether a reminder can come: reminders on, and the request lives longer than the
    lead time (else the invitation itself is recent enough)."""
    lead = ctx.settings.signing_reminder_minutes
    return lead > 0 and request_expires_at - created_at > dt.timedelta(minutes=lead)


def send_due_reminders(ctx: Context, *, batch: int = 200) -> int:
    """One pass: remind every pending SMS-notified request that lapses within the lead
    time and was not reminded yet (up to ``batch``); the number of reminders sent."""
    lead = ctx.settings.signing_reminder_minutes
    if lead <= 0:
        return 0
    now = ctx.clock()
    with ctx.db.transaction() as s:
        ids = list(s.scalars(select(A.id).where(
            A.status == Status.PENDING.value, A.notify_subject == "sms",
            A.reminder_sent_at.is_(None), A.signing_token_enc.is_not(None),
            A.request_expires_at > now,
            A.request_expires_at <= now + dt.timedelta(minutes=lead),
        ).order_by(A.request_expires_at, A.id).limit(batch)))
    sent = 0
    for auth_id in ids:
        try:
            sent += _remind(ctx, auth_id)
        except AnxinError as exc:  # one refusal (limit, gateway) never stops the others
            log.warning("reminder for %s not sent (%s): %s; retried next pass", auth_id,
                        exc.code, exc.detail)
    return sent


def _remind(ctx: Context, auth_id: str) -> int:
    now = ctx.clock()
    with ctx.db.transaction() as s:
        claimed = s.execute(update(A).where(
            A.id == auth_id, A.reminder_sent_at.is_(None), A.status == Status.PENDING.value,
            A.request_expires_at > now).values(reminder_sent_at=now)
            .execution_options(synchronize_session=False))
        if getattr(claimed, "rowcount", 0) != 1:
            return 0  # another sweeper reminded it, or it was signed, declined, lapsed
        a = s.get(A, auth_id, populate_existing=True)
        assert a is not None
        assert a.signing_token_enc is not None
        tpl = s.get(Template, a.template_id)
        inst = s.get(Institution, a.institution_id)
        assert tpl is not None
        assert inst is not None
        token = ctx.keys.decrypt_text(a.signing_token_enc, aad=f"{a.id}/signing_token")
        send_link(ctx, s, a, url=f"{ctx.settings.effective_base_url}/s/{token}",
                  locale=tpl.locale, institution=inst.name, reminder=True)
    return 1


def record_first_view(ctx: Context, s: Session, a: Authorization) -> bool:
    """``authorization:viewed`` (leaf and notification) if this is the first opening of
    a pending request's page; conditional, so concurrent first views record it once."""
    if a.viewed_at is not None or a.status != Status.PENDING.value:
        return False
    now = ctx.clock()
    done = s.execute(update(A).where(A.id == a.id, A.viewed_at.is_(None),
                                     A.status == Status.PENDING.value)
                     .values(viewed_at=now).execution_options(synchronize_session=False))
    if getattr(done, "rowcount", 0) != 1:
        return False
    record(s, Event.VIEWED, at=now, authorization_id=a.id, institution_id=a.institution_id)
    notify(s, institution_id=a.institution_id, authorization_id=a.id,
           reference=a.reference, event=Event.VIEWED, at=now, test=bool(a.test))
    return True


def mark_viewed(ctx: Context, auth_id: str) -> bool:
    """Record the first view of ``auth_id``'s signing page (see :func:`record_first_view`)."""
    with ctx.db.transaction() as s:
        a = s.get(A, auth_id)
        return a is not None and record_first_view(ctx, s, a)


def return_to(ctx: Context, auth_id: str, status: str) -> str | None:
    """Where the page sends the person after ``status`` (signed, declined), if the
    request named a ``return_url`` (:func:`anxin.services.embedding.return_target`)."""
    with ctx.db.transaction() as s:
        url = s.scalar(select(A.return_url).where(A.id == auth_id))
    return return_target(url, auth_id, status)
