"""The institution API, ``/v1`` (CONTRACT §2).

Request and answer models are in :mod:`anxin.web.api.schemas`; what every route shares in
the OpenAPI document (401, 413, 422, 503, servers, examples) is added by
:mod:`anxin.web.api.openapi`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from anxin.domain.subject import Subject
from anxin.error_codes import Code
from anxin.errors import Forbidden, NotFound, ValidationFailed
from anxin.services import authorizations as auths
from anxin.services import templates, uses
from anxin.services.context import Context
from anxin.services.documents import read_document
from anxin.services.use_input import call_from_raw
from anxin.web.api.schemas import (
    ID_NUMBER_PATTERN,
    MOBILE_PATTERN,
    Authorization,
    AuthorizationCreated,
    AuthorizationDetail,
    AuthorizationPage,
    AuthorizationRequest,
    AuthorizationStatus,
    Template,
    TemplateDetail,
    TemplatePage,
    TemplateRequest,
    UseGranted,
    UseRequest,
)
from anxin.web.deps import (
    API_KEY_SCHEME,
    CtxDep,
    IdempotencyKey,
    InstitutionDep,
    api_key_of,
    idempotency_key_of,
    idempotency_key_parameter,
    validated_body,
)
from anxin.web.input_guard import Positive32, Text
from anxin.web.problems import problems

router = APIRouter(prefix="/v1")

# Lists page by number; a page holds at most MAX_PAGE_SIZE items (docs/api.md, Pagination).
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
Page = Annotated[Positive32, Query(description="The page's number, from 1")]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=(
    f"Items a page, at most {MAX_PAGE_SIZE} (more answers 422 naming `page_size`)"))]

NOT_FOUND = problems(s404=[Code.AUTHORIZATION_NOT_FOUND])
DOCUMENT_NOT_FOUND = problems(s404=[Code.AUTHORIZATION_NOT_FOUND, Code.DOCUMENT_NOT_FOUND])
AuthId = Annotated[Text, Path(description="The authorization's `id`")]


def _link(operation: str, description: str) -> dict[str, Any]:
    return {"operationId": operation, "parameters": {"auth_id": "$response.body#/id"},
            "description": description}


# OpenAPI links from the new authorization to the operations that take its id: a reader
# sees where to go next, and schemathesis's stateful phase follows them. The documents
# (letter, evidence, report) are not linked: they exist only once the person has signed,
# so a new request answers 404 `document_not_found` there, as documented.
AUTHORIZATION_LINKS = {
    "GetAuthorization": _link("get_authorization", "Read its status"),
    "ConsumeUse": _link("consume_use", "Ask the gate for a use (409 until it is signed)"),
    "CancelAuthorization": _link("cancel_authorization", "Withdraw the pending request"),
}


def _binary(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {
        media_type: {"schema": {"type": "string", "format": "binary"}}}}}


@router.post("/templates", status_code=201, response_model=Template, tags=["templates"],
             responses={
    201: {"description": "A new version was made", "links": {"GetTemplate": {
        "operationId": "get_template", "parameters": {"code": "$response.body#/code"}}}},
    200: {"model": Template, "description": "The same content again: the current version"},
    **problems(s403=[Code.TEST_KEY_NOT_ALLOWED],
               s422=[Code.VALIDATION_FAILED, Code.UNKNOWN_PURPOSE,
                     Code.UNKNOWN_DATA_CATEGORY, Code.POLICY_CEILING_EXCEEDED,
                     Code.LETTER_TOO_LONG, Code.LETTER_CONTRADICTS_TERMS,
                     Code.IDEMPOTENCY_KEY_REUSED])},
    summary="Create a template, or a new version of it")
def create_template(body: TemplateRequest, ctx: CtxDep, inst: InstitutionDep,
                    response: Response,
                    idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Versions are never modified: an authorization keeps the version it was requested
    under. The same content again answers 200 and the current version."""
    if inst.test:
        # Templates are shared by the live and the test key: a test key reads them but
        # never changes what live requests are made from.
        raise Forbidden("a test key cannot create or change templates: use the live key",
                        code=Code.TEST_KEY_NOT_ALLOWED)
    spec = templates.TemplateSpec(
        code=body.code, title=body.title, purpose=body.purpose,
        data_scope=tuple(body.data_scope), body=body.body, locale=str(body.locale),
        validity_days=body.validity_days, max_uses=body.max_uses,
        require_passkey=body.require_passkey, request_ttl_minutes=body.request_ttl_minutes,
        terms=body.terms())
    status, out = templates.put_template(ctx, inst, spec, idempotency_key=idempotency_key,
                                         body_for_digest=body.model_dump(mode="json"))
    response.status_code = status
    return out


