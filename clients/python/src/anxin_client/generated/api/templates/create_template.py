from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.template import Template
from ...models.template_request import TemplateRequest
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: TemplateRequest,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/templates",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | Template | None:
    if response.status_code == 200:
        response_200 = Template.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = Template.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

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
) -> Response[Problem | Template]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: TemplateRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | Template]:
    """Create a template, or a new version of it

     Versions are never modified: an authorization keeps the version it was requested
    under. The same content again answers 200 and the current version.

    Args:
        idempotency_key (str | Unset): 1 to 200 characters: the same key and body answer the same
            result without doing it twice; the same key with another body answers 422
            `idempotency_key_reused`
        body (TemplateRequest): A template: the letter the person signs, and the terms every
            request from it gets.
            The same content again answers 200 and the current version; other content makes a
            new version (201).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Template]
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
    body: TemplateRequest,
    idempotency_key: str | Unset = UNSET,
) -> Problem | Template | None:
    """Create a template, or a new version of it

     Versions are never modified: an authorization keeps the version it was requested
    under. The same content again answers 200 and the current version.

    Args:
        idempotency_key (str | Unset): 1 to 200 characters: the same key and body answer the same
            result without doing it twice; the same key with another body answers 422
            `idempotency_key_reused`
        body (TemplateRequest): A template: the letter the person signs, and the terms every
            request from it gets.
            The same content again answers 200 and the current version; other content makes a
            new version (201).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Template
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: TemplateRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[Problem | Template]:
    """Create a template, or a new version of it

     Versions are never modified: an authorization keeps the version it was requested
    under. The same content again answers 200 and the current version.

    Args:
        idempotency_key (str | Unset): 1 to 200 characters: the same key and body answer the same
            result without doing it twice; the same key with another body answers 422
            `idempotency_key_reused`
        body (TemplateRequest): A template: the letter the person signs, and the terms every
            request from it gets.
            The same content again answers 200 and the current version; other content makes a
            new version (201).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Template]
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
    body: TemplateRequest,
    idempotency_key: str | Unset = UNSET,
) -> Problem | Template | None:
    """Create a template, or a new version of it

     Versions are never modified: an authorization keeps the version it was requested
    under. The same content again answers 200 and the current version.

    Args:
        idempotency_key (str | Unset): 1 to 200 characters: the same key and body answer the same
            result without doing it twice; the same key with another body answers 422
            `idempotency_key_reused`
        body (TemplateRequest): A template: the letter the person signs, and the terms every
            request from it gets.
            The same content again answers 200 and the current version; other content makes a
            new version (201).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Template
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
