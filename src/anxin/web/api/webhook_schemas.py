"""The webhook-endpoint routes' request and answer models (``/v1/webhook-endpoints``,
``/v1/institution/rotate-webhook-secret``): their part of ``/openapi.json``.

The same pattern as :mod:`anxin.web.api.schemas` (``Strict`` bodies, ``Reply`` answers
with examples), kept apart so that neither module grows past its size. The event names
are the product's (:data:`anxin.services.notifications.NOTIFIED_EVENTS`) and ``*``; the
schema lists them as an enum, and the edge keeps answering an unknown one with its own
code, ``unknown_event`` (as the subject's patterns keep theirs), so schema and product
refuse the same lists.

>>> WebhookEndpointRequest.model_validate({"url": "https://bank.example/hooks/anxin",
...                                        "events": ["*"]}).events
['*']
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from anxin.services.webhook_endpoints import MAX_GRACE_SECONDS, subscribable_events
from anxin.services.webhook_fanout import ALL_EVENTS
from anxin.web.api.schemas import (
    EXAMPLE_AUTH_ID,
    EXAMPLE_TIME,
    Reply,
    Strict,
    Timestamp,
    no_text_for_numbers,
)
from anxin.web.input_guard import Text

# What a subscription may name: every event Anxin notifies, or "*" for all of them.
EVENT_NAMES = [ALL_EVENTS, *subscribable_events()]
MAX_URL_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 200
ENDPOINT_ID_PATTERN = r"^we_[0-9a-f]{32}$"

# Bounds before the validator: see anxin.web.api.schemas.MaxUses.
GraceSeconds = Annotated[int, Ge(0), Le(MAX_GRACE_SECONDS),
                         BeforeValidator(no_text_for_numbers)]
EndpointId = Annotated[str, WithJsonSchema({"type": "string", "pattern": ENDPOINT_ID_PATTERN})]

EXAMPLE_ENDPOINT_ID = "we_3f9c2a7d1b8e4f6a9c0d2e4b6a8c0e1f"
EXAMPLE_SECRET = "whsec_pV3q8Zr0mXc1YtK7sWbN4eHd2LfJ9aGu"  # noqa: S105 (an example)
_ENDPOINT_EXAMPLE: dict[str, Any] = {
    "id": EXAMPLE_ENDPOINT_ID, "object": "webhook_endpoint",
    "url": "https://bank.example/hooks/anxin",
    "events": ["authorization:signed", "authorization:revoked"],
    "description": "Loan system", "created_at": EXAMPLE_TIME, "secret_rotated_at": None,
    "previous_secret_expires_at": None}
_DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": "17", "object": "webhook_delivery", "endpoint_id": EXAMPLE_ENDPOINT_ID,
    "event": "authorization:signed", "event_id": "evt_5b1d0c9e8f7a6b5c",
    "authorization_id": EXAMPLE_AUTH_ID, "url": "https://bank.example/hooks/anxin",
    "status": "delivered", "attempts": 1, "last_error": None,
    "last_attempt_at": "2026-12-01T17:39:02.512000+00:00", "response_status": 200,
    "delivered_at": "2026-12-01T17:39:02.512000+00:00", "next_attempt_at": None,
    "also_callback_url": False, "created_at": "2026-12-01T17:39:02.242586+00:00"}


def _examples(*values: dict[str, Any]) -> dict[str, Any]:
    return {"examples": list(values)}


class WebhookEndpointRequest(Strict):
    """A URL to POST the events you subscribe to, signed (`Anxin-Signature`) with the
    endpoint's own secret. At most 16 endpoints, each URL once."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_examples({
        "url": "https://bank.example/hooks/anxin",
        "events": ["authorization:signed", "authorization:revoked"],
        "description": "Loan system"}))

    url: Text = Field(min_length=1, max_length=MAX_URL_LENGTH, description=(
        "An http(s) URL; not a loopback, private, link-local or metadata address unless "
        "the deployment allows it (`ANXIN_OUTBOUND_ALLOW`)"),
        json_schema_extra={"format": "uri"})
    events: list[Annotated[Text, Field(json_schema_extra={"enum": EVENT_NAMES})]] = Field(
        min_length=1, max_length=len(EVENT_NAMES), description=(
            'Event names, or "*" for every event (repeats are taken once)'))
    description: Text | None = Field(None, max_length=MAX_DESCRIPTION_LENGTH)


