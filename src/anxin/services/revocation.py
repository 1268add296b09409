"""Revocation by the subject: effective at once for the use gate. A paused authorization
can be revoked too (a pause never makes withdrawing harder)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from anxin.domain.states import Action, Status
from anxin.error_codes import Code
from anxin.errors import Conflict, NotFound
from anxin.services.authorizations import authorization_dict, settle_status
from anxin.services.context import Context
from anxin.services.refusals import refuse, refusing_transaction
from anxin.services.transitions import move
from anxin.storage.models import Authorization


def revoke_authorization(ctx: Context, auth_id: str, *, subject_index: str | None,
                         channel: str) -> dict[str, Any]:
    """Revoke an active authorization. ``subject_index`` (the mobile's blind index) must
    match when given, so a person can only revoke their own."""
    with refusing_transaction(ctx.db) as s:
        q = select(Authorization).where(Authorization.id == auth_id).with_for_update()
        a = s.scalars(q).first()
        if a is None or (subject_index is not None and a.subject_mobile_index != subject_index):
            raise NotFound(f"no authorization {auth_id}", code=Code.AUTHORIZATION_NOT_FOUND)
        settle_status(s, ctx, a)  # an expiry found here is kept even if we refuse
        if a.status not in (Status.ACTIVE.value, Status.PAUSED.value):
            refuse(Conflict(f"only an active or paused authorization can be revoked; "
                            f"it is {a.status}", code=Code.AUTHORIZATION_NOT_ACTIVE))
        move(s, a, Action.REVOKE, at=ctx.clock(), channel=channel)
        a.paused_by = None
        return authorization_dict(a)
