"""Issue 12 item 9: bad input answers a problem+json 4xx with a code, never a 500.

Before the fix: ``?page=10000000000000000000`` and ``?version=99999999999999999999`` gave
500 (OverflowError), a NUL in ``reference`` 500 on PostgreSQL, JSON nested 1,000 deep
500 (RecursionError), bad UTF-8 a non-problem 400, unknown routes
``{"detail": "Not Found"}``.
"""

from __future__ import annotations

import typing
from typing import Any

import pytest
from annotated_types import Ge, Le
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from anxin.config import Settings
from anxin.services.context import Context
from anxin.web.api import schemas
from anxin.web.app import create_app
from tests.common.factories import Api, resident_id, token_of


@pytest.fixture
def lenient(settings: Settings, ctx: Context) -> typing.Iterator[TestClient]:
    """A client that shows a 500 as a 500 instead of raising it."""
    with TestClient(create_app(settings, ctx), raise_server_exceptions=False) as c:
        yield c


def _problem(r: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json", r.text
    body = dict(r.json())
    assert body["code"] == code, body
    if field is not None:
        assert body["field"] == field, body
    return body


def test_huge_integers_in_the_query_are_422(api: Api, lenient: TestClient) -> None:
    api.template()
    h = api.h
    _problem(lenient.get("/v1/authorizations?page=10000000000000000000", headers=h),
             422, "validation_failed", "page")
    _problem(lenient.get("/v1/templates/credit?version=99999999999999999999", headers=h),
             422, "validation_failed", "version")
    _problem(lenient.get("/s/x?tries=99999999999999999999999"), 422, "validation_failed",
             "tries")


def test_a_nul_in_a_text_field_is_422_naming_it(api: Api, lenient: TestClient) -> None:
    api.template()
    body = {"template": "credit", "reference": "LOAN\x00-1",
            "subject": {"name": "Zhang San", "id_type": "resident_id",
                        "id_number": resident_id(1), "mobile": "13900000001"}}
    _problem(lenient.post("/v1/authorizations", json=body, headers=api.h), 422,
             "validation_failed", "reference")
    body["reference"] = "LOAN-1"
    body["subject"]["name"] = "Zhang\x07San"  # type: ignore[index]
    _problem(lenient.post("/v1/authorizations", json=body, headers=api.h), 422,
             "validation_failed", "subject.name")
    _problem(lenient.get("/v1/authorizations?reference=a%00b", headers=api.h), 422,
             "validation_failed", "reference")
    _problem(lenient.get("/v1/authorizations/abc%00", headers=api.h), 422,
             "validation_failed", "path")
    assert api.get("/v1/authorizations").json()["items"] == []  # nothing was stored


def test_the_letter_body_keeps_its_lines_but_not_nul(api: Api, lenient: TestClient) -> None:
    _problem(lenient.post("/v1/templates", headers=api.h, json={
        "code": "t", "title": "T", "purpose": "loan_approval", "data_scope": ["credit_report"],
        "body": "line one\x00", "locale": "en"}), 422, "validation_failed", "body")
    api.template(body="Dear {{ subject_name }},\n\tline two\r\n{{ reference }}")


def test_json_nested_1000_deep_is_a_4xx_problem(api: Api, lenient: TestClient) -> None:
    api.template()
    tok = token_of(api.request())
    deep_obj = b'{"a":' * 1000 + b"1" + b"}" * 1000
    deep_list = b"[" * 1000 + b"]" * 1000
    json_ct = {"Content-Type": "application/json"}
    for path, body in (("/v1/authorizations", deep_obj), ("/v1/templates", deep_list),
                       ("/v1/authorizations/x/uses", deep_obj),
                       (f"/s/{tok}/sign", deep_list), (f"/s/{tok}/sign", deep_obj),
                       (f"/s/{tok}/passkey/register/options", deep_list),
                       ("/me/passkey/verify", deep_obj)):
        r = lenient.post(path, content=body, headers={**api.h, **json_ct})
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json", (path, r.text)
        assert r.json()["code"] in ("malformed_body", "validation_failed"), path


def test_bad_utf8_is_a_problem(api: Api, lenient: TestClient) -> None:
    api.template()
    tok = token_of(api.request())
    bad = b'{"reference": "\xff\xfe"}'
    for path in ("/v1/authorizations", f"/s/{tok}/sign"):
        r = lenient.post(path, content=bad,
                         headers={**api.h, "Content-Type": "application/json"})
        _problem(r, 400, "malformed_body", "body")


def test_unknown_routes_and_methods_are_problems(lenient: TestClient) -> None:
    _problem(lenient.get("/v1/nothing-here"), 404, "not_found")
    _problem(lenient.get("/nothing"), 404, "not_found")
    _problem(lenient.delete("/v1/templates"), 405, "method_not_allowed")
    r = lenient.get("/nothing", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")


def test_form_fields_refuse_control_characters(lenient: TestClient) -> None:
    _problem(lenient.post("/me/code", data={"mobile": "139\x0000000001"},
                          headers={"Accept": "application/json"}),
             422, "validation_failed", "mobile")


# The walk below is what makes the rules impossible to forget: a new request member or
# integer parameter without the shared types fails here.

def _bounded(metadata: list[Any]) -> bool:
    return any(isinstance(m, Le) for m in metadata) and any(isinstance(m, Ge) for m in metadata)


def _str_constrained(metadata: list[Any]) -> bool:
    from anxin.web.text_rules import is_control_pattern

    return any(is_control_pattern(getattr(m, "pattern", None)) for m in metadata)


def _annotation_ok(annotation: Any, metadata: list[Any], where: str) -> list[str]:
    bad: list[str] = []
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        return _annotation_ok(inner, [*metadata, *extra], where)
    if origin is not None:  # list[...], X | None
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                bad += _annotation_ok(arg, metadata if origin is not list else [], where)
        return bad
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, f in annotation.model_fields.items():
            bad += _annotation_ok(f.annotation, list(f.metadata), f"{where}.{name}")
        return bad
    if annotation is int and not _bounded(metadata):
        bad.append(f"{where}: unbounded int")
    if annotation is str and not _str_constrained(metadata):
        bad.append(f"{where}: str without the control-character rule")
    return bad


def test_every_request_model_uses_the_shared_types() -> None:
    bad: list[str] = []
    for model in (schemas.TemplateRequest, schemas.AuthorizationRequest, schemas.UseRequest):
        bad += _annotation_ok(model, [], model.__name__)
    assert bad == []


def _api_routes(routes: list[Any]) -> typing.Iterator[APIRoute]:
    """Every APIRoute, included routers' too (FastAPI nests them)."""
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        inner = getattr(r, "original_router", None) or getattr(r, "router", None)
        if inner is not None and hasattr(inner, "routes"):
            yield from _api_routes(list(inner.routes))


def test_every_integer_parameter_is_bounded(settings: Settings, ctx: Context) -> None:
    app = create_app(settings, ctx)
    bad, seen = [], set()
    for route in _api_routes(list(app.routes)):
        for p in route.dependant.query_params + route.dependant.path_params:
            ann = p.field_info.annotation
            args = [a for a in typing.get_args(ann) if a is not type(None)] or [ann]
            if int in args or any(typing.get_origin(a) is typing.Annotated
                                  and typing.get_args(a)[0] is int for a in args):
                seen.add(p.name)
                meta = list(p.field_info.metadata)
                for a in args:
                    if typing.get_origin(a) is typing.Annotated:
                        meta += list(typing.get_args(a)[1:])
                if not _bounded(meta):
                    bad.append(f"{route.path} {p.name}")
        for b in route.dependant.body_params:
            bad += _annotation_ok(b.field_info.annotation, list(b.field_info.metadata),
                                  f"{route.path} body")
    assert bad == []
    assert {"page", "version", "tries", "a", "b"} <= seen  # the walk sees them