@router.get("/templates", response_model=TemplatePage, tags=["templates"],
            summary="Your templates (their current versions), by code")
def list_templates(ctx: CtxDep, inst: InstitutionDep, page: Page = 1,
                   page_size: PageSize = DEFAULT_PAGE_SIZE) -> dict[str, Any]:
    return templates.list_templates_page(ctx, inst, page=page, page_size=page_size)


@router.get("/templates/{code}", response_model=TemplateDetail, tags=["templates"],
            responses=problems(s404=[Code.TEMPLATE_NOT_FOUND]),
            summary="A template: its current version, or `version=N`")
def get_template(code: Annotated[Text, Path(description="The template's code")],
                 ctx: CtxDep, inst: InstitutionDep,
                 version: Annotated[Positive32 | None, Query()] = None) -> dict[str, Any]:
    return templates.get_template(ctx, inst, code, version)


def _check_subject_shape(body: AuthorizationRequest) -> None:
    """The schema's patterns of the id number and mobile, refused with the domain's codes
    (the domain then checks the GB 11643 check digit, the birth date, the number)."""
    if not re.fullmatch(ID_NUMBER_PATTERN, body.subject.id_number):
        raise ValidationFailed("an id number has 5 to 20 letters and digits (a resident ID "
                               "18: 17 digits and a check character)",
                               field="subject.id_number", code=Code.INVALID_ID_NUMBER)
    if not re.fullmatch(MOBILE_PATTERN, body.subject.mobile):
        raise ValidationFailed("a mobile is an 11-digit mainland number or E.164 "
                               "(+85291234567)", field="subject.mobile",
                               code=Code.INVALID_MOBILE)


@router.post("/authorizations", status_code=201, response_model=AuthorizationCreated,
             tags=["authorizations"], responses={
    201: {"description": "The request is made: send the person to `signing_url`",
          "links": AUTHORIZATION_LINKS},
    **problems(s422=[Code.VALIDATION_FAILED, Code.INVALID_ID_NUMBER, Code.INVALID_MOBILE,
                     Code.SMS_COUNTRY_NOT_ALLOWED, Code.UNKNOWN_TEMPLATE,
                     Code.VALIDITY_EXCEEDS_TEMPLATE, Code.MAX_USES_EXCEEDS_TEMPLATE,
                     Code.POLICY_CEILING_EXCEEDED, Code.LETTER_TOO_LONG,
                     Code.OUTBOUND_REFUSED, Code.IDEMPOTENCY_KEY_REUSED,
                     Code.RENEWAL_PURPOSE_CHANGED, Code.RENEWAL_SUBJECT_MISMATCH,
                     Code.RETURN_URL_NOT_ALLOWED, Code.TERMS_EXCEED_TEMPLATE],
               s404=[Code.AUTHORIZATION_NOT_FOUND], s409=[Code.RENEWAL_NOT_ALLOWED],
               s429=[Code.SMS_SESSION_LIMIT, Code.SMS_GLOBAL_LIMIT])},
    summary="Request an authorization from a template (or the renewal of one)")
