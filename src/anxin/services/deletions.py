"""Deletion attestations (terms v2, data life): the institution states that it deleted
what some granted uses fetched, and the sweep flags the uses whose deletion is overdue.

``POST /v1/authorizations/{id}/deletion`` ``{"deleted_at": ..., "items": [use ids]}``
answers 201 with the attestation. ``items`` are the ids of granted uses of that
authorization (the ``use_id`` of each 201 of the gate): ids, never descriptions, so that
nothing personal is written and each use's obligation is settled exactly. Refused with
422 naming the field: ``deleted_at`` without a time zone, in the future, or before a
named use; an item that is no granted use of the authorization, or named twice; 409
``deletion_already_attested`` for a use already covered. An attestation is one
transaction: the ``deletions`` row, the uses marked, a ledger leaf (ids, counts and the
time only) and a notification to the institution (``authorization:deletion:attested``).

A use is *due* for deletion at its ``delete_by`` (granted_at + ``data_life_days``), or at
once when the authorization is revoked; *overdue* when due and not attested.
:func:`notify_overdue` (run by the sweep) notifies each overdue use once, grouped by
authorization, with a ledger leaf; the console lists them (:func:`overdue`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.domain.states import Status
from anxin.error_codes import Code
from anxin.errors import Conflict, ValidationFailed
from anxin.services import idempotency
from anxin.services.authorizations import load_for_institution
from anxin.services.context import Context
from anxin.services.institutions import InstitutionRef
from anxin.services.records import record
from anxin.storage.models import Authorization, Deletion, Institution, UseRecord
from anxin.storage.portal_models import Notification

MAX_ITEMS = 1000
U = UseRecord


def _notification(a: Authorization, event: Event, at: dt.datetime,
                  **extra: Any) -> Notification:
    payload = {"event": event.value, "authorization_id": a.id,
               "institution_id": a.institution_id, "status": a.status,
               "reference": a.reference,
               "occurred_at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
               "test": bool(a.test), **extra}
    return Notification(institution_id=a.institution_id, authorization_id=a.id,
                        event=event.value, payload=payload, state="pending", attempts=0,
                        next_attempt_at=at, created_at=at)


def _check_items(items: Sequence[Any]) -> list[str]:
    if not isinstance(items, list | tuple) or not items:
        raise ValidationFailed("items lists the use ids whose data was deleted (at least one)",
                               field="items")
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(f"items has at most {MAX_ITEMS} use ids", field="items")
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not isinstance(item, str) or not 1 <= len(item) <= 36:
            raise ValidationFailed("each item is the use_id of a granted use",
                                   field=f"items[{i}]")
        if item in seen:
            raise ValidationFailed(f"use {item} is named twice", field=f"items[{i}]")
        seen.add(item)
    return list(items)


def attest_deletion(ctx: Context, inst: InstitutionRef, auth_id: str,
                    deleted_at: dt.datetime, items: Sequence[Any], *,
                    idempotency_key: str | None = None, body_for_digest: Any = None
                    ) -> tuple[int, dict[str, Any]]:
    """Record the institution's attestation (module docstring); 201 and the record."""
    if deleted_at.tzinfo is None:
        raise ValidationFailed("deleted_at needs a time zone (e.g. 2026-12-31T08:00:00Z)",
                               field="deleted_at")
    use_ids = _check_items(items)
    digest = idempotency.request_digest(body_for_digest if body_for_digest is not None
                                        else {"deleted_at": deleted_at.isoformat(),
                                              "items": use_ids})

    def run(s: Session) -> tuple[int, dict[str, Any]]:
        now = ctx.clock()
        if deleted_at > now:
            raise ValidationFailed("deleted_at is in the future", field="deleted_at")
        a = load_for_institution(s, inst, auth_id, for_update=True)
        found = {u.id: u for u in s.scalars(select(U).where(
            U.authorization_id == a.id, U.id.in_(use_ids), U.granted.is_(True)))}
        for i, use_id in enumerate(use_ids):
            use = found.get(use_id)
            if use is None:
                raise ValidationFailed(f"{use_id} is no granted use of this authorization",
                                       field=f"items[{i}]")
            if use.deletion_id is not None:
                raise Conflict(f"the deletion of use {use_id} is already attested",
                               code=Code.DELETION_ALREADY_ATTESTED, field=f"items[{i}]",
                               deletion_id=use.deletion_id)
            if deleted_at < use.created_at:
                raise ValidationFailed(f"deleted_at is before use {use_id} was granted "
                                       f"({use.created_at.isoformat()})", field="deleted_at")
        deletion = Deletion(id=str(uuid.uuid4()), authorization_id=a.id,
                            institution_id=inst.id, deleted_at=deleted_at, use_ids=use_ids,
                            created_at=now)
        s.add(deletion)
        s.execute(update(U).where(U.id.in_(use_ids)).values(deletion_id=deletion.id))
        record(s, Event.DELETION_ATTESTED, at=now, authorization_id=a.id,
               institution_id=inst.id, deletion_id=deletion.id, use_ids=use_ids,
               deleted_at=deleted_at.astimezone(dt.UTC).isoformat())
        s.add(_notification(a, Event.DELETION_ATTESTED, now, deletion_id=deletion.id,
                            use_ids=use_ids))
        return 201, deletion_dict(deletion)

    return idempotency.run_idempotent(
        ctx.db, ctx.clock, inst.id, "POST /v1/authorizations/{id}/deletion", idempotency_key,
        digest, run)


