"""Reminders before an authorization ends: ``ANXIN_EXPIRY_REMINDER_DAYS`` (default 7; 0
turns them off) before ``valid_until``, an authorization in force (active or paused) gets
one ``authorization:expiring`` ledger leaf, one notification to its institution (payload
``status`` and ``valid_until``; a renewal can be requested now, docs/api.md "Renewal") and
one SMS to the person (in the letter's language, with the portal's address). One signed
for no longer than the lead time is not reminded (its reminder is claimed, silently).

Exactly once with any number of sweepers: the reminder is claimed by a conditional UPDATE
of ``expiry_reminded_at`` (NULL → now) in the same transaction as its leaf and its
notification; the SMS goes after that commit. An SMS that fails is logged, not retried
(the leaf and the institution's notification stand; the portal shows the end date).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update

from anxin.domain.events import Event
from anxin.domain.states import Status
from anxin.errors import AnxinError
from anxin.letters.text import format_date
from anxin.services.context import Context
from anxin.services.notifications import notify
from anxin.services.records import record
from anxin.services.test_mode import marked_sms_text
from anxin.storage.models import Authorization, Institution, Template

log = logging.getLogger(__name__)
A = Authorization
IN_FORCE = (Status.ACTIVE.value, Status.PAUSED.value)

TEXTS = {
    "zh-CN": "【{app}】您给{institution}的授权（{reference}）将于{date}到期。"
             "到期后该机构不能再凭它查询您的数据。查看或撤销：{url}",
    "en": "[{app}] Your authorization to {institution} ({reference}) ends on {date}. "
          "After that it can no longer query your data under it. See or revoke it: {url}",
}


def remind_expiring(ctx: Context, *, batch: int = 200) -> int:
    """One pass: remind every authorization whose end is within the lead time (up to
    ``batch``); the number reminded by this call."""
    days = ctx.settings.expiry_reminder_days
    if days <= 0:
        return 0
    now = ctx.clock()
    with ctx.db.transaction() as s:
        ids = list(s.scalars(select(A.id).where(
            A.status.in_(IN_FORCE), A.expiry_reminded_at.is_(None),
            A.valid_until > now, A.valid_until <= now + dt.timedelta(days=days),
        ).order_by(A.valid_until, A.id).limit(batch)))
    sent = 0
    for auth_id in ids:
        try:
            sms = _claim_and_record(ctx, auth_id, now)
        except AnxinError as exc:  # rolled back, so tried again next pass; the others go on
            log.error("expiry reminder for %s not recorded: %s", auth_id, exc)
            continue
        if sms is None:
            continue
        sent += 1
        to, text, test = sms
        try:
            if test:  # test mode: the outbox only, never the real gateway
                if ctx.test_mode is not None:
                    ctx.test_mode.sms.send(to, marked_sms_text(text))
            else:
                ctx.sms.send(to, text)
        except (AnxinError, OSError) as exc:  # the leaf and notification stand
            log.warning("expiry reminder SMS for %s failed: %s", auth_id, exc)
    return sent


def _claim_and_record(ctx: Context, auth_id: str, now: dt.datetime
                      ) -> tuple[str, str, bool] | None:
    """Claim the reminder and record it; the SMS to send after the commit, or None if
    another sweeper claimed it (or the authorization ended meanwhile)."""
    with ctx.db.transaction() as s:
        claimed = s.execute(update(A).where(
            A.id == auth_id, A.expiry_reminded_at.is_(None), A.status.in_(IN_FORCE),
            A.valid_until > now).values(expiry_reminded_at=now)
            .execution_options(synchronize_session=False))
        if getattr(claimed, "rowcount", 0) != 1:
            return None
        a = s.get(A, auth_id)
        assert a is not None
        s.refresh(a)
        lead = dt.timedelta(days=ctx.settings.expiry_reminder_days)
        if a.signed_at is not None and a.valid_until - a.signed_at <= lead:
            return None  # signed for less than the lead time: the person knows; claimed, quiet
        until = a.valid_until.isoformat()
        record(s, Event.EXPIRING, at=now, authorization_id=a.id,
               institution_id=a.institution_id, valid_until=until)
        notify(s, institution_id=a.institution_id, authorization_id=a.id,
               reference=a.reference, event=Event.EXPIRING, at=now, status=a.status,
               extra={"valid_until": until}, test=a.test)
        inst = s.get(Institution, a.institution_id)
        tpl = s.get(Template, a.template_id)
        locale = tpl.locale if tpl is not None and tpl.locale in TEXTS else "zh-CN"
        mobile = ctx.keys.decrypt_text(a.subject_mobile_enc, aad=f"{a.id}/mobile")
        text = TEXTS[locale].format(
            app="安心授权" if locale == "zh-CN" else "Anxin",
            institution=inst.name if inst else "?", reference=a.reference,
            date=format_date(a.valid_until.astimezone(ctx.settings.zone), locale),
            url=f"{ctx.settings.effective_base_url}/me/authorizations/{a.id}")
        return mobile, text, bool(a.test)
