from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.event_page import EventPage
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    after: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["after"] = after

    params["page_size"] = page_size

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/events",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> EventPage | Problem | None:
    if response.status_code == 200:
        response_200 = EventPage.from_dict(response.json())

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
) -> Response[EventPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> Response[EventPage | Problem]:
    """Status changes of your authorizations, oldest first, after a cursor

     Each event is what the webhook POSTs (`event`, `authorization_id`, `status`,
    `reference`, `occurred_at`) plus its `cursor` and `delivery` state. Ask again
    with `after=<next>` until `has_more` is false. Events appear here a couple of
    seconds after they happen (so that a late commit is never skipped).

    Args:
        after (str | Unset): The `next` (or an event's `cursor`) of a previous answer; omit it for
            the first page
        page_size (int | Unset): Events a page, at most 100 (the default)
        limit (int | Unset): The former name of `page_size`

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventPage | Problem]
    """

    kwargs = _get_kwargs(
        after=after,
        page_size=page_size,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> EventPage | Problem | None:
    """Status changes of your authorizations, oldest first, after a cursor

     Each event is what the webhook POSTs (`event`, `authorization_id`, `status`,
    `reference`, `occurred_at`) plus its `cursor` and `delivery` state. Ask again
    with `after=<next>` until `has_more` is false. Events appear here a couple of
    seconds after they happen (so that a late commit is never skipped).

    Args:
        after (str | Unset): The `next` (or an event's `cursor`) of a previous answer; omit it for
            the first page
        page_size (int | Unset): Events a page, at most 100 (the default)
        limit (int | Unset): The former name of `page_size`

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventPage | Problem
    """

    return sync_detailed(
        client=client,
        after=after,
        page_size=page_size,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> Response[EventPage | Problem]:
    """Status changes of your authorizations, oldest first, after a cursor

     Each event is what the webhook POSTs (`event`, `authorization_id`, `status`,
    `reference`, `occurred_at`) plus its `cursor` and `delivery` state. Ask again
    with `after=<next>` until `has_more` is false. Events appear here a couple of
    seconds after they happen (so that a late commit is never skipped).

    Args:
        after (str | Unset): The `next` (or an event's `cursor`) of a previous answer; omit it for
            the first page
        page_size (int | Unset): Events a page, at most 100 (the default)
        limit (int | Unset): The former name of `page_size`

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventPage | Problem]
    """

    kwargs = _get_kwargs(
        after=after,
        page_size=page_size,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    page_size: int | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> EventPage | Problem | None:
    """Status changes of your authorizations, oldest first, after a cursor

     Each event is what the webhook POSTs (`event`, `authorization_id`, `status`,
    `reference`, `occurred_at`) plus its `cursor` and `delivery` state. Ask again
    with `after=<next>` until `has_more` is false. Events appear here a couple of
    seconds after they happen (so that a late commit is never skipped).

    Args:
        after (str | Unset): The `next` (or an event's `cursor`) of a previous answer; omit it for
            the first page
        page_size (int | Unset): Events a page, at most 100 (the default)
        limit (int | Unset): The former name of `page_size`

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventPage | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            after=after,
            page_size=page_size,
            limit=limit,
        )
    ).parsed
