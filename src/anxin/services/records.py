"""Recording events: every state change enqueues its ledger leaf in the same transaction.

A leaf of an authorization continues that authorization's hash chain
(:mod:`anxin.ledger.chain`): it is made under the authorization's row lock, so concurrent
use cases of one authorization never fork the chain.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.storage.ledger_queue import enqueue_chained


def record(session: Session, event: Event, *, at: dt.datetime,
           authorization_id: str | None = None, institution_id: str | None = None,
           **fields: Any) -> None:
    enqueue_chained(session, event.value, at=at, authorization_id=authorization_id,
                    institution_id=institution_id, **fields)
