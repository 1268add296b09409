"""The use gate: before every query of the subject's data, one use is granted or refused.

A grant is one conditional UPDATE (``uses < max_uses`` and still active and valid), so no
number of concurrent calls can grant more than ``max_uses``. Every call, granted or
refused, leaves a use record and a ledger leaf; a refusal commits them, then raises.

This is the hottest path of the product, so it speaks SQLAlchemy Core (no ORM unit of
work) and holds the authorization's row lock only from its UPDATE to the commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, case, insert, select, update
from sqlalchemy.engine import Connection

from anxin.domain.events import Event
from anxin.domain.gate import GateView, UseRefused, UseRequest, check_use, effective_status
from anxin.domain.states import Status
from anxin.errors import NotFound, ValidationFailed
from anxin.keys import hash_api_key
from anxin.ledger.leaf import make_leaf
from anxin.services.authorizations import settle_status
from anxin.services.context import Context
from anxin.services.institutions import InstitutionRef, authenticate
from anxin.services.notifications import notification_row
from anxin.storage.models import Authorization, Institution, LedgerQueued, UseRecord
from anxin.storage.portal_models import Notification

A = Authorization
_READ = select(A.id, A.status, A.purpose, A.data_scope, A.valid_from, A.valid_until,
               A.max_uses, A.uses, A.letter_sha256, A.request_expires_at)


@dataclass(frozen=True, slots=True)
class UseCall:
    purpose: str
    data_item: str
    reference: str
    operator: str

    def validate(self) -> None:
        for name in ("purpose", "data_item", "reference", "operator"):
            value = getattr(self, name)
            if not value or len(value) > 200:
                raise ValidationFailed(f"{name} has 1 to 200 characters", field=name)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _read(conn: Connection, inst: InstitutionRef, auth_id: str) -> Any:
    row = conn.execute(_READ.where(A.id == auth_id, A.institution_id == inst.id)).first()
    if row is None:
        raise NotFound(f"no authorization {auth_id}", code="authorization_not_found")
    return row


def _view(row: Any) -> GateView:
    return GateView(row.status, row.purpose, tuple(row.data_scope), row.valid_from,
                    row.valid_until, row.max_uses, row.uses)


_GRANT = (
    update(Authorization)
    .where(A.id == bindparam("aid"),
           A.status == Status.ACTIVE.value, A.uses < A.max_uses,
           A.valid_until > bindparam("now"), A.valid_from <= bindparam("now"),
           A.purpose == bindparam("want_purpose"))
    .values(uses=A.uses + 1,
            status=case((A.uses + 1 >= A.max_uses, Status.EXHAUSTED.value), else_=A.status),
            status_changed_at=bindparam("now"))
    .returning(A.id, A.institution_id, A.uses, A.status, A.max_uses, A.data_scope,
               A.letter_sha256, A.reference))
_GRANT_BY_INSTITUTION = _GRANT.where(A.institution_id == bindparam("iid"))
_GRANT_BY_KEY = _GRANT.where(A.institution_id == select(Institution.id).where(
    Institution.api_key_hash == bindparam("key_hash"),
    Institution.status == "active").scalar_subquery())


class _OutOfScope(Exception):
    """Rolls back an optimistic grant whose data item is outside the scope."""


def consume_use_with_key(ctx: Context, api_key: str | None, auth_id: str, call: UseCall
                         ) -> dict[str, Any]:
    """The gate as the API calls it: the institution's key is checked inside the grant's
    own statement, so a granted use costs one UPDATE and two INSERTs in one transaction."""
    call.validate()
    if api_key:
        granted = _try_grant(ctx, hash_api_key(api_key), None, auth_id, call)
        if granted is not None:
            return granted
    inst = authenticate(ctx, api_key)
    return consume_use(ctx, inst, auth_id, call, fast_path_done=True)


def consume_use(ctx: Context, inst: InstitutionRef, auth_id: str, call: UseCall, *,
                fast_path_done: bool = False) -> dict[str, Any]:
    call.validate()
    now = ctx.clock()
    if not fast_path_done:
        granted = _try_grant(ctx, None, inst, auth_id, call)
        if granted is not None:
            return granted
    return _slow_path(ctx, inst, auth_id, call, now)


def _try_grant(ctx: Context, key_hash: str | None, inst: InstitutionRef | None, auth_id: str,
               call: UseCall) -> dict[str, Any] | None:
    # Fast path, one statement: the UPDATE's conditions are the gate's rules (all but the
    # scope, checked on what it returns). Any miss goes to the slow path, which reads the
    # row and names the refusal.
    now = ctx.clock()
    stmt = _GRANT_BY_INSTITUTION if inst is not None else _GRANT_BY_KEY
    params = {"aid": auth_id, "now": now, "want_purpose": call.purpose,
              "key_hash": key_hash, "iid": inst.id if inst is not None else None}
    try:
        with ctx.db.core_transaction() as conn:
            granted = conn.execute(stmt, params).first()
            if granted is not None:
                if call.data_item not in granted.data_scope:
                    raise _OutOfScope
                return _grant(ctx, conn, granted.institution_id, granted, call, now)
    except _OutOfScope:
        pass
    return None


def _slow_path(ctx: Context, inst: InstitutionRef, auth_id: str, call: UseCall,
               now: dt.datetime) -> dict[str, Any]:
    with ctx.db.core_transaction() as conn:
        row = _read(conn, inst, auth_id)
    if effective_status(Status(row.status), now=now, valid_until=row.valid_until,
                        request_expires_at=row.request_expires_at).value != row.status:
        # A time-driven transition is due: let the ORM path record it first.
        with ctx.db.transaction() as s:
            a = s.get(Authorization, auth_id)
            assert a is not None
            settle_status(s, ctx, a)
            row = _read(s.connection(), inst, auth_id)
    try:
        check_use(_view(row), UseRequest(call.purpose, call.data_item), now)
        # Every rule holds now but the UPDATE missed: another call took the last use.
        exc = UseRefused("authorization_exhausted", "no use is left")
    except UseRefused as refused:
        exc = refused
    return _refuse(ctx, inst, row, call, exc)


def _grant(ctx: Context, conn: Connection, institution_id: str, row: Any, call: UseCall,
           now: dt.datetime) -> dict[str, Any]:
    uses_after, status_after = int(row.uses), str(row.status)
    use_id = str(uuid.uuid4())
    receipt = ctx.seal.sign_jws({
        "iss": ctx.settings.effective_base_url, "typ": "anxin-use-receipt", "use_id": use_id,
        "authorization_id": row.id, "institution_id": institution_id, "purpose": call.purpose,
        "data_item": call.data_item, "reference_sha256": _sha(call.reference),
        "operator_sha256": _sha(call.operator), "letter_sha256": row.letter_sha256,
        "uses": uses_after, "max_uses": row.max_uses, "iat": int(now.timestamp()),
        "granted_at": now.isoformat()})
    use_row = insert(UseRecord).values(
        id=use_id, authorization_id=row.id, institution_id=institution_id, granted=True,
        refusal_code=None, purpose=call.purpose, data_item=call.data_item,
        reference=call.reference, operator=call.operator, uses_after=uses_after,
        receipt=receipt, created_at=now)
    leaves = [make_leaf(Event.USE_GRANTED.value, at=now, authorization_id=row.id,
                        institution_id=institution_id, use_id=use_id, uses=uses_after,
                        data_item=call.data_item, reference_sha256=_sha(call.reference),
                        receipt_sha256=_sha(receipt))]
    if status_after == Status.EXHAUSTED.value:
        leaves.append(make_leaf(Event.EXHAUSTED.value, at=now, authorization_id=row.id,
                                institution_id=institution_id))
    queue_rows = insert(LedgerQueued).values(
        [{"data": d, "authorization_id": row.id, "created_at": now} for d in leaves])
    if conn.dialect.name == "postgresql":
        # One round trip for both rows: the use record as a data-modifying CTE.
        conn.execute(queue_rows.add_cte(use_row.cte("use_row")))
    else:
        conn.execute(use_row)
        conn.execute(queue_rows)
    if status_after == Status.EXHAUSTED.value:
        conn.execute(insert(Notification).values(notification_row(
            institution_id=institution_id, authorization_id=row.id, reference=row.reference,
            event=Event.EXHAUSTED, at=now)))
    ctx.metrics.uses.labels("granted", "").inc()
    return {"use_id": use_id, "uses": uses_after, "uses_remaining": row.max_uses - uses_after,
            "status": status_after, "receipt": receipt, "granted_at": now.isoformat()}


def _refuse(ctx: Context, inst: InstitutionRef, row: Any, call: UseCall,
            exc: UseRefused) -> dict[str, Any]:
    """Record the refused call and its leaf, commit, then raise."""
    now = ctx.clock()
    use_id = str(uuid.uuid4())
    with ctx.db.core_transaction() as conn:
        conn.execute(insert(UseRecord).values(
            id=use_id, authorization_id=row.id, institution_id=inst.id, granted=False,
            refusal_code=exc.code, purpose=call.purpose, data_item=call.data_item,
            reference=call.reference, operator=call.operator, uses_after=row.uses,
            receipt=None, created_at=now))
        conn.execute(insert(LedgerQueued).values(
            data=make_leaf(Event.USE_REFUSED.value, at=now, authorization_id=row.id,
                           institution_id=inst.id, use_id=use_id, code=exc.code,
                           reference_sha256=_sha(call.reference)),
            authorization_id=row.id, created_at=now))
    ctx.metrics.uses.labels("refused", exc.code).inc()
    raise exc