def create_authorization(body: AuthorizationRequest, ctx: CtxDep, inst: InstitutionDep,
                         response: Response,
                         idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """The person signs at `signing_url` (a code by SMS, a passkey where the template
    requires one); follow the status by webhook (`callback_url`) or `GET /v1/events`."""
    _check_subject_shape(body)
    subject = Subject.parse(body.subject.name, str(body.subject.id_type),
                            body.subject.id_number, body.subject.mobile)
    req = auths.AuthorizationRequest(template=body.template, subject=subject,
                                     reference=body.reference, valid_until=body.valid_until,
                                     max_uses=body.max_uses, callback_url=body.callback_url,
                                     renews=body.renews,
                                     notify_subject=body.notify_subject,
                                     return_url=body.return_url, terms=body.terms())
    status, out = auths.request_authorization(ctx, inst, req, idempotency_key=idempotency_key,
                                              body_for_digest=body.model_dump(mode="json"))
    response.status_code = status
    return out


@router.get("/authorizations", response_model=AuthorizationPage, tags=["authorizations"],
            summary="Your authorizations, newest first, a page at a time")
def list_authorizations(ctx: CtxDep, inst: InstitutionDep,
                        status: Annotated[AuthorizationStatus | None, Query()] = None,
                        reference: Annotated[Text | None, Query()] = None,
                        page: Page = 1,
                        after: Annotated[Text | None, Query(description=(
                            "Start after this cursor (the `next` of the previous answer) "
                            "instead of at a page number: as fast at any depth"))] = None,
                        page_size: PageSize = DEFAULT_PAGE_SIZE) -> dict[str, Any]:
    """By number (`page`) or by cursor (`after`); `total` counts up to 10,000
    (`total_capped` when there are more)."""
    return auths.list_authorizations(
        ctx, inst, status=None if status is None else str(status), reference=reference,
        page=page, after=after, page_size=page_size)


@router.get("/authorizations/{auth_id}", response_model=AuthorizationDetail,
            tags=["authorizations"], responses=NOT_FOUND,
            summary="An authorization, with every gate call made on it")
def get_authorization(auth_id: AuthId, ctx: CtxDep, inst: InstitutionDep) -> dict[str, Any]:
    return auths.get_authorization(ctx, inst, auth_id)


@router.post("/authorizations/{auth_id}/cancel", response_model=Authorization,
             tags=["authorizations"],
             responses={**NOT_FOUND, **problems(s409=[Code.AUTHORIZATION_NOT_PENDING])},
             summary="Withdraw a pending request")
def cancel_authorization(auth_id: AuthId, ctx: CtxDep, inst: InstitutionDep
                         ) -> dict[str, Any]:
    return auths.cancel_authorization(ctx, inst, auth_id)


@router.post("/authorizations/{auth_id}/uses", status_code=201, response_model=None,
             tags=["gate"], responses={
    201: {"model": UseGranted, "description": "The use is granted"}, **NOT_FOUND,
    **problems(s409=[Code.AUTHORIZATION_NOT_ACTIVE, Code.AUTHORIZATION_EXHAUSTED,
                     Code.AUTHORIZATION_EXPIRED, Code.AUTHORIZATION_REVOKED,
                     Code.AUTHORIZATION_PAUSED, Code.FREQUENCY_EXCEEDED],
               s403=[Code.PURPOSE_MISMATCH, Code.SCOPE_MISMATCH, Code.DATA_RANGE_MISMATCH],
               s422=[Code.VALIDATION_FAILED, Code.IDEMPOTENCY_KEY_REUSED])},
    summary="The use gate: grant one use, or refuse",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/UseRequest"}}}},
        # Read by the route itself (below), documented as the parameters they were.
        "parameters": [idempotency_key_parameter()],
        "security": [{API_KEY_SCHEME.scheme_name: []}]})