def deletion_dict(d: Deletion) -> dict[str, Any]:
    return {"id": d.id, "authorization_id": d.authorization_id,
            "deleted_at": d.deleted_at.isoformat(), "items": list(d.use_ids),
            "created_at": d.created_at.isoformat()}


def deletions_of(s: Session, auth_id: str) -> list[dict[str, Any]]:
    """The attestations of one authorization, oldest first."""
    return [deletion_dict(d) for d in s.scalars(
        select(Deletion).where(Deletion.authorization_id == auth_id)
        .order_by(Deletion.created_at, Deletion.id))]


def _due(now: dt.datetime) -> Any:
    """Granted uses under a data life, not attested, due by ``now`` (or revoked)."""
    return and_(U.granted.is_(True), U.delete_by.is_not(None), U.deletion_id.is_(None),
                or_(U.delete_by <= now, Authorization.status == Status.REVOKED.value))


def overdue(ctx: Context, *, limit: int = 200) -> list[dict[str, Any]]:
    """The authorizations with overdue deletion attestations, most overdue first: the
    console's list."""
    now = ctx.clock()
    with ctx.db.transaction() as s:
        rows = s.execute(
            select(Authorization.id, Authorization.reference, Authorization.status,
                   Institution.name, func.count(U.id), func.min(U.delete_by))
            .join(Authorization, Authorization.id == U.authorization_id)
            .join(Institution, Institution.id == Authorization.institution_id)
            .where(_due(now))
            .group_by(Authorization.id, Authorization.reference, Authorization.status,
                      Institution.name)
            .order_by(func.min(U.delete_by)).limit(limit)).all()
    return [{"authorization_id": r[0], "reference": r[1], "status": r[2],
             "institution": r[3], "uses": int(r[4]), "due_since": r[5]} for r in rows]


def notify_overdue(ctx: Context, *, batch: int = 200) -> int:
    """One pass of the sweep: notify (once) each overdue use not yet notified, one
    notification and one ledger leaf per authorization; the number of uses notified."""
    now = ctx.clock()
    with ctx.db.transaction() as s:
        auth_ids = list(s.scalars(
            select(U.authorization_id).join(Authorization, Authorization.id == U.authorization_id)
            .where(_due(now), U.overdue_notified_at.is_(None))
            .group_by(U.authorization_id).order_by(U.authorization_id).limit(batch)))
    notified = 0
    for auth_id in auth_ids:
        with ctx.db.transaction() as s:
            a = s.scalars(select(Authorization).where(Authorization.id == auth_id)
                          .with_for_update()).one()
            use_ids = list(s.scalars(
                select(U.id).join(Authorization, Authorization.id == U.authorization_id)
                .where(U.authorization_id == auth_id, _due(now),
                       U.overdue_notified_at.is_(None)).order_by(U.created_at, U.id)))
            if not use_ids:
                continue  # another sweeper was first
            s.execute(update(U).where(U.id.in_(use_ids)).values(overdue_notified_at=now))
            record(s, Event.DELETION_OVERDUE, at=now, authorization_id=a.id,
                   institution_id=a.institution_id, use_ids=use_ids)
            s.add(_notification(a, Event.DELETION_OVERDUE, now, use_ids=use_ids))
            notified += len(use_ids)
    return notified
