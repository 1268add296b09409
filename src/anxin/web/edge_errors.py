"""Every error at the edge is a problem (issue 12 items 9 and 10), never a bare 500.

Starlette's own errors (an unknown route, a wrong method, a body FastAPI cannot parse)
become RFC 9457 problems with a stable ``code``; a database that cannot be reached answers
503 ``database_unavailable`` with ``Retry-After`` instead of a 500 text page, and says
nothing of the database's host, port or name. Browsers asking for HTML outside the API
get a styled page in their language with the same status (:mod:`anxin.web.error_pages`);
everyone else gets problem+json.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from anxin.error_codes import Code, spec
from anxin.errors import AnxinError
from anxin.web.error_pages import page_locale, render_error_page
from anxin.web.problems import problem

log = logging.getLogger("anxin.web")

DB_RETRY_AFTER_SECONDS = 5
# Stable codes for the statuses Starlette and FastAPI raise themselves (any other status
# is ``http_error``, with the status raised).
HTTP_CODES: dict[int, Code] = {spec(c).status: c for c in (
    Code.BAD_REQUEST, Code.UNAUTHENTICATED, Code.FORBIDDEN, Code.NOT_FOUND,
    Code.METHOD_NOT_ALLOWED, Code.PAYLOAD_TOO_LARGE, Code.UNSUPPORTED_MEDIA_TYPE)}
METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")
# FastAPI's wording when the body is not JSON it can decode (bad UTF-8, nesting too deep).
_BODY_PARSE = "There was an error parsing the body"


def wants_html(headers_accept: str, path: str) -> bool:
    """A browser navigating to a page (not the API, not a script asking for JSON)."""
    accept = headers_accept.lower()
    return ("text/html" in accept and "json" not in accept
            and not path.startswith(("/v1/", "/v1")))


def error_page(status: int, code: str, *, accept_language: str = "",
               lang: str | None = None, headers: dict[str, str] | None = None,
               retry_after: float | None = None, switch: bool = False,
               path: str = "") -> HTMLResponse:
    """The styled, localised HTML page of a refusal (:mod:`anxin.web.error_pages`)."""
    body = render_error_page(status, code, locale=page_locale(accept_language, lang),
                             retry_after=retry_after, switch=switch, path=path)
    return HTMLResponse(body, status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


@dataclass(frozen=True, slots=True)
class PageArgs:
    """What an error page needs of its request: the language asked for (``?lang=``,
    ``Accept-Language``) and whether ``?lang=`` can show it again (a GET)."""

    accept_language: str = ""
    lang: str | None = None
    switch: bool = False


def problem_or_page(accept: str, path: str, code: Code, detail: str, *,
                    status: int | None = None, page: PageArgs | None = None,
                    **extra: object) -> Response:
    """problem+json, or the HTML page for a browser, with the registry's status and title
    for ``code`` (``status`` only for :data:`Code.HTTP_ERROR`). The page is in ``lang``
    (``?lang=``) or the ``Accept-Language``'s language."""
    if wants_html(accept, path):
        entry = spec(code)
        retry = extra.get("retry_after")
        headers = {"Retry-After": str(retry)} if retry is not None else None
        p = page or PageArgs()
        return error_page(entry.status if status is None else status, str(code),
                          accept_language=p.accept_language, lang=p.lang, headers=headers,
                          retry_after=float(retry) if isinstance(retry, int | float) else None,
                          switch=p.switch, path=path)
    return problem(code, detail, status=status, **extra)


def request_page_args(request: Request) -> PageArgs:
    """What :func:`problem_or_page` needs of a request to word its page."""
    return PageArgs(request.headers.get("accept-language", ""),
                    request.query_params.get("lang"), request.method == "GET")


def scope_page_args(scope: Scope) -> PageArgs:
    """:func:`request_page_args` for a middleware, which has only the ASGI scope."""
    headers = {k.lower(): v for k, v in scope.get("headers", [])}
    lang = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
    return PageArgs(headers.get(b"accept-language", b"").decode("latin-1"), lang,
                    scope.get("method") == "GET")


def problem_for(accept: str, path: str, status: int, code: str, title: str, detail: str,
                *, page: PageArgs | None = None, **extra: object) -> Response:
    """:func:`problem_or_page` for the callers that still name the status and title
    themselves; both must be the registry's."""
    if Code(code) is not Code.HTTP_ERROR and (status, title) != (spec(code).status,
                                                                  spec(code).title):
        raise AssertionError(f"{code} is {spec(code).status} {spec(code).title!r} in the "
                             f"registry, not {status} {title!r}")
    return problem_or_page(accept, path, Code(code), detail, status=status, page=page,
                           **extra)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, Code.HTTP_ERROR)
    detail = str(exc.detail)
    extra: dict[str, object] = {}
    if exc.status_code == 400 and detail == _BODY_PARSE:
        code, detail = Code.MALFORMED_BODY, "the body is not valid JSON (UTF-8, nested at " \
                                            "most a few hundred levels)"
        extra["field"] = "body"
    elif exc.status_code == 404 and detail == "Not Found":
        detail = f"no such resource: {request.url.path}"
    response = problem_or_page(
        request.headers.get("accept", ""), request.url.path, code, detail,
        status=exc.status_code if code is Code.HTTP_ERROR else None,
        page=request_page_args(request), **extra)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    if exc.status_code == 405:
        response.headers["Allow"] = allowed_methods(request)
    return response


def allowed_methods(request: Request) -> str:
    """Every method some route takes at this path. Starlette's 405 names only the first
    route whose path matched (``Allow: POST`` for ``/v1/templates``, which takes GET too),
    which misleads a client and breaks RFC 9110's "MUST list the methods". Each method is
    tried against the router (FastAPI nests included routers, so asking it is the one
    way that sees them all)."""
    routes = request.app.router.routes
    allowed = [m for m in METHODS if any(
        route.matches({**request.scope, "method": m})[0] is Match.FULL for route in routes)]
    return ", ".join(allowed)


def is_outage(exc: BaseException) -> bool:
    """The database cannot be reached (down, restarting, dropped connection), as opposed
    to a statement it refused."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


async def database_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DBAPIError)
    accept, path = request.headers.get("accept", ""), request.url.path
    if is_outage(exc):
        log.warning("database unavailable on %s %s: %s", request.method, path,
                    type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__)
        return problem_or_page(accept, path, Code.DATABASE_UNAVAILABLE,
                               "the database is unavailable; retry later",
                               retry_after=DB_RETRY_AFTER_SECONDS,
                               page=request_page_args(request))
    if isinstance(exc, DataError):
        # A value the database refuses to store (e.g. out of range): bad input that got past
        # the request models. Still a 4xx, never a 500.
        return problem_or_page(accept, path, Code.INVALID_VALUE,
                               "a value in the request cannot be stored",
                               page=request_page_args(request))
    raise exc


async def anxin_error_page_handler(request: Request, exc: Exception) -> Response:
    """A typed refusal: problem+json, or its page for a browser navigating to a page."""
    assert isinstance(exc, AnxinError)
    return problem_or_page(request.headers.get("accept", ""), request.url.path, exc.code,
                           exc.detail, page=request_page_args(request), **exc.extra)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AnxinError, anxin_error_page_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(DBAPIError, database_error_handler)
