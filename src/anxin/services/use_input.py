"""The use gate's input: the rules of a gate call's fields, and what is recorded of a
call that breaks them.

Every gate call is recorded (CONTRACT §2), bad input included: a call refused for its
input is a refused use with the code ``validation_failed``. What is stored of it is
*neutralised* first -- control characters and lone surrogates replaced by U+FFFD, each
value cut to its column's length -- so that no stored record can carry a NUL byte (which
PostgreSQL refuses, and which made such a call a 500 that was never recorded) or a control
character into a console, a log or an export.

>>> neutralise("LA-\\x00-1\\n", 64)
'LA-\\ufffd-1\\ufffd'
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from anxin.errors import ValidationFailed

# Column lengths of the ``uses`` table (storage.models.UseRecord).
FIELD_LIMITS = {"purpose": 64, "data_item": 64, "reference": 200, "operator": 200}
_AUTH_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_REPLACEMENT = "\ufffd"


def _bad_char(c: str) -> bool:
    # Cc: C0/C1 controls and DEL; Cs: lone surrogates (a JSON "\ud800" decodes to one).
    return unicodedata.category(c) in ("Cc", "Cs")


def has_control_characters(value: str) -> bool:
    return any(_bad_char(c) for c in value)


def neutralise(value: str, limit: int) -> str:
    """``value`` safe to store: no control character or lone surrogate, at most ``limit``
    characters."""
    return "".join(_REPLACEMENT if _bad_char(c) else c for c in value[:limit])


def is_authorization_id(value: str) -> bool:
    """Authorization ids are lowercase UUIDs; anything else names no authorization (and
    never reaches a statement: a NUL byte in a path is refused by PostgreSQL)."""
    return _AUTH_ID.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class UseCall:
    purpose: str
    data_item: str
    reference: str
    operator: str
    # The period of the subject's data the query covers (terms v2: required, and
    # checked, when the letter has a data range).
    data_from: dt.date | None = None
    data_to: dt.date | None = None

    def validate(self) -> None:
        """Raise :class:`ValidationFailed` naming the first field that breaks its rule."""
        for name, limit in FIELD_LIMITS.items():
            value = getattr(self, name)
            if not value or len(value) > limit:
                raise ValidationFailed(f"{name} has 1 to {limit} characters", field=name)
            if has_control_characters(value):
                raise ValidationFailed(f"{name} contains a control character", field=name)

    def neutralised(self) -> UseCall:
        return replace(self, purpose=neutralise(self.purpose, FIELD_LIMITS["purpose"]),
                       data_item=neutralise(self.data_item, FIELD_LIMITS["data_item"]),
                       reference=neutralise(self.reference, FIELD_LIMITS["reference"]),
                       operator=neutralise(self.operator, FIELD_LIMITS["operator"]))


def call_from_raw(raw: bytes) -> UseCall:
    """What can be read of a gate body that failed validation, for the record: the four
    members where they are strings, empty otherwise. Never raises (the body is untrusted)."""
    try:
        body: Any = json.loads(raw)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        body = {}
    def text(name: str) -> str:
        v = body.get(name)
        return v if isinstance(v, str) else ""

    return UseCall(text("purpose"), text("data_item"), text("reference"), text("operator"))
