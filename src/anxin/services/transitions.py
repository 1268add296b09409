"""One transition of an authorization, written once: its new status (by the state
machine, :mod:`anxin.domain.states`), the time of the change, its ledger leaf and the
institution's notification, all in the caller's transaction.

:func:`move` changes a row the caller holds locked; :func:`move_if_unchanged` is the
conditional form for transitions that concurrent readers may race for (the time-driven
ones: expired, lapsed), of which exactly one records the leaf and the notification.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.domain.states import Action, Status, transition
from anxin.services.notifications import notify
from anxin.services.records import record
from anxin.storage.models import Authorization

# The event each action records in the ledger and announces to the institution.
EVENT_OF: dict[Action, Event] = {
    Action.SIGN: Event.SIGNED,
    Action.DECLINE: Event.DECLINED,
    Action.CANCEL: Event.CANCELLED,
    Action.LAPSE: Event.LAPSED,
    Action.EXHAUST: Event.EXHAUSTED,
    Action.EXPIRE: Event.EXPIRED,
    Action.REVOKE: Event.REVOKED,
    Action.PAUSE: Event.PAUSED,
    Action.RESUME: Event.RESUMED,
}


def _announce(s: Session, a: Authorization, action: Action, at: dt.datetime,
              leaf_fields: dict[str, Any]) -> None:
    event = EVENT_OF[action]
    record(s, event, at=at, authorization_id=a.id, institution_id=a.institution_id,
           **leaf_fields)
    notify(s, institution_id=a.institution_id, authorization_id=a.id,
           reference=a.reference, event=event, at=at, test=a.test)


def move(s: Session, a: Authorization, action: Action, *, at: dt.datetime,
         **leaf_fields: Any) -> Status:
    """Apply ``action`` to ``a`` (row-locked by the caller) at ``at``: status, time, leaf
    (with ``leaf_fields``) and notification. Raises
    :class:`~anxin.domain.states.InvalidTransition` if the state machine forbids it."""
    new = transition(Status(a.status), action)
    a.status = new.value
    a.status_changed_at = at
    _announce(s, a, action, at, leaf_fields)
    return new


def move_if_unchanged(s: Session, a: Authorization, action: Action, *,
                      at: dt.datetime) -> bool:
    """Apply ``action`` as one conditional UPDATE (the status still the one read), then
    reload ``a``. True if this call made the transition (and so recorded its leaf and
    notification); False if a concurrent one did first."""
    new = transition(Status(a.status), action)
    result = s.execute(update(Authorization)
                       .where(Authorization.id == a.id, Authorization.status == a.status)
                       .values(status=new.value, status_changed_at=at)
                       .execution_options(synchronize_session=False))
    moved = getattr(result, "rowcount", 0) == 1
    if moved:
        _announce(s, a, action, at, {})
    s.refresh(a)
    return moved
