"""Read the ledger events of an authorization, whether sequenced yet or still queued."""

from __future__ import annotations

import json

from sqlalchemy import select

from anxin.services.context import Context
from anxin.storage.models import LedgerLeaf, LedgerQueued


def events_of(ctx: Context, auth_id: str) -> list[dict]:
    with ctx.db.transaction() as s:
        leaves = [r.data for r in s.scalars(select(LedgerLeaf).where(
            LedgerLeaf.authorization_id == auth_id).order_by(LedgerLeaf.idx))]
        queued = [r.data for r in s.scalars(select(LedgerQueued).where(
            LedgerQueued.authorization_id == auth_id).order_by(LedgerQueued.id))]
    return [json.loads(d) for d in leaves + queued]


def event_names(ctx: Context, auth_id: str) -> list[str]:
    return [e["event"] for e in events_of(ctx, auth_id)]


def ledger_count(ctx: Context) -> int:
    with ctx.db.transaction() as s:
        return len(s.scalars(select(LedgerLeaf.idx)).all()) + len(
            s.scalars(select(LedgerQueued.id)).all())
