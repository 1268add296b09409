from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.authorization_page import AuthorizationPage
from ...models.authorization_status import AuthorizationStatus
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    status: AuthorizationStatus | Unset = UNSET,
    reference: str | Unset = UNSET,
    page: int | Unset = 1,
    after: str | Unset = UNSET,
    page_size: int | Unset = 50,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    params["reference"] = reference

    params["page"] = page

    params["after"] = after

    params["page_size"] = page_size

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/authorizations",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AuthorizationPage | Problem | None:
    if response.status_code == 200:
        response_200 = AuthorizationPage.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

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
) -> Response[AuthorizationPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    status: AuthorizationStatus | Unset = UNSET,
    reference: str | Unset = UNSET,
    page: int | Unset = 1,
    after: str | Unset = UNSET,
    page_size: int | Unset = 50,
) -> Response[AuthorizationPage | Problem]:
    """Your authorizations, newest first, a page at a time

     By number (`page`) or by cursor (`after`); `total` counts up to 10,000
    (`total_capped` when there are more).

    Args:
        status (AuthorizationStatus | Unset): The states of an authorization
            (``anxin.domain.states.Status``; a unit test keeps
            the two equal).
        reference (str | Unset):
        page (int | Unset): The page's number, from 1 Default: 1.
        after (str | Unset): Start after this cursor (the `next` of the previous answer) instead
            of at a page number: as fast at any depth
        page_size (int | Unset): Items a page, at most 100 (more answers 422 naming `page_size`)
            Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuthorizationPage | Problem]
    """

    kwargs = _get_kwargs(
        status=status,
        reference=reference,
        page=page,
        after=after,
        page_size=page_size,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    status: AuthorizationStatus | Unset = UNSET,
    reference: str | Unset = UNSET,
    page: int | Unset = 1,
    after: str | Unset = UNSET,
    page_size: int | Unset = 50,
) -> AuthorizationPage | Problem | None:
    """Your authorizations, newest first, a page at a time

     By number (`page`) or by cursor (`after`); `total` counts up to 10,000
    (`total_capped` when there are more).

    Args:
        status (AuthorizationStatus | Unset): The states of an authorization
            (``anxin.domain.states.Status``; a unit test keeps
            the two equal).
        reference (str | Unset):
        page (int | Unset): The page's number, from 1 Default: 1.
        after (str | Unset): Start after this cursor (the `next` of the previous answer) instead
            of at a page number: as fast at any depth
        page_size (int | Unset): Items a page, at most 100 (more answers 422 naming `page_size`)
            Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuthorizationPage | Problem
    """

    return sync_detailed(
        client=client,
        status=status,
        reference=reference,
        page=page,
        after=after,
        page_size=page_size,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    status: AuthorizationStatus | Unset = UNSET,
    reference: str | Unset = UNSET,
    page: int | Unset = 1,
    after: str | Unset = UNSET,
    page_size: int | Unset = 50,
) -> Response[AuthorizationPage | Problem]:
    """Your authorizations, newest first, a page at a time

     By number (`page`) or by cursor (`after`); `total` counts up to 10,000
    (`total_capped` when there are more).

    Args:
        status (AuthorizationStatus | Unset): The states of an authorization
            (``anxin.domain.states.Status``; a unit test keeps
            the two equal).
        reference (str | Unset):
        page (int | Unset): The page's number, from 1 Default: 1.
        after (str | Unset): Start after this cursor (the `next` of the previous answer) instead
            of at a page number: as fast at any depth
        page_size (int | Unset): Items a page, at most 100 (more answers 422 naming `page_size`)
            Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuthorizationPage | Problem]
    """

    kwargs = _get_kwargs(
        status=status,
        reference=reference,
        page=page,
        after=after,
        page_size=page_size,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    status: AuthorizationStatus | Unset = UNSET,
    reference: str | Unset = UNSET,
    page: int | Unset = 1,
    after: str | Unset = UNSET,
    page_size: int | Unset = 50,
) -> AuthorizationPage | Problem | None:
    """Your authorizations, newest first, a page at a time

     By number (`page`) or by cursor (`after`); `total` counts up to 10,000
    (`total_capped` when there are more).

    Args:
        status (AuthorizationStatus | Unset): The states of an authorization
            (``anxin.domain.states.Status``; a unit test keeps
            the two equal).
        reference (str | Unset):
        page (int | Unset): The page's number, from 1 Default: 1.
        after (str | Unset): Start after this cursor (the `next` of the previous answer) instead
            of at a page number: as fast at any depth
        page_size (int | Unset): Items a page, at most 100 (more answers 422 naming `page_size`)
            Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuthorizationPage | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            status=status,
            reference=reference,
            page=page,
            after=after,
            page_size=page_size,
        )
    ).parsed