class SecretRotation(Strict):
    """How long the previous secret keeps signing (deliveries then carry two `v1`
    signatures). No body: the default, 24 hours."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_examples(
        {"grace_seconds": 3600}))

    grace_seconds: GraceSeconds | None = Field(None, description=(
        f"0 to {MAX_GRACE_SECONDS} (the default); 0 ends the previous secret at once"))


class WebhookEndpoint(Reply):
    """A webhook endpoint (its secret is shown only when made or rotated)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples(_ENDPOINT_EXAMPLE))

    id: EndpointId
    object: Literal["webhook_endpoint"]
    url: str
    events: list[str]
    description: str | None
    created_at: Timestamp
    secret_rotated_at: Timestamp | None
    previous_secret_expires_at: Timestamp | None = Field(description=(
        "Until when the previous secret signs too (after a rotation with a grace period)"))


class WebhookEndpointWithSecret(WebhookEndpoint):
    """The endpoint and its new secret: shown this once, stored encrypted."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples(
        {**_ENDPOINT_EXAMPLE, "secret": EXAMPLE_SECRET}))

    secret: str = Field(description="Verify `Anxin-Signature` with it (HMAC-SHA256)")


class WebhookEndpointCreated(WebhookEndpoint):
    """The new endpoint and its secret: shown this once, stored encrypted. A replay of the
    same `Idempotency-Key` answers the same endpoint and its current secret; once the
    endpoint is deleted, what was made, with `secret` null."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples(
        {**_ENDPOINT_EXAMPLE, "secret": EXAMPLE_SECRET}))

    secret: str | None = Field(description=(
        "Verify `Anxin-Signature` with it (HMAC-SHA256); null only in a replay after "
        "the endpoint was deleted"))


class WebhookEndpointList(Reply):
    """Your webhook endpoints, oldest first, and the events one may subscribe to."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({
        "items": [_ENDPOINT_EXAMPLE], "subscribable_events": EVENT_NAMES}))

    items: list[WebhookEndpoint]
    subscribable_events: list[str]


class WebhookEndpointDeleted(Reply):
    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({
        "id": EXAMPLE_ENDPOINT_ID, "object": "webhook_endpoint", "deleted": True}))

    id: str
    object: Literal["webhook_endpoint"]
    deleted: Literal[True]


class WebhookDelivery(Reply):
    """One delivery of an event (or a ping) to an endpoint, and how it went."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples(_DELIVERY_EXAMPLE))

    id: str = Field(description="Retry it with `.../deliveries/{id}/retry`")
    object: Literal["webhook_delivery"]
    endpoint_id: str | None = Field(description=(
        "null once the endpoint is deleted (a delivery also to the `callback_url` stays)"))
    event: str = Field(examples=["authorization:signed", "webhook:ping"])
    event_id: str = Field(description="The `Anxin-Event-Id` header: deduplicate by it")
    authorization_id: str | None
    url: str
    status: str = Field(description="`pending`, `delivered`, `failed` (gave up, or a "
                                    "permanent refusal) or `cancelled`")
    attempts: int = Field(ge=0)
    last_error: str | None
    last_attempt_at: Timestamp | None
    response_status: int | None = Field(description="The receiver's last HTTP status")
    delivered_at: Timestamp | None
    next_attempt_at: Timestamp | None = Field(description="While `pending`: the next try")
    also_callback_url: bool = Field(description=(
        "The endpoint's URL is also the authorization's `callback_url`: one delivery"))
    created_at: Timestamp


class WebhookDeliveryPage(Reply):
    """A page of an endpoint's delivery log, newest first."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({
        "items": [_DELIVERY_EXAMPLE], "page": 1, "page_size": 50, "has_more": False}))

    items: list[WebhookDelivery]
    page: int = Field(ge=1)
    page_size: int = Field(ge=1)
    has_more: bool = Field(description="True when a next page has deliveries")


class DefaultSecretRotated(Reply):
    """The institution's new default secret (it signs deliveries to `callback_url`s)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_examples({
        "webhook_secret": EXAMPLE_SECRET,
        "previous_secret_expires_at": "2026-12-02T17:39:01.847016+00:00"}))

    webhook_secret: str = Field(description="Shown this once")
    previous_secret_expires_at: Timestamp | None
