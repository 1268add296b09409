"""Revocation by the subject: effective at once for the use gate."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from anxin.domain.events import Event
from anxin.domain.states import Action, Status, transition
from anxin.error_codes import Code
from anxin.errors import AnxinError, Conflict, NotFound
from anxin.services.authorizations import authorization_dict, settle_status
from anxin.services.context import Context
from anxin.services.notifications import notify
from anxin.services.records import record
from anxin.storage.models import Authorization


def revoke_authorization(ctx: Context, auth_id: str, *, subject_index: str | None,
                         channel: str) -> dict[str, Any]:
    """Revoke an active authorization. ``subject_index`` (the mobile's blind index) must
    match when given, so a person can only revoke their own."""
    refusal: AnxinError | None = None
    with ctx.db.transaction() as s:
        q = select(Authorization).where(Authorization.id == auth_id).with_for_update()
        a = s.scalars(q).first()
        if a is None or (subject_index is not None and a.subject_mobile_index != subject_index):
            raise NotFound(f"no authorization {auth_id}", code=Code.AUTHORIZATION_NOT_FOUND)
        settle_status(s, ctx, a)
        if a.status != Status.ACTIVE.value:
            refusal = Conflict(f"only an active authorization can be revoked; it is {a.status}",
                               code=Code.AUTHORIZATION_NOT_ACTIVE)
        else:
            now = ctx.clock()
            a.status = transition(Status(a.status), Action.REVOKE).value
            a.status_changed_at = now
            record(s, Event.REVOKED, at=now, authorization_id=a.id,
                   institution_id=a.institution_id, channel=channel)
            notify(s, institution_id=a.institution_id, authorization_id=a.id,
                   reference=a.reference, event=Event.REVOKED, at=now)
        out = authorization_dict(a)
    if refusal is not None:
        raise refusal
    return out
