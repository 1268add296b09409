"""Read the ledger events of an authorization, whether sequenced yet or still queued.

Each read is ONE statement: under READ COMMITTED every statement has its own snapshot, and
the sequencer moves rows from the queue to the leaves between two statements.
"""

from __future__ import annotations

import json

from sqlalchemy import func, literal, select, union_all

from anxin.services.context import Context
from anxin.storage.models import LedgerLeaf, LedgerQueued


def events_of(ctx: Context, auth_id: str) -> list[dict]:
    leaves = select(literal(0).label("part"), LedgerLeaf.idx.label("pos"),
                    LedgerLeaf.data).where(LedgerLeaf.authorization_id == auth_id)
    queued = select(literal(1).label("part"), LedgerQueued.id.label("pos"),
                    LedgerQueued.data).where(LedgerQueued.authorization_id == auth_id)
    both = union_all(leaves, queued).subquery()
    with ctx.db.transaction() as s:
        rows = s.execute(select(both.c.data).order_by(both.c.part, both.c.pos)).all()
    return [json.loads(r[0]) for r in rows]


def event_names(ctx: Context, auth_id: str) -> list[str]:
    return [e["event"] for e in events_of(ctx, auth_id)]


def ledger_count(ctx: Context) -> int:
    with ctx.db.transaction() as s:
        return int(s.scalar(select(
            select(func.count()).select_from(LedgerLeaf).scalar_subquery()
            + select(func.count()).select_from(LedgerQueued).scalar_subquery())) or 0)
