from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.deletion_attestation import DeletionAttestation
from ...models.deletion_request import DeletionRequest
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    auth_id: str,
    *,
    body: DeletionRequest,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/authorizations/{auth_id}/deletion".format(
            auth_id=quote(str(auth_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DeletionAttestation | Problem | None:
    if response.status_code == 201:
        response_201 = DeletionAttestation.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
) -> Response[DeletionAttestation | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    auth_id: str,
    *,
    client: AuthenticatedClient,
    body: DeletionRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[DeletionAttestation | Problem]:
    """Attest the deletion of the data that granted uses fetched

    Args:
        auth_id (str): The authorization's `id`
        idempotency_key (str | Unset): 1 to 200 characters: the same key and body answer the same
            result without doing it twice; the same key with another body answers 422
            `idempotency_key_reused`
        body (DeletionRequest): What you deleted, and when (the data that granted uses fetched).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DeletionAttestation | Problem]
    """

    kwargs = _get_kwargs(
        auth_id=auth_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    auth_id: str,
    *,
    client: AuthenticatedClient,
    body: DeletionRequest,
    idempotency_key: str | Unset = UNSET,
) -> DeletionAttestation | Problem | None:
    """Attest the deletion of the data that granted uses fetched

    Args:
        auth_id (str): The authorization's `id`
        idempotency_key (str | Unset): 1 to 200 characters: the same key and body answer the same
            result without doing it twice; the same key with another body answers 422
            `idempotency_key_reused`
        body (DeletionRequest): What you deleted, and when (the data that granted uses fetched).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DeletionAttestation | Problem
    """

    return sync_detailed(
        auth_id=auth_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    auth_id: str,
    *,
    client: AuthenticatedClient,
    body: DeletionRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[DeletionAttestation | Problem]:
    """Attest the deletion of the data that granted uses fetched

    Args:
        auth_id (str): The authorization's `id`
        idempotency_key (str | Unset): 1 to 200 characters: the same key and body answer the same
            result without doing it twice; the same key with another body answers 422
            `idempotency_key_reused`
        body (DeletionRequest): What you deleted, and when (the data that granted uses fetched).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DeletionAttestation | Problem]
    """

    kwargs = _get_kwargs(
        auth_id=auth_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    auth_id: str,
    *,
    client: AuthenticatedClient,
    body: DeletionRequest,
    idempotency_key: str | Unset = UNSET,
) -> DeletionAttestation | Problem | None:
    """Attest the deletion of the data that granted uses fetched

    Args:
        auth_id (str): The authorization's `id`
        idempotency_key (str | Unset): 1 to 200 characters: the same key and body answer the same
            result without doing it twice; the same key with another body answers 422
            `idempotency_key_reused`
        body (DeletionRequest): What you deleted, and when (the data that granted uses fetched).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DeletionAttestation | Problem
    """

    return (
        await asyncio_detailed(
            auth_id=auth_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
