"""The expiry sweep: moves due authorizations to ``expired`` / ``lapsed`` without waiting
for anyone to read them, so their notifications go out on time; sends the reminders of
requests about to lapse unsigned (:func:`anxin.services.subject_reach.send_due_reminders`,
claimed in the database, so once) and of authorizations about to end
(:mod:`anxin.notify.expiry_reminders`); notifies, once, the deletion attestations that
became overdue (terms v2, :func:`anxin.services.deletions.notify_overdue`); and drops
rate-limit counters whose window has ended.

Each transition goes through :func:`anxin.services.authorizations.settle_status`, whose
UPDATE is conditional on the status read: with any number of sweepers (several
``anxin serve`` workers), one transition, one ledger leaf and one notification each.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select

from anxin.domain.states import Status
from anxin.notify.expiry_reminders import remind_expiring
from anxin.services.authorizations import settle_status
from anxin.services.context import Context
from anxin.services.deletions import notify_overdue
from anxin.services.periodic import PeriodicThread
from anxin.services.person_history import send_refusal_alerts
from anxin.services.rate_limits import purge_expired
from anxin.services.subject_reach import send_due_reminders
from anxin.storage.models import Authorization

A = Authorization


def sweep_due(ctx: Context, *, batch: int = 200) -> int:
    """One pass: settle every due authorization (up to ``batch``); the number moved."""
    now = ctx.clock()
    with ctx.db.transaction() as s:
        ids = list(s.scalars(select(A.id).where(or_(
            and_(A.status.in_((Status.ACTIVE.value, Status.PAUSED.value)),
                 A.valid_until <= now),
            and_(A.status == Status.PENDING.value, A.request_expires_at <= now),
        )).order_by(A.id).limit(batch)))
    moved = 0
    for auth_id in ids:
        with ctx.db.transaction() as s:
            a = s.get(Authorization, auth_id)
            if a is None:
                continue
            before = a.status
            settle_status(s, ctx, a)
            moved += a.status != before
    return moved


def make_sweeper(ctx: Context, *, interval: float | None = None) -> PeriodicThread:
    every = ctx.settings.sweep_interval_seconds if interval is None else interval

    def work() -> int:
        # Rate-limit counters of windows that have ended go too (keys that never return).
        with ctx.db.transaction() as s:
            purge_expired(s, ctx.clock())
        moved = sweep_due(ctx)
        reminded = send_due_reminders(ctx)  # the signing link, before a request lapses
        expiring = remind_expiring(ctx)  # before an authorization in force ends
        # A full batch may mean more is due: go again at once; else wait for the interval.
        notify_overdue(ctx)
        send_refusal_alerts(ctx)  # to the people who opted in (services.person_history)
        return 1 if max(moved, reminded, expiring) >= 200 else 0

    return PeriodicThread("anxin-sweep", work, every, first_delay=min(every, 5.0))
