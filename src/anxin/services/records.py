"""Recording events: every state change enqueues its ledger leaf in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.ledger.leaf import make_leaf
from anxin.storage.ledger_queue import enqueue_leaf


def record(session: Session, event: Event, *, at: dt.datetime,
           authorization_id: str | None = None, institution_id: str | None = None,
           **fields: Any) -> None:
    data = make_leaf(event.value, at=at, authorization_id=authorization_id,
                     institution_id=institution_id, **fields)
    enqueue_leaf(session, data, authorization_id=authorization_id, at=at)
