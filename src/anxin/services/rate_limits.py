"""Rate limits kept in the database, so that they hold across workers and nodes.

A :class:`Limit` allows ``limit`` charges of ``key`` per fixed window of ``window_seconds``
(windows start at multiples of the window on the Unix clock). :func:`charge` counts one
charge of every limit with one atomic upsert each (``INSERT … ON CONFLICT DO UPDATE SET
count = count + 1 RETURNING count``, the same on SQLite and PostgreSQL): the row stays
locked until the caller's transaction ends, so concurrent charges of one key are counted
one after another, never lost. When any limit is over, :func:`charge` raises
:class:`~anxin.errors.TooManyRequests` with ``retry_after`` (the seconds until that
window ends); the caller's transaction then rolls back, so a refused request leaves every
counter as it was.

The charge is made inside the use case's transaction, after its own checks and just
before the costly act (an SMS), so that only what is actually done is counted.

Example::

    with ctx.db.transaction() as s:
        charge(s, [Limit("sms:ip:203.0.113.9", 20, 3600, Code.SMS_IP_LIMIT)], ctx.clock())
        ...  # send
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from anxin.error_codes import Code
from anxin.errors import TooManyRequests
from anxin.storage.rate_limit_models import RateCounter


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``limit`` charges of ``key`` per window; refused with problem ``code``."""

    key: str
    limit: int
    window_seconds: int
    code: Code
    what: str = "requests"


def _window(now: dt.datetime, seconds: int) -> tuple[int, int]:
    start = int(now.timestamp()) // seconds * seconds
    return start, start + seconds


def _increment(s: Session, key: str, window_start: int, expires_at: dt.datetime) -> int:
    values = {"key": key, "window_start": window_start, "count": 1, "expires_at": expires_at}
    bumped = {"count": RateCounter.count + 1}
    conflict = ["key", "window_start"]
    if s.get_bind().dialect.name == "postgresql":
        pg = postgresql.insert(RateCounter).values(**values)
        returned = s.execute(pg.on_conflict_do_update(index_elements=conflict, set_=bumped)
                             .returning(RateCounter.count))
    else:
        lite = sqlite.insert(RateCounter).values(**values)
        returned = s.execute(lite.on_conflict_do_update(index_elements=conflict, set_=bumped)
                             .returning(RateCounter.count))
    return int(returned.scalar_one())


def charge(s: Session, limits: Sequence[Limit], now: dt.datetime) -> None:
    """Count one charge against every limit, or raise ``TooManyRequests`` for the first
    limit that is over (the caller's transaction must then roll back). A limit of 0
    refuses everything; keys are charged in sorted order so that two requests never lock
    the same rows in opposite orders."""
    for lim in sorted(limits, key=lambda x: x.key):
        start, end = _window(now, lim.window_seconds)
        count = _increment(s, lim.key, start, dt.datetime.fromtimestamp(end, dt.UTC))
        if count > lim.limit:
            raise TooManyRequests(
                f"at most {lim.limit} {lim.what} per {lim.window_seconds} s: try again later",
                code=lim.code, retry_after=end - now.timestamp())
        # The previous windows of this key are over: drop them (a few rows at most).
        s.execute(delete(RateCounter).where(RateCounter.key == lim.key,
                                            RateCounter.window_start < start))


def purge_expired(s: Session, now: dt.datetime) -> int:
    """Delete counters whose window has ended (keys that never came back); the sweep
    calls this. Returns how many rows went."""
    result = s.execute(delete(RateCounter).where(RateCounter.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
