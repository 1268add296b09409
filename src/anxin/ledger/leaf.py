"""Ledger leaves: canonical JSON, with hashes and ids only, never clear personal data.

>>> canonical_json({"b": 1, "a": "é"})
b'{"a":"\\xc3\\xa9","b":1}'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from anxin import untrusted_json
from anxin.errors import ValidationFailed

# 2: leaves of an authorization are chained (seq, prev) and commit to low-entropy values
# with the authorization's key (anxin.ledger.chain).
LEAF_VERSION = 2
_SCALARS = frozenset({str, int, bool, type(None)})


def _check(value: Any, path: str) -> None:
    if isinstance(value, float):
        raise ValidationFailed(f"ledger leaves hold no floats ({path})")
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValidationFailed(f"ledger leaf keys are strings ({path})")
            _check(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check(v, f"{path}[{i}]")
    elif value is not None and not isinstance(value, str | int | bool):
        raise ValidationFailed(f"unsupported value in ledger leaf at {path}: {type(value)}")


def canonical_json(obj: Mapping[str, Any]) -> bytes:
    """Sorted keys, no white space, UTF-8, no floats: the same bytes for the same leaf."""
    # Fast path for the flat leaves of the hot paths: string keys, scalar values.
    if not all(type(k) is str and type(v) in _SCALARS for k, v in obj.items()):
        _check(obj, "$")
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def make_leaf(event: str, *, at: dt.datetime, authorization_id: str | None = None,
              institution_id: str | None = None, **fields: Any) -> bytes:
    """The exact bytes of one leaf. ``fields`` must be hashes, ids, codes or counts."""
    body: dict[str, Any] = {"v": LEAF_VERSION, "event": event,
                            "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds")}
    if authorization_id is not None:
        body["authorization_id"] = authorization_id
    if institution_id is not None:
        body["institution_id"] = institution_id
    body.update({k: v for k, v in fields.items() if v is not None})
    return canonical_json(body)


def parse_leaf(data: bytes) -> dict[str, Any]:
    obj = untrusted_json.loads(data)
    if not isinstance(obj, dict):
        raise ValidationFailed("a ledger leaf is a JSON object")
    return obj
