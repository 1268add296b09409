"""Pause and resume: the person (from ``/me``) or the operator (from the console, on a
dispute) stops an authorization's uses without withdrawing it, and lets them go on again.

A paused authorization answers the gate 409 ``authorization_paused``; it can still be
revoked, and its validity still runs out (a pause never extends it). A pause set by the
operator is lifted only by the operator (``paused_by_operator`` to the person); the
operator may take over a pause the person set, so that the person cannot lift it during
a dispute. Every change is one transaction with its ledger leaf (``authorization:paused``
/ ``authorization:resumed``, with ``by`` and ``channel``) and the institution's
notification.

>>> from anxin.domain.states import PausedBy
>>> PausedBy("operator").value
'operator'
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.domain.states import Action, PausedBy, Status
from anxin.error_codes import Code
from anxin.errors import Conflict, NotFound
from anxin.services.authorizations import authorization_dict, settle_status
from anxin.services.context import Context
from anxin.services.records import record
from anxin.services.refusals import refuse, refusing_transaction
from anxin.services.transitions import move
from anxin.storage.models import Authorization


def _load(s: Session, auth_id: str, subject_index: str | None) -> Authorization:
    q = select(Authorization).where(Authorization.id == auth_id).with_for_update()
    a = s.scalars(q).first()
    if a is None or (subject_index is not None and a.subject_mobile_index != subject_index):
        raise NotFound(f"no authorization {auth_id}", code=Code.AUTHORIZATION_NOT_FOUND)
    return a


def _leaf_fields(by: PausedBy, channel: str, operator_id: str | None) -> dict[str, Any]:
    """Who and through what; no personal data (the operator is named by id)."""
    fields: dict[str, Any] = {"by": by.value, "channel": channel}
    if operator_id is not None:
        fields["operator_id"] = operator_id
    return fields


def pause_authorization(ctx: Context, auth_id: str, *, by: PausedBy,
                        subject_index: str | None = None, channel: str,
                        operator_id: str | None = None) -> dict[str, Any]:
    """Pause an active authorization. ``subject_index`` (the mobile's blind index) must
    match when given, so a person pauses only their own. The operator pausing one the
    person paused takes the pause over (one more leaf, the status unchanged)."""
    with refusing_transaction(ctx.db) as s:
        a = _load(s, auth_id, subject_index)
        settle_status(s, ctx, a)  # an expiry found here is kept even if we refuse
        now = ctx.clock()
        fields = _leaf_fields(by, channel, operator_id)
        if (a.status == Status.PAUSED.value and by is PausedBy.OPERATOR
                and a.paused_by == PausedBy.SUBJECT.value):
            a.paused_by = by.value
            record(s, Event.PAUSED, at=now, authorization_id=a.id,
                   institution_id=a.institution_id, **fields)
            return authorization_dict(a)
        if a.status != Status.ACTIVE.value:
            refuse(Conflict(f"only an active authorization can be paused; it is {a.status}",
                            code=(Code.AUTHORIZATION_PAUSED if a.status == Status.PAUSED.value
                                  else Code.AUTHORIZATION_NOT_ACTIVE)))
        move(s, a, Action.PAUSE, at=now, **fields)
        a.paused_by = by.value
        return authorization_dict(a)


def resume_authorization(ctx: Context, auth_id: str, *, by: PausedBy,
                         subject_index: str | None = None, channel: str,
                         operator_id: str | None = None) -> dict[str, Any]:
    """Resume a paused authorization; the person cannot lift the operator's pause."""
    with refusing_transaction(ctx.db) as s:
        a = _load(s, auth_id, subject_index)
        settle_status(s, ctx, a)
        if a.status != Status.PAUSED.value:
            refuse(Conflict(f"only a paused authorization can be resumed; it is {a.status}",
                            code=Code.INVALID_TRANSITION))
        if by is PausedBy.SUBJECT and a.paused_by == PausedBy.OPERATOR.value:
            refuse(Conflict("the operator paused this authorization during a dispute; only "
                            "the operator can resume it", code=Code.PAUSED_BY_OPERATOR))
        move(s, a, Action.RESUME, at=ctx.clock(), **_leaf_fields(by, channel, operator_id))
        a.paused_by = None
        return authorization_dict(a)
