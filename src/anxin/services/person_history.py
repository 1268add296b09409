""""Who looked at my credit, when, for what": the person's use history across every
authorization (``/me/history``), refused attempts included — a refused attempt by an
institution is often the first sign of abuse —, their notification preferences
(``/me/preferences``), and the SMS alerts of refused attempts for those who opt in.

Alerts go out from the sweep (:func:`send_refusal_alerts`), never from the gate: one SMS
per person and pass naming how many attempts were refused since the last alert, with the
portal's address. The person's ``alerted_until`` moves by a conditional UPDATE in the
same transaction as the alert's ledger leaf (no personal data), so any number of
sweepers alert once; the SMS goes after the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.domain.vocabulary import purpose_label, scope_labels
from anxin.errors import AnxinError
from anxin.services.context import Context
from anxin.services.records import record
from anxin.storage.models import Authorization, Institution, Template, UseRecord
from anxin.storage.portal_models import SubjectPreference

log = logging.getLogger(__name__)
HISTORY_LIMIT = 500

ALERT_TEXTS = {
    "zh-CN": "【安心授权】有 {n} 次对您个人数据的查询被拒绝（最近一次：{institution}）。"
             "如非您授权，请查看：{url}",
    "en": "[Anxin] {n} queries of your personal data were refused (last: {institution}). "
          "If you did not authorize them, see: {url}",
}


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: dt.datetime
    authorization_id: str
    institution: str
    purpose: str
    data_item: str
    reference: str
    granted: bool
    refusal: str | None


def history_mine(ctx: Context, index: str, locale: str = "zh-CN") -> list[HistoryEntry]:
    """Every gate call on the person's authorizations, newest first (at most 500)."""
    with ctx.db.transaction() as s:
        names: dict[str, str] = dict(s.execute(select(Institution.id, Institution.name)).all())
        rows = s.execute(
            select(UseRecord).join(Authorization, Authorization.id == UseRecord.authorization_id)
            .where(Authorization.subject_mobile_index == index)
            .order_by(UseRecord.created_at.desc(), UseRecord.id).limit(HISTORY_LIMIT)
        ).scalars().all()
        return [HistoryEntry(u.created_at, u.authorization_id,
                             names.get(u.institution_id, "?"),
                             purpose_label(u.purpose, locale),
                             next(iter(scope_labels((u.data_item,), locale)), u.data_item),
                             u.reference, u.granted, u.refusal_code) for u in rows]


def preferences_mine(ctx: Context, index: str) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        p = s.get(SubjectPreference, index)
        return {"refusal_alerts": bool(p and p.refusal_alerts)}


def set_preferences(ctx: Context, index: str, *, refusal_alerts: bool) -> None:
    """Opt in or out of refusal alerts; opting in alerts only what is refused from now."""
    now = ctx.clock()
    with ctx.db.transaction() as s:
        p = s.get(SubjectPreference, index, with_for_update=True)
        if p is None:
            p = SubjectPreference(mobile_index=index, refusal_alerts=False,
                                  alerted_until=None, updated_at=now)
            s.add(p)
        if refusal_alerts and not p.refusal_alerts:
            p.alerted_until = now
        p.refusal_alerts = refusal_alerts
        p.updated_at = now


def _refused_since(s: Session, index: str, since: dt.datetime | None,
                   until: dt.datetime) -> tuple[int, str | None, str | None]:
    """How many refused calls in (since, until], the last one's institution and its
    authorization."""
    cond = [Authorization.subject_mobile_index == index, UseRecord.granted.is_(False),
            UseRecord.created_at <= until]
    if since is not None:
        cond.append(UseRecord.created_at > since)
    base = select(UseRecord).join(Authorization,
                                  Authorization.id == UseRecord.authorization_id).where(*cond)
    n = int(s.scalar(select(func.count()).select_from(base.subquery())) or 0)
    if not n:
        return 0, None, None
    last = s.scalars(base.order_by(UseRecord.created_at.desc()).limit(1)).first()
    assert last is not None
    inst = s.get(Institution, last.institution_id)
    return n, inst.name if inst else "?", last.authorization_id


def send_refusal_alerts(ctx: Context, *, batch: int = 200) -> int:
    """One pass: alert every opted-in person with refused calls since their last alert."""
    now = ctx.clock()
    with ctx.db.transaction() as s:
        people = [(p.mobile_index, p.alerted_until) for p in s.scalars(
            select(SubjectPreference).where(SubjectPreference.refusal_alerts.is_(True))
            .order_by(SubjectPreference.mobile_index).limit(batch))]
    sent = 0
    for index, since in people:
        try:
            sms = _claim_alert(ctx, index, since, now)
        except AnxinError as exc:
            log.error("refusal alert not recorded: %s", exc)
            continue
        if sms is None:
            continue
        try:
            ctx.sms.send(*sms)
            sent += 1
        except (AnxinError, OSError) as exc:  # the leaf stands; the portal shows it
            log.warning("refusal alert SMS failed: %s", exc)
    return sent


def _claim_alert(ctx: Context, index: str, since: dt.datetime | None,
                 now: dt.datetime) -> tuple[str, str] | None:
    with ctx.db.transaction() as s:
        n, institution, auth_id = _refused_since(s, index, since, now)
        if not n:
            return None
        moved = s.execute(update(SubjectPreference).where(
            SubjectPreference.mobile_index == index, SubjectPreference.refusal_alerts.is_(True),
            (SubjectPreference.alerted_until == since) if since is not None
            else SubjectPreference.alerted_until.is_(None))
            .values(alerted_until=now).execution_options(synchronize_session=False))
        if getattr(moved, "rowcount", 0) != 1:
            return None  # another sweeper alerted, or the person opted out
        a = s.get(Authorization, auth_id)
        assert a is not None
        # Not a leaf of the authorization's chain (its row is not locked here): the
        # person's, with a count only.
        record(s, Event.REFUSAL_ALERTED, at=now, refused=n)
        mobile = ctx.keys.decrypt_text(a.subject_mobile_enc, aad=f"{a.id}/mobile")
        tpl = s.get(Template, a.template_id)
        locale = tpl.locale if tpl is not None and tpl.locale in ALERT_TEXTS else "zh-CN"
        text = ALERT_TEXTS[locale].format(
            n=n, institution=institution,
            url=f"{ctx.settings.effective_base_url}/me/history")
        return mobile, text
