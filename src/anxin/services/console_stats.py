"""The console dashboard's figures: per day (UTC) and per institution, over the last days.

Counted by the database (GROUP BY institution and day, one query per kind), so the page
costs the same whether the window holds a hundred rows or millions of gate calls.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import case, func, literal, select

from anxin.services.context import Context
from anxin.storage.models import Authorization, Institution, UseRecord

A = Authorization
SERIES = ("requests", "signatures", "declines", "uses_granted", "uses_refused", "revocations")


def _day(ctx: Context, column: Any) -> Any:
    """The UTC calendar day of a timestamp column, as 'YYYY-MM-DD' text."""
    if ctx.db.dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)  # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS…'


def dashboard(ctx: Context, *, days: int = 14) -> dict[str, Any]:
    now = ctx.clock()
    start = (now - dt.timedelta(days=days - 1)).replace(hour=0, minute=0, second=0,
                                                        microsecond=0)
    day_keys = [(start + dt.timedelta(days=i)).date().isoformat() for i in range(days)]
    per_day: dict[str, Counter[str]] = {k: Counter() for k in SERIES}
    per_inst: dict[str, Counter[str]] = {k: Counter() for k in SERIES}

    def counted(kind_of: Any, inst: Any, at: Any, *where: Any) -> Any:
        day = _day(ctx, at)
        return (select(kind_of.label("kind"), inst, day.label("day"), func.count())
                .where(at >= start, *where).group_by(kind_of, inst, day))

    granted = case((UseRecord.granted, "uses_granted"), else_="uses_refused")
    changed = case((A.status == "declined", "declines"), else_="revocations")
    queries = [
        counted(literal("requests"), A.institution_id, A.created_at),
        counted(literal("signatures"), A.institution_id, A.signed_at),
        counted(changed, A.institution_id, A.status_changed_at,
                A.status.in_(("declined", "revoked"))),
        counted(granted, UseRecord.institution_id, UseRecord.created_at),
    ]
    with ctx.db.transaction() as s:
        names: dict[str, str] = dict(s.execute(select(Institution.id, Institution.name)).all())
        for q in queries:
            for kind, inst_id, day, n in s.execute(q):
                per_day[kind][day] += n
                per_inst[kind][inst_id] += n
    return {
        "days": day_keys,
        "per_day": {k: [per_day[k][d] for d in day_keys] for k in SERIES},
        "per_institution": [
            {"id": i, "name": names.get(i, "?"), **{k: per_inst[k][i] for k in SERIES}}
            for i in sorted({i for c in per_inst.values() for i in c},
                            key=lambda x: names.get(x, ""))],
        "totals": {k: sum(per_day[k].values()) for k in SERIES},
    }


def bar_chart(title: str, labels: list[str], values: list[int], *, width: int = 640,
              height: int = 160) -> dict[str, Any]:
    """Geometry of an SVG bar chart (the template draws it; no script, no library)."""
    top = max(values) if values and max(values) > 0 else 1
    n = max(len(values), 1)
    slot = width / n
    bars = []
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        h = round((height - 30) * v / top)
        bars.append({"x": round(i * slot + slot * 0.15), "w": max(round(slot * 0.7), 1),
                     "y": height - 20 - h, "h": h, "value": v, "label": label})
    return {"title": title, "width": width, "height": height, "bars": bars, "max": top}
