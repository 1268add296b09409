"""The person's request to erase what Anxin holds about them (PIPL art. 47), from ``/me``.

Erased at once, in one transaction with its ledger leaf:

- every authorization the person never signed (declined, cancelled, lapsed, and pending
  ones, which are declined first): its subject data (name, id number, mobile), its letter
  text and the blind indexes that found it are overwritten — the row keeps only its id,
  institution, status and times, so the ledger, whose leaves hold no personal data, stays
  complete and verifiable;
- the person's passkeys, and their portal sessions.

Retained, and said so with the date until which: every authorization the person signed
(active, paused, exhausted, expired, revoked). Its letter and evidence are the record of a
consent given, which the law asks to keep (``ANXIN_RETENTION_YEARS``, default 5, counted
from when it ended, or from its ``valid_until`` while in force). The answer lists both,
and the ``subject:erasure:answered`` leaf records the ids erased and retained (ids only).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.domain.periods import years_after
from anxin.domain.states import Action, Status
from anxin.services.authorizations import settle_status
from anxin.services.context import Context
from anxin.services.records import record
from anxin.services.transitions import move
from anxin.storage.models import Authorization, Institution
from anxin.storage.passkey_models import PasskeyCredential
from anxin.storage.portal_models import WebSession

ERASED_MARK = "已删除 / erased"
SIGNED_STATES = frozenset({Status.ACTIVE.value, Status.PAUSED.value, Status.EXHAUSTED.value,
                           Status.EXPIRED.value, Status.REVOKED.value})


@dataclass(frozen=True, slots=True)
class ErasureAnswer:
    """What was erased and what is kept, and why."""

    answered_at: dt.datetime
    erased: list[dict[str, Any]]
    retained: list[dict[str, Any]]
    passkeys_erased: int

    def as_dict(self) -> dict[str, Any]:
        return {"answered_at": self.answered_at.isoformat(), "erased": self.erased,
                "retained": self.retained, "passkeys_erased": self.passkeys_erased}


def _retained_until(ctx: Context, a: Authorization) -> dt.datetime:
    ended = a.status_changed_at if a.status in (Status.EXPIRED.value, Status.REVOKED.value,
                                                Status.EXHAUSTED.value) else a.valid_until
    years = ctx.settings.retention_years
    return years_after(ended, years)


def _scrub(ctx: Context, a: Authorization) -> None:
    k = ctx.keys
    a.subject_name_enc = k.encrypt_text("", aad=f"{a.id}/name")
    a.subject_id_enc = k.encrypt_text("", aad=f"{a.id}/id")
    a.subject_mobile_enc = k.encrypt_text("", aad=f"{a.id}/mobile")
    a.letter_enc = k.encrypt_text("", aad=f"{a.id}/letter")
    a.subject_name_masked = a.subject_id_masked = a.subject_mobile_masked = ERASED_MARK[:16]
    # Nothing can find the row again by the person's id number or mobile.
    a.subject_id_index = "erased:" + secrets.token_hex(16)
    a.subject_mobile_index = "erased:" + secrets.token_hex(16)
    a.realname = None


def erase_mine(ctx: Context, index: str) -> ErasureAnswer:
    """Erase what is not under a retention duty for the person with this mobile index."""
    now = ctx.clock()
    with ctx.db.transaction() as s:
        rows = list(s.scalars(select(Authorization).where(
            Authorization.subject_mobile_index == index).order_by(
            Authorization.created_at, Authorization.id).with_for_update()))
        names = dict(s.execute(select(Institution.id, Institution.name)).all())
        erased, retained = [], []
        for a in rows:
            settle_status(s, ctx, a)
            item = {"id": a.id, "institution": names.get(a.institution_id, "?"),
                    "reference": a.reference, "status": a.status}
            if a.status in SIGNED_STATES:
                retained.append({**item, "retained_until": _retained_until(ctx, a).isoformat(),
                                 "reason": "signed consent: the letter and its evidence are "
                                           "kept as the record of the consent given"})
                continue
            if a.status == Status.PENDING.value:
                move(s, a, Action.DECLINE, at=now, channel="erasure")
                item["status"] = a.status
            _scrub(ctx, a)
            erased.append(item)
        passkeys = _erase_passkeys(s, index)
        _end_sessions(s, index)
        record(s, Event.ERASURE_ANSWERED, at=now,
               erased=[e["id"] for e in erased], retained=[r["id"] for r in retained],
               passkeys_erased=passkeys)
    return ErasureAnswer(now, erased, retained, passkeys)


def _erase_passkeys(s: Session, index: str) -> int:
    result = s.execute(delete(PasskeyCredential).where(
        PasskeyCredential.subject_mobile_index == index)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _end_sessions(s: Session, index: str) -> None:
    s.execute(delete(WebSession).where(WebSession.realm == "portal",
                                       WebSession.principal == index)
              .execution_options(synchronize_session=False))
