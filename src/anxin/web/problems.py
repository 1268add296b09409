"""RFC 9457 problem details, and their OpenAPI documentation."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from anxin.domain.gate import Refusal, UseRefused
from anxin.errors import AnxinError
from anxin.web.text_rules import CONTROL_MESSAGE, is_control_pattern

PROBLEM_BASE = "https://anxin.dev/problems/"


class Problem(BaseModel):
    type: str
    title: str
    status: int
    code: str
    detail: str
    field: str | None = None


def problem_response(status: int, code: str, title: str, detail: str,
                     **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title, "status": status,
                            "code": code, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers=headers)


# The use gate's refusals (anxin.domain.gate names them, without any HTTP meaning): a
# state that allows no use is a conflict, a call outside what was consented to forbidden.
# The one place that maps them, until the error-code registry maps every code.
USE_REFUSAL_STATUS: dict[Refusal, tuple[int, str]] = {
    Refusal.NOT_ACTIVE: (409, "Conflict"),
    Refusal.EXHAUSTED: (409, "Conflict"),
    Refusal.EXPIRED: (409, "Conflict"),
    Refusal.REVOKED: (409, "Conflict"),
    Refusal.PURPOSE_MISMATCH: (403, "Forbidden"),
    Refusal.SCOPE_MISMATCH: (403, "Forbidden"),
}


def http_status(exc: AnxinError) -> tuple[int, str]:
    """The HTTP status and title an error answers with."""
    if isinstance(exc, UseRefused):
        return USE_REFUSAL_STATUS[exc.refusal]
    return exc.status, exc.title


async def anxin_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AnxinError)
    status, title = http_status(exc)
    return problem_response(status, exc.code, title, exc.detail, **exc.extra)


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
    return problem_response(
        422, "validation_failed", "Unprocessable content", f"{field}: {first.get('msg')}",
        field=field,
        errors=[{"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg")}
                for e in errors])


def problems(**codes: list[str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problem codes a route can answer:
    ``problems(s409=["authorization_exhausted"], s403=[...])``."""
    out: dict[int | str, dict[str, Any]] = {}
    for key, names in codes.items():
        status = int(key.lstrip("s"))
        out[status] = {"model": Problem, "description": "Problem codes: " + ", ".join(
            f"`{n}`" for n in names),
            "content": {"application/problem+json": {}}}
    return out
