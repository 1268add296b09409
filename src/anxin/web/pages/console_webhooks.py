"""The console's read-only view of an institution's webhooks:
``GET /console/institutions/{id}/webhooks`` shows the default callback URL, whether a
default secret exists (never the secret), every endpoint registered by API with its
latest deliveries (event, status, attempts, last attempt, response status, last error),
and the latest deliveries to per-request callback URLs.

Added to the console's router by :func:`add_routes`, which receives the console's
session guard and page renderer so that the same sign-in, CSRF and language rules hold.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from anxin.services import webhook_endpoints
from anxin.services.web_sessions import SessionRef
from anxin.web.pages.web_common import ctx_of

Handler = Callable[[Request, SessionRef, dict[str, str]], Awaitable[Response]]
Guard = Callable[..., Awaitable[Response]]
Page = Callable[..., Response]


def add_routes(router: APIRouter, guarded: Guard, page: Page,
               strings: Callable[[Request], dict[str, str]]) -> None:
    @router.get("/institutions/{inst_id}/webhooks")
    async def webhooks(inst_id: str, request: Request) -> Response:
        async def run(request: Request, sess: SessionRef, form: dict[str, Any]) -> Response:
            view = await run_in_threadpool(webhook_endpoints.console_view,
                                           ctx_of(request), inst_id)
            return page(request, "console_webhooks.html", sess, w=view,
                        title=strings(request)["webhooks_of"].format(name=view["name"]))
        return await guarded(request, run, post=False)
