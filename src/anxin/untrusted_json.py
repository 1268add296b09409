"""JSON from untrusted files (evidence packages, letters' attachments, ledger leaves).

``json.loads`` raises RecursionError, not ValueError, on deeply nested input (a package
member of 100,000 ``[``): every caller's ``except ValueError`` then let a traceback out of
``anxin verify``. :func:`loads` keeps one contract: a value, or ValueError. (The C parser
bounds its own recursion, so the stack is never at risk; numbers Python cannot hold, over
4,300 digits, are ValueError already.)

>>> loads(b'{"a": [1, 2]}')
{'a': [1, 2]}
>>> loads(b"[" * 100000 + b"]" * 100000)
Traceback (most recent call last):
...
ValueError: JSON nested too deeply
"""

from __future__ import annotations

import json
from typing import Any


def loads(data: bytes | str) -> Any:
    """Parse untrusted JSON: a value, or ValueError (never RecursionError)."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def load_object(data: bytes | str) -> dict[str, Any]:
    """Parse untrusted JSON that must be an object: a dict, or ValueError."""
    value = loads(data)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, found {type(value).__name__}")
    return value
