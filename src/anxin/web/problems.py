"""RFC 9457 problem details, and their OpenAPI documentation.

A problem's ``status`` and ``title`` come from the error-code registry
(:mod:`anxin.error_codes`): this edge is where a code becomes an HTTP status.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from anxin.error_codes import Code, spec
from anxin.errors import AnxinError
from anxin.web.text_rules import CONTROL_MESSAGE, is_control_pattern

PROBLEM_BASE = "https://anxin.dev/problems/"


class FieldError(BaseModel):
    field: str = Field(description="The dotted path of the member (`subject.id_number`, "
                                   "`data_scope[1]`), `body`, or the parameter's name")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document (`application/problem+json`). Program against
    `code`, never against `detail` or `title`."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "https://anxin.dev/problems/authorization_exhausted", "title": "Conflict",
        "status": 409, "code": "authorization_exhausted",
        "detail": "all 1 use(s) of this authorization are spent"}]})

    type: str = Field(description="`https://anxin.dev/problems/<code>`")
    title: str = Field(description="The registry's short title of the status")
    status: int = Field(ge=400, le=599)
    code: Code = Field(description="The stable machine code (the table in docs/api.md)")
    detail: str = Field(description="What went wrong, for a human")
    instance: str | None = Field(None, description="Not used by Anxin yet (RFC 9457)")
    field: str | None = Field(None, description="422: the offending member or parameter")
    errors: list[FieldError] | None = Field(
        None, description="422 `validation_failed` of a body's shape: every error found")
    retry_after: int | None = Field(
        None, description="429 and 503: seconds to wait (also the `Retry-After` header)")
    tries_left: int | None = Field(None, description="`otp_invalid`: wrong codes left")
    rule: str | None = Field(None, description="The rule broken (`letter_too_long`, "
                                               "`policy_ceiling_exceeded`, ...)")
    limit: int | None = Field(None, description="The limit broken (`payload_too_large`: "
                                                "bytes; `letter_too_long`)")
    status_now: str | None = Field(
        None, description="`authorization_not_pending`: the authorization's status now")


def problem(code: Code, detail: str, *, status: int | None = None,
            **extra: Any) -> JSONResponse:
    """The problem document for ``code``, with the registry's status and title.
    ``status`` is only for :data:`Code.HTTP_ERROR`, which carries the status the HTTP
    framework raised."""
    entry = spec(code)
    if status is not None and status != entry.status and code is not Code.HTTP_ERROR:
        raise AssertionError(f"{code} answers {entry.status} (the registry), not {status}")
    answer = entry.status if status is None else status
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": entry.title,
                            "status": answer, "code": str(code), "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=answer, media_type="application/problem+json",
                        headers=headers)


def problem_response(status: int, code: str, title: str, detail: str,
                     **extra: Any) -> JSONResponse:
    """:func:`problem` for the callers that still name the status and title themselves;
    both must be the registry's."""
    if title != spec(code).title and Code(code) is not Code.HTTP_ERROR:
        raise AssertionError(f"{code}'s title is {spec(code).title!r}, not {title!r}")
    return problem(Code(code), detail, status=status, **extra)


async def anxin_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AnxinError)
    return problem(exc.code, exc.detail, **exc.extra)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out or "body"


def _message(error: dict[str, Any]) -> Any:
    """pydantic's message, but the control-character rule says what it is rather than
    printing its pattern."""
    ctx = error.get("ctx") or {}
    if error.get("type") == "string_pattern_mismatch" and is_control_pattern(ctx.get("pattern")):
        return CONTROL_MESSAGE
    return error.get("msg")


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{**e, "msg": _message(e)} for e in exc.errors()]
    first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
    field = _field(tuple(first.get("loc", ())))
    return problem(
        Code.VALIDATION_FAILED, f"{field}: {first.get('msg')}", field=field,
        errors=[{"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg")}
                for e in errors])


PROBLEM_CODES = "x-problem-codes"  # the OpenAPI extension listing a response's codes


def problem_example(code: Code) -> dict[str, Any]:
    """The problem document of ``code`` as documentation shows it."""
    entry = spec(code)
    return {"type": PROBLEM_BASE + code, "title": entry.title, "status": entry.status,
            "code": str(code), "detail": entry.meaning}


def problem_doc(codes: list[Code]) -> dict[str, Any]:
    """One OpenAPI response object: the ``Problem`` schema as ``application/problem+json``,
    an example per code, and the codes in ``x-problem-codes``."""
    return {"model": Problem,
            "description": "Problem: " + ", ".join(f"`{c}`" for c in codes),
            PROBLEM_CODES: [str(c) for c in codes],
            "content": {"application/problem+json": {"examples": {
                str(c): {"summary": spec(c).meaning, "value": problem_example(c)}
                for c in codes}}}}


def problems(**codes: list[Code]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problem codes a route can answer:
    ``problems(s409=[Code.AUTHORIZATION_EXHAUSTED], s403=[...])``. Each code's status
    must be the registry's (checked when the route is declared). The codes every API
    route can answer (401 of the key, 422 ``validation_failed`` of a parameter, 413 of a
    body, 503 of the database) are added by :mod:`anxin.web.api.openapi`."""
    out: dict[int | str, dict[str, Any]] = {}
    for key, names in codes.items():
        status = int(key.lstrip("s"))
        wrong = [n for n in names if spec(n).status != status]
        if wrong:
            raise AssertionError(f"{wrong} do not answer {status} in the registry")
        out[status] = problem_doc(list(names))
    return out
