"""The console dashboard's figures for a chosen period of calendar days in the
deployment's time zone: what a compliance officer watches.

- The requests of the period and what became of them (the cohort): signed, declined,
  lapsed (unsigned past the signing deadline, whether or not a read has settled it yet),
  still pending; the sign rate (signed / requested) and the median time from request
  to signature.
- What happened in the period: gate calls granted and refused (by the refusal's reason),
  revocations; requests and signatures per day.
- All of it per institution.
- Live authorizations only: test mode's (``test``) are never counted.

Counted by the database (GROUP BY, one query per kind), so the page costs about the same
whatever the period holds; the median is the database's ``percentile_cont`` on
PostgreSQL (SQLite, the development database, sorts the durations of the cohort).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select

from anxin.services.context import Context
from anxin.storage.models import Authorization, Institution, UseRecord

A = Authorization
COHORT = ("requested", "signed", "declined", "lapsed", "pending")
ACTIVITY = ("uses_granted", "uses_refused", "revocations")
MAX_DAYS = 366
# Production figures count live authorizations only (test mode's never).
LIVE = A.test.is_(False)
_LIVE_USE = UseRecord.authorization_id.not_in(select(A.id).where(A.test.is_(True)))


@dataclass(frozen=True, slots=True)
class Period:
    """Calendar days ``first``..``last`` (both included) in ``zone``."""

    first: dt.date
    last: dt.date
    zone: ZoneInfo

    @classmethod
    def last_days(cls, today: dt.date, zone: ZoneInfo, days: int = 14) -> Period:
        return cls(today - dt.timedelta(days=days - 1), today, zone)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as UTC instants [start, end)."""
        start = dt.datetime.combine(self.first, dt.time(), self.zone)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), self.zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def days(self) -> list[str]:
        n = (self.last - self.first).days + 1
        return [(self.first + dt.timedelta(days=i)).isoformat() for i in range(n)]


def _local_day(ctx: Context, column: Any, period: Period) -> Any:
    """The local calendar day of a timestamp column, as 'YYYY-MM-DD' text."""
    if ctx.db.dialect == "postgresql":
        return func.to_char(func.timezone(period.zone.key, column), "YYYY-MM-DD")
    # SQLite keeps UTC text; the zone's offset at the period's start (no DST in China).
    start, _ = period.bounds()
    offset = start.astimezone(period.zone).utcoffset() or dt.timedelta()
    return func.substr(func.datetime(column, f"{int(offset.total_seconds() // 60)} minutes"),
                       1, 10)


def _median_seconds(ctx: Context, s: Any, where: Any) -> dict[str, float]:
    """Median seconds from request to signature, per institution, for the cohort."""
    signed = and_(where, A.signed_at.is_not(None))
    if ctx.db.dialect == "postgresql":
        secs = func.extract("epoch", A.signed_at - A.created_at)
        rows = s.execute(select(A.institution_id, func.percentile_cont(0.5).within_group(
            secs)).where(signed).group_by(A.institution_id)).all()
        medians = {i: float(m) for i, m in rows}
        total = s.scalar(select(func.percentile_cont(0.5).within_group(secs)).where(signed))
        if total is not None:
            medians[""] = float(total)
        return medians
    durations: dict[str, list[float]] = defaultdict(list)
    for inst, created, signed_at in s.execute(select(A.institution_id, A.created_at,
                                                     A.signed_at).where(signed)):
        d = (signed_at - created).total_seconds()
        durations[inst].append(d)
        durations[""].append(d)
    return {i: statistics.median(v) for i, v in durations.items()}


def dashboard(ctx: Context, period: Period) -> dict[str, Any]:
    start, end = period.bounds()
    now = ctx.clock()
    in_period = and_(A.created_at >= start, A.created_at < end, LIVE)
    lapsed = or_(A.status == "lapsed",
                 and_(A.status == "pending", A.request_expires_at <= now))
    fate = case((A.signed_at.is_not(None), "signed"), (A.status == "declined", "declined"),
                (lapsed, "lapsed"), (A.status == "pending", "pending"), else_="other")
    used = and_(UseRecord.created_at >= start, UseRecord.created_at < end, _LIVE_USE)
    revoked = and_(A.status == "revoked", A.status_changed_at >= start,
                   A.status_changed_at < end, LIVE)
    per_inst: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: Counter[str] = Counter()
    per_day: dict[str, Counter[str]] = {"requested": Counter(), "signed": Counter()}
    with ctx.db.transaction() as s:
        names: dict[str, str] = dict(s.execute(select(Institution.id, Institution.name)).all())
        for inst, kind, n in s.execute(select(A.institution_id, fate, func.count())
                                       .where(in_period).group_by(A.institution_id, fate)):
            per_inst[inst]["requested"] += n
            per_inst[inst][kind] += n
        for inst, granted, code, n in s.execute(
                select(UseRecord.institution_id, UseRecord.granted, UseRecord.refusal_code,
                       func.count()).where(used).group_by(
                    UseRecord.institution_id, UseRecord.granted, UseRecord.refusal_code)):
            per_inst[inst]["uses_granted" if granted else "uses_refused"] += n
            if not granted:
                reasons[code or "use_refused"] += n
        for inst, n in s.execute(select(A.institution_id, func.count()).where(revoked)
                                 .group_by(A.institution_id)):
            per_inst[inst]["revocations"] += n
        for kind, column in (("requested", A.created_at), ("signed", A.signed_at)):
            day = _local_day(ctx, column, period)
            for d, n in s.execute(select(day, func.count()).where(
                    column >= start, column < end, LIVE).group_by(day)):
                per_day[kind][d] += n
        medians = _median_seconds(ctx, s, in_period)
    totals: Counter[str] = Counter()
    for c in per_inst.values():
        totals.update(c)
    rows = [_figures(c, medians.get(i)) | {"id": i, "name": names.get(i, "?")}
            for i, c in per_inst.items()]
    rows.sort(key=lambda r: (-r["requested"], r["name"]))
    days = period.days()
    return {"first": period.first.isoformat(), "last": period.last.isoformat(),
            "zone": period.zone.key, "days": days,
            "per_day": {k: [per_day[k][d] for d in days] for k in per_day},
            "totals": _figures(totals, medians.get("")),
            "refused_by_reason": sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])),
            "per_institution": rows}


def _figures(c: Counter[str], median: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {k: c[k] for k in COHORT + ACTIVITY}
    out["sign_rate"] = c["signed"] / c["requested"] if c["requested"] else None
    out["median_sign_seconds"] = median
    return out


def bars(labels: list[str], values: list[int], *, width: int = 640, height: int = 120
         ) -> dict[str, Any]:
    """Geometry of a compact SVG column chart (the template draws it; no script)."""
    top = max(values) if values and max(values) > 0 else 1
    n = max(len(values), 1)
    slot = width / n
    out = []
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        h = round((height - 24) * v / top)
        out.append({"x": round(i * slot + slot * 0.15), "w": max(round(slot * 0.7), 1),
                    "y": height - 16 - h, "h": h, "value": v, "label": label})
    return {"width": width, "height": height, "bars": out, "max": top}
