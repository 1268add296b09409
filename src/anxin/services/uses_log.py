"""The ``uses_log`` projection: every call of the gate on one authorization, granted or
refused, in the order they were made. One query and one row shape for the API, the
evidence package, the operator's dispute view and the person's portal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anxin.storage.models import UseRecord


@dataclass(frozen=True, slots=True)
class UseEntry:
    """One call of the gate. ``code`` is the refusal's code (None when granted)."""

    use_id: str
    institution_id: str
    granted: bool
    code: str | None
    purpose: str
    data_item: str
    reference: str
    operator: str
    at: dt.datetime
    receipt: str | None
    receipt_sm2: str | None = None  # the dual profile's SM2SM3 receipt
    # Terms v2: the query's data period, the use's delete_by (under a data life) and the
    # deletion attestation that covers it.
    data_from: dt.date | None = None
    data_to: dt.date | None = None
    delete_by: dt.datetime | None = None
    deletion_id: str | None = None

    def as_dict(self, *, receipt: bool = False) -> dict[str, Any]:
        """The entry as the API answers it (``at`` in ISO 8601); with ``receipt``, as the
        evidence package keeps it (and ``receipt_sm2`` where the use has one: dual)."""
        out: dict[str, Any] = {
            "use_id": self.use_id, "granted": self.granted, "code": self.code,
            "purpose": self.purpose, "data_item": self.data_item,
            "reference": self.reference, "operator": self.operator,
            "at": self.at.isoformat()}
        if self.data_from is not None and self.data_to is not None:
            out["data_from"] = self.data_from.isoformat()
            out["data_to"] = self.data_to.isoformat()
        if self.delete_by is not None:
            out["delete_by"] = self.delete_by.isoformat()
            out["deletion_id"] = self.deletion_id
        if receipt:
            out["receipt"] = self.receipt
            if self.receipt_sm2 is not None:
                out["receipt_sm2"] = self.receipt_sm2
        return out


def uses_log(s: Session, auth_id: str) -> list[UseEntry]:
    """Every use record of ``auth_id``, oldest first."""
    return [UseEntry(u.id, u.institution_id, u.granted, u.refusal_code, u.purpose,
                     u.data_item, u.reference, u.operator, u.created_at, u.receipt,
                     u.receipt_sm2, u.data_from, u.data_to, u.delete_by, u.deletion_id)
            for u in s.scalars(select(UseRecord).where(UseRecord.authorization_id == auth_id)
                               .order_by(UseRecord.created_at, UseRecord.id))]
