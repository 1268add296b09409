"""The use gate: before every query of the subject's data, one use is granted or refused.

A grant is one conditional UPDATE (``uses < max_uses`` and still active and valid), so no
number of concurrent calls can grant more than ``max_uses``. Every call, granted or
refused, leaves a use record and a ledger leaf; a refusal commits them, then raises.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, update

from anxin.domain.events import Event
from anxin.domain.gate import GateView, UseRefused, UseRequest, check_use
from anxin.domain.states import Status
from anxin.errors import ValidationFailed
from anxin.services.authorizations import load_for_institution, settle_status
from anxin.services.context import Context
from anxin.services.institutions import InstitutionRef
from anxin.services.records import record
from anxin.storage.models import Authorization, UseRecord


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


def consume_use(ctx: Context, inst: InstitutionRef, auth_id: str, call: UseCall
                ) -> dict[str, Any]:
    call.validate()
    refusal: UseRefused | None = None
    with ctx.db.transaction() as s:
        a = load_for_institution(s, inst, auth_id)
        settle_status(s, ctx, a)
        now = ctx.clock()
        view = GateView(a.status, a.purpose, tuple(a.data_scope), a.valid_from,
                        a.valid_until, a.max_uses, a.uses)
        try:
            check_use(view, UseRequest(call.purpose, call.data_item), now)
            row = s.execute(
                update(Authorization)
                .where(Authorization.id == a.id, Authorization.status == Status.ACTIVE.value,
                       Authorization.uses < Authorization.max_uses,
                       Authorization.valid_until > now)
                .values(uses=Authorization.uses + 1,
                        status=case((Authorization.uses + 1 >= Authorization.max_uses,
                                     Status.EXHAUSTED.value), else_=Authorization.status),
                        status_changed_at=now)
                .returning(Authorization.uses, Authorization.status)
                .execution_options(synchronize_session=False)).first()
            if row is None:
                # Another call took the last use (or the state moved) since we read it.
                s.refresh(a)
                check_use(GateView(a.status, a.purpose, tuple(a.data_scope), a.valid_from,
                                   a.valid_until, a.max_uses, a.uses),
                          UseRequest(call.purpose, call.data_item), now)
                raise UseRefused("authorization_exhausted", "no use is left")
        except UseRefused as exc:
            refusal = exc
            use_id = str(uuid.uuid4())
            s.add(UseRecord(id=use_id, authorization_id=a.id, institution_id=inst.id,
                            granted=False, refusal_code=exc.code, purpose=call.purpose,
                            data_item=call.data_item, reference=call.reference,
                            operator=call.operator, uses_after=a.uses, receipt=None,
                            created_at=now))
            record(s, Event.USE_REFUSED, at=now, authorization_id=a.id,
                   institution_id=inst.id, use_id=use_id, code=exc.code,
                   reference_sha256=_sha(call.reference))
        else:
            uses_after, status_after = int(row[0]), str(row[1])
            use_id = str(uuid.uuid4())
            receipt = ctx.seal.sign_jws({
                "iss": ctx.settings.effective_base_url, "typ": "anxin-use-receipt",
                "use_id": use_id, "authorization_id": a.id, "institution_id": inst.id,
                "purpose": call.purpose, "data_item": call.data_item,
                "reference_sha256": _sha(call.reference), "operator_sha256": _sha(call.operator),
                "letter_sha256": a.letter_sha256, "uses": uses_after, "max_uses": a.max_uses,
                "iat": int(now.timestamp()), "granted_at": now.isoformat()})
            s.add(UseRecord(id=use_id, authorization_id=a.id, institution_id=inst.id,
                            granted=True, refusal_code=None, purpose=call.purpose,
                            data_item=call.data_item, reference=call.reference,
                            operator=call.operator, uses_after=uses_after, receipt=receipt,
                            created_at=now))
            record(s, Event.USE_GRANTED, at=now, authorization_id=a.id, institution_id=inst.id,
                   use_id=use_id, uses=uses_after, data_item=call.data_item,
                   reference_sha256=_sha(call.reference),
                   receipt_sha256=_sha(receipt))
            if status_after == Status.EXHAUSTED.value:
                record(s, Event.EXHAUSTED, at=now, authorization_id=a.id,
                       institution_id=inst.id)
            result = {"use_id": use_id, "uses": uses_after,
                      "uses_remaining": a.max_uses - uses_after, "status": status_after,
                      "receipt": receipt, "granted_at": now.isoformat()}
    if refusal is not None:
        ctx.metrics.uses.labels("refused", refusal.code).inc()
        raise refusal
    ctx.metrics.uses.labels("granted", "").inc()
    return result
