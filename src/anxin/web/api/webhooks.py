"""``/v1/webhook-endpoints`` (CONTRACT §8) and ``POST /v1/institution/rotate-webhook-secret``.

The edge only: bodies are parsed here, the use cases are in
:mod:`anxin.services.webhook_endpoints`. Another institution's endpoint or delivery
answers 404, never 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from anxin.error_codes import Code
from anxin.services import webhook_endpoints as svc
from anxin.web.deps import CtxDep, IdempotencyKey, InstitutionDep
from anxin.web.input_guard import Int32, Positive32, Text
from anxin.web.problems import problems

AUTH = problems(s401=[Code.MISSING_API_KEY, Code.INVALID_API_KEY, Code.INSTITUTION_SUSPENDED])
NO_ENDPOINT = problems(s404=[Code.WEBHOOK_ENDPOINT_NOT_FOUND])


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Text = Field(examples=["https://bank.example/hooks/anxin"])
    events: list[Text] = Field(examples=[["authorization:signed", "authorization:revoked"],
                                         ["*"]],
                               description='Event names, or "*" for every event')
    description: Text | None = None


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grace_seconds: Int32 | None = Field(None, description=(
        "How long the previous secret keeps signing (0 to 86400, default 86400)"))


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["webhooks"])

    @router.post("/webhook-endpoints", status_code=201, responses={
        **AUTH, **problems(s409=[Code.WEBHOOK_ENDPOINT_EXISTS],
                           s422=[Code.VALIDATION_FAILED, Code.UNKNOWN_EVENT,
                                 Code.OUTBOUND_REFUSED, Code.IDEMPOTENCY_KEY_REUSED])},
        summary="Register a webhook endpoint; the answer shows its secret once")
    def create_endpoint(body: EndpointIn, ctx: CtxDep, inst: InstitutionDep,
                        idempotency_key: IdempotencyKey = None) -> JSONResponse:
        status, out = svc.create_endpoint(
            ctx, inst, svc.EndpointSpec(body.url, body.events, body.description),
            idempotency_key=idempotency_key, body_for_digest=body.model_dump(mode="json"))
        return JSONResponse(out, status_code=status)

    @router.get("/webhook-endpoints", responses=AUTH,
                summary="Your webhook endpoints (without their secrets)")
    def list_endpoints(ctx: CtxDep, inst: InstitutionDep) -> dict[str, Any]:
        return svc.list_endpoints(ctx, inst)

    @router.get("/webhook-endpoints/{endpoint_id}", responses={**AUTH, **NO_ENDPOINT})
    def get_endpoint(endpoint_id: str, ctx: CtxDep, inst: InstitutionDep) -> dict[str, Any]:
        return svc.get_endpoint(ctx, inst, endpoint_id)

    @router.delete("/webhook-endpoints/{endpoint_id}", responses={**AUTH, **NO_ENDPOINT},
                   summary="Delete an endpoint: nothing more is sent to it")
    def delete_endpoint(endpoint_id: str, ctx: CtxDep, inst: InstitutionDep
                        ) -> dict[str, Any]:
        return svc.delete_endpoint(ctx, inst, endpoint_id)

    @router.post("/webhook-endpoints/{endpoint_id}/rotate-secret", responses={
        **AUTH, **NO_ENDPOINT, **problems(s422=[Code.VALIDATION_FAILED])},
        summary="A new secret (shown once); the old one signs too during the grace period")
    def rotate_secret(endpoint_id: str, ctx: CtxDep, inst: InstitutionDep,
                      body: RotateIn | None = None) -> dict[str, Any]:
        return svc.rotate_endpoint_secret(ctx, inst, endpoint_id,
                                          body.grace_seconds if body else None)

    @router.post("/webhook-endpoints/{endpoint_id}/ping", status_code=202,
                 responses={**AUTH, **NO_ENDPOINT},
                 summary="Send a signed webhook:ping event to the endpoint")
    def ping(endpoint_id: str, ctx: CtxDep, inst: InstitutionDep) -> dict[str, Any]:
        return svc.ping(ctx, inst, endpoint_id)

    @router.get("/webhook-endpoints/{endpoint_id}/deliveries", responses={
        **AUTH, **NO_ENDPOINT, **problems(s422=[Code.VALIDATION_FAILED])},
        summary="The endpoint's delivery log, newest first")
    def deliveries(endpoint_id: str, ctx: CtxDep, inst: InstitutionDep,
                   page: Annotated[Positive32, Query()] = 1,
                   page_size: Annotated[Positive32, Query()] = 50) -> dict[str, Any]:
        return svc.list_deliveries(ctx, inst, endpoint_id, page=page, page_size=page_size)

    @router.post("/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry",
                 status_code=202, responses={**AUTH, **problems(
                     s404=[Code.WEBHOOK_ENDPOINT_NOT_FOUND, Code.WEBHOOK_DELIVERY_NOT_FOUND])},
                 summary="Send a delivery again now")
    def retry(endpoint_id: str, delivery_id: str, ctx: CtxDep, inst: InstitutionDep
              ) -> dict[str, Any]:
        return svc.retry_delivery(ctx, inst, endpoint_id, delivery_id)

    @router.post("/institution/rotate-webhook-secret", responses={
        **AUTH, **problems(s422=[Code.VALIDATION_FAILED])},
        summary="A new default webhook secret (signs callback_url deliveries), shown once")
    def rotate_default(ctx: CtxDep, inst: InstitutionDep, body: RotateIn | None = None
                       ) -> dict[str, Any]:
        return svc.rotate_default_secret(ctx, inst, body.grace_seconds if body else None)

    return router