async def consume_use(auth_id: AuthId, request: Request) -> JSONResponse:
    """Ask before every query of the person's data. A grant spends one use atomically
    (never more than `max_uses`, under any concurrency) and answers a signed `receipt`;
    every call, granted or refused, is recorded in the ledger. The same
    `Idempotency-Key` and body answer the same grant without spending another use."""
    # The body is validated here (UseRequest, the same 422) rather than as a FastAPI body
    # parameter, and the key is checked inside the grant's own statement (a bad key still
    # answers 401 from the slow path): this is the hottest route. The answer is the
    # use case's dict, unvalidated; tests check it against UseGranted. The context, the
    # key and the Idempotency-Key are read here too, by the same functions and rules as
    # their dependencies (anxin.web.deps), not solved as three FastAPI dependencies: that
    # solving was the largest cost the gate's event loop had over a bare endpoint
    # (solve_dependencies 0.18 vs 0.06 py-spy samples a request, bench/use_gate.py).
    ctx: Context = request.app.state.ctx
    api_key = await api_key_of(request)
    idempotency_key = idempotency_key_of(request)
    raw = await request.body()
    try:
        body = validated_body(UseRequest, raw)
    except RequestValidationError as exc:
        # Still a gate call: recorded as a refused use, then the same 422.
        await run_in_threadpool(_record_bad_body, ctx, api_key, auth_id, raw, exc)
        raise
    out = await run_in_threadpool(uses.consume_use_with_key, ctx, api_key, auth_id,
                                  uses.UseCall(purpose=body.purpose, data_item=body.data_item,
                                               reference=body.reference,
                                               operator=body.operator,
                                               data_from=body.data_from,
                                               data_to=body.data_to),
                                  idempotency_key=idempotency_key)
    return JSONResponse(out, status_code=201)


def _record_bad_body(ctx: CtxDep, api_key: str | None, auth_id: str, raw: bytes,
                     exc: RequestValidationError) -> None:
    errors = exc.errors()
    loc = [str(p) for p in errors[0].get("loc", ())[1:]] if errors else []
    failed = ValidationFailed("the gate body is not valid", field=".".join(loc) or "body")
    try:
        uses.record_bad_call(ctx, api_key, auth_id, call_from_raw(raw), failed)
    except ValidationFailed:
        return  # recorded (or nothing to record it against); the caller re-raises ``exc``


def _document(ctx: CtxDep, inst: InstitutionDep, auth_id: str, kind: str,
              media_type: str) -> Response:
    auths.require_visible(ctx, inst, auth_id)  # test mode: the key's mode, or 404
    content = read_document(ctx, inst.id, auth_id, kind)
    if content is None:
        raise NotFound(f"no {kind} for this authorization (not signed yet?)",
                       code=Code.DOCUMENT_NOT_FOUND)
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{auth_id}-{kind}"'})


@router.get("/authorizations/{auth_id}/evidence.zip", response_class=Response,
            name="get_evidence_package", tags=["authorizations"],
            responses={**_binary("application/zip", "The evidence package"),
                       **DOCUMENT_NOT_FOUND},
            summary="The evidence package (ZIP), checkable offline")
def evidence_zip(auth_id: AuthId, ctx: CtxDep, inst: InstitutionDep) -> Response:
    from anxin.services.evidence_package import build_package
    auths.require_visible(ctx, inst, auth_id)  # test mode: the key's mode, or 404
    data = build_package(ctx, inst.id, auth_id)
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{auth_id}-evidence.zip"'})


@router.get("/authorizations/{auth_id}/report.pdf", response_class=Response,
            name="get_report_pdf", tags=["authorizations"],
            responses={**_binary("application/pdf", "The report (PDF, sealed)"),
                       **DOCUMENT_NOT_FOUND},
            summary="The Digital Signature Verification Report (PDF, sealed)")
def report_pdf(auth_id: AuthId, ctx: CtxDep, inst: InstitutionDep) -> Response:
    from anxin.services.evidence_package import build_report_pdf
    auths.require_visible(ctx, inst, auth_id)  # test mode: the key's mode, or 404
    data = build_report_pdf(ctx, inst.id, auth_id)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{auth_id}-report.pdf"'})


@router.get("/authorizations/{auth_id}/letter.pdf", response_class=Response,
            name="get_letter_pdf", tags=["authorizations"],
            responses={**_binary("application/pdf", "The signed letter (PDF, PAdES B-LTA)"),
                       **DOCUMENT_NOT_FOUND},
            summary="The signed letter (PDF, PAdES)")
def letter_pdf(auth_id: AuthId, ctx: CtxDep, inst: InstitutionDep) -> Response:
    return _document(ctx, inst, auth_id, "letter.pdf", "application/pdf")
