"""The expiry sweep: moves due authorizations to ``expired`` / ``lapsed`` without waiting
for anyone to read them, so their notifications go out on time; and drops rate-limit
counters whose window has ended.

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
from anxin.services.periodic import PeriodicThread
from anxin.services.rate_limits import purge_expired
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
        # A full batch may mean more is due: go again at once; else wait for the interval.
        moved = sweep_due(ctx)
        reminded = remind_expiring(ctx)
        return 1 if moved >= 200 or reminded >= 200 else 0

    return PeriodicThread("anxin-sweep", work, every, first_delay=min(every, 5.0))
