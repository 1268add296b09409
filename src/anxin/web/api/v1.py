"""The institution API, ``/v1`` (CONTRACT §2)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from anxin.domain.subject import Subject
from anxin.error_codes import Code
from anxin.errors import Forbidden, NotFound, ValidationFailed
from anxin.services import authorizations as auths
from anxin.services import templates, uses
from anxin.services.documents import read_document
from anxin.services.use_input import call_from_raw
from anxin.web.deps import ApiKey, CtxDep, IdempotencyKey, InstitutionDep, validated_body
from anxin.web.input_guard import Int32, LongText, Positive32, Text
from anxin.web.problems import problems

router = APIRouter(prefix="/v1", tags=["institution API"])

AUTH = problems(s401=[Code.MISSING_API_KEY, Code.INVALID_API_KEY, Code.INSTITUTION_SUSPENDED])
NOT_FOUND = problems(s404=[Code.AUTHORIZATION_NOT_FOUND])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Every text member is Text (LongText for the letter body) and every integer Int32: no
# control characters, no integer the database cannot hold (anxin.web.input_guard; the
# security suite checks that no member escapes these types).
class TemplateIn(Strict):
    code: Text = Field(examples=["credit-check-v1"])
    title: Text
    purpose: Text = Field(examples=["loan_approval"])
    data_scope: list[Text] = Field(examples=[["credit_report"]])
    body: LongText = Field(description="Letter text with {{ placeholders }}")
    locale: Text = Field("zh-CN", examples=["zh-CN", "en"])
    validity_days: Int32 = 30
    max_uses: Int32 = 1
    require_passkey: bool = False
    request_ttl_minutes: Int32 = 1440


class SubjectIn(Strict):
    name: Text
    id_type: Text = Field(examples=["resident_id", "passport"])
    id_number: Text
    mobile: Text


class AuthorizationIn(Strict):
    template: Text
    subject: SubjectIn
    reference: Text
    valid_until: dt.datetime | None = None
    max_uses: Int32 | None = None
    callback_url: Text | None = None
    renews: Text | None = Field(None, description=(
        "the id of an authorization in force that this request renews: same purpose, same "
        "person; a new letter to sign, valid from its signing"))


class UseIn(Strict):
    purpose: Text
    reference: Text
    operator: Text
    data_item: Text


class UseOut(BaseModel):
    """The 201 answer of the gate (documentation only: the route answers the dict the
    use case made, unvalidated, as this is the hottest route)."""
    use_id: str
    uses: int
    uses_remaining: int
    status: str
    receipt: str = Field(description=(
        "The signed statement of the grant, a compact JWS: ES256 by the platform seal "
        "(/.well-known/jwks.json, /pki/seal.crt) in the intl and dual profiles; alg "
        "SM2SM3 by the SM2 seal (/.well-known/jwks-sm2.json, /pki/sm2/seal.crt) in sm"))
    receipt_sm2: str | None = Field(None, description=(
        "dual profile only: the same payload as receipt, signed SM2SM3 by the SM2 seal "
        "(/.well-known/jwks-sm2.json, /pki/sm2/seal.crt)"))
    granted_at: dt.datetime


@router.post("/templates", status_code=201, responses={
    **AUTH, **problems(s403=[Code.TEST_KEY_NOT_ALLOWED],
                       s422=[Code.VALIDATION_FAILED, Code.UNKNOWN_PURPOSE,
                             Code.UNKNOWN_DATA_CATEGORY, Code.POLICY_CEILING_EXCEEDED,
                             Code.IDEMPOTENCY_KEY_REUSED])},
    summary="Create a template, or a new version of it")
def create_template(body: TemplateIn, ctx: CtxDep, inst: InstitutionDep,
                    idempotency_key: IdempotencyKey = None) -> JSONResponse:
    if inst.test:
        # Templates are shared by the live and the test key: a test key reads them but
        # never changes what live requests are made from.
        raise Forbidden("a test key cannot create or change templates: use the live key",
                        code=Code.TEST_KEY_NOT_ALLOWED)
    spec = templates.TemplateSpec(
        code=body.code, title=body.title, purpose=body.purpose,
        data_scope=tuple(body.data_scope), body=body.body, locale=body.locale,
        validity_days=body.validity_days, max_uses=body.max_uses,
        require_passkey=body.require_passkey, request_ttl_minutes=body.request_ttl_minutes)
    status, out = templates.put_template(ctx, inst, spec, idempotency_key=idempotency_key,
                                         body_for_digest=body.model_dump(mode="json"))
    return JSONResponse(out, status_code=status)


@router.get("/templates", responses=AUTH)
def list_templates(ctx: CtxDep, inst: InstitutionDep) -> dict[str, Any]:
    return {"items": templates.list_templates(ctx, inst)}


@router.get("/templates/{code}", responses={**AUTH, **problems(s404=[Code.TEMPLATE_NOT_FOUND])})
def get_template(code: str, ctx: CtxDep, inst: InstitutionDep,
                 version: Annotated[Positive32 | None, Query()] = None) -> dict[str, Any]:
    return templates.get_template(ctx, inst, code, version)


@router.post("/authorizations", status_code=201, responses={
    **AUTH, **problems(s422=[Code.VALIDATION_FAILED, Code.INVALID_ID_NUMBER, Code.INVALID_MOBILE,
                             Code.UNKNOWN_TEMPLATE, Code.VALIDITY_EXCEEDS_TEMPLATE,
                             Code.MAX_USES_EXCEEDS_TEMPLATE, Code.POLICY_CEILING_EXCEEDED,
                             Code.IDEMPOTENCY_KEY_REUSED])},
    summary="Request an authorization from a template")
def create_authorization(body: AuthorizationIn, ctx: CtxDep, inst: InstitutionDep,
                         idempotency_key: IdempotencyKey = None) -> JSONResponse:
    subject = Subject.parse(body.subject.name, body.subject.id_type, body.subject.id_number,
                            body.subject.mobile)
    req = auths.AuthorizationRequest(template=body.template, subject=subject,
                                     reference=body.reference, valid_until=body.valid_until,
                                     max_uses=body.max_uses, callback_url=body.callback_url,
                                     renews=body.renews)
    status, out = auths.request_authorization(ctx, inst, req, idempotency_key=idempotency_key,
                                              body_for_digest=body.model_dump(mode="json"))
    return JSONResponse(out, status_code=status)


@router.get("/authorizations", responses={**AUTH, **problems(s422=[Code.VALIDATION_FAILED])})
def list_authorizations(ctx: CtxDep, inst: InstitutionDep,
                        status: Annotated[str | None, Query()] = None,
                        reference: Annotated[str | None, Query()] = None,
                        page: Annotated[Positive32, Query()] = 1) -> dict[str, Any]:
    return auths.list_authorizations(ctx, inst, status=status, reference=reference, page=page)


@router.get("/authorizations/{auth_id}", responses={**AUTH, **NOT_FOUND})
def get_authorization(auth_id: str, ctx: CtxDep, inst: InstitutionDep) -> dict[str, Any]:
    return auths.get_authorization(ctx, inst, auth_id)


@router.post("/authorizations/{auth_id}/cancel", responses={
    **AUTH, **NOT_FOUND, **problems(s409=[Code.AUTHORIZATION_NOT_PENDING])})
def cancel_authorization(auth_id: str, ctx: CtxDep, inst: InstitutionDep) -> dict[str, Any]:
    return auths.cancel_authorization(ctx, inst, auth_id)


@router.post("/authorizations/{auth_id}/uses", status_code=201, responses={
    201: {"model": UseOut, "description": "The use is granted"}, **AUTH, **NOT_FOUND,
    **problems(s409=[Code.AUTHORIZATION_NOT_ACTIVE, Code.AUTHORIZATION_EXHAUSTED,
                     Code.AUTHORIZATION_EXPIRED, Code.AUTHORIZATION_REVOKED],
               s403=[Code.PURPOSE_MISMATCH, Code.SCOPE_MISMATCH],
               s422=[Code.VALIDATION_FAILED, Code.IDEMPOTENCY_KEY_REUSED])},
    summary="The use gate: grant one use, or refuse",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": UseIn.model_json_schema()}}}})
async def consume_use(auth_id: str, request: Request, ctx: CtxDep, api_key: ApiKey,
                      idempotency_key: IdempotencyKey = None) -> JSONResponse:
    # The body is validated here (UseIn, the same 422) rather than as a FastAPI body
    # parameter, and the key is checked inside the grant's own statement (a bad key still
    # answers 401 from the slow path): this is the hottest route.
    raw = await request.body()
    try:
        body = validated_body(UseIn, raw)
    except RequestValidationError as exc:
        # Still a gate call: recorded as a refused use, then the same 422.
        await run_in_threadpool(_record_bad_body, ctx, api_key, auth_id, raw, exc)
        raise
    out = await run_in_threadpool(uses.consume_use_with_key, ctx, api_key, auth_id,
                                  uses.UseCall(purpose=body.purpose, data_item=body.data_item,
                                               reference=body.reference,
                                               operator=body.operator),
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
            responses={**AUTH, **problems(s404=[Code.AUTHORIZATION_NOT_FOUND,
                                                Code.DOCUMENT_NOT_FOUND])},
            summary="The evidence package (ZIP), checkable offline")
def evidence_zip(auth_id: str, ctx: CtxDep, inst: InstitutionDep) -> Response:
    from anxin.services.evidence_package import build_package
    auths.require_visible(ctx, inst, auth_id)  # test mode: the key's mode, or 404
    data = build_package(ctx, inst.id, auth_id)
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{auth_id}-evidence.zip"'})


@router.get("/authorizations/{auth_id}/report.pdf", response_class=Response,
            responses={**AUTH, **problems(s404=[Code.AUTHORIZATION_NOT_FOUND,
                                                Code.DOCUMENT_NOT_FOUND])},
            summary="The Digital Signature Verification Report (PDF, sealed)")
def report_pdf(auth_id: str, ctx: CtxDep, inst: InstitutionDep) -> Response:
    from anxin.services.evidence_package import build_report_pdf
    auths.require_visible(ctx, inst, auth_id)  # test mode: the key's mode, or 404
    data = build_report_pdf(ctx, inst.id, auth_id)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{auth_id}-report.pdf"'})


@router.get("/authorizations/{auth_id}/letter.pdf", response_class=Response,
            responses={**AUTH, **problems(s404=[Code.AUTHORIZATION_NOT_FOUND,
                                                Code.DOCUMENT_NOT_FOUND])})
def letter_pdf(auth_id: str, ctx: CtxDep, inst: InstitutionDep) -> Response:
    return _document(ctx, inst, auth_id, "letter.pdf", "application/pdf")
