"""The console dashboard's figures: per day and per institution, over the last days.

Counted in Python over the window's timestamps (one narrow SELECT per kind), which keeps
the SQL the same on SQLite and PostgreSQL; fine up to a few hundred thousand rows a
window, beyond which a daily rollup table would take over.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import select

from anxin.services.context import Context
from anxin.storage.models import Authorization, Institution, UseRecord

A = Authorization
SERIES = ("requests", "signatures", "declines", "uses_granted", "uses_refused", "revocations")


def dashboard(ctx: Context, *, days: int = 14) -> dict[str, Any]:
    now = ctx.clock()
    start = (now - dt.timedelta(days=days - 1)).replace(hour=0, minute=0, second=0,
                                                        microsecond=0)
    day_keys = [(start + dt.timedelta(days=i)).date().isoformat() for i in range(days)]
    per_day: dict[str, Counter[str]] = {k: Counter() for k in SERIES}
    per_inst: dict[str, Counter[str]] = {k: Counter() for k in SERIES}

    def add(kind: str, inst_id: str, at: dt.datetime | None) -> None:
        if at is None or at < start:
            return
        per_day[kind][at.date().isoformat()] += 1
        per_inst[kind][inst_id] += 1

    with ctx.db.transaction() as s:
        names: dict[str, str] = dict(s.execute(select(Institution.id, Institution.name)).all())
        for inst_id, created in s.execute(select(A.institution_id, A.created_at).where(
                A.created_at >= start)):
            add("requests", inst_id, created)
        for inst_id, signed in s.execute(select(A.institution_id, A.signed_at).where(
                A.signed_at >= start)):
            add("signatures", inst_id, signed)
        for inst_id, status, changed in s.execute(
                select(A.institution_id, A.status, A.status_changed_at).where(
                    A.status.in_(("declined", "revoked")), A.status_changed_at >= start)):
            add("declines" if status == "declined" else "revocations", inst_id, changed)
        for inst_id, granted, at in s.execute(
                select(UseRecord.institution_id, UseRecord.granted, UseRecord.created_at)
                .where(UseRecord.created_at >= start)):
            add("uses_granted" if granted else "uses_refused", inst_id, at)
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
