"""``GET /v1/events?after=<cursor>``: an institution catches up on its own notifications.

Events page by cursor, not by number: an event committed late with a lower id (concurrent
writers) would be skipped by a page number; a cursor over settled rows never skips one
(docs/api.md, Pagination).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from anxin.services.notifications import PAGE_SIZE, list_events
from anxin.web.api.schemas import EventPage
from anxin.web.deps import CtxDep, InstitutionDep

EventsPageSize = Annotated[int | None, Query(ge=1, le=PAGE_SIZE, description=(
    f"Events a page, at most {PAGE_SIZE} (the default)"))]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["events"])

    @router.get("/events", response_model=EventPage, name="list_events",
                summary="Status changes of your authorizations, oldest first, after a cursor")
    def events(ctx: CtxDep, inst: InstitutionDep,
               after: Annotated[str | None, Query(
                   pattern=r"^[0-9]{1,18}$",
                   description="The `next` (or an event's `cursor`) of a previous answer; "
                               "omit it for the first page")] = None,
               page_size: EventsPageSize = None,
               limit: Annotated[int | None, Query(
                   ge=1, le=PAGE_SIZE, deprecated=True,
                   description="The former name of `page_size`")] = None) -> dict[str, Any]:
        """Each event is what the webhook POSTs (`event`, `authorization_id`, `status`,
        `reference`, `occurred_at`) plus its `cursor` and `delivery` state. Ask again
        with `after=<next>` until `has_more` is false. Events appear here a couple of
        seconds after they happen (so that a late commit is never skipped)."""
        size = page_size if page_size is not None else (limit or PAGE_SIZE)
        return list_events(ctx, inst, after=after, limit=size)

    return router
