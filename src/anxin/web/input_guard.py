"""Shared validation of untrusted input (issue 12 item 9): bad input is a 4xx, never a 500.

One place for each rule, so that a new field cannot forget it:

- :data:`Text` and :data:`LongText`, the string types of every request model: no control
  characters (a NUL reached PostgreSQL and answered 500); ``LongText`` (a letter body)
  allows tab and line breaks. 422 ``validation_failed`` names the field.
- :data:`Int32` and the bounded query types: integers are bounded where declared
  (``?page=10000000000000000000`` overflowed the database driver: 500).
- :class:`QueryPathGuard`: control characters in the path or in any query value are
  refused before routing, for every route, with 422 naming the parameter.
- :func:`read_json_object` and :func:`read_form`: the pages' JSON and form bodies, with
  bad UTF-8 or nesting too deep (RecursionError) answered 400 ``malformed_body`` and
  control characters in form fields answered 422 naming the field.

``tests/security/test_bad_input.py`` walks every route and model to prove the types are
used everywhere.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qsl

from annotated_types import Ge, Le
from fastapi import Request
from pydantic import StringConstraints
from starlette.types import ASGIApp, Receive, Scope, Send

from anxin.error_codes import Code
from anxin.errors import AnxinError, ValidationFailed
from anxin.web.edge_errors import problem_or_page, scope_page_args
from anxin.web.text_rules import (
    CONTROL,
    CONTROL_MESSAGE,
    LONG_CONTROL,
    LONG_TEXT_PATTERN,
    TEXT_PATTERN,
)

Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]
LongText = Annotated[str, StringConstraints(pattern=LONG_TEXT_PATTERN)]

INT32_MAX = 2**31 - 1
Int32 = Annotated[int, Ge(-(2**31)), Le(INT32_MAX)]
Positive32 = Annotated[int, Ge(1), Le(INT32_MAX)]
# JSON nesting the pages accept: their bodies are flat objects (a passkey assertion is
# three levels deep).
MAX_JSON_DEPTH = 32


class MalformedBody(AnxinError):
    code = Code.MALFORMED_BODY


def _depth_ok(raw: str, limit: int) -> bool:
    """Whether brackets nest at most ``limit`` deep (strings skipped): checked before
    ``json.loads``, whose recursion would otherwise raise RecursionError."""
    depth, in_string, escaped = 0, False, False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object from untrusted bytes, or :class:`MalformedBody` /
    :class:`ValidationFailed` naming ``body``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedBody("the body is not valid UTF-8", field="body") from None
    if not _depth_ok(text, MAX_JSON_DEPTH):
        raise MalformedBody(f"the body nests deeper than {MAX_JSON_DEPTH} levels",
                            field="body")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ValidationFailed("the body is not JSON", field="body") from None
    if not isinstance(data, dict):
        raise ValidationFailed("the body is a JSON object", field="body")
    return data


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object; an empty body is ``{}``."""
    raw = await request.body()
    return parse_json_object(raw) if raw.strip() else {}


def check_text(field: str, value: str, *, long: bool = False) -> str:
    if (LONG_CONTROL if long else CONTROL).search(value):
        raise ValidationFailed(f"{field}: {CONTROL_MESSAGE}", field=field)
    return value


async def read_form(request: Request) -> dict[str, str]:
    """A form's fields as strings; control characters (but tab and line breaks, for text
    areas) are refused with 422 naming the field."""
    form = await request.form()
    return {k: check_text(k, str(v), long=True) for k, v in form.items()}


class QueryPathGuard:
    """Refuses control characters in the decoded path or in a query value (every route),
    before routing: 422 ``validation_failed`` naming the parameter."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            field = self._bad_field(scope)
            if field is not None:
                accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1")
                await problem_or_page(accept, scope["path"], Code.VALIDATION_FAILED,
                                      f"{field}: {CONTROL_MESSAGE}",
                                      field=field,
                                      page=scope_page_args(scope))(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _bad_field(scope: Scope) -> str | None:
        if CONTROL.search(scope.get("path", "")):
            return "path"
        query = scope.get("query_string", b"").decode("latin-1")
        if "%" not in query and not CONTROL.search(query):
            return None
        for name, value in parse_qsl(query, keep_blank_values=True, encoding="utf-8",
                                     errors="replace"):
            if CONTROL.search(value) or CONTROL.search(name):
                return name if not CONTROL.search(name) else "query"
        return None
