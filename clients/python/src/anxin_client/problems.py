"""``AnxinProblem``: an RFC 9457 problem answer of the Anxin API, raised as an exception.

Every refusal of the API is ``application/problem+json`` with a stable ``code`` (the
registry in docs/api.md). The façade raises :class:`AnxinProblem` for every answer that is
not a success, so a caller branches on ``code``, never on the wording of ``detail``:

>>> p = AnxinProblem.from_body(409, {"code": "authorization_exhausted", "status": 409,
...                                  "title": "Conflict", "detail": "no uses left"})
>>> (p.status, p.code, p.retry_after)
(409, 'authorization_exhausted', None)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class AnxinProblem(Exception):
    """A problem answer: ``status`` (HTTP), ``code`` (stable, machine-readable), ``title``,
    ``detail`` (for people), ``field`` (the offending input, for 422), ``retry_after``
    (seconds, for 429 and 503), ``body`` (the whole problem document) and ``model`` (the
    generated client's parsed ``Problem``, where the schema documents that answer)."""

    def __init__(self, status: int, code: str, detail: str = "", *, title: str = "",
                 field: str | None = None, retry_after: float | None = None,
                 body: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}" if detail else f"{status} {code}")
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title
        self.field = field
        self.retry_after = retry_after
        self.body: dict[str, Any] = dict(body or {})
        self.model: Any = None

    @classmethod
    def from_body(cls, status: int, body: Mapping[str, Any],
                  retry_after_header: str | None = None) -> AnxinProblem:
        """From a decoded problem document; ``Retry-After`` (seconds) when the body has no
        ``retry_after``."""
        retry = body.get("retry_after")
        if not isinstance(retry, int | float) and retry_after_header is not None:
            try:
                retry = float(retry_after_header)
            except ValueError:
                retry = None
        field = body.get("field")
        return cls(status, str(body.get("code") or f"http_{status}"),
                   str(body.get("detail") or ""), title=str(body.get("title") or ""),
                   field=field if isinstance(field, str) else None,
                   retry_after=float(retry) if isinstance(retry, int | float) else None,
                   body=body)

    @classmethod
    def from_answer(cls, status: int, content: bytes, headers: Mapping[str, str]
                    ) -> AnxinProblem:
        """From a raw HTTP answer; one that is not a problem document (a proxy's HTML
        page, say) becomes ``code`` = ``http_<status>`` with the text as ``detail``."""
        retry_after = headers.get("retry-after")
        try:
            body = json.loads(content)
        except ValueError:
            body = None
        if isinstance(body, dict):
            return cls.from_body(status, body, retry_after)
        text = content.decode("utf-8", "replace").strip()[:500]
        return cls.from_body(status, {"detail": text}, retry_after)
