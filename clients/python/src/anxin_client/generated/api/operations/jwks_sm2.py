from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.key_set import KeySet
from ...models.problem import Problem
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/.well-known/jwks-sm2.json",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> KeySet | Problem | None:
    if response.status_code == 200:
        response_200 = KeySet.from_dict(response.json())

        return response_200

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[KeySet | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[KeySet | Problem]:
    """Jwks Sm2

     The SM2 seal's public key (``kty`` EC, ``crv`` SM2, ``alg`` SM2SM3), to verify
    the SM2SM3 receipts: ``receipt`` in sm, ``receipt_sm2`` in dual.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[KeySet | Problem]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> KeySet | Problem | None:
    """Jwks Sm2

     The SM2 seal's public key (``kty`` EC, ``crv`` SM2, ``alg`` SM2SM3), to verify
    the SM2SM3 receipts: ``receipt`` in sm, ``receipt_sm2`` in dual.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        KeySet | Problem
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[KeySet | Problem]:
    """Jwks Sm2

     The SM2 seal's public key (``kty`` EC, ``crv`` SM2, ``alg`` SM2SM3), to verify
    the SM2SM3 receipts: ``receipt`` in sm, ``receipt_sm2`` in dual.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[KeySet | Problem]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> KeySet | Problem | None:
    """Jwks Sm2

     The SM2 seal's public key (``kty`` EC, ``crv`` SM2, ``alg`` SM2SM3), to verify
    the SM2SM3 receipts: ``receipt`` in sm, ``receipt_sm2`` in dual.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        KeySet | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
