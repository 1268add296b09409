"""``GET /v1/events?after=<cursor>``: an institution catches up on its own notifications."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from anxin.error_codes import Code
from anxin.services.notifications import list_events
from anxin.web.deps import CtxDep, InstitutionDep
from anxin.web.input_guard import Int32
from anxin.web.problems import problems


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["institution API"])

    @router.get("/events", responses=problems(
        s401=[Code.MISSING_API_KEY, Code.INVALID_API_KEY, Code.INSTITUTION_SUSPENDED],
        s422=[Code.VALIDATION_FAILED]),
        summary="Status changes of your authorizations, oldest first, after a cursor")
    def events(ctx: CtxDep, inst: InstitutionDep, after: str | None = None,
               limit: Int32 = 100) -> dict[str, Any]:
        """Each event is what the webhook POSTs (``event``, ``authorization_id``,
        ``status``, ``reference``, ``occurred_at``) plus its ``cursor`` and ``delivery``
        state. Ask again with ``after=<next>`` until ``has_more`` is false. Events appear
        here a couple of seconds after they happen."""
        return list_events(ctx, inst, after=after, limit=limit)

    return router
