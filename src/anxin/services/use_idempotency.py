"""``Idempotency-Key`` on the use gate (CONTRACT §8): a client whose connection dropped
after a grant retries with the same key and body and gets the same grant -- the same
``use_id``, ``receipt`` (and, in the dual profile, ``receipt_sm2``) and status -- without
spending a second use.

The stored answer is written by the grant itself, atomically with it: on PostgreSQL as one
more data-modifying CTE of the grant's single statement (:data:`PG_CTE`); on SQLite as one
more INSERT in the grant's transaction. The key is unique per institution and route, so of
concurrent calls with one key exactly one grant commits; the others fail on the key (or
find no use left) and answer the stored grant. Keys live in the database, so they hold
across workers, nodes and restarts. Without a key the gate runs no extra statement.

Only grants are stored: a refusal spends nothing, so a retry of a refused call is simply
evaluated (and recorded) again. The same key with another body -- another authorization
included -- answers 422 ``idempotency_key_reused``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert

from anxin.domain.gate import INSTITUTION_ACTIVE
from anxin.error_codes import Code
from anxin.errors import ValidationFailed
from anxin.services.idempotency import check_key, request_digest
from anxin.services.use_input import UseCall, has_control_characters
from anxin.storage.models import IdempotencyRecord, Institution

ROUTE = "POST /v1/authorizations/{id}/uses"
# A test key's keys live apart from the live key's of the same institution (test mode).
TEST_ROUTE = "test " + ROUTE


@dataclass(frozen=True, slots=True)
class GateKey:
    """An Idempotency-Key and the digest of the call it came with."""
    key: str
    digest: str
    route: str = ROUTE


def gate_key(key: str | None, auth_id: str, call: UseCall, *,
             test: bool = False) -> GateKey | None:
    if key is None:
        return None
    check_key(key)
    if has_control_characters(key):
        raise ValidationFailed("Idempotency-Key contains a control character",
                               field="Idempotency-Key")
    return GateKey(key, request_digest({
        "authorization_id": auth_id, "purpose": call.purpose, "data_item": call.data_item,
        "reference": call.reference, "operator": call.operator,
        **({} if call.data_from is None and call.data_to is None else {
            "data_from": str(call.data_from), "data_to": str(call.data_to)})}),
        TEST_ROUTE if test else ROUTE)


_I = IdempotencyRecord
# The key's institution is found from the API key hash, active only: a replay answers
# only the institution that could make the call now.
def _lookup(key_column: Any) -> Any:
    return select(_I.request_sha256, _I.response).where(
        _I.key == bindparam("idem_key"), _I.route == bindparam("idem_route"),
        _I.institution_id == select(Institution.id).where(
            key_column == bindparam("key_hash"),
            Institution.status == bindparam("institution_active")).scalar_subquery())


_LOOKUP = _lookup(Institution.api_key_hash)
_LOOKUP_TEST = _lookup(Institution.test_api_key_hash)


def replay(conn: Connection, key_hash: str, gk: GateKey) -> dict[str, Any] | None:
    """The grant stored under this key, or None; raises if the key came with another
    call. A test key's (``gk.route`` is :data:`TEST_ROUTE`) are found by the test key."""
    stmt = _LOOKUP_TEST if gk.route == TEST_ROUTE else _LOOKUP
    row = conn.execute(stmt, {"idem_key": gk.key, "key_hash": key_hash,
                              "idem_route": gk.route,
                              "institution_active": INSTITUTION_ACTIVE}).first()
    if row is None:
        return None
    if row.request_sha256 != gk.digest:
        raise ValidationFailed("this Idempotency-Key was used with another request body",
                               field="Idempotency-Key", code=Code.IDEMPOTENCY_KEY_REUSED)
    return dict(row.response)


def remember(institution_id: str, gk: GateKey, answer: dict[str, Any],
             now: dt.datetime) -> Insert:
    """The INSERT that stores a grant's answer (SQLite: in the grant's transaction)."""
    return insert(IdempotencyRecord).values(
        institution_id=institution_id, key=gk.key, route=gk.route, request_sha256=gk.digest,
        status_code=201, response=answer, created_at=now)


# PostgreSQL: one more CTE of the grant's statement. What the grant computes under the
# row lock (uses, status) comes from ``g``; the rest is known before (use_id, receipt).
PG_CTE = """, k AS (
  INSERT INTO idempotency_keys (institution_id, key, route, request_sha256, status_code,
                                response, created_at)
  SELECT :iid, :idem_key, :idem_route, :idem_digest, 201,
         CAST(CAST(:idem_answer AS jsonb)
              || jsonb_build_object('uses', g.uses, 'uses_remaining', g.max_uses - g.uses,
                                    'status', g.status) AS json), :now
    FROM g
)"""


def pg_params(gk: GateKey, use_id: str, receipt: str, now: dt.datetime,
              receipt_sm2: str | None = None) -> dict[str, Any]:
    """The key's parameters; the stored answer carries ``receipt_sm2`` (dual) as the
    grant's answer does, so a replay answers the same both."""
    answer = {"use_id": use_id, "receipt": receipt, "granted_at": now.isoformat()}
    if receipt_sm2 is not None:
        answer["receipt_sm2"] = receipt_sm2
    return {"idem_key": gk.key, "idem_route": gk.route, "idem_digest": gk.digest,
            "idem_answer": json.dumps(answer)}
