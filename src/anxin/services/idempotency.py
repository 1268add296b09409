"""``Idempotency-Key`` for creating POSTs: same key and body → the same answer; same key
with another body → 422 ``idempotency_key_reused``. The stored answer commits in the same
transaction as what it created."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anxin.error_codes import Code
from anxin.errors import ValidationFailed
from anxin.storage.database import Database
from anxin.storage.models import IdempotencyRecord


def request_digest(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str,
                                     separators=(",", ":")).encode()).hexdigest()


def check_key(key: str | None) -> None:
    if key is not None and not (1 <= len(key) <= 200):
        raise ValidationFailed("Idempotency-Key has 1 to 200 characters",
                               field="Idempotency-Key")


def replay(session: Session, institution_id: str, route: str, key: str | None,
           digest: str) -> tuple[int, dict[str, Any]] | None:
    """The stored answer for this key, or None; raises if the key came with another body."""
    if key is None:
        return None
    rec = session.scalars(select(IdempotencyRecord).where(
        IdempotencyRecord.institution_id == institution_id, IdempotencyRecord.key == key,
        IdempotencyRecord.route == route)).first()
    if rec is None:
        return None
    if rec.request_sha256 != digest:
        raise ValidationFailed("this Idempotency-Key was used with another request body",
                               field="Idempotency-Key", code=Code.IDEMPOTENCY_KEY_REUSED)
    return rec.status_code, rec.response


def remember(session: Session, institution_id: str, route: str, key: str | None, digest: str,
             status_code: int, response: dict[str, Any], now: dt.datetime) -> None:
    if key is None:
        return
    session.add(IdempotencyRecord(institution_id=institution_id, key=key, route=route,
                                  request_sha256=digest, status_code=status_code,
                                  response=response, created_at=now))


def run_idempotent(db: Database, clock: Callable[[], dt.datetime], institution_id: str,
                   route: str, key: str | None, digest: str,
                   fn: Callable[[Session], tuple[int, dict[str, Any]]]
                   ) -> tuple[int, dict[str, Any]]:
    """Run ``fn`` in a transaction with the idempotency record; one retry on a race."""
    check_key(key)
    for attempt in range(2):
        try:
            with db.transaction() as s:
                stored = replay(s, institution_id, route, key, digest)
                if stored is not None:
                    return stored
                status, body = fn(s)
                remember(s, institution_id, route, key, digest, status, body,
                                     clock())
                return status, body
        except IntegrityError:
            if key is None or attempt == 1:
                raise
    raise AssertionError("unreachable")
