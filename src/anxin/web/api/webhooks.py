"""``/v1/webhook-endpoints`` (CONTRACT §8) and ``POST /v1/institution/rotate-webhook-secret``.

The edge only: bodies are parsed here, the use cases are in
:mod:`anxin.services.webhook_endpoints`; the models, which ``/openapi.json`` publishes,
are in :mod:`anxin.web.api.webhook_schemas`. Another institution's endpoint or delivery
answers 404, never 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from anxin.error_codes import Code
from anxin.services import webhook_endpoints as svc
from anxin.web.api.webhook_schemas import (
    DefaultSecretRotated,
    SecretRotation,
    WebhookDelivery,
    WebhookDeliveryPage,
    WebhookEndpointCreated,
    WebhookEndpointDeleted,
    WebhookEndpointList,
    WebhookEndpointRequest,
    WebhookEndpointWithSecret,
)
from anxin.web.api.webhook_schemas import WebhookEndpoint as WebhookEndpointModel
from anxin.web.deps import CtxDep, IdempotencyKey, InstitutionDep
from anxin.web.input_guard import Positive32, Text
from anxin.web.problems import problems

NO_ENDPOINT = problems(s404=[Code.WEBHOOK_ENDPOINT_NOT_FOUND])
EndpointIdParam = Annotated[Text, Path(description="The endpoint's `id` (`we_…`)")]
DeliveryIdParam = Annotated[Text, Path(description="The delivery's `id`")]
Page = Annotated[Positive32, Query(description="The page's number, from 1")]
PageSize = Annotated[int, Query(ge=1, le=svc.MAX_PAGE_SIZE, description=(
    f"Deliveries a page, at most {svc.MAX_PAGE_SIZE}"))]


def _link(operation: str, description: str) -> dict[str, Any]:
    return {"operationId": operation, "parameters": {"endpoint_id": "$response.body#/id"},
            "description": description}


# From the new endpoint to the operations that take its id (readers, and schemathesis's
# stateful phase, follow them).
ENDPOINT_LINKS = {
    "GetWebhookEndpoint": _link("get_webhook_endpoint", "Read it"),
    "PingWebhookEndpoint": _link("ping_webhook_endpoint", "Send it a signed ping"),
    "ListWebhookDeliveries": _link("list_webhook_deliveries", "Its delivery log"),
    "RotateWebhookEndpointSecret": _link("rotate_webhook_endpoint_secret",
                                         "A new secret"),
    "DeleteWebhookEndpoint": _link("delete_webhook_endpoint", "Delete it"),
}


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["webhooks"])

    @router.post("/webhook-endpoints", status_code=201,
                 response_model=WebhookEndpointCreated, responses={
        201: {"description": "Registered; the answer shows its secret once",
              "links": ENDPOINT_LINKS},
        **problems(s409=[Code.WEBHOOK_ENDPOINT_EXISTS],
                   s422=[Code.VALIDATION_FAILED, Code.UNKNOWN_EVENT, Code.OUTBOUND_REFUSED,
                         Code.IDEMPOTENCY_KEY_REUSED])},
        summary="Register a webhook endpoint; the answer shows its secret once")
    def create_webhook_endpoint(body: WebhookEndpointRequest, ctx: CtxDep,
                                inst: InstitutionDep, response: Response,
                                idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        status, out = svc.create_endpoint(
            ctx, inst, svc.EndpointSpec(body.url, body.events, body.description),
            idempotency_key=idempotency_key, body_for_digest=body.model_dump(mode="json"))
        response.status_code = status
        return out

    @router.get("/webhook-endpoints", response_model=WebhookEndpointList,
                summary="Your webhook endpoints (without their secrets)")
    def list_webhook_endpoints(ctx: CtxDep, inst: InstitutionDep) -> dict[str, Any]:
        return svc.list_endpoints(ctx, inst)

    @router.get("/webhook-endpoints/{endpoint_id}", response_model=WebhookEndpointModel,
                responses=NO_ENDPOINT, summary="One webhook endpoint (without its secret)")
    def get_webhook_endpoint(endpoint_id: EndpointIdParam, ctx: CtxDep,
                             inst: InstitutionDep) -> dict[str, Any]:
        return svc.get_endpoint(ctx, inst, endpoint_id)

    @router.delete("/webhook-endpoints/{endpoint_id}", response_model=WebhookEndpointDeleted,
                   responses=NO_ENDPOINT,
                   summary="Delete an endpoint: nothing more is sent to it")
    def delete_webhook_endpoint(endpoint_id: EndpointIdParam, ctx: CtxDep,
                                inst: InstitutionDep) -> dict[str, Any]:
        return svc.delete_endpoint(ctx, inst, endpoint_id)

    @router.post("/webhook-endpoints/{endpoint_id}/rotate-secret",
                 response_model=WebhookEndpointWithSecret, responses=NO_ENDPOINT,
                 summary="A new secret (shown once); the old one signs too during the "
                         "grace period")
    def rotate_webhook_endpoint_secret(endpoint_id: EndpointIdParam, ctx: CtxDep,
                                       inst: InstitutionDep,
                                       body: SecretRotation | None = None) -> dict[str, Any]:
        return svc.rotate_endpoint_secret(ctx, inst, endpoint_id,
                                          body.grace_seconds if body else None)

    @router.post("/webhook-endpoints/{endpoint_id}/ping", status_code=202,
                 response_model=WebhookDelivery, responses=NO_ENDPOINT,
                 summary="Send a signed webhook:ping event to the endpoint")
    def ping_webhook_endpoint(endpoint_id: EndpointIdParam, ctx: CtxDep,
                              inst: InstitutionDep) -> dict[str, Any]:
        return svc.ping(ctx, inst, endpoint_id)

    @router.get("/webhook-endpoints/{endpoint_id}/deliveries",
                response_model=WebhookDeliveryPage, responses=NO_ENDPOINT,
                summary="The endpoint's delivery log, newest first")
    def list_webhook_deliveries(endpoint_id: EndpointIdParam, ctx: CtxDep,
                                inst: InstitutionDep, page: Page = 1,
                                page_size: PageSize = 50) -> dict[str, Any]:
        return svc.list_deliveries(ctx, inst, endpoint_id, page=page, page_size=page_size)

    @router.post("/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry",
                 status_code=202, response_model=WebhookDelivery, responses=problems(
                     s404=[Code.WEBHOOK_ENDPOINT_NOT_FOUND, Code.WEBHOOK_DELIVERY_NOT_FOUND]),
                 summary="Send a delivery again now")
    def retry_webhook_delivery(endpoint_id: EndpointIdParam, delivery_id: DeliveryIdParam,
                               ctx: CtxDep, inst: InstitutionDep) -> dict[str, Any]:
        return svc.retry_delivery(ctx, inst, endpoint_id, delivery_id)

    @router.post("/institution/rotate-webhook-secret", response_model=DefaultSecretRotated,
                 summary="A new default webhook secret (signs callback_url deliveries), "
                         "shown once")
    def rotate_institution_webhook_secret(ctx: CtxDep, inst: InstitutionDep,
                                          body: SecretRotation | None = None
                                          ) -> dict[str, Any]:
        return svc.rotate_default_secret(ctx, inst, body.grace_seconds if body else None)

    return router
