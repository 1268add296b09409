"""The use gate's refusals: a refused call is recorded -- its use record and its ledger
leaf, continuing the authorization's hash chain under its row lock -- committed, then
raised. On PostgreSQL that is one statement (data-modifying CTEs in autocommit), on SQLite
one short transaction. Split from :mod:`anxin.services.uses` (the grant) for size."""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from sqlalchemy import insert, text

from anxin.domain.events import Event
from anxin.errors import AnxinError
from anxin.ledger.chain import ZERO_HASH, LeafTemplate, commit, leaf_template
from anxin.ledger.merkle import leaf_hash
from anxin.services.context import Context
from anxin.services.institutions import InstitutionRef
from anxin.services.use_input import UseCall
from anxin.storage.ledger_queue import advance_chain, lock_chain_head
from anxin.storage.models import LedgerQueued, UseRecord

# SQL fragments shared with the grant's statement (anxin.services.uses).
LEAF_HASH = "sha256(decode('00', 'hex') || {})"
OLD_HEAD = "coalesce(ledger_head, :zero)"
_OLD_HEAD = OLD_HEAD
_LEAF_HASH = LEAF_HASH


def call_commitments(key: bytes, call: UseCall) -> dict[str, str]:
    return {"reference_commitment": commit(key, "reference", call.reference),
            "operator_commitment": commit(key, "operator", call.operator)}


_call_commitments = call_commitments


_SET_REFUSE_LEAF = LeafTemplate.sql("rl", _OLD_HEAD, "ledger_seq")
_RET_REFUSE_LEAF = LeafTemplate.sql("rl", "ledger_prev", "ledger_seq - 1")
# PostgreSQL: a refusal is one statement too: the UPDATE that advances the chain head
# (under the row lock) completes the leaf, then the use record and the leaf are written.
_REFUSE_ONE_STATEMENT = text(f"""
WITH h AS (
  UPDATE authorizations
     SET ledger_prev = {_OLD_HEAD}, ledger_seq = ledger_seq + 1,
         ledger_head = {_LEAF_HASH.format(_SET_REFUSE_LEAF)}
   WHERE id = :aid
  RETURNING id, {_RET_REFUSE_LEAF} AS leaf
), u AS (
  INSERT INTO uses (id, authorization_id, institution_id, granted, refusal_code, purpose,
                    data_item, reference, operator, uses_after, receipt, created_at)
  SELECT :use_id, h.id, :iid, false, :code, :purpose, :item, :reference, :operator,
         :uses_after, NULL, :now FROM h
)
INSERT INTO ledger_queue (data, authorization_id, created_at)
SELECT leaf, id, :now FROM h
""")  # noqa: S608 - the f-string joins constant SQL only


def refuse(ctx: Context, inst: InstitutionRef, row: Any, call: UseCall,
           exc: AnxinError) -> NoReturn:
    """Record the refused call and its leaf (continuing the authorization's chain under
    its row lock), commit, then raise."""
    now = ctx.clock()
    use_id = str(uuid.uuid4())
    key = ctx.keys.commitment_key(row.id, row.commitment_salt)
    template = leaf_template(Event.USE_REFUSED.value, at=now, authorization_id=row.id,
                             institution_id=inst.id, use_id=use_id, code=exc.code,
                             **_call_commitments(key, call))
    # The refused use record, written out once for both paths.
    use = {"id": use_id, "authorization_id": row.id, "institution_id": inst.id,
           "granted": False, "refusal_code": exc.code, "purpose": call.purpose,
           "data_item": call.data_item, "reference": call.reference,
           "operator": call.operator, "uses_after": row.uses, "receipt": None,
           "created_at": now}
    if ctx.db.dialect == "postgresql":
        with ctx.db.single_statement() as conn:
            conn.execute(_REFUSE_ONE_STATEMENT, {
                "aid": row.id, "iid": inst.id, "zero": ZERO_HASH, "use_id": use_id,
                "code": use["refusal_code"], "purpose": use["purpose"],
                "item": use["data_item"], "reference": use["reference"],
                "operator": use["operator"], "uses_after": use["uses_after"], "now": now,
                **template.params("rl")})
    else:
        with ctx.db.core_transaction() as conn:
            head = lock_chain_head(conn, row.id)
            assert head is not None
            seq, prev = head
            leaf = template.render(prev, seq)
            conn.execute(insert(UseRecord).values(**use))
            conn.execute(insert(LedgerQueued).values(
                data=leaf, authorization_id=row.id, created_at=now))
            advance_chain(conn, row.id, prev=prev, next_seq=seq + 1, head=leaf_hash(leaf))
    if not inst.test:  # test mode never counts in production figures
        ctx.metrics.uses.labels("refused", exc.code).inc()
    raise exc
