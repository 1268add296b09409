from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.webhook_endpoint_created import WebhookEndpointCreated
from ...models.webhook_endpoint_request import WebhookEndpointRequest
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: WebhookEndpointRequest,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/webhook-endpoints",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | WebhookEndpointCreated | None:
    if response.status_code == 201:
        response_201 = WebhookEndpointCreated.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | WebhookEndpointCreated]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: WebhookEndpointRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | WebhookEndpointCreated]:
    """Register a webhook endpoint; the answer shows its secret once

    Args:
        idempotency_key (str | Unset): 1 to 200 characters: the same key and body answer the same
            result without doing it twice; the same key with another body answers 422
            `idempotency_key_reused`
        body (WebhookEndpointRequest): A URL to POST the events you subscribe to, signed (`Anxin-
            Signature`) with the
            endpoint's own secret. At most 16 endpoints, each URL once.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WebhookEndpointCreated]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: WebhookEndpointRequest,
    idempotency_key: str | Unset = UNSET,
) -> Problem | WebhookEndpointCreated | None:
    """Register a webhook endpoint; the answer shows its secret once

    Args:
        idempotency_key (str | Unset): 1 to 200 characters: the same key and body answer the same
            result without doing it twice; the same key with another body answers 422
            `idempotency_key_reused`
        body (WebhookEndpointRequest): A URL to POST the events you subscribe to, signed (`Anxin-
            Signature`) with the
            endpoint's own secret. At most 16 endpoints, each URL once.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WebhookEndpointCreated
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: WebhookEndpointRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | WebhookEndpointCreated]:
    """Register a webhook endpoint; the answer shows its secret once

    Args:
        idempotency_key (str | Unset): 1 to 200 characters: the same key and body answer the same
            result without doing it twice; the same key with another body answers 422
            `idempotency_key_reused`
        body (WebhookEndpointRequest): A URL to POST the events you subscribe to, signed (`Anxin-
            Signature`) with the
            endpoint's own secret. At most 16 endpoints, each URL once.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WebhookEndpointCreated]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: WebhookEndpointRequest,
    idempotency_key: str | Unset = UNSET,
) -> Problem | WebhookEndpointCreated | None:
    """Register a webhook endpoint; the answer shows its secret once

    Args:
        idempotency_key (str | Unset): 1 to 200 characters: the same key and body answer the same
            result without doing it twice; the same key with another body answers 422
            `idempotency_key_reused`
        body (WebhookEndpointRequest): A URL to POST the events you subscribe to, signed (`Anxin-
            Signature`) with the
            endpoint's own secret. At most 16 endpoints, each URL once.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WebhookEndpointCreated
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
